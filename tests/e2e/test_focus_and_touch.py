"""Focus rings, tap targets and the phone menu without JavaScript (WCAG 2.2), measured in the
browser: what a keyboard user sees, what a thumb can hit, what works with scripts off."""

import re

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import (
    assert_readable_clay_button,
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    start_booking,
    tab_to,
)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_focus_rings_stand_out_in_the_header_footer_and_on_clay_buttons(new_page, swedish):
    page = new_page(viewport=DESKTOP)
    page.goto("/")
    header = page.get_by_role("navigation", name="Main")

    tab_to(page, header.get_by_role("link", name="Journal"))
    assert_readable_clay_button(tab_to(page, header.get_by_role("link", name="Book", exact=True)))
    tab_to(page, page.locator(".site-footer").get_by_role("link").first)


def test_focus_rings_stand_out_on_the_booking_steps(page, swedish, maya):
    start_booking(page, "swedish", "Swedish massage")
    assert_readable_clay_button(tab_to(page, page.get_by_role("button", name="Continue")))
    tab_to(page, page.get_by_label("Your zip code"))
    choose_length_and_zip(page, javascript=True)
    day = booking_day()
    choose_day(page, day)

    tab_to(page, page.get_by_role("radio").first)


def test_the_phone_menu_reaches_the_journal_with_javascript_off(new_page, swedish):
    page = new_page(javascript=False, viewport=PHONE)
    page.goto("/")

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Open menu").click()
    journal = page.get_by_role("link", name="Journal", exact=True).locator("visible=true")
    expect(journal).to_be_in_viewport()
    journal.click()

    expect(page).to_have_url(re.compile("/blog/$"))
    expect(page.get_by_role("heading", name="Journal", level=1)).to_be_visible()


def assert_tall_enough(targets: Locator) -> None:
    assert targets.count() > 0, targets
    for index in range(targets.count()):
        target = targets.nth(index)
        box = target.bounding_box()
        assert box and box["height"] >= 44, (target.inner_text(), box)


def test_tap_targets_are_44_px_tall_on_a_phone(new_page, swedish, maya):
    page = new_page(viewport=PHONE)
    page.goto("/")
    assert_tall_enough(page.get_by_role("link", name="Spa Theory", exact=True))
    assert_tall_enough(page.locator(".site-footer a"))

    start_booking(page, "swedish", "Swedish massage")
    assert_tall_enough(page.locator("main .form-check-label"))
    assert_tall_enough(page.get_by_label("Your zip code"))
    choose_length_and_zip(page, javascript=True)
    assert_tall_enough(page.get_by_role("main").get_by_role("link", name="Back", exact=True))
    day = booking_day()
    choose_day(page, day)
    choose_time(page, day)
    assert_tall_enough(page.get_by_role("main").get_by_role("link", name="Back", exact=True))
    assert_tall_enough(page.locator("main .form-check-label"))
    assert_tall_enough(page.locator("main input.form-control, main textarea, main select"))


def test_journal_tap_targets_are_44_px_tall_on_a_phone(new_page):
    article = ArticleFactory(title="How to sleep well after a massage")
    page = new_page(viewport=PHONE)

    page.goto("/blog/")
    assert_tall_enough(page.locator(".article-meta a"))
    assert_tall_enough(page.get_by_role("navigation", name="Categories").get_by_role("link"))

    page.goto(article.get_absolute_url())
    assert_tall_enough(page.get_by_role("navigation", name="In this article").get_by_role("link"))
    assert_tall_enough(page.locator("article header").get_by_role("link"))
    assert_tall_enough(page.locator(".site-footer a"))
