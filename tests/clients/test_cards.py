"""Saved cards: the cards on a signed-in client's Stripe customer, listed and removed under
/account/cards/ and chosen at the card step instead of typing one again (against localstripe)."""

import pytest

from booking.models import Booking
from payments.models import CardOnFile, Customer
from payments.selectors import saved_card_list
from tests.booking.helpers import DAY, DETAILS, at, make_booking, page_of
from tests.booking.test_flow import choose_service, slot_value
from tests.stripe_fake import localstripe_url, payments_on, save_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

__all__ = ["localstripe_url", "payments_on"]


def to_review(client, service):
    choose_service(client, service)
    client.post("/book/time/", {"start": slot_value(at(DAY, 10))})
    assert client.post("/book/details/", DETAILS)["Location"] == "/book/review/"
    return page_of(client.get("/book/review/"))


def test_with_payments_off_no_card_page_is_linked_and_the_cards_page_says_so(ada_in):
    assert "/account/cards/" not in page_of(ada_in.get("/account/addresses/"))
    page = page_of(ada_in.get("/account/cards/"))
    assert "We don't take cards online at the moment, so there are no saved cards" in page
    assert ada_in.post("/account/cards/remove/", {"card": "pm_x"}).status_code == 404


def test_the_cards_page_is_for_a_signed_in_client_only(client, payments_on):
    assert (
        client.get("/account/cards/")["Location"] == "/account/sign-in/?next=%2Faccount%2Fcards%2F"
    )
    assert client.post("/account/cards/remove/", {"card": "pm_x"}).status_code == 302


def test_a_client_sees_their_saved_cards_and_removes_one(ada_in, ada, payments_on):
    assert "/account/cards/" in page_of(ada_in.get("/account/addresses/"))
    assert "You have no saved cards." in page_of(ada_in.get("/account/cards/"))
    kept = save_card(payments_on, ada.email)
    removed = save_card(payments_on, ada.email, "5555555555554444", exp_month="3", exp_year="2031")

    page = page_of(ada_in.get("/account/cards/"))
    assert "Visa ending 4242, expires 12/2034" in page
    assert "Visa ending 4444, expires 03/2031" in page

    response = ada_in.post("/account/cards/remove/", {"card": removed})
    assert response["Location"] == "/account/cards/"
    page = page_of(ada_in.get("/account/cards/"))
    assert "Your card ending 4444 is removed." in page
    assert "ending 4444, expires" not in page
    assert [card.id for card in saved_card_list(email=ada.email)] == [kept]


def test_a_card_securing_an_upcoming_booking_is_not_removed(
    ada_in, ada, swedish, maya, payments_on
):
    card = save_card(payments_on, ada.email)
    booking = make_booking(swedish, at(DAY, 10))
    CardOnFile.objects.create(
        booking=booking,
        customer=Customer.objects.get(email=ada.email),
        setup_intent_id="seti_upcoming",
        payment_method_id=card,
    )
    ada_in.post("/account/cards/remove/", {"card": card})
    page = page_of(ada_in.get("/account/cards/"))
    assert (
        "Your card ending 4242 secures your booking (Thu, Dec 3 · 10:00 am), so it stays until "
        "that massage is paid for."
    ) in page
    assert [c.id for c in saved_card_list(email=ada.email)] == [card]


def test_a_signed_in_client_books_with_a_saved_card_instead_of_typing_it(
    ada_in, ada, swedish, maya, payments_on
):
    card = save_card(payments_on, ada.email)
    page = to_review(ada_in, swedish)
    assert "Visa ending 4242, expires 12/2034" in page
    assert "A new card" in page

    response = ada_in.post("/book/review/", {"saved_card": card})

    booking = Booking.objects.get()
    assert response["Location"] == f"/booking/{booking.token}/"
    assert booking.card.payment_method_id == card
    assert booking.card.customer.email == "ada@example.com"
    assert booking.card.setup_intent_id.startswith("seti_")


def test_a_saved_card_that_expires_before_the_massage_is_refused(
    ada_in, ada, swedish, maya, payments_on
):
    card = save_card(payments_on, ada.email, exp_month="11", exp_year="2026")
    to_review(ada_in, swedish)
    response = ada_in.post("/book/review/", {"saved_card": card})
    assert response["Location"] == "/book/review/"
    page = page_of(ada_in.get("/book/review/"))
    assert "Your card ending 4242 expires before your massage." in page
    assert not Booking.objects.exists()


def test_guests_see_no_saved_cards(client, swedish, maya, payments_on):
    save_card(payments_on, "ada@example.com")
    page = to_review(client, swedish)
    assert "ending 4242" not in page
    assert "A new card" not in page
