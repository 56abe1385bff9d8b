"""Writing outbox rows with the change that causes them, and handing them to the workers.

Every booking change that must reach someone writes ``Notification`` rows in the caller's
transaction. After commit each row id is published to the ``booking.tasks.notification_send``
task; a beat sweep republishes whatever is still pending, so a broker that was down at commit
time or a worker that died only delays a message.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

import kombu.exceptions
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from therapists.selectors import credential_expiry_list

from ..models import Booking, Notification
from ..selectors import booking_list_upcoming
from .messages import Change
from .recipients import change_rows, client_row, therapist_rows

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# Published by name: the task module imports this one, not the other way round.
SEND_TASK = "booking.tasks.notification_send"
SWEEP_AFTER = timedelta(seconds=60)
BROKER_ERRORS = (kombu.exceptions.OperationalError, OSError)


def notification_enqueue(*, rows: list[Notification]) -> list[Notification]:
    """Write the rows in the current transaction and publish them once it commits."""
    Notification.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: notification_publish(ids=ids), robust=True)
    return rows


def booking_change_notify(*, booking: Booking, change: Change) -> list[Notification]:
    """Queue what ``change`` to ``booking`` tells the client, its therapists and staff. Call
    it after the appointments are written: therapists kept on a moved booking hear of the new
    time, any released hear the job is off, any new hear of the job. A reassignment leaves the
    client's booking as it was, so only the therapists hear of it."""
    if change == Change.REASSIGNED:
        return notification_enqueue(rows=therapist_rows(booking, change=change))
    return notification_enqueue(rows=change_rows(booking, change=change))


def manage_links_notify(*, email: str) -> Notification | None:
    """One message listing the private links of every upcoming confirmed booking made with
    ``email``; nothing when there are none. The list is read again when the message is sent, so
    it is current even if the message waited for the broker."""
    email = email.strip()
    if not email or not booking_list_upcoming(email=email).exists():
        return None
    with transaction.atomic():
        [row] = notification_enqueue(rows=[Notification(kind=Kind.MANAGE_LINKS, recipient=email)])
    return row


def reminder_notify(*, booking: Booking) -> Notification | None:
    """Queue the 24-hour reminder unless this booking has had one for its current time (a
    reschedule clears ``reminded_at``); must run in a transaction."""
    claimed = Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
        reminded_at=timezone.now()
    )
    if not claimed:
        return None
    key = f"client_reminder:{booking.pk}:{booking.sequence}"
    [row] = notification_enqueue(rows=[client_row(booking, Kind.CLIENT_REMINDER, dedupe_key=key)])
    return row


def notification_publish(*, ids: Iterable[int]) -> int:
    """Hand the ids to the broker. Never raises and never waits long: if the broker can't be
    reached the rows stay pending and ``notification_sweep_run`` publishes them later. Returns
    how many were published."""
    send = current_app.tasks[SEND_TASK]
    published = 0
    for notification_id in ids:
        try:
            send.apply_async((notification_id,), retry=False)
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
        .only("pk", "client_email", "sequence")
    )
    queued = 0
    for booking in due:
        with transaction.atomic():
            if reminder_notify(booking=booking):
                queued += 1
    return queued


def credential_digest_queue() -> Notification | None:
    """Queue today's digest of credentials to renew, once a day and only when there are some."""
    today = timezone.localdate()
    key = f"credential_digest:{today.isoformat()}"
    due = credential_expiry_list(day=today, within_days=settings.CREDENTIAL_WARNING_DAYS)
    if not due.exists() or Notification.objects.filter(dedupe_key=key).exists():
        return None
    row = Notification(
        kind=Kind.CREDENTIAL_DIGEST, recipient=settings.STAFF_ALERT_EMAIL, dedupe_key=key
    )
    with transaction.atomic():
        notification_enqueue(rows=[row])
    return row
