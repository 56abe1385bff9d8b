from django import template

from booking.formatting import local_time, local_when

register = template.Library()


@register.filter
def local_datetime(value) -> str:
    """``Tue, Dec 1 · 2:00 pm`` in Atlanta time, as in the emails."""
    return local_when(value) if value else ""


@register.filter
def local_clock(value) -> str:
    """``2:00 pm`` in Atlanta time."""
    return local_time(value) if value else ""
