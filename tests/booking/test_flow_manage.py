"""The client's private pages: confirmation, calendar file, reschedule, cancel, lost link."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from booking.models import Booking, Notification
from tests.booking.helpers import DAY, TODAY, TOMORROW, at, make_booking, page_of
from tests.factories import TherapistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

FRIDAY = DAY + timedelta(days=1)


def main_of(response) -> str:
    page = page_of(response)
    return page[page.index("<main") : page.index("</main>")]


def test_the_confirmation_page_shows_everything_and_stays_private(client, booking):
    response = client.get(f"/booking/{booking.token}/")

    page = page_of(response)
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    assert booking.reference in page
    assert "Wed, Dec 2 · 2:00 pm" in page
    assert "100 Peachtree St NW, Atlanta, GA 30309" in page
    assert "$125.00" in page
    assert "Maya" in page
    assert "Okafor" not in page
    assert "MO" in page
    assert "Clear a space" in page
    assert f"/booking/{booking.token}/calendar.ics" in page
    assert f"/booking/{booking.token}/reschedule/" in page
    assert f"/booking/{booking.token}/cancel/" in page
    assert "Sore left shoulder" not in page


def test_the_calendar_download_is_an_invite_for_the_booking(client, booking):
    response = client.get(f"/booking/{booking.token}/calendar.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"spa-theory-{booking.reference}.ics" in response["Content-Disposition"]
    assert response["X-Robots-Tag"].startswith("noindex")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == at(TOMORROW, 14)


@pytest.mark.parametrize(
    "path",
    [
        "/booking/short/",
        "/booking/" + "!" * 30 + "/",
        "/booking/" + "a" * 65 + "/",
        "/booking/" + "A" * 32 + "/",
        "/booking/" + "A" * 32 + "/calendar.ics",
        "/booking/" + "A" * 32 + "/cancel/",
        "/booking/" + "A" * 32 + "/reschedule/",
        "/booking/%2e%2e%2f%2e%2e/",
    ],
)
def test_unknown_or_malformed_tokens_are_a_plain_404(client, booking, path):
    assert client.get(path).status_code == 404
    if path.endswith(("/cancel/", "/reschedule/")):
        assert client.post(path).status_code == 404


def test_no_sequential_id_reaches_a_booking(client, booking):
    assert client.get(f"/booking/{booking.pk}/").status_code == 404
    page = page_of(client.get(f"/booking/{booking.token}/"))
    assert f"/{booking.pk}/" not in page


def test_robots_txt_does_not_hide_the_token_pages(client):
    response = client.get("/robots.txt")

    text = page_of(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert {"User-agent: *", "Disallow: /admin/"} <= set(text.splitlines())
    # Crawlers must be able to fetch a leaked link to see its noindex header.
    assert "Disallow: /booking" not in text
    assert "Disallow: /" not in text.splitlines()


def test_a_client_reschedules_from_the_same_time_picker(client, booking):
    page = page_of(client.get(f"/booking/{booking.token}/reschedule/"))
    assert "Choose a new time" in page
    assert "Wed, Dec 2 · 2:00 pm" in page
    partial = client.get(
        f"/booking/{booking.token}/reschedule/?day=2026-12-04", headers={"HX-Request": "true"}
    )
    assert "Fri, Dec 4 · 10:00 am" in page_of(partial)
    assert "<html" not in page_of(partial)

    response = client.post(
        f"/booking/{booking.token}/reschedule/",
        {"start": at(FRIDAY, 10).astimezone(UTC).isoformat()},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/booking/{booking.token}/"
    booking.refresh_from_db()
    assert booking.starts_at == at(FRIDAY, 10)
    assert booking.sequence == 1
    assert "Your massage has a new time" in page_of(client.get(response["Location"]))


def test_rescheduling_to_a_time_just_taken_offers_alternatives(client, swedish, booking):
    client.get(f"/booking/{booking.token}/reschedule/?day=2026-12-04")
    make_booking(swedish, at(FRIDAY, 10), client_email="else@example.com")

    response = client.post(
        f"/booking/{booking.token}/reschedule/",
        {"start": at(FRIDAY, 10).astimezone(UTC).isoformat()},
    )

    page = page_of(response)
    assert response.status_code == 200
    assert "That time is no longer open" in page
    booking.refresh_from_db()
    assert booking.starts_at == at(TOMORROW, 14)


def test_a_booking_that_cannot_change_has_no_reschedule_or_cancel(client, booking):
    client.post(f"/booking/{booking.token}/cancel/")

    response = client.get(f"/booking/{booking.token}/reschedule/", follow=True)

    assert "can no longer be changed online" in page_of(response)
    assert client.post(f"/booking/{booking.token}/cancel/").status_code == 302
    page = page_of(client.get(f"/booking/{booking.token}/"))
    assert "This booking is cancelled" in page
    assert "/reschedule/" not in page


def test_cancelling_early_is_not_a_late_cancellation(client, booking):
    page = page_of(client.get(f"/booking/{booking.token}/cancel/"))
    assert "Cancel your booking?" in page
    assert "this is not a late cancellation" in page

    response = client.post(f"/booking/{booking.token}/cancel/")

    booking.refresh_from_db()
    assert response["Location"] == f"/booking/{booking.token}/"
    assert booking.status == Booking.Status.CANCELLED
    assert booking.late_cancellation is False
    assert not booking.appointments.active().exists()
    assert "Your booking is cancelled" in page_of(client.get(response["Location"]))


def test_a_browser_posting_from_a_no_referrer_page_can_cancel(booking):
    # Browsers send "Origin: null" for forms on pages with Referrer-Policy: no-referrer.
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(f"/booking/{booking.token}/cancel/", HTTP_ORIGIN="null")

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_cancelling_within_the_window_is_a_late_cancellation(client, swedish, maya):
    booking = make_booking(swedish, at(TODAY, 14))

    page = page_of(client.get(f"/booking/{booking.token}/cancel/"))
    assert "This is a late cancellation." in page
    assert "less than 24 hours" in page

    client.post(f"/booking/{booking.token}/cancel/")

    booking.refresh_from_db()
    assert booking.late_cancellation is True
    assert "counts as a late cancellation" in page_of(client.get(f"/booking/{booking.token}/"))


def test_lost_link_answers_the_same_whether_or_not_bookings_exist(client, booking):
    known = client.post("/booking/lost-link/", {"email": "ADA@example.com"})
    unknown = client.post("/booking/lost-link/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert main_of(known) == main_of(unknown)
    assert "Check your email" in page_of(known)
    links = Notification.objects.filter(kind=Notification.Kind.MANAGE_LINKS)
    assert [n.recipient.lower() for n in links] == ["ada@example.com"]


@pytest.mark.parametrize(
    "typed",
    [
        "sam@gma\u0131l.com",  # dotless i: xn--gmal-nza.com, which SQL UPPER() reads as GMAIL
        "\u017fam@gma\u0131l.com",  # long s as well
        "sam@gm\u0430il.com",  # Cyrillic a
    ],
)
def test_lost_link_sends_nothing_for_a_look_alike_address(
    client, swedish, maya, mailoutbox, typed, django_capture_on_commit_callbacks
):
    make_booking(swedish, at(TOMORROW, 14), client_email="sam@gmail.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/booking/lost-link/", {"email": typed})

    assert response.status_code == 200
    assert not Notification.objects.filter(kind=Notification.Kind.MANAGE_LINKS).exists()
    assert mailoutbox == []


@pytest.mark.parametrize("typed", [" ADA@Example.COM ", "ada@EXAMPLE.COM"])
def test_lost_link_goes_to_the_address_stored_on_the_booking(
    client, booking, mailoutbox, typed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/booking/lost-link/", {"email": typed})

    [message] = mailoutbox
    assert message.to == ["ada@example.com"]
    assert booking.get_absolute_url() in message.body


def test_lost_link_refuses_a_bad_address_with_a_message(client):
    response = client.post("/booking/lost-link/", {"email": "x" * 5000})

    page = page_of(response)
    assert "<title>Error: " in page
    assert "Enter an email address like name@example.com." in page


def test_lost_link_is_rate_limited_per_ip(client, settings):
    settings.BOOKING_LOST_LINK_RATE_LIMIT = "2/h"
    for _ in range(2):
        assert client.post("/booking/lost-link/", {"email": "a@example.com"}).status_code == 200

    response = client.post("/booking/lost-link/", {"email": "a@example.com"})

    assert response.status_code == 429
    assert "Too many attempts" in page_of(response)
    assert client.get("/booking/lost-link/").status_code == 200


def test_private_pages_run_a_constant_number_of_queries(
    client, swedish, booking, django_assert_num_queries
):
    paths = [
        f"/booking/{booking.token}/",
        f"/booking/{booking.token}/calendar.ics",
        f"/booking/{booking.token}/reschedule/",
        f"/booking/{booking.token}/cancel/",
    ]
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[path] = len(queries)

    for _ in range(6):
        TherapistFactory(modalities=[swedish.modality], hours="all")
    for hour in (9, 11, 16, 18):
        make_booking(swedish, at(TOMORROW, hour), client_email="else@example.com")

    for path in paths:
        with django_assert_num_queries(counts[path]):
            client.get(path)
