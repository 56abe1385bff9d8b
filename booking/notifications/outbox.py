"""Writing outbox rows with the change that causes them, and handing them to the workers.

Every booking change that must reach someone writes ``Notification`` rows in the caller's
transaction. After commit each row id is published to the ``booking.tasks.notification_send``
task; a beat sweep republishes every pending row whose next try is due, so a broker that was
down at commit time, a worker that died or a mail server that is down for hours only delays a
message. Rows that fail for good reach staff in one alert email an hour at most.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from spatheory.broker import tasks_publish
from therapists.selectors import credential_expiry_list

from ..models import Appointment, Booking, Notification
from ..selectors import (
    appointment_list_at_risk,
    booking_list_upcoming,
    notification_failure_alert_latest,
    notification_failures_after,
)
from .messages import Change
from .recipients import change_rows, client_row, text_rows

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# Published by name: the task module imports this one, not the other way round.
SEND_TASK = "booking.tasks.notification_send"
# How long a due row is left to the after-commit publish or a countdown retry before the sweep
# publishes it too.
SWEEP_AFTER = timedelta(seconds=60)
# Staff hear of messages that failed for good in one email at most this often.
FAILURE_ALERT_EVERY = timedelta(hours=1)


def notification_enqueue(*, rows: list[Notification]) -> list[Notification]:
    """Write the rows in the current transaction, with the texts that go with them, and
    publish them once it commits."""
    rows = [*rows, *text_rows(rows)]
    Notification.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: notification_publish(ids=ids), robust=True)
    return rows


def booking_change_notify(*, booking: Booking, change: Change) -> list[Notification]:
    """Queue what ``change`` to ``booking`` tells the client, its therapists and staff. Call
    it after the appointments are written: therapists kept on a moved booking hear of the new
    time, any released hear the job is off, any new hear of the job. A reassignment tells the
    client who is coming now; staff, who made it or are told of it otherwise, get nothing."""
    return notification_enqueue(rows=change_rows(booking, change=change))


def booking_created_notify(
    *, booking: Booking, appointments: list[Appointment]
) -> list[Notification]:
    """``booking_change_notify`` for a booking just written with ``appointments`` (their
    therapists loaded): the same messages, without reading back what was just written."""
    return notification_enqueue(
        rows=change_rows(booking, change=Change.CREATED, created=appointments)
    )


def job_declined_notify(*, appointment: Appointment) -> Notification:
    """Tell staff that the therapist declined ``appointment`` and nobody else was free."""
    row = Notification(
        booking_id=appointment.booking_id,
        appointment=appointment,
        kind=Kind.STAFF_JOB_DECLINED,
        recipient=settings.STAFF_ALERT_EMAIL,
    )
    [row] = notification_enqueue(rows=[row])
    return row


def manage_links_notify(*, email: str) -> Notification | None:
    """One message listing the private links of every upcoming confirmed booking made with
    ``email``; nothing when there are none. It goes to the address stored on those bookings,
    never to the address as typed. The list is read again when the message is sent, so it is
    current even if the message waited for the broker."""
    stored = booking_list_upcoming(email=email).values_list("client_email", flat=True).first()
    if not stored:
        return None
    with transaction.atomic():
        [row] = notification_enqueue(rows=[Notification(kind=Kind.MANAGE_LINKS, recipient=stored)])
    return row


def reminder_notify(*, booking: Booking) -> Notification | None:
    """Queue the 24-hour reminder (and its text) unless this booking has had one for its
    current time (a reschedule clears ``reminded_at``); must run in a transaction. Returns the
    email."""
    claimed = Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
        reminded_at=timezone.now()
    )
    if not claimed:
        return None
    key = f"client_reminder:{booking.pk}:{booking.sequence}"
    [email, *_texts] = notification_enqueue(
        rows=[client_row(booking, Kind.CLIENT_REMINDER, dedupe_key=key)]
    )
    return email


def notification_publish(*, ids: Iterable[int], countdown: int | None = None) -> int:
    """Hand the ids to the broker in one round trip (to run ``countdown`` seconds from now, if
    given). Never raises and never waits long: if the broker can't be reached the rows stay
    pending and ``notification_sweep_run`` publishes them later. Returns how many were
    published."""
    ids = list(ids)
    try:
        tasks_publish(SEND_TASK, [(pk,) for pk in ids], countdown=countdown)
    except Exception:
        logger.warning(
            "Could not publish notifications %s; the sweep will retry them", ids, exc_info=True
        )
        return 0
    return len(ids)


def notification_sweep_run() -> int:
    """Publish again the pending rows whose next try has been due for a minute, return rows a
    dead worker left ``sending`` to pending (or fail them past their retry window), and queue
    the staff alert about new failures. Returns how many rows were published."""
    now = timezone.now()
    stale = now - timedelta(minutes=settings.NOTIFICATION_STALE_SENDING_MINUTES)
    stuck = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=stale)
    window = timedelta(hours=settings.NOTIFICATION_RETRY_WINDOW_HOURS)
    stuck.filter(created_at__lt=now - window).update(
        status=Status.FAILED,
        failed_at=now,
        last_error="The worker stopped while sending; retry from admin.",
    )
    stuck.update(status=Status.PENDING, next_attempt_at=F("claimed_at"))
    due = (
        Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - SWEEP_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.NOTIFICATION_SWEEP_BATCH]
    )
    published = notification_publish(ids=list(due))
    notification_failure_alert_queue()
    return published


def notification_retry(*, notifications: Iterable[Notification]) -> int:
    """Staff's retry: failed rows are due again at once, with the backoff started over, and are
    published again. A transient error past the row's retry window fails it again at once."""
    ids = [n.pk for n in notifications if n.status == Status.FAILED]
    with transaction.atomic():
        updated = Notification.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.PENDING,
            attempts=0,
            claimed_at=None,
            failed_at=None,
            next_attempt_at=timezone.now(),
        )
        transaction.on_commit(lambda: notification_publish(ids=ids), robust=True)
    return updated


def notification_failure_alert_queue() -> Notification | None:
    """Queue one email telling staff about the messages that failed for good since the last
    such email that went out read its list. Nothing while the last one has still to go out (it
    will list these too), within ``FAILURE_ALERT_EVERY`` of it, or when nothing new has
    failed."""
    now = timezone.now()
    last = notification_failure_alert_latest()
    if last is not None and (
        last.status in (Status.PENDING, Status.SENDING)
        or last.created_at > now - FAILURE_ALERT_EVERY
    ):
        return None
    reported = notification_failure_alert_latest(sent=True)
    if not notification_failures_after(alert=reported).exists():
        return None
    row = Notification(
        kind=Kind.NOTIFICATION_FAILURES,
        recipient=settings.STAFF_ALERT_EMAIL,
        dedupe_key=f"notification_failures:{now:%Y-%m-%dT%H}",
    )
    try:
        with transaction.atomic():
            notification_enqueue(rows=[row])
    except IntegrityError:
        return None  # a sweep running alongside queued this hour's alert
    return row


# Beat jobs ----------------------------------------------------------------------------------


def reminder_queue_due() -> int:
    """Queue a reminder for each confirmed booking starting within the next 24 hours that has
    not had one. A booking made less than 24 hours before its start never gets one: its
    confirmation is recent enough. Returns how many were queued."""
    now = timezone.now()
    window = timedelta(hours=24)
    due = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + window,
            created_at__lte=F("starts_at") - window,
        )
        .order_by("starts_at")
        .only("pk", "client_email", "client_phone", "text_consent_at", "sequence")
    )
    queued = 0
    for booking in due:
        with transaction.atomic():
            if reminder_notify(booking=booking):
                queued += 1
    return queued


def credential_digest_queue() -> Notification | None:
    """Queue today's staff digest of credentials to renew and appointments at risk, once a day
    and only when there is something in it."""
    today = timezone.localdate()
    key = f"credential_digest:{today.isoformat()}"
    due = credential_expiry_list(day=today, within_days=settings.CREDENTIAL_WARNING_DAYS)
    if Notification.objects.filter(dedupe_key=key).exists():
        return None
    if not due.exists() and not appointment_list_at_risk().exists():
        return None
    row = Notification(
        kind=Kind.CREDENTIAL_DIGEST, recipient=settings.STAFF_ALERT_EMAIL, dedupe_key=key
    )
    with transaction.atomic():
        notification_enqueue(rows=[row])
    return row
