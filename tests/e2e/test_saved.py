"""A signed-in client in a real browser: picks a saved address in the details step and books;
books with a saved card instead of typing it; removes a saved card."""

import re

import pytest
from playwright.sync_api import Page, expect

from booking.models import Booking
from payments.selectors import saved_card_list
from tests.clients.conftest import browser_sign_in, make_address, make_client_account
from tests.e2e.helpers import (
    CONSENT,
    HEALTH_NOTES,
    arrived,
    axe_violations,
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    confirm,
    review,
    screenshot,
    start_booking,
)
from tests.stripe_fake import localstripe_url, payments_on, save_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

__all__ = ["localstripe_url", "payments_on"]

HOME = "Home: 12 Juniper St NE, Apt 4, Atlanta, GA 30309"


def to_details(page: Page) -> str:
    start_booking(page, "swedish", "Swedish massage")
    choose_length_and_zip(page, javascript=True)
    day = booking_day()
    choose_day(page, day)
    return choose_time(page, day)


def fill_who(page: Page) -> None:
    page.get_by_label("Your full name", exact=True).fill("Ada Client")
    page.get_by_label("Email address", exact=True).fill("ada@example.com")
    page.get_by_label("Mobile phone number", exact=True).fill("(404) 555-0123")
    page.get_by_label(HEALTH_NOTES).fill("Sore left shoulder")
    page.get_by_label(CONSENT).check()


def test_a_client_picks_a_saved_address_in_the_details_step_and_books(
    new_page, viewport, swedish, maya, live_server
):
    ada = make_client_account("ada@example.com")
    make_address(ada, "Home")
    make_address(ada, "Office", address_line1="1 Far Rd", zip_code="30303")
    page = new_page(viewport=viewport)
    browser_sign_in(page, ada, live_server.url)
    when = to_details(page)

    expect(page.get_by_role("radio", name=HOME)).to_be_checked()
    expect(page.get_by_label("Street address", exact=True)).to_be_hidden()
    page.get_by_role("radio", name="A new address").check()
    expect(page.get_by_label("Street address", exact=True)).to_be_visible()
    expect(page.get_by_label("Save this address as… (optional)")).to_be_visible()
    page.get_by_role("radio", name=HOME).check()
    expect(page.get_by_label("Street address", exact=True)).to_be_hidden()
    assert axe_violations(page) == []
    screenshot(page, f"details-saved-address-{viewport['width']}")

    fill_who(page)
    page.get_by_role("button", name="Continue").click()
    review(page, when)
    expect(
        page.get_by_text(re.compile("^12 Juniper St NE, Apt 4, Atlanta, GA 30309"))
    ).to_be_visible()
    confirm(page)
    booking = Booking.objects.get()
    assert (booking.address_line1, booking.access_notes) == ("12 Juniper St NE", "Gate code 1234")


def test_a_saved_address_in_another_zip_is_refused_next_to_the_choice(
    page, swedish, maya, live_server
):
    ada = make_client_account("ada@example.com")
    make_address(ada, "Office", address_line1="1 Far Rd", zip_code="30303")
    browser_sign_in(page, ada, live_server.url)
    to_details(page)
    page.get_by_role("radio", name=re.compile("^Office")).check()
    fill_who(page)
    page.get_by_role("button", name="Continue").click()
    arrived(page, "There is a problem")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator("#id_saved_address_error")).to_contain_text(
        "Office is in 30303, but the times you chose are for 30309."
    )


def test_a_client_books_with_a_saved_card_then_removes_another(
    new_page, viewport, swedish, maya, payments_on, live_server
):
    ada = make_client_account("ada@example.com")
    make_address(ada, "Home")
    card = save_card(payments_on, ada.email)
    spare = save_card(payments_on, ada.email, "5555555555554444", exp_month="3", exp_year="2031")
    page = new_page(viewport=viewport)
    browser_sign_in(page, ada, live_server.url)
    when = to_details(page)
    fill_who(page)
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 4 of 4")
    expect(page.get_by_text(re.compile(f"^{re.escape(when)}"))).to_be_visible()

    expect(page.get_by_role("radio", name="Visa ending 4242, expires 12/2034")).to_be_checked()
    expect(page.locator("#card-element")).to_be_hidden()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    assert Booking.objects.get().card.payment_method_id == card

    page.goto("/account/cards/")
    expect(page.get_by_role("heading", name="Your cards")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"account-cards-{viewport['width']}")
    page.get_by_role("button", name="Remove the card ending 4444").click()
    expect(page.get_by_text("Your card ending 4444 is removed.")).to_be_visible()
    expect(page.get_by_text("ending 4444, expires")).to_have_count(0)
    # The card that secures the booking stays, and says why.
    page.get_by_role("button", name="Remove the card ending 4242").click()
    expect(
        page.get_by_text(re.compile("Your card ending 4242 secures your booking"))
    ).to_be_visible()
    assert [saved.id for saved in saved_card_list(email=ada.email)] == [card]
    assert spare != card
