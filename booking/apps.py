from django.apps import AppConfig
from django.core import checks


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        from .checks import check_overlap_buffer

        checks.register(check_overlap_buffer)
