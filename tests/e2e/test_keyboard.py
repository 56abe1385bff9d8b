"""The whole booking with the keyboard only, at both sizes: Tab and Shift+Tab to move, Enter and
Space to press, arrow keys inside radio groups; no clicks. Every element that takes focus on
the way shows a ring of 3:1 or more against what surrounds it."""

import re

import pytest
from playwright.sync_api import Page, expect

from booking.models import Booking
from tests.e2e.helpers import (
    CONSENT,
    DETAILS,
    HEALTH_NOTES,
    arrived,
    assert_focused_ring,
    atlanta_time,
    booking_day,
    day_button,
    tab_to,
    times_heading,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def press_on(page: Page, target, key: str) -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def type_into(page: Page, target, text: str, *, key: str = "Tab") -> None:
    tab_to(page, target, key=key)
    page.keyboard.type(text)


def test_a_client_books_with_the_keyboard_alone(sized_page, swedish, maya):
    page = sized_page
    page.goto("/")
    press_on(page, page.get_by_role("main").get_by_role("link", name="Book a massage"), "Enter")

    arrived(page, "Step 1 of 4")
    press_on(page, page.get_by_role("radio", name="Swedish massage"), "Space")
    expect(page.get_by_role("radio", name="Swedish massage")).to_be_checked()
    lengths = page.get_by_role("group", name="How long?")
    expect(lengths.get_by_role("radio", name="90 minutes · $170.00")).to_be_attached()
    press_on(page, lengths.get_by_role("radio", name="60 minutes · $125.00"), "ArrowDown")
    expect(lengths.get_by_role("radio", name="90 minutes · $170.00")).to_be_checked()
    type_into(page, page.get_by_label("Your zip code"), "30309")
    expect(page.get_by_text("Good news: we come to 30309.")).to_be_visible()
    press_on(page, page.get_by_role("button", name="Continue"), "Enter")

    arrived(page, "Step 2 of 4")
    day = booking_day()
    press_on(page, day_button(page, day), "Enter")
    expect(times_heading(page, day)).to_be_focused()
    assert_focused_ring(page)
    press_on(page, page.get_by_role("radio", name=atlanta_time(day, "9:00 am")), "ArrowRight")
    when = atlanta_time(day, "9:30 am")
    expect(page.get_by_role("radio", name=when)).to_be_checked()
    press_on(page, page.get_by_role("button", name="Continue"), "Enter")

    arrived(page, "Step 3 of 4")
    for label, value in DETAILS.items():
        type_into(page, page.get_by_label(label, exact=True), value)
    press_on(page, page.get_by_label(CONSENT), "Space")
    expect(page.get_by_label(CONSENT)).to_be_checked()
    # Back up to a field passed on the way.
    type_into(page, page.get_by_label(HEALTH_NOTES), "Sore left shoulder", key="Shift+Tab")
    press_on(page, page.get_by_role("button", name="Continue"), "Enter")

    arrived(page, "Step 4 of 4")
    expect(page.get_by_text(re.compile(f"^{re.escape(when)} to "))).to_be_visible()
    press_on(page, page.get_by_role("button", name="Confirm booking"), "Enter")

    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    booking = Booking.objects.get()
    assert (booking.minutes, booking.health_notes) == (90, "Sore left shoulder")
    assert booking.client_name == "Ada Client"
