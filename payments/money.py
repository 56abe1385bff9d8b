"""Cents from the prices the booking app keeps in dollars, and cents as people read them."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from booking.models import Booking


def cents(dollars: Decimal) -> int:
    return int((Decimal(dollars) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def dollars(amount_cents: int) -> str:
    """``$62.50``."""
    return f"${amount_cents // 100:,}.{amount_cents % 100:02d}"


def percent_of(amount_cents: int, percent: int) -> int:
    """``percent`` of an amount, to the nearest cent (half a cent up)."""
    return (amount_cents * percent + 50) // 100


def late_fee_cents(booking: Booking) -> int:
    return percent_of(cents(booking.price), settings.LATE_CANCELLATION_FEE_PERCENT)


def no_show_fee_cents(booking: Booking) -> int:
    return percent_of(cents(booking.price), settings.NO_SHOW_FEE_PERCENT)
