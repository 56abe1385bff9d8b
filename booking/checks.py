"""System checks, run at start by ``check``, ``migrate`` and ``runserver``."""

from django.conf import settings
from django.core import checks

from .models import APPOINTMENT_NO_OVERLAP_BUFFER_MINUTES


def check_overlap_buffer(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The database's overlap backstop must keep the buffer the booking engine plans with: a
    smaller setting offers times the database then refuses, a larger one leaves gaps the rule
    forbids that the backstop would not catch."""
    buffer, kept = settings.BOOKING_MIN_BUFFER_MINUTES, APPOINTMENT_NO_OVERLAP_BUFFER_MINUTES
    if buffer == kept:
        return []
    return [
        checks.Error(
            f"BOOKING_MIN_BUFFER_MINUTES is {buffer}, but the database's appointment_no_overlap "
            f"constraint keeps {kept} minutes after each appointment.",
            hint=(
                "A new migration is needed to recreate appointment_no_overlap with the new "
                "buffer (and APPOINTMENT_NO_OVERLAP_BUFFER_MINUTES in booking/models.py to "
                f"match it); or set BOOKING_MIN_BUFFER_MINUTES back to {kept}."
            ),
            id="booking.E001",
        )
    ]
