"""The Celery app of the workers (``celery -A spatheory worker``). The web does not load it:
it queues tasks through ``spatheory.broker``."""

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spatheory.settings")

BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "booking.tasks.notification_sweep",
        "schedule": timedelta(minutes=1),
    },
    "reminders": {
        "task": "booking.tasks.reminders_send",
        "schedule": timedelta(minutes=15),
    },
    "credential-expiry-digest": {
        "task": "booking.tasks.credential_expiry_digest_send",
        "schedule": crontab(hour=7, minute=0),
    },
    "payments-pending-sweep": {
        "task": "payments.tasks.payments_pending_sweep",
        "schedule": timedelta(minutes=10),
    },
    "payments-due-retry": {
        "task": "payments.tasks.payments_due_retry",
        "schedule": crontab(hour=10, minute=0),
    },
    "bookings-anonymise": {
        "task": "booking.tasks.bookings_anonymise",
        "schedule": crontab(hour=3, minute=30),
    },
}

app = Celery("spatheory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
