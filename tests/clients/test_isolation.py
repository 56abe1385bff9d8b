"""A signed-in client can never see, use, change or remove another client's saved addresses or
cards by changing an id in a request: each is a 404 or a message, and nothing changes."""

import pytest

from booking.models import Booking
from clients.models import SavedAddress
from payments.models import CardOnFile
from payments.selectors import saved_card_list
from tests.booking.helpers import DETAILS, page_of
from tests.clients.conftest import make_address
from tests.clients.test_addresses import ADDRESS, ADDRESS_LESS, to_details
from tests.clients.test_cards import to_review
from tests.stripe_fake import localstripe_url, payments_on, save_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

__all__ = ["localstripe_url", "payments_on"]


def test_another_clients_address_is_never_shown_changed_or_removed(ada_in, bea):
    theirs = SavedAddress.objects.get(account=bea)
    assert "Bea's flat" not in page_of(ada_in.get("/account/addresses/"))
    for path in (
        f"/account/addresses/{theirs.key}/edit/",
        f"/account/addresses/{theirs.key}/delete/",
    ):
        assert ada_in.get(path).status_code == 404
        assert ada_in.post(path, ADDRESS).status_code == 404
    theirs_now = SavedAddress.objects.get(pk=theirs.pk)
    assert (theirs_now.label, theirs_now.address_line1) == ("Bea's flat", "9 Other Rd")


def test_another_clients_address_posted_in_the_details_step_is_refused(
    ada_in, ada, bea, swedish, maya
):
    make_address(ada, "Home")
    theirs = SavedAddress.objects.get(account=bea)
    to_details(ada_in, swedish)
    response = ada_in.post("/book/details/", ADDRESS_LESS | {"saved_address": str(theirs.key)})
    page = page_of(response)
    assert response.status_code == 200
    assert 'id="id_saved_address_error"' in page
    assert "Choose one of your addresses, or a new address." in page
    assert "9 Other Rd" not in page
    assert ada_in.get("/book/review/")["Location"] == "/book/"


def test_another_clients_card_is_never_listed_removed_or_booked_with(
    ada_in, ada, bea, swedish, maya, payments_on
):
    mine = save_card(payments_on, ada.email)
    theirs = save_card(payments_on, bea.email, "5555555555554444")

    page = page_of(ada_in.get("/account/cards/"))
    assert "ending 4242" in page and "ending 4444" not in page
    assert ada_in.post("/account/cards/remove/", {"card": theirs}).status_code == 404
    assert ada_in.post("/account/cards/remove/", {"card": "not-a-card"}).status_code == 404
    assert [card.id for card in saved_card_list(email=bea.email)] == [theirs]

    page = to_review(ada_in, swedish)
    assert "ending 4444" not in page
    for posted in (theirs, "pm_doesnotexist", "../v1/customers"):
        response = ada_in.post("/book/review/", {"saved_card": posted})
        assert response["Location"] == "/book/review/"
        assert "Choose one of your saved cards, or enter a new card." in page_of(
            ada_in.get("/book/review/")
        )
    assert not Booking.objects.exists()
    assert not CardOnFile.objects.exists()
    assert [card.id for card in saved_card_list(email=ada.email)] == [mine]


def test_a_guest_posting_a_saved_card_books_nothing(client, ada, swedish, maya, payments_on):
    """Even with the card owner's email typed in the details step."""
    assert DETAILS["client_email"] == ada.email
    card = save_card(payments_on, ada.email)
    choose_and_review = to_review(client, swedish)
    assert "ending 4242" not in choose_and_review
    response = client.post("/book/review/", {"saved_card": card})
    assert response["Location"] == "/book/review/"
    assert not Booking.objects.exists()
