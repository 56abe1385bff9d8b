"""Celery tasks: each takes ids, never model instances, and calls ``booking.notifications``."""

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from .notifications import delivery, outbox


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
    if outcome.retry_in is None:
        return outcome.status
    if self.request.is_eager:
        # Inline (no broker): there is no worker to come back later, so try again now, up to
        # the attempt limit, rather than hold the caller up with backoff.
        while outcome.retry_in is not None:
            outcome = delivery.notification_send_now(notification_id=notification_id)
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
