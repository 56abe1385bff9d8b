"""Celery tasks: each takes ids, never model instances, and calls ``booking.notifications`` or
``booking.retention``."""

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.conf import settings
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
    """Send this row and, with it, a batch of other due rows over one mail connection. Inline
    (no broker: the task runs in the request that queued it) only this row."""
    fast = not self.request.is_eager
    outcomes = delivery.notification_send_batch(
        notification_id=notification_id, limit=settings.NOTIFICATION_SEND_BATCH if fast else 1
    )
    # Inline nothing waits either: the row keeps its next try for the sweep.
    for other_id, outcome in outcomes.items():
        # A row of the batch that failed for now gets its own countdown retry, as if its own
        # task had tried it; if that can't be published, the sweep still has its next try.
        if other_id != notification_id and fast and _fast_retry(outcome):
            outbox.notification_publish(ids=[other_id], countdown=outcome.retry_in)
    outcome = outcomes[notification_id]
    if not (fast and _fast_retry(outcome)):
        return outcome.status
    raise self.retry(countdown=outcome.retry_in)


def _fast_retry(outcome: delivery.SendOutcome) -> bool:
    return outcome.retry_in is not None and outcome.retry_in <= FAST_RETRY_MAX_SECONDS


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
