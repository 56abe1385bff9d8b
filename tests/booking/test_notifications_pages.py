"""The therapist's private job page and the outbox in admin."""

from datetime import timedelta

import pytest
from django.urls import reverse

from booking.models import Booking, Notification
from tests.booking.helpers import REFERRAL, TODAY, at, notifications_published, page_of
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db

Status = Notification.Status


def make_job(**overrides):
    starts_at = at(TODAY, 14)
    fields = {
        "service": ServiceFactory(name="Deep tissue massage"),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=90),
        "minutes": 90,
        "client_name": "Ada Lovelace",
        "address_line1": "12 Ponce de Leon Ave",
        "address_line2": "Apt 4",
        "city": "Decatur",
        "zip_code": "30030",
        "access_notes": "Gate code 4412, the dog is friendly",
        "gender_preference": Booking.GenderPreference.FEMALE,
        "pressure": Booking.Pressure.FIRM,
        "health_notes": "Recovering from a left rotator cuff tear",
    }
    booking = BookingFactory(**(fields | overrides))
    return AppointmentFactory(booking=booking, therapist=TherapistFactory())


def test_the_job_page_gives_the_therapist_everything_needed_at_the_door(client, tuesday_morning):
    appointment = make_job()
    response = client.get(f"/jobs/{appointment.job_token}/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Deep tissue massage for Ada",
        "Tue, Dec 1 · 2:00 pm to 3:30 pm",
        "12 Ponce de Leon Ave",
        "Apt 4",
        "Decatur, GA 30030",
        "Gate code 4412, the dog is friendly",
        "Female therapist",
        "Firm",
        "Health notes · confidential",
        "Recovering from a left rotator cuff tear",
    ):
        assert text in page
    assert "Lovelace" not in page  # first name only


def test_the_job_page_is_private_to_whoever_holds_the_link(client):
    appointment = make_job()
    response = client.get(appointment.get_absolute_url())
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert len(appointment.job_token) >= 22  # at least 128 bits of URL-safe base64


@pytest.mark.parametrize(
    "token",
    ["A" * 32, "short", "has.a.dot" * 4, "x" * 80],
    ids=["unknown", "too-short", "bad-characters", "too-long"],
)
def test_an_unknown_or_malformed_job_link_is_a_plain_404(client, token):
    make_job()
    response = client.get(f"/jobs/{token}/")
    assert response.status_code == 404
    assert "Health notes" not in response.content.decode()


def test_a_cancelled_job_says_so_and_no_longer_shows_the_address(client, tuesday_morning):
    appointment = make_job(status=Booking.Status.CANCELLED)
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "This job is cancelled." in page
    assert "Cancelled: Deep tissue massage" in page
    assert "12 Ponce de Leon Ave" not in page
    assert "rotator cuff" not in page


def test_a_job_reassigned_away_shows_as_cancelled_to_the_old_therapist(client, tuesday_morning):
    appointment = make_job()
    appointment.is_active = False
    appointment.save()
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "This job is cancelled." in page
    assert "12 Ponce de Leon Ave" not in page
    assert "rotator cuff" not in page


def test_the_job_page_costs_the_same_queries_for_any_booking(client, django_assert_num_queries):
    plain = make_job()
    busy = make_job(address_line2="", access_notes="", health_notes="")
    AppointmentFactory(booking=busy.booking, therapist=TherapistFactory())
    with django_assert_num_queries(1):
        client.get(plain.get_absolute_url())
    with django_assert_num_queries(1):
        client.get(busy.get_absolute_url())


# The client's personal details as make_job's page would show them; none may leak outside the
# window (the first name included: "Ada" appears nowhere else on the page).
CLIENT_DETAILS = (
    "Ada",
    "+14045550123",
    "12 Ponce de Leon Ave",
    "Apt 4",
    "Gate code 4412",
    "Health notes",
    "rotator cuff",
)
# What the therapist always sees: time, service and length, area.
JOB_BASICS = ("Tue, Dec 1 · 2:00 pm to 3:30 pm", "Deep tissue massage, 90 minutes", "Decatur 30030")

# make_job's appointment runs 2:00 to 3:30 pm on Tue, Dec 1; with the default 24 hours before
# and 2 hours after, its details show from 2:00 pm on Mon, Nov 30 until 5:30 pm on Tue, Dec 1.
OPENS = at(TODAY - timedelta(days=1), 14)
CLOSES = at(TODAY, 17, 30)
SECOND = timedelta(seconds=1)


def job_page_at(client, time_machine, moment, **overrides):
    appointment = make_job(**overrides)
    time_machine.move_to(moment, tick=False)
    response = client.get(appointment.get_absolute_url())
    assert response.status_code == 200
    return page_of(response)


@pytest.mark.parametrize("moment", [OPENS, CLOSES - SECOND], ids=["opens", "last-second"])
def test_the_client_details_show_inside_the_window(client, time_machine, moment):
    page = job_page_at(client, time_machine, moment)
    for text in (*CLIENT_DETAILS, *JOB_BASICS, "Deep tissue massage for Ada"):
        assert text in page
    assert "This job is over." not in page
    assert "appear here from" not in page


def test_before_the_window_the_page_says_when_the_details_appear(client, time_machine):
    page = job_page_at(client, time_machine, OPENS - SECOND)
    assert "appear here from Mon, Nov 30 · 2:00 pm" in page
    for text in JOB_BASICS:
        assert text in page
    for text in CLIENT_DETAILS:
        assert text not in page


@pytest.mark.parametrize(
    "moment", [CLOSES, CLOSES + timedelta(days=30)], ids=["closes", "a-month-later"]
)
def test_after_the_window_the_job_is_over_and_the_details_are_gone(client, time_machine, moment):
    page = job_page_at(client, time_machine, moment, status=Booking.Status.COMPLETED)
    assert "This job is over." in page
    assert "Finished job" in page
    for text in CLIENT_DETAILS:
        assert text not in page
    assert "appear here from" not in page


def test_the_window_follows_the_settings(client, time_machine, settings):
    settings.JOB_DETAILS_VISIBLE_HOURS_BEFORE = 1
    settings.JOB_DETAILS_VISIBLE_HOURS_AFTER = 0
    early = job_page_at(client, time_machine, at(TODAY, 12, 59))
    late = job_page_at(client, time_machine, at(TODAY, 15, 30))

    assert "appear here from Tue, Dec 1 · 1:00 pm" in early
    assert "rotator cuff" not in early
    assert "This job is over." in late
    assert "rotator cuff" not in late


def test_a_cancelled_job_inside_the_window_still_hides_the_details(client, time_machine):
    page = job_page_at(client, time_machine, OPENS, status=Booking.Status.CANCELLED)
    assert "This job is cancelled." in page
    for text in CLIENT_DETAILS:
        assert text not in page


def test_a_medical_job_names_the_prescriber_inside_the_window_only(client, time_machine):
    referral = {
        "service": ServiceFactory(name="Medical massage", requires_referral=True),
        **REFERRAL,
    }
    inside = job_page_at(client, time_machine, OPENS, **referral)
    after = job_page_at(client, time_machine, CLOSES, **referral)

    assert "Dr. Lee, Midtown Ortho" in inside
    assert "404-555-0100" in inside
    assert "Referral dated Nov 20, 2026" in inside
    for text in ("Dr. Lee", "Midtown Ortho", "404-555-0100"):
        assert text not in after


def failed_notification():
    booking = BookingFactory()
    return Notification.objects.create(
        booking=booking,
        kind=Notification.Kind.CLIENT_CONFIRMATION,
        recipient=booking.client_email,
        status=Status.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: {'ada@example.com': (550, b'No such user')}",
    )


def test_staff_see_failed_messages_with_their_error(admin_client):
    row = failed_notification()
    Notification.objects.create(
        kind=Notification.Kind.MANAGE_LINKS, recipient="sent@example.com", status=Status.SENT
    )
    url = reverse("admin:booking_notification_changelist")
    page = admin_client.get(url, {"status__exact": "failed"}).content.decode()
    assert row.booking.reference in page
    assert "SMTPRecipientsRefused" in page
    assert "sent@example.com" not in page
    detail = admin_client.get(reverse("admin:booking_notification_change", args=[row.pk]))
    assert b'name="recipient"' not in detail.content  # read-only


def test_retry_in_admin_queues_failed_messages_again(
    admin_client, django_capture_on_commit_callbacks
):
    row = failed_notification()
    sent = Notification.objects.create(
        kind=Notification.Kind.MANAGE_LINKS, recipient="sent@example.com", status=Status.SENT
    )
    url = reverse("admin:booking_notification_changelist")
    with (
        notifications_published() as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = admin_client.post(
            url, {"action": "retry", "_selected_action": [row.pk, sent.pk]}, follow=True
        )
    page = page_of(response)
    assert "1 message queued to send again." in page
    assert "1 message hadn't failed, so it was left alone." in page
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert published == [row.pk]
