"""Who hears what when a booking changes: through the booking services (tasks inline after
commit), and the therapist notices when therapists are swapped."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import transaction
from icalendar import Calendar

from booking.models import Booking, Notification
from booking.notifications.messages import Change
from booking.notifications.outbox import booking_change_notify, reminder_queue_due
from booking.services import booking_cancel, booking_create, booking_reschedule
from tests.booking.helpers import at, in_days
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def invite(message):
    [(_, content, _)] = message.attachments
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar["method"], event


def test_a_booking_its_reschedule_and_its_cancellation_reach_everyone(
    django_capture_on_commit_callbacks,
):
    service = ServiceFactory(name="Swedish massage")
    TherapistFactory(modalities=[service.modality], hours="all", email="tess@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(
            service=service,
            minutes=60,
            starts_at=in_days(3, 14),
            client_name="Ada Lovelace",
            client_email="ada@example.com",
            client_phone="404-555-0123",
            address_line1="100 Peachtree St NW",
            city="Atlanta",
            zip_code="30303",
            health_notes="Recovering from a left rotator cuff tear",
            consent=True,
        )
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, starts_at=in_days(4, 16))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking)

    sent = [(m.to[0], m.subject.split(":")[0]) for m in mail.outbox]
    assert sent == [
        ("ada@example.com", "You're booked"),
        ("tess@example.com", "New job"),
        ("bookings@spatheory.com", f"New booking {booking.reference}"),
        ("ada@example.com", "Your new time"),
        ("tess@example.com", "Job moved"),
        ("bookings@spatheory.com", f"Rescheduled {booking.reference}"),
        ("ada@example.com", "Cancelled"),
        ("tess@example.com", "Job cancelled"),
        ("bookings@spatheory.com", f"Cancelled {booking.reference}"),
    ]
    invites = [invite(m) for m in mail.outbox if m.to == ["ada@example.com"]]
    assert [(method, event["sequence"]) for method, event in invites] == [
        ("REQUEST", 0),
        ("REQUEST", 1),
        ("CANCEL", 1),
    ]
    assert len({str(event["uid"]) for _, event in invites}) == 1
    assert invites[1][1]["dtstart"].dt == in_days(4, 16)
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


@pytest.fixture
def booking_with_therapist():
    booking = BookingFactory(starts_at=in_days(3, 14), ends_at=in_days(3, 15))
    first = AppointmentFactory(booking=booking, therapist=TherapistFactory(email="a@example.com"))
    with transaction.atomic():
        booking_change_notify(booking=booking, change=Change.CREATED)
    return booking, first


def therapist_notices(since_id=0):
    return sorted(
        (n.recipient, n.kind)
        for n in Notification.objects.filter(
            pk__gt=since_id, appointment__isnull=False, channel=Notification.Channel.EMAIL
        )
    )


def last_id():
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


def swap_therapist(booking, appointment, email):
    appointment.is_active = False
    appointment.save()
    return AppointmentFactory(booking=booking, therapist=TherapistFactory(email=email))


def test_a_reschedule_that_replaces_a_therapist_tells_each_one_the_right_thing(
    booking_with_therapist,
):
    booking, first = booking_with_therapist
    second = AppointmentFactory(booking=booking, therapist=TherapistFactory(email="b@example.com"))
    # b joined without notice (as seeded data might); a is replaced by c on the move.
    before = last_id()
    swap_therapist(booking, first, "c@example.com")
    booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    assert therapist_notices(before) == [
        ("a@example.com", Kind.THERAPIST_CANCELLED),
        ("b@example.com", Kind.THERAPIST_ASSIGNED),
        ("c@example.com", Kind.THERAPIST_ASSIGNED),
    ]
    before = last_id()
    booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    assert therapist_notices(before) == [
        ("b@example.com", Kind.THERAPIST_RESCHEDULED),
        ("c@example.com", Kind.THERAPIST_RESCHEDULED),
    ]
    assert second.is_active


def test_a_reassignment_tells_the_two_therapists_and_the_client_but_not_staff(
    booking_with_therapist,
):
    booking, first = booking_with_therapist
    before = last_id()
    swap_therapist(booking, first, "c@example.com")
    booking_change_notify(booking=booking, change=Change.REASSIGNED)
    assert therapist_notices(before) == [
        ("a@example.com", Kind.THERAPIST_CANCELLED),
        ("c@example.com", Kind.THERAPIST_ASSIGNED),
    ]
    others = Notification.objects.filter(pk__gt=before, appointment__isnull=True)
    assert list(others.values_list("recipient", "kind")) == [
        (booking.client_email, Kind.CLIENT_THERAPIST_CHANGED)
    ]


def test_a_cancellation_does_not_tell_a_therapist_who_was_already_taken_off(
    booking_with_therapist,
):
    booking, first = booking_with_therapist
    swap_therapist(booking, first, "c@example.com")
    booking_change_notify(booking=booking, change=Change.REASSIGNED)
    before = last_id()
    booking.status = Booking.Status.CANCELLED
    booking.save()
    booking.appointments.update(is_active=False)
    booking_change_notify(booking=booking, change=Change.CANCELLED)
    assert therapist_notices(before) == [("c@example.com", Kind.THERAPIST_CANCELLED)]


def test_a_rescheduled_booking_is_reminded_again_for_its_new_time(time_machine):
    service = ServiceFactory()
    start = at(date(2026, 12, 10), 10)
    time_machine.move_to(start - timedelta(days=7), tick=False)
    booking = BookingFactory(service=service, starts_at=start, ends_at=start + timedelta(hours=1))
    time_machine.move_to(start - timedelta(hours=23), tick=False)
    assert reminder_queue_due() == 1
    # Moved to two days later: the reschedule clears reminded_at and raises the sequence.
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start + timedelta(days=2),
        ends_at=start + timedelta(days=2, hours=1),
        sequence=1,
        reminded_at=None,
    )
    assert reminder_queue_due() == 0
    time_machine.move_to(start + timedelta(days=1, hours=1), tick=False)
    assert reminder_queue_due() == 1
    assert reminder_queue_due() == 0
    assert Notification.objects.filter(kind=Kind.CLIENT_REMINDER).count() == 2
