"""The review step with payments on: a card secures the booking, confirmed with Stripe in the
browser (here, as Stripe.js would, against localstripe) before anything is booked."""

import pytest

from booking.models import Booking
from payments.models import CardOnFile
from tests.booking.helpers import DETAILS, TOMORROW, at, make_booking, page_of
from tests.booking.test_flow import choose_service, slot_value
from tests.stripe_fake import CARD_3DS, CARD_DECLINED, CARD_OK, confirm_card, stripe_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

START = at(TOMORROW, 14)


def _to_review(client, service, starts_at=START):
    choose_service(client, service)
    client.post("/book/time/", {"start": slot_value(starts_at)})
    client.post("/book/details/", DETAILS)
    return client.get("/book/review/")


def _secret(client) -> str:
    return client.session["card_setup"]["client_secret"]


def test_the_review_step_books_only_once_the_card_is_saved(client, swedish, maya, payments_on):
    response = _to_review(client, swedish)

    page = page_of(response)
    assert "charged to your card after the massage" in page
    assert (
        "A late cancellation costs <strong>$62.50</strong>, and missing your massage costs "
        "<strong>$125.00</strong>"
    ) in page
    assert f'data-client-secret="{_secret(client)}"' in page
    assert f'<script src="{payments_on}/js.stripe.com/v3/"></script>' in page
    policy = response["Content-Security-Policy"]
    assert f"script-src 'self' {payments_on}" in policy
    assert f"connect-src 'self' {payments_on}" in policy

    intent = confirm_card(payments_on, _secret(client), CARD_OK)
    response = client.post("/book/review/", {"setup_intent": intent["id"]})

    booking = Booking.objects.get()
    assert response["Location"] == booking.get_absolute_url()
    card = CardOnFile.objects.get(booking=booking)
    assert (card.setup_intent_id, card.customer.email) == (intent["id"], "ada@example.com")
    assert stripe_charges(payments_on) == []


def test_a_3d_secure_card_books_once_the_client_has_authenticated(
    client, swedish, maya, payments_on
):
    _to_review(client, swedish)
    intent = confirm_card(payments_on, _secret(client), CARD_3DS)
    assert intent["status"] == "requires_action"

    client.post("/book/review/", {"setup_intent": intent["id"]})
    assert not Booking.objects.exists()

    import requests

    requests.post(
        f"{payments_on}/v1/setup_intents/{intent['id']}/confirm",
        json={"key": "pk_test_spatheory", "client_secret": _secret(client)},
        timeout=5,
    ).raise_for_status()
    client.post("/book/review/", {"setup_intent": intent["id"]})

    assert Booking.objects.get().card.setup_intent_id == intent["id"]


def test_a_declined_card_books_nothing(client, swedish, maya, payments_on):
    _to_review(client, swedish)
    answer = confirm_card(payments_on, _secret(client), CARD_DECLINED)
    assert answer["error"]["code"] == "card_declined"

    response = client.post(
        "/book/review/", {"setup_intent": _secret(client).split("_secret_")[0]}, follow=True
    )

    assert not Booking.objects.exists()
    assert "We couldn't confirm your card" in page_of(response)


def test_without_javascript_the_card_step_says_so_and_books_nothing(
    client, swedish, maya, payments_on, settings
):
    page = page_of(_to_review(client, swedish))
    assert "Entering a card needs JavaScript" in page

    response = client.post("/book/review/", follow=True)

    assert not Booking.objects.exists()
    page = page_of(response)
    assert "Entering a card needs JavaScript" in page
    assert settings.BUSINESS_PHONE in page


def test_another_drafts_card_is_refused(client, swedish, maya, payments_on, django_user_model):
    from django.test import Client

    other = Client()
    _to_review(other, swedish)
    theirs = confirm_card(payments_on, other.session["card_setup"]["client_secret"], CARD_OK)
    _to_review(client, swedish)

    client.post("/book/review/", {"setup_intent": theirs["id"]})

    assert not Booking.objects.exists()


def test_a_time_lost_after_the_card_is_saved_offers_others_and_keeps_the_card(
    client, swedish, maya, payments_on
):
    _to_review(client, swedish)
    intent = confirm_card(payments_on, _secret(client), CARD_OK)
    make_booking(swedish, START, client_email="someone@example.com")

    response = client.post("/book/review/", {"setup_intent": intent["id"]}, follow=True)

    assert "just taken" in page_of(response)
    assert Booking.objects.count() == 1
    assert stripe_charges(payments_on) == []

    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 17))})
    page = page_of(client.get("/book/review/"))
    assert "Your card is saved for this booking" in page
    client.post("/book/review/", {"setup_intent": intent["id"]})

    booking = Booking.objects.get(client_email="ada@example.com")
    assert (booking.starts_at, booking.card.setup_intent_id) == (at(TOMORROW, 17), intent["id"])
    assert stripe_charges(payments_on) == []


def test_with_payments_off_the_review_step_has_no_card(client, swedish, maya):
    response = _to_review(client, swedish)

    page = page_of(response)
    assert "paid to your therapist after the massage" in page
    assert "Card" not in page
    assert "js.stripe.com" not in response["Content-Security-Policy"]
