"""The therapist's job actions (booking.job_actions): each allowed only in the right state,
recorded with who and when, telling the client (and staff) what they need to know, and
recorded once however often the button is pressed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from booking.job_actions import (
    job_complete,
    job_mark_no_show,
    job_on_my_way,
    job_running_late,
    job_start,
)
from booking.models import Booking, JobEvent, Notification, Service
from booking.services import booking_cancel
from tests.booking.helpers import TODAY, at, make_booking
from tests.factories import ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

Kind = Notification.Kind
Action = JobEvent.Action


@pytest.fixture
def job(swedish, maya):
    """Maya's Swedish massage for Ada today (Tue, Dec 1) from 2:00 to 3:00 pm."""
    return make_booking(swedish, at(TODAY, 14)).appointments.get()


def at_time(time_machine, hour, minute=0):
    time_machine.move_to(at(TODAY, hour, minute), tick=False)


def sent(job, kind) -> list[str]:
    """The emails of ``kind`` the outbox holds for the job, as their recipients would read
    them (subject and text)."""
    from booking.notifications.messages import notification_message

    rows = Notification.objects.filter(booking=job.booking, kind=kind).order_by("id")
    return [f"{m.subject}\n{m.body}" for m in map(notification_message, rows) if m]


def test_on_my_way_tells_the_client_when_to_expect_the_therapist(job, maya, time_machine):
    at_time(time_machine, 13, 20)
    event = job_on_my_way(appointment=job, therapist=maya)

    assert (event.action, event.therapist, event.created_at) == (
        Action.ON_MY_WAY,
        maya,
        at(TODAY, 13, 20),
    )
    [email] = sent(job, Kind.CLIENT_ON_MY_WAY)
    assert email.startswith("Maya is on the way, arriving 2:00 pm")
    assert "Hi Ada" in email
    assert Notification.objects.get(kind=Kind.CLIENT_ON_MY_WAY).recipient == "ada@example.com"


def test_on_my_way_pressed_twice_tells_the_client_once(job, maya, time_machine):
    at_time(time_machine, 13, 20)
    first = job_on_my_way(appointment=job, therapist=maya)
    second = job_on_my_way(appointment=job, therapist=maya)
    assert first == second
    assert JobEvent.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.CLIENT_ON_MY_WAY).count() == 1


def test_on_my_way_waits_for_the_details_window(swedish, maya, time_machine):
    tomorrow = make_booking(swedish, at(TODAY + timedelta(days=1), 14)).appointments.get()
    with pytest.raises(ValidationError, match="from when the job's details appear"):
        job_on_my_way(appointment=tomorrow, therapist=maya)
    assert not JobEvent.objects.exists()
    assert not Notification.objects.filter(kind=Kind.CLIENT_ON_MY_WAY).exists()


def test_running_late_tells_the_client_and_staff_the_new_time(job, maya, time_machine):
    at_time(time_machine, 13, 50)
    job_on_my_way(appointment=job, therapist=maya)
    event = job_running_late(appointment=job, therapist=maya, minutes=20, request_key="k1")
    assert event.expected_at == at(TODAY, 14, 20)
    at_time(time_machine, 14, 5)
    later = job_running_late(appointment=job, therapist=maya, minutes=10, request_key="k2")
    assert later.expected_at == at(TODAY, 14, 30)

    client_emails = sent(job, Kind.CLIENT_RUNNING_LATE)
    assert [email.splitlines()[0] for email in client_emails] == [
        "Maya is running late, arriving 2:20 pm",
        "Maya is running late, arriving 2:30 pm",
    ]
    [first_staff, _] = sent(job, Kind.STAFF_RUNNING_LATE)
    assert "Maya is running late, arriving 2:20 pm" in first_staff
    assert Notification.objects.filter(kind=Kind.STAFF_RUNNING_LATE)[0].recipient == (
        "bookings@spatheory.com"
    )


def test_running_late_counts_a_double_click_once(job, maya, time_machine):
    at_time(time_machine, 13, 50)
    first = job_running_late(appointment=job, therapist=maya, minutes=10, request_key="same")
    again = job_running_late(appointment=job, therapist=maya, minutes=10, request_key="same")
    assert first == again
    assert Notification.objects.filter(kind=Kind.CLIENT_RUNNING_LATE).count() == 1


@pytest.mark.parametrize("minutes", [0, 5, 45, -10])
def test_running_late_takes_10_20_or_30_minutes(job, maya, time_machine, minutes):
    at_time(time_machine, 13, 50)
    with pytest.raises(ValidationError, match="10, 20 or 30"):
        job_running_late(appointment=job, therapist=maya, minutes=minutes, request_key="k")
    assert not JobEvent.objects.exists()


def test_start_opens_half_an_hour_before_and_ends_the_way_there(job, maya, time_machine):
    at_time(time_machine, 13, 29)
    with pytest.raises(ValidationError, match="30 minutes before"):
        job_start(appointment=job, therapist=maya)
    at_time(time_machine, 13, 30)
    started = job_start(appointment=job, therapist=maya)
    assert job_start(appointment=job, therapist=maya) == started

    with pytest.raises(ValidationError):
        job_on_my_way(appointment=job, therapist=maya)
    with pytest.raises(ValidationError):
        job_running_late(appointment=job, therapist=maya, minutes=10, request_key="k")
    with pytest.raises(ValidationError, match="no-show only if you haven't started"):
        at_time(time_machine, 14, 45)
        job_mark_no_show(appointment=job, therapist=maya)


def test_complete_needs_a_start_and_completes_the_booking(job, maya, time_machine):
    at_time(time_machine, 14)
    with pytest.raises(ValidationError, match="Start the job before you complete it"):
        job_complete(appointment=job, therapist=maya)
    job_start(appointment=job, therapist=maya)
    at_time(time_machine, 15)

    done = job_complete(appointment=job, therapist=maya)

    booking = Booking.objects.get()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.completed_at == at(TODAY, 15)
    assert (done.action, done.therapist, done.created_at) == (Action.COMPLETED, maya, at(TODAY, 15))
    assert job_complete(appointment=job, therapist=maya) == done
    assert JobEvent.objects.filter(action=Action.COMPLETED).count() == 1


def test_no_show_only_after_the_grace_period(job, maya, time_machine, settings):
    settings.NO_SHOW_GRACE_MINUTES = 30
    time_machine.move_to(at(TODAY, 14, 29) + timedelta(seconds=59), tick=False)
    with pytest.raises(ValidationError, match="from 30 minutes after the booked time"):
        job_mark_no_show(appointment=job, therapist=maya)
    at_time(time_machine, 14, 30)

    job_mark_no_show(appointment=job, therapist=maya)

    booking = Booking.objects.get()
    assert booking.status == Booking.Status.NO_SHOW
    assert booking.no_show_at == at(TODAY, 14, 30)
    with pytest.raises(ValidationError):
        job_start(appointment=job, therapist=maya)


def test_the_grace_period_follows_its_setting(job, maya, time_machine, settings):
    settings.NO_SHOW_GRACE_MINUTES = 10
    at_time(time_machine, 14, 10)
    job_mark_no_show(appointment=job, therapist=maya)
    assert Booking.objects.get().status == Booking.Status.NO_SHOW


def test_a_job_that_isnt_yours_is_refused(job, time_machine):
    other = TherapistFactory()
    at_time(time_machine, 13, 50)
    with pytest.raises(ValidationError, match="This job isn't yours"):
        job_on_my_way(appointment=job, therapist=other)
    assert not JobEvent.objects.exists()


def test_a_cancelled_job_allows_nothing(job, maya, time_machine):
    booking_cancel(booking=job.booking)
    at_time(time_machine, 14, 45)
    for action in (job_on_my_way, job_start, job_mark_no_show):
        with pytest.raises(ValidationError):
            action(appointment=job, therapist=maya)
    assert not JobEvent.objects.exists()


def test_side_by_side_therapists_each_complete_and_the_booking_completes_once(time_machine):
    service = ServiceFactory(name="Couples massage", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    first, second = (TherapistFactory(modalities=[service.modality], hours="all") for _ in range(2))
    booking = make_booking(service, at(TODAY, 14))
    jobs = {appointment.therapist: appointment for appointment in booking.appointments.all()}
    at_time(time_machine, 14)
    for therapist in (first, second):
        job_start(appointment=jobs[therapist], therapist=therapist)
    at_time(time_machine, 15)
    job_complete(appointment=jobs[first], therapist=first)
    completed_at = Booking.objects.get().completed_at
    at_time(time_machine, 15, 5)

    job_complete(appointment=jobs[second], therapist=second)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.completed_at == completed_at
    assert JobEvent.objects.filter(action=Action.COMPLETED).count() == 2


def test_running_late_before_setting_off_still_lets_the_therapist_say_on_my_way(
    job, maya, time_machine
):
    at_time(time_machine, 13, 30)
    job_running_late(appointment=job, therapist=maya, minutes=10, request_key="k")
    event = job_on_my_way(appointment=job, therapist=maya)
    assert event.expected_at == at(TODAY, 14, 10)
    [email] = sent(job, Kind.CLIENT_ON_MY_WAY)
    assert email.startswith("Maya is on the way, arriving 2:10 pm")
