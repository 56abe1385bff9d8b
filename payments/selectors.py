"""Reads for payments: what a booking has paid and owes, the payments staff must chase, the
day's takings and the therapists' earnings."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, Sum
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, Booking
from therapists.validators import email_normalise

from .gateway import SavedCard, card_list, card_retrieve, payments_enabled
from .models import Customer, Payment, Refund, TherapistShare
from .money import dollars, percent_of

Purpose = Payment.Purpose
# What a Stripe payment method's id looks like; anything else is never sent to Stripe.
CARD_ID = re.compile(r"(pm|card)_[A-Za-z0-9]{1,60}")


def booking_amount_due_cents(*, booking: Booking) -> int:
    return booking.payments.due().aggregate(total=Sum("amount_cents"))["total"] or 0


def booking_payment(*, booking: Booking, purpose: str) -> Payment | None:
    return booking.payments.filter(purpose=purpose).first()


def payment_list_due():
    return Payment.objects.due().select_related("booking").order_by("failed_at")


@dataclass
class TakingsDay:
    day: date
    charged: int = 0
    fees: int = 0
    tips: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.charged + self.fees + self.tips - self.refunded


def takings_by_day(*, start: date, end: date) -> list[TakingsDay]:
    """Money in and out per local day from ``start`` to ``end`` inclusive, newest first: two
    queries whatever the range."""
    days: dict[date, TakingsDay] = {}

    def row(moment) -> TakingsDay:
        day = timezone.localdate(moment)
        return days.setdefault(day, TakingsDay(day=day))

    paid = Payment.objects.succeeded().filter(
        succeeded_at__date__gte=start, succeeded_at__date__lte=end
    )
    for payment in paid.only("purpose", "amount_cents", "succeeded_at"):
        day = row(payment.succeeded_at)
        if payment.purpose == Purpose.CHARGE:
            day.charged += payment.amount_cents
        elif payment.purpose == Purpose.TIP:
            day.tips += payment.amount_cents
        else:
            day.fees += payment.amount_cents
    refunds = Refund.objects.filter(created_at__date__gte=start, created_at__date__lte=end)
    for refund in refunds.only("amount_cents", "created_at"):
        row(refund.created_at).refunded += refund.amount_cents
    return sorted(
        (d for d in days.values() if start <= d.day <= end), key=lambda d: d.day, reverse=True
    )


@dataclass
class EarningsLine:
    appointment: Appointment
    price_share: int = 0
    tips: int = 0
    fees: int = 0

    @property
    def total(self) -> int:
        return self.price_share + self.tips + self.fees


def _split(amount: int, ways: int, index: int) -> int:
    """One of ``ways`` equal shares of ``amount`` cents; the first shares take the odd cents."""
    share, odd = divmod(amount, ways)
    return share + (1 if index < odd else 0)


def _therapists_on(booking: Booking) -> list[int]:
    """Who held the booking at the end: its active appointments' therapists or, as cancelling
    releases every row, the latest rows' (a reassignment adds a row after the one it
    replaces)."""
    rows = list(booking.appointments.all())
    active = [a for a in rows if a.is_active]
    held = active or rows[-booking.service.therapists_needed :]
    return sorted({a.therapist_id for a in held})


def therapist_earnings(*, therapist, start: date, end: date) -> list[EarningsLine]:
    """Per appointment of ``therapist`` starting between ``start`` and ``end``: their share of
    the price (net of refunds), all of their part of the tips, and their share of late and
    no-show fees. A couple's side-by-side booking splits each amount between its therapists."""
    share = TherapistShare.objects.filter(therapist=therapist).first()
    price_percent = share.percent if share else settings.THERAPIST_SHARE_PERCENT
    paid = Payment.objects.succeeded().prefetch_related("refunds")
    booking_rows = Prefetch("booking__payments", queryset=paid)
    mates = Prefetch("booking__appointments", queryset=Appointment.objects.order_by("id"))
    appointments = (
        Appointment.objects.filter(
            therapist=therapist, starts_at__date__gte=start, starts_at__date__lte=end
        )
        .select_related("booking__service")
        .prefetch_related(booking_rows, mates)
        .order_by("starts_at")
    )
    lines, seen = [], set()
    for appointment in appointments:
        booking = appointment.booking
        if booking.pk in seen:
            continue
        seen.add(booking.pk)
        therapists = _therapists_on(booking)
        if therapist.pk not in therapists:
            continue
        index, ways = therapists.index(therapist.pk), len(therapists)
        line = EarningsLine(appointment=appointment)
        totals = defaultdict(int)
        for payment in booking.payments.all():
            totals[payment.purpose] += payment.amount_cents - payment.refunded_cents
        line.price_share = _split(percent_of(totals[Purpose.CHARGE], price_percent), ways, index)
        line.tips = _split(totals[Purpose.TIP], ways, index)
        fees = totals[Purpose.LATE_FEE] + totals[Purpose.NO_SHOW_FEE]
        line.fees = _split(percent_of(fees, settings.THERAPIST_FEE_SHARE_PERCENT), ways, index)
        if line.total or booking.status == Booking.Status.COMPLETED:
            lines.append(line)
    return lines


def payment_email_context(*, booking: Booking) -> dict:
    """What the receipt and the payment-due emails say about money, and their private links."""
    charge = booking_payment(booking=booking, purpose=Purpose.CHARGE)
    return {
        "charged": charge.amount_cents if charge else 0,
        "due": booking_amount_due_cents(booking=booking),
        "tip_url": settings.SITE_URL + reverse("payments:tip", kwargs={"token": booking.token}),
        "card_url": settings.SITE_URL + reverse("payments:card", kwargs={"token": booking.token}),
        "tip_hours": settings.TIP_WINDOW_HOURS,
        "business_phone": settings.BUSINESS_PHONE,
    }


def payment_terms() -> dict:
    """What the booking terms say about money, when payments are on."""
    return {
        "payments_on": payments_enabled(),
        "late_fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
        "no_show_fee_percent": settings.NO_SHOW_FEE_PERCENT,
        "late_fee_example": dollars(percent_of(10000, settings.LATE_CANCELLATION_FEE_PERCENT)),
        "no_show_fee_example": dollars(percent_of(10000, settings.NO_SHOW_FEE_PERCENT)),
        "no_show_grace": settings.NO_SHOW_GRACE_MINUTES,
        "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
        "tip_hours": settings.TIP_WINDOW_HOURS,
    }


@dataclass
class EarningsWeek:
    """One week (Monday to Sunday, Atlanta time) of a therapist's earnings, newest first."""

    monday: date
    lines: list[EarningsLine]

    @property
    def price_share(self) -> int:
        return sum(line.price_share for line in self.lines)

    @property
    def tips(self) -> int:
        return sum(line.tips for line in self.lines)

    @property
    def fees(self) -> int:
        return sum(line.fees for line in self.lines)

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


def therapist_earnings_by_week(*, therapist, weeks: int, today: date) -> list[EarningsWeek]:
    """The therapist's earnings of the last ``weeks`` weeks, this one included, by week."""
    this_monday = today - timedelta(days=today.weekday())
    start = this_monday - timedelta(weeks=weeks - 1)
    by_week: dict[date, list[EarningsLine]] = defaultdict(list)
    for line in therapist_earnings(therapist=therapist, start=start, end=today):
        day = timezone.localdate(line.appointment.starts_at)
        by_week[day - timedelta(days=day.weekday())].append(line)
    return [EarningsWeek(monday, by_week[monday]) for monday in sorted(by_week, reverse=True)]


# Saved cards ----------------------------------------------------------------------------------


def saved_card_list(*, email: str) -> list[SavedCard]:
    """The cards on the Stripe customer of this (signed-in client's) email, newest last; none
    when payments are off or no card was ever saved for it."""
    if not payments_enabled():
        return []
    customer = Customer.objects.filter(email=email_normalise(email)).first()
    if customer is None:
        return []
    return card_list(customer_id=customer.stripe_id)


def saved_card_get(*, email: str, payment_method_id: str) -> tuple[Customer, SavedCard] | None:
    """One of this email's own saved cards and its customer, or None for any other id (another
    client's card, a removed one, nonsense)."""
    customer = Customer.objects.filter(email=email_normalise(email)).first()
    if customer is None or not CARD_ID.fullmatch(payment_method_id or ""):
        return None
    card = card_retrieve(payment_method_id=payment_method_id)
    if card is None or card.customer_id != customer.stripe_id:
        return None
    return customer, card


def saved_card_bookings(*, card: SavedCard) -> list[Booking]:
    """The bookings this card still has to pay for: upcoming ones, and any with a payment to
    make or due."""
    owing = Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.FAILED])
    return list(
        Booking.objects.filter(card__payment_method_id=card.id)
        .filter(
            Q(status=Booking.Status.CONFIRMED, starts_at__gt=timezone.now())
            | Q(pk__in=owing.values("booking"))
        )
        .distinct()
        .order_by("starts_at")
    )
