"""Writes for payments: the card that secures a booking, the charges a booking owes (the price
once completed, a late-cancellation or no-show fee, a tip), refunds, and webhook events.

A charge is a ``Payment`` row first, written in the transaction of the booking change that owes
it, with an idempotency key made of the booking and the purpose (unique in the table). After
commit a task charges it: the row is locked while Stripe is asked, so a task run twice, or a
second worker, finds it already paid and asks nothing; the key sent to Stripe is the row's key
and the attempt number, so a worker that died mid-call asks again with the same key and Stripe
answers with the first result. A declined card marks the payment due and emails the client a
link to give another card; saving one tries again with a new attempt number.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.formatting import local_when
from booking.models import Booking, Notification
from booking.notifications.outbox import notification_enqueue
from booking.notifications.recipients import client_row
from spatheory.broker import tasks_publish
from therapists.validators import email_normalise

from . import gateway
from .models import CardOnFile, Customer, Payment, Refund, StripeEvent
from .money import cents, late_fee_cents, no_show_fee_cents
from .selectors import saved_card_bookings, saved_card_get

logger = logging.getLogger(__name__)

Purpose = Payment.Purpose
Status = Payment.Status
CHARGE_TASK = "payments.tasks.payment_charge"

CARD_NOT_READY = "We couldn't confirm your card. Please enter it again."


class CardNotReady(ValidationError):
    """The card step was not completed for this booking: nothing was booked."""


def _key(booking: Booking, purpose: str) -> str:
    return f"booking-{booking.pk}-{purpose}"


def _publish(payment_id: int) -> None:
    try:
        tasks_publish(CHARGE_TASK, [(payment_id,)])
    except Exception:
        # The row stays pending; the due-payments sweep charges it.
        logger.warning("Could not publish payment %s", payment_id, exc_info=True)


def payment_queue(*, booking: Booking, purpose: str, amount_cents: int) -> Payment | None:
    """Owe ``amount_cents`` for ``purpose`` on ``booking``, charged after the caller's
    transaction commits. Nothing when payments are off or the amount is nothing; the same
    payment again when it is already owed."""
    if not gateway.payments_enabled() or amount_cents <= 0:
        return None
    payment, created = Payment.objects.get_or_create(
        idempotency_key=_key(booking, purpose),
        defaults={"booking": booking, "purpose": purpose, "amount_cents": amount_cents},
    )
    if created:
        transaction.on_commit(lambda: _publish(payment.pk), robust=True)
    return payment


def booking_completed_charge(*, booking: Booking) -> Payment | None:
    """The price, once for the booking (a couple's massage is one charge)."""
    return payment_queue(booking=booking, purpose=Purpose.CHARGE, amount_cents=cents(booking.price))


def booking_late_cancellation_charge(*, booking: Booking) -> Payment | None:
    return payment_queue(
        booking=booking, purpose=Purpose.LATE_FEE, amount_cents=late_fee_cents(booking)
    )


def booking_no_show_charge(*, booking: Booking) -> Payment | None:
    return payment_queue(
        booking=booking, purpose=Purpose.NO_SHOW_FEE, amount_cents=no_show_fee_cents(booking)
    )


def _notify_client(booking: Booking, kind: str, dedupe_key: str) -> None:
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return
    notification_enqueue(rows=[client_row(booking, kind, dedupe_key=dedupe_key)])


def _charge_succeeded(payment: Payment, *, payment_intent_id: str, charge_id: str) -> None:
    payment.status = Status.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
    payment.charge_id = charge_id or payment.charge_id
    payment.last_error = ""
    payment.save()
    if payment.purpose == Purpose.CHARGE:
        _notify_client(payment.booking, Notification.Kind.CLIENT_RECEIPT, f"receipt:{payment.pk}")


def _charge_failed(payment: Payment, *, error: str, payment_intent_id: str = "") -> None:
    payment.status = Status.FAILED
    payment.failed_at = timezone.now()
    payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
    payment.last_error = error[:300]
    payment.save()
    _notify_client(
        payment.booking,
        Notification.Kind.CLIENT_PAYMENT_DUE,
        f"payment_due:{payment.pk}:{payment.attempts}",
    )


def payment_charge(*, payment_id: int) -> Payment:
    """Charge one pending payment to the booking's card. Safe to call any number of times:
    only a pending payment is charged, under its row lock. Raises ``GatewayUnavailable`` when
    Stripe can't be reached (the payment stays pending, to try again)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("booking").get(pk=payment_id)
        if payment.status != Status.PENDING:
            return payment
        card = CardOnFile.objects.select_related("customer").filter(booking=payment.booking).first()
        payment.attempts += 1
        if card is None:
            _charge_failed(payment, error="No card on file.")
            return payment
        result = gateway.payment_intent_charge(
            amount_cents=payment.amount_cents,
            customer_id=card.customer.stripe_id,
            payment_method_id=card.payment_method_id,
            metadata={"payment": payment.idempotency_key, "booking": payment.booking.reference},
            idempotency_key=f"{payment.idempotency_key}-try-{payment.attempts}",
        )
        if result.succeeded:
            _charge_succeeded(
                payment, payment_intent_id=result.payment_intent_id, charge_id=result.charge_id
            )
        else:
            _charge_failed(payment, error=result.error, payment_intent_id=result.payment_intent_id)
    return payment


def payments_due_retry(*, booking: Booking) -> list[int]:
    """Try the booking's due payments again (the client gave a new card)."""
    with transaction.atomic():
        due = list(
            Payment.objects.select_for_update()
            .due()
            .filter(booking=booking)
            .values_list("pk", flat=True)
        )
        Payment.objects.filter(pk__in=due).update(status=Status.PENDING)
        for payment_id in due:
            transaction.on_commit(lambda pk=payment_id: _publish(pk), robust=True)
    return due


# Cards --------------------------------------------------------------------------------------


def customer_for_email(*, email: str) -> Customer:
    """The Stripe customer for a client's email, made the first time it is needed."""
    email = email_normalise(email)
    customer = Customer.objects.filter(email=email).first()
    if customer is not None:
        return customer
    stripe_id = gateway.customer_create(email=email, idempotency_key=f"customer-{email}")
    customer, _ = Customer.objects.get_or_create(email=email, defaults={"stripe_id": stripe_id})
    return customer


def card_setup_start(*, email: str, purpose_key: str) -> tuple[str, str]:
    """A SetupIntent the browser confirms with the card, tied by its metadata to
    ``purpose_key`` (a booking draft, or a booking whose card is being replaced); returns its
    id and client secret."""
    customer = customer_for_email(email=email)
    return gateway.setup_intent_create(
        customer_id=customer.stripe_id,
        metadata={"for": purpose_key},
        idempotency_key=f"setup-{purpose_key}",
    )


def card_needs_javascript() -> str:
    return (
        "Entering a card needs JavaScript, which is off in this browser. Turn it on, or call us "
        f"on {settings.BUSINESS_PHONE} and we'll book you by phone."
    )


def card_confirmed(*, setup_intent_id: str, purpose_key: str) -> gateway.SetupIntent:
    """The SetupIntent the browser confirmed, once Stripe says it succeeded for ``purpose_key``."""
    if not setup_intent_id:
        raise CardNotReady(card_needs_javascript())
    intent = gateway.setup_intent_retrieve(setup_intent_id=setup_intent_id)
    if (
        intent is None
        or intent.status != "succeeded"
        or intent.metadata.get("for") != purpose_key
        or not intent.payment_method_id
    ):
        raise CardNotReady(CARD_NOT_READY)
    return intent


CARD_NOT_YOURS = "Choose one of your saved cards, or enter a new card."


def _expires_before(card: gateway.SavedCard, day: date) -> bool:
    """A card works until the end of its expiry month."""
    return (card.exp_year, card.exp_month) < (day.year, day.month)


def saved_card_setup(*, email: str, payment_method_id: str, purpose_key: str, needed_on: date):
    """Set up one of the signed-in client's saved cards for ``purpose_key`` (a booking draft)
    instead of typing it again; returns the SetupIntent's id, which ``card_confirmed`` checks
    as it checks a card typed in. Raises ``CardNotReady`` for a card that isn't the client's
    own, has expired by ``needed_on``, or that the bank refuses now."""
    found = saved_card_get(email=email, payment_method_id=payment_method_id)
    if found is None:
        raise CardNotReady(CARD_NOT_YOURS)
    customer, card = found
    if _expires_before(card, needed_on):
        raise CardNotReady(
            f"Your card ending {card.last4} expires before your massage. Choose another card, "
            "or enter a new one."
        )
    intent = gateway.setup_intent_confirm_saved(
        customer_id=customer.stripe_id,
        payment_method_id=card.id,
        metadata={"for": purpose_key},
        idempotency_key=f"setup-{purpose_key}-{card.id}",
    )
    if intent is None or intent.status != "succeeded" or intent.payment_method_id != card.id:
        raise CardNotReady(
            f"Your bank didn't accept the card ending {card.last4} just now. Choose another "
            "card, or enter a new one."
        )
    return intent.id


def saved_card_remove(*, email: str, payment_method_id: str) -> gateway.SavedCard:
    """Take one of the client's saved cards off their Stripe customer. Refused, with the
    bookings it secures, while it still has a massage or a payment to pay for. Raises
    ``LookupError`` for a card that isn't theirs."""
    found = saved_card_get(email=email, payment_method_id=payment_method_id)
    if found is None:
        raise LookupError(payment_method_id)
    _, card = found
    bookings = saved_card_bookings(card=card)
    if bookings:
        when = ", ".join(local_when(booking.starts_at) for booking in bookings)
        raise ValidationError(
            f"Your card ending {card.last4} secures your booking ({when}), so it stays until "
            "that massage is paid for. Give that booking another card first, or remove it later."
        )
    gateway.card_detach(payment_method_id=card.id)
    return card


def card_replace(*, booking: Booking, setup_intent_id: str) -> CardOnFile:
    """Save the card the client gave on the booking's private page, and charge what is due."""
    intent = card_confirmed(setup_intent_id=setup_intent_id, purpose_key=card_purpose(booking))
    customer = Customer.objects.get(stripe_id=intent.customer_id)
    with transaction.atomic():
        card, _ = CardOnFile.objects.update_or_create(
            booking=booking,
            defaults={
                "customer": customer,
                "setup_intent_id": intent.id,
                "payment_method_id": intent.payment_method_id,
            },
        )
        payments_due_retry(booking=booking)
    return card


def card_purpose(booking: Booking) -> str:
    """What a replacement card's SetupIntent is for: this booking, after this many tries."""
    attempts = sum(booking.payments.values_list("attempts", flat=True))
    return f"booking-{booking.pk}-card-{attempts}"


# Tips ---------------------------------------------------------------------------------------


def tip_window_closes(booking: Booking) -> datetime | None:
    if booking.status != Booking.Status.COMPLETED or booking.completed_at is None:
        return None
    return booking.completed_at + timedelta(hours=settings.TIP_WINDOW_HOURS)


def tip_add(*, booking: Booking, amount_cents: int) -> Payment:
    """Charge a tip, once per booking, within the tip window after the massage."""
    closes = tip_window_closes(booking)
    if closes is None or timezone.now() > closes:
        raise ValidationError("Tips can be added for 72 hours after the massage.")
    if amount_cents < 100:
        raise ValidationError({"amount": ["Enter a tip of $1.00 or more."]})
    if amount_cents > cents(booking.price):
        raise ValidationError({"amount": ["A tip can be at most the price of the massage."]})
    with transaction.atomic():
        payment, created = Payment.objects.get_or_create(
            idempotency_key=_key(booking, Purpose.TIP),
            defaults={"booking": booking, "purpose": Purpose.TIP, "amount_cents": amount_cents},
        )
    if not created:
        return payment
    return payment_charge(payment_id=payment.pk)


# Refunds ------------------------------------------------------------------------------------


def payment_refund(*, payment: Payment, amount_cents: int, reason: str = "") -> Refund:
    """Refund part or all of a paid payment through Stripe, and record it."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Status.SUCCEEDED:
            raise ValidationError("Only a paid payment can be refunded.")
        left = payment.amount_cents - payment.refunded_cents
        if not 0 < amount_cents <= left:
            raise ValidationError(
                {"amount": [f"Enter an amount from $0.01 to the ${left / 100:.2f} not refunded."]}
            )
        number = payment.refunds.count() + 1
        stripe_id = gateway.refund_create(
            payment_intent_id=payment.payment_intent_id,
            amount_cents=amount_cents,
            idempotency_key=f"{payment.idempotency_key}-refund-{number}",
        )
        refund, _ = Refund.objects.get_or_create(
            stripe_id=stripe_id,
            defaults={"payment": payment, "amount_cents": amount_cents, "reason": reason},
        )
    return refund


# Webhooks -----------------------------------------------------------------------------------


def _payment_for(intent: dict) -> Payment | None:
    key = (intent.get("metadata") or {}).get("payment")
    payments = Payment.objects.select_for_update().select_related("booking")
    found = payments.filter(payment_intent_id=intent.get("id") or "-").first()
    return found or (payments.filter(idempotency_key=key).first() if key else None)


def _latest_charge_id(intent: dict) -> str:
    charge = intent.get("latest_charge") or ""
    return charge.get("id", "") if isinstance(charge, dict) else charge


def _intent_succeeded(intent: dict) -> None:
    payment = _payment_for(intent)
    if payment is not None and payment.status != Status.SUCCEEDED:
        _charge_succeeded(
            payment, payment_intent_id=intent["id"], charge_id=_latest_charge_id(intent)
        )


def _intent_failed(intent: dict) -> None:
    payment = _payment_for(intent)
    if payment is not None and payment.status == Status.PENDING:
        error = (intent.get("last_payment_error") or {}).get("message") or "Declined."
        _charge_failed(payment, error=error, payment_intent_id=intent["id"])


def _charge_refunded(charge: dict) -> None:
    intent_id = charge.get("payment_intent") or ""
    payment = Payment.objects.filter(payment_intent_id=intent_id).first() if intent_id else None
    if payment is None:
        return
    for refund in (charge.get("refunds") or {}).get("data", []):
        Refund.objects.get_or_create(
            stripe_id=refund["id"], defaults={"payment": payment, "amount_cents": refund["amount"]}
        )


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
}


def stripe_event_process(*, event: dict) -> bool:
    """Apply a verified webhook event to our records, once: False for an event already seen."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event["id"], type=event.get("type", ""))
        except IntegrityError:
            return False
        handler = HANDLERS.get(event.get("type"))
        if handler is not None:
            handler(event["data"]["object"])
    return True


def payments_pending_publish() -> int:
    """Publish the charges still pending a while after they were owed (the broker was down, or
    Stripe was unreachable for longer than the task's retries)."""
    stale = timezone.now() - timedelta(minutes=5)
    pending = list(
        Payment.objects.filter(status=Status.PENDING, created_at__lt=stale).values_list(
            "pk", flat=True
        )[:500]
    )
    for payment_id in pending:
        _publish(payment_id)
    return len(pending)


# A declined card is tried again once a day, this many times in all, unless the client gives
# another card first (which tries at once).
DUE_RETRY_ATTEMPTS = 3


def payments_due_retry_daily() -> int:
    """Try again each payment due that was declined a day or more ago and has tries left."""
    before = timezone.now() - timedelta(days=1)
    with transaction.atomic():
        due = list(
            Payment.objects.select_for_update(skip_locked=True)
            .due()
            .filter(failed_at__lte=before, attempts__lt=DUE_RETRY_ATTEMPTS)
            .values_list("pk", flat=True)
        )
        Payment.objects.filter(pk__in=due).update(status=Status.PENDING)
        for payment_id in due:
            transaction.on_commit(lambda pk=payment_id: _publish(pk), robust=True)
    return len(due)
