"""The one place that talks to Stripe. Every call builds its client from the settings of the
moment (the key and, for a test server, the API base), and every call that moves money or makes
an object carries the idempotency key it is given, so Stripe answers a repeat with the first
result instead of acting twice.

Stripe's library (some 17 MB with what it imports) is loaded by the first call that needs it,
not with this module: a web worker that never charges a card doesn't hold it."""

import importlib
from dataclasses import dataclass

from django.conf import settings

CURRENCY = "usd"


class _Stripe:
    """The ``stripe`` module, imported on first use of any of its names."""

    def __getattr__(self, name):
        return getattr(importlib.import_module("stripe"), name)


stripe = _Stripe()


class GatewayUnavailable(Exception):
    """Stripe could not be reached or answered with an error of its own: try again later."""


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    payment_intent_id: str = ""
    charge_id: str = ""
    error: str = ""


@dataclass(frozen=True)
class SetupIntent:
    id: str
    status: str
    customer_id: str
    payment_method_id: str
    metadata: dict


@dataclass(frozen=True)
class SavedCard:
    """A card saved on a Stripe customer (a card payment method)."""

    id: str
    customer_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client():
    addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=addresses, max_network_retries=2
    )


def _unavailable(error) -> GatewayUnavailable:
    return GatewayUnavailable(f"{type(error).__name__}: {error.user_message or error}")


def _id_of(value) -> str:
    """The id of an expandable field, whether Stripe sent the id or the object."""
    if not value:
        return ""
    return value if isinstance(value, str) else value.id


def customer_create(*, email: str, idempotency_key: str) -> str:
    try:
        customer = _client().v1.customers.create(
            params={"email": email}, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return customer.id


def setup_intent_create(*, customer_id: str, metadata: dict, idempotency_key: str):
    """A SetupIntent to save a card for charging later, off-session; returns (id, client
    secret)."""
    try:
        intent = _client().v1.setup_intents.create(
            params={
                "customer": customer_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return intent.id, intent.client_secret


def setup_intent_retrieve(*, setup_intent_id: str) -> SetupIntent | None:
    """The SetupIntent as Stripe has it now, or None if there is no such SetupIntent."""
    try:
        intent = _client().v1.setup_intents.retrieve(setup_intent_id)
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return SetupIntent(
        id=intent.id,
        status=intent.status,
        customer_id=intent.customer or "",
        payment_method_id=intent.payment_method or "",
        metadata=intent.metadata.to_dict() if intent.metadata else {},
    )


def _saved_card(method) -> SavedCard:
    card = method.card
    return SavedCard(
        id=method.id,
        customer_id=_id_of(method.customer),
        brand=card.brand or "",
        last4=card.last4 or "",
        exp_month=int(card.exp_month),
        exp_year=int(card.exp_year),
    )


def card_list(*, customer_id: str) -> list[SavedCard]:
    """The cards saved on a customer, as Stripe has them now."""
    try:
        methods = _client().v1.payment_methods.list(
            params={"customer": customer_id, "type": "card", "limit": 100}
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return [_saved_card(method) for method in methods.data if method.card]


def card_retrieve(*, payment_method_id: str) -> SavedCard | None:
    """One card payment method, or None if there is no such card."""
    try:
        method = _client().v1.payment_methods.retrieve(payment_method_id)
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return _saved_card(method) if method.type == "card" and method.card else None


def card_detach(*, payment_method_id: str) -> None:
    """Take a card off its customer: it can't be charged again."""
    try:
        _client().v1.payment_methods.detach(payment_method_id)
    except stripe.StripeError as error:
        raise _unavailable(error) from error


def setup_intent_confirm_saved(
    *, customer_id: str, payment_method_id: str, metadata: dict, idempotency_key: str
) -> SetupIntent:
    """Set up a card already saved on the customer again, for off-session charges, confirmed
    here on the server; the bank may still refuse it or ask for the cardholder. Returns the
    SetupIntent as Stripe has it after the attempt."""
    setup_intent_id, _ = setup_intent_create(
        customer_id=customer_id, metadata=metadata, idempotency_key=idempotency_key
    )
    try:
        _client().v1.setup_intents.confirm(
            setup_intent_id, params={"payment_method": payment_method_id}
        )
    except stripe.CardError:
        pass  # declined: the SetupIntent says so
    except stripe.InvalidRequestError:
        pass  # already confirmed by a first, identical request: the SetupIntent says how
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return setup_intent_retrieve(setup_intent_id=setup_intent_id)


def payment_intent_charge(
    *,
    amount_cents: int,
    customer_id: str,
    payment_method_id: str,
    metadata: dict,
    idempotency_key: str,
) -> ChargeResult:
    """Charge a saved card now, with the client away (off-session). A decline, or a bank that
    wants the client present to authenticate, is a result, not an error."""
    try:
        intent = _client().v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": CURRENCY,
                "customer": customer_id,
                "payment_method": payment_method_id,
                "off_session": True,
                "confirm": True,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.CardError as error:
        return ChargeResult(
            succeeded=False,
            payment_intent_id=_id_of(error.error.payment_intent if error.error else None),
            error=error.user_message or "The card was declined.",
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    if intent.status == "succeeded":
        return ChargeResult(
            succeeded=True, payment_intent_id=intent.id, charge_id=_id_of(intent.latest_charge)
        )
    return ChargeResult(
        succeeded=False,
        payment_intent_id=intent.id,
        error="The bank asked the cardholder to confirm this payment.",
    )


def refund_create(*, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
    """Refund part or all of a payment; returns the refund's id."""
    try:
        refund = _client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount_cents},
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return refund.id


def webhook_event(*, payload: bytes, signature: str) -> dict:
    """The event a webhook delivers, once its signature proves it came from Stripe; raises
    ValueError otherwise."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise ValueError("Bad signature") from error
    return event.to_dict()
