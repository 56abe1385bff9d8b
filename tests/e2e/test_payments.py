"""Booking with a card in a real browser, against localstripe's fake Stripe.js: a plain card, a
card that asks for 3-D Secure, and a declined card; then the massage is completed and charged,
the client tips from the receipt's link, and staff see both payments and the therapist's
earnings."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking
from booking.services import booking_complete
from tests.e2e.helpers import (
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    fill_details,
    start_booking,
)
from tests.stripe_fake import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    localstripe_url,
    payments_on,
    stripe_charges,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

__all__ = ["localstripe_url", "payments_on"]


def to_review(page: Page) -> None:
    start_booking(page, "swedish", "Swedish massage")
    choose_length_and_zip(page, javascript=True)
    day = booking_day()
    choose_day(page, day)
    choose_time(page, day)
    fill_details(page)
    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    expect(page.get_by_text("A late cancellation costs $85.00")).to_be_visible()


def enter_card(page: Page, number: str) -> None:
    card = page.locator("#card-element")
    expect(card).to_be_visible()
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("30309")
    page.get_by_role("button", name="Confirm booking").click()


def test_a_client_books_with_a_card_is_charged_after_the_massage_and_tips(
    page, swedish, maya, payments_on, admin_client, time_machine, live_server
):
    to_review(page)
    expect(page.get_by_text("Entering a card needs JavaScript")).to_be_hidden()
    enter_card(page, CARD_OK)

    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.card.payment_method_id
    assert stripe_charges(payments_on) == []

    time_machine.move_to(booking.ends_at + timedelta(minutes=5))
    booking_complete(booking=booking)

    assert stripe_charges(payments_on) == [(17000, "succeeded")]
    [receipt] = [m for m in mail.outbox if m.subject.startswith("Your receipt")]
    tip_path = re.search(r"https?://[^/\s]+(/payments/\S+/tip/)", receipt.body)[1]
    page.goto(tip_path)
    page.get_by_label("20% ($34.00)").check()
    page.get_by_role("button", name="Add tip").click()
    expect(page.get_by_text("Your tip of $34.00 has been charged")).to_be_visible()
    assert sorted(stripe_charges(payments_on)) == [(3400, "succeeded"), (17000, "succeeded")]

    admin = admin_client.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    assert "Massage" in admin and "$170.00" in admin
    assert "Tip" in admin and "$34.00" in admin
    day = timezone.localdate(booking.starts_at).isoformat()
    earnings = admin_client.get(
        "/admin/payments/payment/earnings/",
        {"therapist": maya.pk, "start": day, "end": day, "format": "csv"},
    ).content.decode()
    # 60% of $170.00, and all of the tip.
    assert f"{day},{booking.reference},Swedish massage,Completed,102.00,34.00,0.00,136.00" in (
        earnings
    )


def test_a_card_that_asks_for_3d_secure_books_once_authenticated(page, swedish, maya, payments_on):
    to_review(page)
    enter_card(page, CARD_3DS)

    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    assert Booking.objects.get().card.payment_method_id


def test_a_declined_card_is_said_so_and_books_nothing(page, swedish, maya, payments_on):
    to_review(page)
    enter_card(page, CARD_DECLINED)

    expect(page.get_by_role("alert").filter(has_text="Your card was declined.")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm booking")).to_be_enabled()
    assert not Booking.objects.exists()


def test_without_javascript_the_card_step_gives_the_phone_number_and_books_nothing(
    new_page, swedish, maya, payments_on, settings
):
    page = new_page(javascript=False)
    start_booking(page, "swedish", "Swedish massage")
    choose_length_and_zip(page, javascript=False)
    day = booking_day()
    choose_day(page, day, javascript=False)
    choose_time(page, day)
    fill_details(page)
    needs_js = page.get_by_text("Entering a card needs JavaScript")
    expect(needs_js).to_be_visible()
    expect(needs_js.get_by_role("link", name=settings.BUSINESS_PHONE)).to_be_visible()

    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    expect(page.get_by_text("Entering a card needs JavaScript").first).to_be_visible()
    assert not Booking.objects.exists()
