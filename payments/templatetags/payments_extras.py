from django import template

from ..money import dollars as dollars_of

register = template.Library()


@register.filter
def dollars(amount_cents: int) -> str:
    return dollars_of(amount_cents or 0)
