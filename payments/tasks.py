"""Celery tasks for payments: each takes ids and calls ``payments.services``."""

from celery import shared_task

from . import services
from .gateway import GatewayUnavailable


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=12,
    ignore_result=True,
)
def payment_charge(self, payment_id: int) -> str:
    return services.payment_charge(payment_id=payment_id).status


@shared_task(ignore_result=True)
def payments_pending_sweep() -> int:
    return services.payments_pending_publish()


@shared_task(ignore_result=True)
def payments_due_retry() -> int:
    return services.payments_due_retry_daily()
