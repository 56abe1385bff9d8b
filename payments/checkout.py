"""Booking with a card: the one write that needs both the booking service and the card."""

from django.db import IntegrityError, transaction

from booking.models import Booking
from booking.services import booking_create

from .models import CardOnFile, Customer
from .services import CardNotReady, card_confirmed


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
