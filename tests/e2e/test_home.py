"""The home page on a phone (390 x 844), with the demo services and articles."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Service
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_fits_a_phone_and_keeps_booking_in_reach(page, demo_site):
    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    sticky = page.get_by_role("link", name="Book a massage").last
    expect(sticky).to_be_in_viewport()
    box = sticky.bounding_box()
    bottom = PHONE["height"]
    assert box["y"] + box["height"] <= bottom and box["y"] > bottom - 120, box
    assert box["height"] >= 44, box
    page.mouse.wheel(0, 2000)
    # A promise rather than wait_for_function, whose string predicate the page's
    # Content-Security-Policy (no eval) refuses to run.
    page.evaluate(
        "() => new Promise((scrolled) => { const check = () => "
        "window.scrollY > 0 ? scrolled() : requestAnimationFrame(check); check(); })"
    )
    expect(sticky).to_be_in_viewport()

    services = page.get_by_role("region", name="Services")
    expect(services.get_by_role("article")).to_have_count(Service.objects.active().count())
    swedish = Service.objects.get(slug="swedish")
    card = services.get_by_role("article").filter(
        has=page.get_by_role("link", name=swedish.name, exact=True)
    )
    for duration in swedish.durations.all():
        expect(card).to_contain_text(f"{duration.minutes} min · ${duration.price}")
    expect(card.get_by_role("link", name="Book swedish massage")).to_be_visible()


def test_header_navigation_opens_from_the_menu_button(page, demo_site):
    page.goto("/")
    navigation = page.get_by_role("navigation", name="Main")
    journal = navigation.get_by_role("link", name="Journal")
    expect(journal).to_be_hidden()

    menu = navigation.get_by_role("button", name="Open menu")
    menu.click()

    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Services", "Therapists", "Journal", "Book"):
        expect(navigation.get_by_role("link", name=name, exact=True)).to_be_visible()
    journal.click()
    expect(page).to_have_url(re.compile("/blog/$"))
    expect(page.get_by_role("heading", name="Journal", level=1)).to_be_visible()


def test_the_menu_button_opens_and_closes_from_the_keyboard(page, demo_site):
    page.goto("/")
    navigation = page.get_by_role("navigation", name="Main")
    menu = navigation.get_by_role("button", name="Open menu")
    journal = navigation.get_by_role("link", name="Journal")

    menu.focus()
    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(journal).to_be_visible()
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(journal).to_be_hidden()
    # Closing it in place, not jumping to the footer's links as it does without JavaScript.
    expect(page).to_have_url(re.compile(r"/$"))


def test_skip_link_appears_on_focus_and_moves_focus_to_the_main_content(page, demo_site):
    page.goto("/")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.bounding_box() is None or not _on_screen(skip.bounding_box())

    page.keyboard.press("Tab")

    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert _on_screen(skip.bounding_box()), skip.bounding_box()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def _on_screen(box: dict) -> bool:
    return box["width"] > 1 and box["height"] > 1 and box["x"] >= 0 and box["y"] >= 0
