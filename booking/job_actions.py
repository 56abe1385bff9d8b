"""What a therapist does on a job: on my way, running late, start, complete, no-show.

``job_actions_allowed`` is the one rule for which action a job allows now; each service locks
the booking, checks that rule again, records a ``JobEvent`` (who and when) and queues the
messages it causes in the same transaction. Pressing a button twice records it once: the
once-only actions are unique per appointment, and "Running late" carries the key of the page
that sent it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from therapists.models import Therapist

from .models import Appointment, Booking, JobEvent, Notification
from .notifications.outbox import notification_enqueue
from .notifications.recipients import client_row
from .selectors import appointment_details_window, appointment_is_cancelled
from .services import booking_complete, booking_mark_no_show

Action = JobEvent.Action

# A therapist who arrives early may start this long before the booked time.
EARLY_START = timedelta(minutes=30)
LATE_MINUTES = (10, 20, 30)
ONCE = {Action.ON_MY_WAY, Action.STARTED, Action.COMPLETED, Action.NO_SHOW}


def job_stage(*, events: Iterable[JobEvent]) -> str:
    """Where the job is, from its events: ``scheduled``, ``on_my_way``, ``started``,
    ``completed`` or ``no_show``."""
    done = {event.action for event in events}
    # "Running late" alone leaves the job scheduled: they may not have set off yet.
    for action in (Action.COMPLETED, Action.NO_SHOW, Action.STARTED, Action.ON_MY_WAY):
        if action in done:
            return action
    return "scheduled"


def job_no_show_from(*, appointment: Appointment) -> datetime:
    return appointment.starts_at + timedelta(minutes=settings.NO_SHOW_GRACE_MINUTES)


def job_actions_allowed(
    *, appointment: Appointment, events: Iterable[JobEvent], now: datetime
) -> set[str]:
    """The actions the therapist may take on the job at ``now``: none on a job that is no
    longer theirs or no longer booked; on the way and running late once the job's details
    window opens and until they start; start from a little before the booked time; complete
    once started; no-show once the grace period after the booked start has passed, if they
    never started."""
    booking = appointment.booking
    if appointment_is_cancelled(appointment=appointment):
        return set()
    stage = job_stage(events=events)
    if stage == Action.STARTED:
        # The other therapist of a side-by-side booking may have completed it already.
        closable = (Booking.Status.CONFIRMED, Booking.Status.COMPLETED)
        return {Action.COMPLETED} if booking.status in closable else set()
    if stage in (Action.COMPLETED, Action.NO_SHOW) or booking.status != Booking.Status.CONFIRMED:
        return set()
    allowed = set()
    opens, _closes = appointment_details_window(appointment=appointment)
    if opens <= now < appointment.ends_at:
        allowed.add(Action.RUNNING_LATE)
        if stage == "scheduled":
            allowed.add(Action.ON_MY_WAY)
    if appointment.starts_at - EARLY_START <= now < appointment.ends_at:
        allowed.add(Action.STARTED)
    if now >= job_no_show_from(appointment=appointment):
        allowed.add(Action.NO_SHOW)
    return allowed


REFUSALS = {
    Action.ON_MY_WAY: "You can say you're on your way from when the job's details appear until "
    "you start.",
    Action.RUNNING_LATE: "You can say you're running late from when the job's details appear "
    "until you start.",
    Action.STARTED: "You can start a job from 30 minutes before its time, once.",
    Action.COMPLETED: "Start the job before you complete it.",
    Action.NO_SHOW: "You can mark a no-show only if you haven't started, from {minutes} minutes "
    "after the booked time.",
}


def _locked_job(appointment: Appointment, therapist: Therapist) -> Appointment:
    """The appointment read again under its booking's lock; one that isn't the therapist's is
    refused."""
    Booking.objects.select_for_update().filter(pk=appointment.booking_id).first()
    appointment = (
        Appointment.objects.select_related("booking__service", "therapist")
        .filter(pk=appointment.pk, therapist=therapist)
        .first()
    )
    if appointment is None:
        raise ValidationError("This job isn't yours.")
    return appointment


def _job_act(
    *,
    appointment: Appointment,
    therapist: Therapist,
    action: str,
    request_key: str = "",
    minutes_late: int | None = None,
    after=None,
) -> JobEvent:
    """Record ``action`` if the job allows it now (then ``after(appointment, event)``), or
    return the event a repeated press already recorded."""
    now = timezone.now()
    with transaction.atomic():
        appointment = _locked_job(appointment, therapist)
        events = list(appointment.events.all())
        repeat = next(
            (
                event
                for event in events
                if (action in ONCE and event.action == action)
                or (request_key and event.request_key == request_key)
            ),
            None,
        )
        if repeat is not None:
            return repeat
        if action not in job_actions_allowed(appointment=appointment, events=events, now=now):
            raise ValidationError(REFUSALS[action].format(minutes=settings.NO_SHOW_GRACE_MINUTES))
        event = JobEvent(
            appointment=appointment,
            therapist=therapist,
            action=action,
            minutes_late=minutes_late,
            expected_at=_expected_at(appointment, events, now=now, minutes_late=minutes_late)
            if action in (Action.ON_MY_WAY, Action.RUNNING_LATE)
            else None,
            request_key=request_key,
            created_at=now,
        )
        # The booking lock makes two presses take turns; the constraints are the backstop.
        event.save()
        if after is not None:
            after(appointment, event)
    return event


def _expected_at(appointment, events, *, now: datetime, minutes_late: int | None) -> datetime:
    """The booked start, or the last arrival time the therapist gave; "running late" adds its
    minutes to that (or to now, if that has passed)."""
    said = [event.expected_at for event in events if event.expected_at is not None]
    expected = said[-1] if said else appointment.starts_at
    if minutes_late is None:
        return expected
    return max(expected, now) + timedelta(minutes=minutes_late)


def _tell_client(kind: str):
    def tell(appointment: Appointment, event: JobEvent) -> None:
        row = client_row(appointment.booking, kind)
        row.appointment = appointment
        rows = [row]
        if kind == Notification.Kind.CLIENT_RUNNING_LATE:
            rows.append(
                Notification(
                    booking=appointment.booking,
                    appointment=appointment,
                    kind=Notification.Kind.STAFF_RUNNING_LATE,
                    recipient=settings.STAFF_ALERT_EMAIL,
                )
            )
        notification_enqueue(rows=rows)

    return tell


def job_on_my_way(*, appointment: Appointment, therapist: Therapist) -> JobEvent:
    """Tell the client the therapist is on the way, with the time they expect to arrive."""
    return _job_act(
        appointment=appointment,
        therapist=therapist,
        action=Action.ON_MY_WAY,
        after=_tell_client(Notification.Kind.CLIENT_ON_MY_WAY),
    )


def job_running_late(
    *, appointment: Appointment, therapist: Therapist, minutes: int, request_key: str
) -> JobEvent:
    """Tell the client and staff the therapist will be ``minutes`` later than last said."""
    if minutes not in LATE_MINUTES:
        raise ValidationError("Choose 10, 20 or 30 minutes.")
    if not request_key:
        raise ValidationError("Reload the page and try again.")
    return _job_act(
        appointment=appointment,
        therapist=therapist,
        action=Action.RUNNING_LATE,
        minutes_late=minutes,
        request_key=request_key,
        after=_tell_client(Notification.Kind.CLIENT_RUNNING_LATE),
    )


def job_start(*, appointment: Appointment, therapist: Therapist) -> JobEvent:
    return _job_act(appointment=appointment, therapist=therapist, action=Action.STARTED)


def _close_booking(close):
    def after(appointment: Appointment, event: JobEvent) -> None:
        # On a side-by-side booking the other therapist may have closed it already.
        if appointment.booking.status == Booking.Status.CONFIRMED:
            close(booking=appointment.booking)

    return after


def job_complete(*, appointment: Appointment, therapist: Therapist) -> JobEvent:
    """Finish a started job and complete the booking (``booking_complete``, where the charge is
    taken once payments are on)."""
    return _job_act(
        appointment=appointment,
        therapist=therapist,
        action=Action.COMPLETED,
        after=_close_booking(booking_complete),
    )


def job_mark_no_show(*, appointment: Appointment, therapist: Therapist) -> JobEvent:
    """The client wasn't there: mark the booking a no-show (``booking_mark_no_show``)."""
    return _job_act(
        appointment=appointment,
        therapist=therapist,
        action=Action.NO_SHOW,
        after=_close_booking(booking_mark_no_show),
    )
