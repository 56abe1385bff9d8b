from django.apps import AppConfig
from django.core import checks


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the Celery tasks the outbox publishes to)
        from .checks import check_overlap_buffer

        checks.register(check_overlap_buffer)
