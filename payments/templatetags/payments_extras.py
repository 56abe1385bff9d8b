from django import template

from ..money import dollars as dollars_of
from ..selectors import booking_amount_due_cents

register = template.Library()


@register.filter
def dollars(amount_cents: int) -> str:
    return dollars_of(amount_cents or 0)


@register.simple_tag
def amount_due(booking) -> int:
    """Cents the booking's declined charges still owe."""
    return booking_amount_due_cents(booking=booking)
