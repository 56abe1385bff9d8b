"""The booking steps in a real browser: the lengths follow the massage chosen, focus follows
the times htmx swaps in, and the date strip pages through every bookable day."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.helpers import arrived, day_button, times_heading
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def couples(swedish, side_by_side):
    """Swedish in three lengths, and couples side by side in two."""
    ServiceFactory(slug="swedish", prices={120: "215.00"})
    return side_by_side


def test_choosing_couples_swaps_in_its_lengths_and_prices(page, couples):
    page.goto("/book/?service=swedish")
    lengths = page.get_by_role("group", name="How long?")
    expect(lengths.get_by_role("radio", name=re.compile("120 minutes"))).to_be_visible()

    page.get_by_role("radio", name="Couples massage, side by side").check()

    expect(lengths.get_by_role("radio", name=re.compile(r"\$250\.00"))).to_be_visible()
    expect(lengths.get_by_role("radio", name=re.compile(r"\$340\.00"))).to_be_visible()
    expect(lengths.get_by_role("radio", name=re.compile("120 minutes"))).to_have_count(0)
    expect(lengths.get_by_text("$125.00")).to_have_count(0)


def test_a_length_picked_while_the_lengths_load_stays_picked(page, couples):
    held = []
    page.route("**/book/lengths/**", lambda route: held.append(route))
    page.goto("/book/?service=swedish")
    lengths = page.get_by_role("group", name="How long?")

    with page.expect_request("**/book/lengths/**"):
        page.get_by_role("radio", name="Couples massage, side by side").check()
    page.wait_for_function("() => true")  # a round trip, so the held request reaches `held`
    lengths.get_by_role("radio", name=re.compile("^90 minutes")).check()
    assert held, "choosing the massage asks for its lengths"
    held[0].continue_()

    expect(lengths.get_by_role("radio", name=re.compile(r"\$340\.00"))).to_be_checked()


def test_without_javascript_each_massage_lists_its_prices(new_page, couples):
    page = new_page(javascript=False)
    page.goto("/book/?service=swedish")

    choice = page.locator(".form-check", has=page.get_by_label("Couples massage, side by side"))

    expect(choice.get_by_text("60 minutes each · $250.00 for the two of you")).to_be_visible()


def choose_service_and_zip(page) -> None:
    page.goto("/book/?service=swedish")
    page.get_by_role("radio", name=re.compile("^60 minutes")).check()
    page.get_by_label("Your zip code").fill("30309")
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 2 of 4")


def test_choosing_a_day_moves_focus_to_its_times(page, swedish, maya):
    choose_service_and_zip(page)
    day = timezone.localdate() + timedelta(days=2)

    day_button(page, day).click()

    expect(times_heading(page, day)).to_be_focused()


def test_next_week_reaches_the_last_bookable_day_with_and_without_javascript(
    new_page, swedish, maya
):
    last = timezone.localdate() + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    for javascript in (True, False):
        page = new_page(javascript=javascript)
        choose_service_and_zip(page)
        next_week = page.get_by_role("link", name="Next week")
        first_day = page.get_by_role("group", name="Day").get_by_role("button").first
        while next_week.count():
            following = date.fromisoformat(next_week.get_attribute("href").split("from=")[1])
            next_week.click()
            # The next week is on screen (the link counted next is the new strip's, not the
            # old one's while it is being replaced).
            expect(first_day).to_have_accessible_name(
                re.compile(rf"^{following:%a} {following:%b} {following.day} ")
            )
            if javascript:
                expect(page.get_by_role("heading", name=re.compile("^Times on"))).to_be_focused()
        expect(day_button(page, last)).to_be_visible()
        day_button(page, last).click()
        expect(times_heading(page, last)).to_be_visible()
