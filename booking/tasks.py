"""Celery tasks: each takes ids, never model instances, and calls ``booking.notifications`` or
``booking.retention``."""

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from . import retention
from .notifications import delivery, outbox

# A countdown retry is only the fast path for short waits: the schedule is the row's
# ``next_attempt_at``, which the sweep publishes once due, so a restarted worker loses nothing.
# Longer countdowns would also sit unacknowledged in a worker past the broker's visibility
# timeout (an hour on Redis) and come back as duplicates.
FAST_RETRY_MAX_SECONDS = 5 * 60


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task=None, **kwargs):
    # Treat each task like a web request: keep the connection for CONN_MAX_AGE and drop it
    # once it is broken (see CELERY_DB_REUSE_MAX). Eager tasks share the caller's connection.
    if not getattr(task.request, "is_eager", False):
        close_old_connections()


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def notification_send(self, notification_id: int) -> str:
    outcome = delivery.notification_send_now(notification_id=notification_id)
    # Inline (no broker) nothing waits either: the row keeps its next try for the sweep.
    if (
        outcome.retry_in is None
        or outcome.retry_in > FAST_RETRY_MAX_SECONDS
        or self.request.is_eager
    ):
        return outcome.status
    raise self.retry(countdown=outcome.retry_in)


@shared_task(ignore_result=True)
def notification_sweep() -> int:
    return outbox.notification_sweep_run()


@shared_task(ignore_result=True)
def reminders_send() -> int:
    return outbox.reminder_queue_due()


@shared_task(ignore_result=True)
def credential_expiry_digest_send() -> bool:
    return outbox.credential_digest_queue() is not None


@shared_task(ignore_result=True)
def bookings_anonymise() -> int:
    return retention.booking_anonymise_ended()
