"""The words a client reads: the terms and privacy pages they agree to, and facts (the space
needed, the late-cancellation window, who sees health notes, the hours) that read the same on
every page and in every email."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from booking.demo import SERVICES
from booking.models import Booking, Notification
from booking.notifications.delivery import notification_send_now
from booking.notifications.outbox import reminder_queue_due
from booking.services import booking_cancel
from tests.booking.helpers import DETAILS, TOMORROW, at, make_booking, page_of
from tests.booking.test_flow import book, choose_service, slot_value
from tests.factories import ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

# Couples name the second person on the details step.
COUPLE = DETAILS | {"second_person_name": "Ben Partner"}

SPACE = "Clear a space about 7 by 10 feet"


def send_all():
    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    for pk in pending.values_list("pk", flat=True):
        notification_send_now(notification_id=pk)


def email_to_client(kind):
    [notification] = Notification.objects.filter(kind=kind)
    [message] = [
        m
        for m in mail.outbox
        if m.extra_headers["X-Spa-Theory-Notification"] == str(notification.pk)
    ]
    return message.body, message.alternatives[0][0]


def test_the_terms_say_what_is_true_today_with_the_configured_window(client, settings):
    settings.BOOKING_LATE_CANCELLATION_HOURS = 36
    page = page_of(client.get("/terms/"))
    assert "<h1>Booking terms</h1>" in page
    assert "up to 36 hours before your massage" in page
    assert "we charge nothing for a late cancellation" in page
    assert "table, clean sheets, pillows and unscented oil" in page
    assert SPACE in page
    assert "Only your therapist and our booking team see them" in page
    assert 'href="/privacy/"' in page


def test_the_privacy_page_says_how_long_and_who_sees_it_from_settings(client, settings):
    settings.BOOKING_RETENTION_MONTHS = 18
    settings.JOB_DETAILS_VISIBLE_HOURS_BEFORE = 12
    settings.JOB_DETAILS_VISIBLE_HOURS_AFTER = 3
    page = page_of(client.get("/privacy/"))
    assert "<h1>Privacy</h1>" in page
    assert "until 18 months after your booking ends" in page
    assert "from 12 hours before your appointment until 3 hours after it ends" in page
    assert "Our booking team" in page
    assert "We never send them by email" in page


def test_the_privacy_page_does_not_promise_removal_when_retention_is_off(client, settings):
    settings.BOOKING_RETENTION_MONTHS = 0
    page = page_of(client.get("/privacy/"))
    assert "months after your booking ends" not in page
    assert "until you ask us to remove them" in page


def test_the_consent_links_to_the_terms_and_privacy_pages_in_a_new_tab(client, swedish, maya):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    page = page_of(client.get("/book/details/"))
    consent = re.search(r'id="id_consent_hint">(.*?)</div>', page, re.DOTALL).group(1)
    assert re.search(r'<a href="/terms/" target="_blank" rel="noopener">booking terms', consent)
    assert re.search(r'<a href="/privacy/" target="_blank" rel="noopener">privacy', consent)


def test_staff_booking_by_phone_see_the_terms_to_read_out(admin_client):
    page = page_of(admin_client.get("/admin/booking/booking/book-by-phone/"))
    assert 'href="/terms/"' in page
    assert 'href="/privacy/"' in page


def test_every_page_links_to_the_terms_and_privacy_in_the_footer(client):
    page = page_of(client.get("/"))
    footer = page[page.index('<footer class="site-footer">') :]
    assert 'href="/terms/">Booking terms</a>' in footer
    assert 'href="/privacy/">Privacy</a>' in footer


def test_the_sitemap_lists_the_terms_and_privacy_pages(client):
    body = client.get("/sitemap.xml").content.decode()
    assert f"<loc>{django_settings.SITE_URL}/terms/</loc>" in body
    assert f"<loc>{django_settings.SITE_URL}/privacy/</loc>" in body


def test_the_footer_hours_do_not_start_later_than_the_earliest_massage(client):
    # Demo therapists start at 7 am; the footer used to say "from 8 am".
    page = page_of(client.get("/"))
    footer = page[page.index('<footer class="site-footer">') :]
    assert "8 am" not in footer
    assert "every day, from morning to late evening" in footer


def test_the_space_needed_reads_the_same_on_the_form_the_review_and_the_emails(
    client, swedish, maya, time_machine
):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    pages = [page_of(client.get("/book/details/"))]
    client.post("/book/details/", DETAILS)
    pages.append(page_of(client.get("/book/review/")))
    booking = make_booking(swedish, at(TOMORROW + timedelta(days=3), 14))
    pages.append(page_of(client.get(booking.get_absolute_url())))
    time_machine.move_to(booking.starts_at - timedelta(hours=20), tick=False)
    assert reminder_queue_due() == 1
    send_all()
    pages.extend(email_to_client(Notification.Kind.CLIENT_REMINDER))
    for page in pages:
        assert SPACE in page
        assert "feet" not in page.replace(SPACE, "")


def test_cancellation_emails_use_the_configured_window(swedish, maya, settings):
    settings.BOOKING_LATE_CANCELLATION_HOURS = 48
    booking = make_booking(swedish, at(TOMORROW, 14))  # 29 hours away
    booking_cancel(booking=booking)
    send_all()
    for body in email_to_client(Notification.Kind.CLIENT_CANCELLED):
        assert "within 48 hours of the start" in body
        assert "24 hours" not in body
        assert f"{settings.SITE_URL}/terms/" in body


def test_the_confirmation_names_the_therapist_the_price_and_the_policy(swedish, maya, settings):
    settings.BOOKING_LATE_CANCELLATION_HOURS = 30
    make_booking(swedish, at(TOMORROW, 14))
    send_all()
    for body in email_to_client(Notification.Kind.CLIENT_CONFIRMATION):
        assert "Maya" in body
        assert "Okafor" not in body
        assert "$125.00" in body
        assert "up to 30 hours before your massage" in body
        assert f"{settings.SITE_URL}/terms/" in body


def test_the_couples_confirmation_names_both_therapists_and_the_shared_price(client):
    couples = ServiceFactory(
        name="Couples side by side", kind="couples_side_by_side", prices={60: "250.00"}
    )
    for first_name in ("Maya", "Noor"):
        TherapistFactory(first_name=first_name, modalities=[couples.modality], hours="all")
    book(client, couples, starts_at=at(TOMORROW, 14), details=COUPLE)
    send_all()
    for body in email_to_client(Notification.Kind.CLIENT_CONFIRMATION):
        assert re.search("(Maya and Noor|Noor and Maya)", body)
        assert "$250.00 for the two of you" in body


def test_back_to_back_couples_review_shows_when_both_massages_end(client, settings):
    settings.BOOKING_COUPLES_CHANGEOVER_MINUTES = 20
    couples = ServiceFactory(
        name="Couples back to back", kind="couples_back_to_back", prices={60: "230.00"}
    )
    TherapistFactory(modalities=[couples.modality], hours="all")
    choose_service(client, couples)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    client.post("/book/details/", COUPLE)
    page = page_of(client.get("/book/review/"))
    # 60 + 20 + 60 minutes from 2:00 pm.
    assert "Wed, Dec 2 · 2:00 pm to 4:20 pm" in page
    client.post("/book/review/")
    assert Booking.objects.get().ends_at == at(TOMORROW, 16, 20)


def test_articles_say_who_sees_health_notes_as_the_form_does():
    articles = Path(django_settings.BASE_DIR, "blog", "demo_articles")
    for article in articles.glob("*.md"):
        text = " ".join(article.read_text().split())
        assert not re.search(r"only your therapist sees", text, re.IGNORECASE), article.name
        assert not re.search(r"shared only with the therapist", text, re.IGNORECASE), article.name


def test_the_demo_services_ask_for_the_same_space_as_the_form():
    swedish = next(s for s in SERVICES if s["name"] == "Swedish massage")
    assert SPACE in swedish["what_to_expect"]
    for service in SERVICES:
        assert "7 by 3 feet" not in " ".join(service["what_to_expect"].split()), service["name"]
