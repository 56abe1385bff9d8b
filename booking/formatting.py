"""How times read everywhere a person sees them: pages, admin, emails and messages.

Always Atlanta (business) time, never a zero-padded hour: ``2:00 pm``, ``Tue, Dec 1 · 2:00 pm``.
"""

from datetime import datetime, time

from django.utils import timezone


def local_time(value: datetime | time) -> str:
    """``2:00 pm``: a moment in Atlanta time, or a wall-clock time as it is."""
    wall = timezone.localtime(value) if isinstance(value, datetime) else value
    suffix = "am" if wall.hour < 12 else "pm"
    return f"{wall.hour % 12 or 12}:{wall.minute:02d} {suffix}"


def local_when(value: datetime) -> str:
    """``Tue, Dec 1 · 2:00 pm`` in Atlanta time."""
    local = timezone.localtime(value)
    return f"{local:%a, %b} {local.day} · {local_time(local)}"


def local_when_text(value: datetime) -> str:
    """``Tue, Dec 1 at 2:00 pm`` in Atlanta time, for texts: the middle dot is not in the
    texting alphabet (GSM-7), and one character outside it halves what fits in one message."""
    local = timezone.localtime(value)
    return f"{local:%a, %b} {local.day} at {local_time(local)}"
