"""Data retention: ``anonymise_old_bookings`` (run daily by beat) removes the client's personal
details from bookings that ended ``BOOKING_RETENTION_MONTHS`` ago and keeps the figures."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.models import Booking, Notification
from booking.retention import booking_anonymise_ended
from booking.tasks import bookings_anonymise
from spatheory.celery import BEAT_SCHEDULE
from tests.booking.helpers import page_of
from tests.conftest import ATLANTA
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
NOW = datetime(2028, 12, 1, 9, 0, tzinfo=ATLANTA)

# Everything that names, reaches or describes the client; none may survive anonymisation.
PERSONAL = {
    "client_name": "Ada Lovelace",
    "client_email": "ada@example.com",
    "client_phone": "+14045550123",
    "address_line1": "12 Ponce de Leon Ave",
    "address_line2": "Apt 4",
    "city": "Decatur",
    "access_notes": "Gate code 4412",
    "health_notes": "Recovering from a left rotator cuff tear",
    "prescriber_name": "Dr. Lee",
    "prescriber_practice": "Midtown Ortho",
    "prescriber_phone": "+14045550177",
}


@pytest.fixture(autouse=True)
def _pinned(time_machine):
    time_machine.move_to(NOW, tick=False)


def ended_months_ago(months: int, **overrides) -> Booking:
    """A 60-minute booking with one therapist that ended about ``months`` months before NOW,
    with the messages it sent (one failed, its error quoting the client's address)."""
    ends_at = NOW - timedelta(days=round(months * 30.44))
    booking = BookingFactory(
        **{
            "service": ServiceFactory(name="Medical massage", requires_referral=True),
            "starts_at": ends_at - timedelta(minutes=60),
            "ends_at": ends_at,
            "price": Decimal("160.00"),
            "status": Booking.Status.COMPLETED,
            "zip_code": "30030",
            "prescribed_on": date(2026, 1, 5),
            **PERSONAL,
            **overrides,
        }
    )
    appointment = AppointmentFactory(booking=booking, therapist=TherapistFactory())
    Notification.objects.create(
        booking=booking,
        kind=Kind.CLIENT_CONFIRMATION,
        recipient=booking.client_email,
        status=Notification.Status.FAILED,
        last_error=f"SMTPRecipientsRefused: {{'{booking.client_email}': (550, b'No such user')}}",
    )
    Notification.objects.create(
        booking=booking,
        appointment=appointment,
        kind=Kind.THERAPIST_ASSIGNED,
        recipient=appointment.therapist.email,
        status=Notification.Status.SENT,
    )
    return booking


def figures():
    return Booking.objects.aggregate(
        count=Count("id"), revenue=Sum("price"), minutes=Sum("minutes")
    ) | {
        "by_status": dict(
            Booking.objects.values_list("status").annotate(n=Count("id")).order_by("status")
        ),
        "late": Booking.objects.filter(late_cancellation=True).count(),
        "appointments": list(
            Booking.objects.values_list(
                "appointments__therapist_id", "starts_at", "ends_at", "service_id", "zip_code"
            ).order_by("pk")
        ),
    }


def anonymise(*args) -> str:
    out = StringIO()
    call_command("anonymise_old_bookings", *args, stdout=out)
    return out.getvalue()


def test_a_booking_that_ended_25_months_ago_loses_the_clients_details():
    booking = ended_months_ago(25)
    assert "Anonymised 1 booking that ended before Dec 1, 2026" in anonymise()

    booking.refresh_from_db()
    for field, value in PERSONAL.items():
        assert getattr(booking, field) != value, field
    assert booking.prescribed_on is None
    assert booking.client_email == f"anonymised-{booking.pk}@anonymised.invalid"
    assert booking.anonymised_at == NOW
    # Still a valid booking: every field passes the model's own checks.
    booking.full_clean()
    # What stays: the figures and the work done.
    assert (booking.price, booking.minutes, booking.status) == (
        Decimal("160.00"),
        60,
        Booking.Status.COMPLETED,
    )
    assert booking.zip_code == "30030"
    assert booking.appointments.get().therapist is not None


def test_a_booking_that_ended_23_months_ago_is_left_alone():
    booking = ended_months_ago(23)
    assert "Anonymised 0 bookings" in anonymise()
    booking.refresh_from_db()
    for field, value in PERSONAL.items():
        assert getattr(booking, field) == value, field
    assert booking.anonymised_at is None


def test_the_business_figures_are_the_same_afterwards():
    ended_months_ago(30)
    ended_months_ago(25, status=Booking.Status.CANCELLED, late_cancellation=True, price="80.00")
    ended_months_ago(25, status=Booking.Status.NO_SHOW)
    ended_months_ago(23)
    before = figures()
    assert "Anonymised 3 bookings" in anonymise()
    assert figures() == before
    assert before["count"] == 4
    assert before["revenue"] == Decimal("560.00")


def test_the_clients_messages_no_longer_name_them_and_the_therapists_are_kept():
    booking = ended_months_ago(25)
    anonymise()
    client = Notification.objects.get(booking=booking, kind=Kind.CLIENT_CONFIRMATION)
    therapist = Notification.objects.get(booking=booking, kind=Kind.THERAPIST_ASSIGNED)
    assert client.recipient == f"anonymised-{booking.pk}@anonymised.invalid"
    assert client.last_error == ""
    assert therapist.recipient == booking.appointments.get().therapist.email


def test_an_old_lost_link_email_loses_its_recipient():
    old = Notification.objects.create(
        kind=Kind.MANAGE_LINKS,
        recipient="ada@example.com",
        created_at=NOW - timedelta(days=800),
    )
    recent = Notification.objects.create(kind=Kind.MANAGE_LINKS, recipient="bea@example.com")
    anonymise()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.recipient == f"anonymised-message-{old.pk}@anonymised.invalid"
    assert recent.recipient == "bea@example.com"


def test_running_it_again_changes_nothing():
    ended_months_ago(25)
    ended_months_ago(23)
    anonymise()
    rows = list(Booking.objects.order_by("pk").values())
    messages = list(Notification.objects.order_by("pk").values())
    assert "Anonymised 0 bookings" in anonymise()
    assert list(Booking.objects.order_by("pk").values()) == rows
    assert list(Notification.objects.order_by("pk").values()) == messages


def test_a_dry_run_counts_and_changes_nothing():
    ended_months_ago(25)
    ended_months_ago(26)
    ended_months_ago(23)
    rows = list(Booking.objects.order_by("pk").values())
    assert anonymise("--dry-run").startswith(
        "Would anonymise 2 bookings that ended before Dec 1, 2026 (24 months ago)."
    )
    assert list(Booking.objects.order_by("pk").values()) == rows


def test_the_retention_period_follows_the_setting(settings):
    settings.BOOKING_RETENTION_MONTHS = 12
    ended_months_ago(13)
    assert "Anonymised 1 booking that ended before Dec 1, 2027" in anonymise()
    settings.BOOKING_RETENTION_MONTHS = 0
    ended_months_ago(40)
    assert "no booking is anonymised" in anonymise()
    assert Booking.objects.filter(anonymised_at__isnull=True).count() == 1


def test_work_goes_in_batches_until_every_due_booking_is_done():
    for _ in range(5):
        ended_months_ago(25)
    with CaptureQueriesContext(connection) as queries:
        done = booking_anonymise_ended(batch_size=2)
    assert done.bookings == 5
    assert not Booking.objects.filter(anonymised_at__isnull=True).exists()
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "booking_booking"')]
    assert len(updates) == 3


def test_beat_runs_it_every_day():
    [entry] = [
        entry
        for entry in BEAT_SCHEDULE.values()
        if entry["task"] == "booking.tasks.bookings_anonymise"
    ]
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (len(schedule.hour), len(schedule.minute), len(schedule.day_of_week)) == (1, 1, 7)
    booking = ended_months_ago(25)
    bookings_anonymise.delay()
    booking.refresh_from_db()
    assert booking.client_name == "Anonymised"


def test_admin_shows_an_anonymised_booking_plainly_and_read_only(admin_client):
    booking = ended_months_ago(25)
    anonymise()
    page = page_of(admin_client.get(reverse("admin:booking_booking_change", args=[booking.pk])))
    assert "Anonymised" in page
    assert 'name="client_name"' not in page
    assert "rotator cuff" not in page
    assert "Ada" not in page
    listing = page_of(admin_client.get(reverse("admin:booking_booking_changelist")))
    assert booking.reference in listing
