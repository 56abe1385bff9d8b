"""Booking with a card: the one write that needs both the booking service and the card."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_create

from . import gateway
from .models import CardOnFile, Customer
from .money import dollars, percent_of
from .selectors import saved_card_list
from .services import (
    CARD_NOT_READY,
    CardNotReady,
    card_confirmed,
    card_setup_start,
    saved_card_setup,
)


def booking_create_with_card(*, setup_intent_id: str, draft_key: str, **arguments) -> Booking:
    """Book, once Stripe says the card for this draft is saved; the card then secures the
    booking. A slot lost at the last moment raises ``SlotTaken`` as ``booking_create`` does:
    the card stays saved with the customer and nothing is charged."""
    intent = card_confirmed(setup_intent_id=setup_intent_id, purpose_key=draft_key)
    customer = Customer.objects.get(stripe_id=intent.customer_id)
    try:
        with transaction.atomic():
            booking = booking_create(**arguments)
            CardOnFile.objects.create(
                booking=booking,
                customer=customer,
                setup_intent_id=intent.id,
                payment_method_id=intent.payment_method_id,
            )
    except IntegrityError:
        # The same confirmed card, posted twice at once: the first post made the booking.
        raise CardNotReady("This card has already been used for a booking.") from None
    return booking


# The card step's SetupIntent for the draft in a client's session: made once, reused on every
# view of the review page, and dropped with the draft once the booking is made.
SESSION_KEY = "card_setup"
# The card step's choice for "a new card" beside a signed-in client's saved cards.
NEW_CARD = "new"


@dataclass(frozen=True)
class DraftCard:
    draft_key: str
    setup_intent_id: str
    client_secret: str
    saved: bool  # the client has already confirmed this card


def draft_card(session, *, email: str) -> DraftCard:
    """The SetupIntent for this session's draft, made for the client's email."""
    stored = session.get(SESSION_KEY) or {}
    if stored.get("email") != email:
        draft_key = f"draft-{secrets.token_urlsafe(16)}"
        setup_intent_id, client_secret = card_setup_start(email=email, purpose_key=draft_key)
        stored = {
            "email": email,
            "draft_key": draft_key,
            "setup_intent_id": setup_intent_id,
            "client_secret": client_secret,
        }
        session[SESSION_KEY] = stored
    intent = gateway.setup_intent_retrieve(setup_intent_id=stored["setup_intent_id"])
    return DraftCard(
        draft_key=stored["draft_key"],
        setup_intent_id=stored["setup_intent_id"],
        client_secret=stored["client_secret"],
        saved=intent is not None and intent.status == "succeeded",
    )


def draft_card_key(session) -> str:
    return (session.get(SESSION_KEY) or {}).get("draft_key", "")


def draft_card_clear(session) -> None:
    session.pop(SESSION_KEY, None)


def review_card_context(session, *, email: str, price_cents: int, account_email: str = "") -> dict:
    """What the review step shows about the card and the fees, when payments are on; for a
    signed-in client (``account_email``), the cards saved on their customer too."""
    try:
        card = draft_card(session, email=email)
        saved_cards = saved_card_list(email=account_email) if account_email else []
    except gateway.GatewayUnavailable:
        card, saved_cards = None, []
    return {
        "saved_cards": saved_cards if card and not card.saved else [],
        "payments_on": True,
        "card": card,
        "client_secret": card.client_secret if card and not card.saved else "",
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "late_fee": dollars(percent_of(price_cents, settings.LATE_CANCELLATION_FEE_PERCENT)),
        "no_show_fee": dollars(percent_of(price_cents, settings.NO_SHOW_FEE_PERCENT)),
    }


def booking_create_with_saved_card(
    session, *, account_email: str, payment_method_id: str, **arguments
) -> Booking:
    """Book the session's draft with one of the signed-in client's saved cards, set up again
    for this draft and checked by Stripe as a card typed in is."""
    draft_key = draft_card_key(session)
    if not draft_key:
        raise CardNotReady(CARD_NOT_READY)
    setup_intent_id = saved_card_setup(
        email=account_email,
        payment_method_id=payment_method_id,
        purpose_key=draft_key,
        needed_on=timezone.localdate(arguments["starts_at"]),
    )
    return booking_create_from_session(session, setup_intent_id=setup_intent_id, **arguments)


def booking_create_from_session(session, *, setup_intent_id: str, **arguments) -> Booking:
    """Book the session's draft with its confirmed card, then forget the card step."""
    booking = booking_create_with_card(
        setup_intent_id=setup_intent_id, draft_key=draft_card_key(session), **arguments
    )
    draft_card_clear(session)
    return booking
