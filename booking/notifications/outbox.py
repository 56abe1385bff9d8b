"""The notification outbox.

Every booking change that must reach someone writes ``Notification`` rows in the caller's
transaction (``notify_*``). After commit each row id is published to Celery
(``booking.tasks.notification_send``); a beat sweep republishes whatever is still pending, so a
broker that was down at commit time or a worker that died only delays a message.

Delivery is exactly once on every path but one. A task first claims its row with a conditional
UPDATE (pending -> sending), so a redelivered or duplicated task, or two workers racing, find
nothing to claim and send nothing. The one gap is a worker dying after the mail server accepted
the message and before the row is marked sent: the row stays ``sending`` and the sweep returns
it to pending after ``NOTIFICATION_STALE_SENDING_MINUTES``, so that message may go out twice.
We chose at-least-once there: a client with two identical confirmations is better off than a
client with none.
"""

import logging
import smtplib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import kombu.exceptions
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Appointment, Booking, Notification

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

SWEEP_AFTER = timedelta(seconds=60)
BROKER_ERRORS = (kombu.exceptions.OperationalError, OSError)


def _client_row(booking: Booking, kind: str, *, dedupe_key: str | None = None) -> Notification:
    return Notification(
        booking=booking, kind=kind, recipient=booking.client_email, dedupe_key=dedupe_key
    )


def _staff_row(booking: Booking, kind: str) -> Notification:
    return Notification(booking=booking, kind=kind, recipient=settings.STAFF_ALERT_EMAIL)


def _therapist_row(appointment: Appointment, kind: str) -> Notification:
    return Notification(
        booking_id=appointment.booking_id,
        appointment=appointment,
        kind=kind,
        recipient=appointment.therapist.email,
    )


THERAPIST_TOLD = {Kind.THERAPIST_ASSIGNED, Kind.THERAPIST_RESCHEDULED}


def _therapist_rows(booking: Booking, *, change: str) -> list[Notification]:
    """What each therapist who is or was on ``booking`` needs to hear about ``change``
    ("created", "rescheduled", "reassigned" or "cancelled"), judged from the appointments and
    the notices already queued for them: a therapist new to the job gets the job, one taken off
    it (or on a cancelled booking) gets a cancellation, one kept on a moved booking gets the new
    time. Two queries, however many therapists."""
    appointments = list(booking.appointments.select_related("therapist").order_by("id"))
    last_notice = dict(
        Notification.objects.filter(
            appointment__in=appointments, kind__in=[*THERAPIST_TOLD, Kind.THERAPIST_CANCELLED]
        )
        .order_by("appointment_id", "id")
        .values_list("appointment_id", "kind")
    )
    rows = {}
    for appointment in appointments:
        told = last_notice.get(appointment.pk) in THERAPIST_TOLD
        already_off = last_notice.get(appointment.pk) == Kind.THERAPIST_CANCELLED
        if change == "cancelled":
            kind = None if already_off else Kind.THERAPIST_CANCELLED
        elif not appointment.is_active:
            kind = Kind.THERAPIST_CANCELLED if told else None
        elif told:
            kind = Kind.THERAPIST_RESCHEDULED if change == "rescheduled" else None
        else:
            kind = Kind.THERAPIST_ASSIGNED
        if kind:
            # One notice per therapist: their latest appointment on the booking wins.
            rows[appointment.therapist_id] = _therapist_row(appointment, kind)
    return list(rows.values())


def notification_enqueue(*, rows: list[Notification]) -> list[Notification]:
    """Write the rows in the current transaction and publish them once it commits."""
    Notification.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: notification_publish(ids=ids), robust=True)
    return rows


def _booking_rows(booking: Booking, *, change: str, client: str, staff: str):
    return [
        _client_row(booking, client),
        *_therapist_rows(booking, change=change),
        _staff_row(booking, staff),
    ]


def notify_booking_created(*, booking: Booking) -> list[Notification]:
    rows = _booking_rows(
        booking,
        change="created",
        client=Kind.CLIENT_CONFIRMATION,
        staff=Kind.STAFF_BOOKING_CREATED,
    )
    return notification_enqueue(rows=rows)


def notify_booking_rescheduled(*, booking: Booking) -> list[Notification]:
    """Call after the appointments are updated: therapists kept hear of the new time, any
    replaced hear the job is off, any new hear of the job."""
    rows = _booking_rows(
        booking,
        change="rescheduled",
        client=Kind.CLIENT_RESCHEDULED,
        staff=Kind.STAFF_BOOKING_RESCHEDULED,
    )
    return notification_enqueue(rows=rows)


def notify_booking_cancelled(*, booking: Booking) -> list[Notification]:
    rows = _booking_rows(
        booking,
        change="cancelled",
        client=Kind.CLIENT_CANCELLED,
        staff=Kind.STAFF_BOOKING_CANCELLED,
    )
    return notification_enqueue(rows=rows)


def notify_booking_reassigned(*, booking: Booking) -> list[Notification]:
    """After ``booking_reassign``: the new therapist gets the job, the old one hears it is off.
    The client's booking is unchanged, so they get nothing."""
    return notification_enqueue(rows=_therapist_rows(booking, change="reassigned"))


def upcoming_bookings_for(email: str):
    return Booking.objects.upcoming().filter(client_email__iexact=email).order_by("starts_at")


def notify_manage_links(*, email: str) -> Notification | None:
    """One message listing the private links of every upcoming confirmed booking made with
    ``email``; nothing when there are none. The list is read again when the message is sent, so
    it is current even if the message waited for the broker."""
    email = email.strip()
    if not email or not upcoming_bookings_for(email).exists():
        return None
    with transaction.atomic():
        [row] = notification_enqueue(rows=[Notification(kind=Kind.MANAGE_LINKS, recipient=email)])
    return row


def notify_reminder(*, booking: Booking) -> Notification | None:
    """Queue the 24-hour reminder unless this booking has had one for its current time (a
    reschedule clears ``reminded_at``); must run in a transaction."""
    claimed = Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
        reminded_at=timezone.now()
    )
    if not claimed:
        return None
    key = f"client_reminder:{booking.pk}:{booking.sequence}"
    [row] = notification_enqueue(rows=[_client_row(booking, Kind.CLIENT_REMINDER, dedupe_key=key)])
    return row


def notify_credential_digest(*, day: date) -> Notification | None:
    """Queue the staff digest for ``day`` once; must run in a transaction."""
    key = f"credential_digest:{day.isoformat()}"
    if Notification.objects.filter(dedupe_key=key).exists():
        return None
    row = Notification(
        kind=Kind.CREDENTIAL_DIGEST, recipient=settings.STAFF_ALERT_EMAIL, dedupe_key=key
    )
    notification_enqueue(rows=[row])
    return row


# Publishing -------------------------------------------------------------------------------


def notification_publish(*, ids: Iterable[int]) -> int:
    """Hand the ids to the broker. Never raises and never waits long: if the broker can't be
    reached the rows stay pending and ``notification_sweep_run`` publishes them later. Returns
    how many were published."""
    from .tasks import notification_send

    published = 0
    for notification_id in ids:
        try:
            notification_send.apply_async((notification_id,), retry=False)
        except Exception as exc:
            logger.warning(
                "Could not publish notification %s; the sweep will retry it",
                notification_id,
                exc_info=True,
            )
            if isinstance(exc, BROKER_ERRORS):
                # The broker is down: the rest would fail the same way, one timeout each.
                break
            continue
        published += 1
    return published


# Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_in: int | None = None  # seconds until the task should try again


TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Anything else at the socket level (DNS, TLS, unreachable) is worth another try.
    return isinstance(exc, OSError)


def _backoff(attempts: int) -> int:
    return min(2**attempts, settings.NOTIFICATION_RETRY_MAX_SECONDS)


# One mail server connection per worker thread, reused while used in the last 20 seconds: a
# new one per message costs a TCP handshake and EHLO (and TLS in production) every time.
_mail = threading.local()
MAIL_CONNECTION_IDLE_SECONDS = 20


def _mail_close() -> None:
    connection, _mail.connection = getattr(_mail, "connection", None), None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)


def _mail_send(message) -> None:
    connection = getattr(_mail, "connection", None)
    reused = (
        connection is not None
        and _mail.backend == settings.EMAIL_BACKEND
        and time.monotonic() - _mail.used < MAIL_CONNECTION_IDLE_SECONDS
    )
    if not reused:
        _mail_close()
        connection = get_connection(fail_silently=False)
        _mail.connection, _mail.backend = connection, settings.EMAIL_BACKEND
    try:
        connection.open()
        message.connection = connection
        message.send(fail_silently=False)
    except smtplib.SMTPServerDisconnected:
        _mail_close()
        if not reused:
            raise
        # The server had dropped the idle connection we kept: try once on a fresh one.
        _mail_send(message)
    except Exception:
        _mail_close()
        raise
    _mail.used = time.monotonic()


def notification_send_now(*, notification_id: int) -> SendOutcome:
    """Claim, render and send one notification. Safe to call any number of times for the
    same row: only the call that claims it sends."""
    from .emails import notification_message

    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendOutcome(status="not_claimed")
    notification = Notification.objects.select_related(
        "booking__service", "appointment__therapist"
    ).get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, status=Status.SENDING)

    try:
        message = notification_message(notification)
    except Exception as exc:
        logger.exception("Could not render notification %s", notification_id)
        mine.update(status=Status.FAILED, last_error=f"Could not render: {exc!r}"[:2000])
        return SendOutcome(status=Status.FAILED)
    if message is None:
        mine.update(status=Status.SKIPPED, last_error="")
        return SendOutcome(status=Status.SKIPPED)

    try:
        _mail_send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = notification.attempts
        if _is_transient(exc) and attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            mine.update(status=Status.PENDING, last_error=error)
            logger.warning(
                "Notification %s: attempt %s failed: %s", notification_id, attempts, error
            )
            return SendOutcome(status=Status.PENDING, retry_in=_backoff(attempts))
        mine.update(status=Status.FAILED, last_error=error)
        logger.error(
            "Notification %s failed after %s attempts: %s", notification_id, attempts, error
        )
        return SendOutcome(status=Status.FAILED)

    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    return SendOutcome(status=Status.SENT)


def notification_sweep_run() -> int:
    """Publish again what is still pending a minute on, and return rows a dead worker left in
    ``sending`` to pending. Returns how many rows were published."""
    now = timezone.now()
    stale = now - timedelta(minutes=settings.NOTIFICATION_STALE_SENDING_MINUTES)
    stuck = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=stale)
    stuck.filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS).update(
        status=Status.FAILED, last_error="The worker stopped while sending; retry from admin."
    )
    stuck.update(status=Status.PENDING)
    due = (
        Notification.objects.filter(status=Status.PENDING)
        .annotate(last_touched=Coalesce("claimed_at", "created_at"))
        .filter(last_touched__lt=now - SWEEP_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[: settings.NOTIFICATION_SWEEP_BATCH]
    )
    return notification_publish(ids=list(due))


def notification_retry(*, notifications: Iterable[Notification]) -> int:
    """Staff's retry: failed rows get a fresh set of attempts and are published again."""
    ids = [n.pk for n in notifications if n.status == Status.FAILED]
    with transaction.atomic():
        updated = Notification.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, claimed_at=None
        )
        transaction.on_commit(lambda: notification_publish(ids=ids), robust=True)
    return updated


# Beat jobs ----------------------------------------------------------------------------------


def reminders_queue() -> int:
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
        .only("pk", "client_email", "sequence")
    )
    queued = 0
    for booking in due:
        with transaction.atomic():
            if notify_reminder(booking=booking):
                queued += 1
    return queued


def credential_expiry_list():
    """Working therapists (active or paused) whose licence, insurance or background check has
    expired or expires within ``CREDENTIAL_WARNING_DAYS``, soonest first."""
    from therapists.models import Therapist

    return (
        Therapist.objects.filter(status__in=[Therapist.Status.ACTIVE, Therapist.Status.PAUSED])
        .credentials_need_attention(
            timezone.localdate(), within_days=settings.CREDENTIAL_WARNING_DAYS
        )
        .order_by("last_name", "first_name")
    )


def credential_digest_queue() -> Notification | None:
    """Queue today's digest once, and only when some credential needs attention."""
    if not credential_expiry_list().exists():
        return None
    with transaction.atomic():
        return notify_credential_digest(day=timezone.localdate())
