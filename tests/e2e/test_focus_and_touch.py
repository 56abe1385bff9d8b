"""Focus rings, tap targets and the phone menu without JavaScript (WCAG 2.2), measured in the
browser: what a keyboard user sees, what a thumb can hit, what works with scripts off."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_booking import (
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    start_from_the_service_page,
)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAX_TABS = 80

# What the browser reports for a focused element once its transitions have run: the ring
# (outline and box-shadow), the element's own background and text colour, and the first opaque
# background behind it.
FOCUS_STYLE = """async (element) => {
    const ring = element.matches('.btn-check') ? element.nextElementSibling : element;
    await Promise.all(ring.getAnimations().map((animation) => animation.finished));
    const style = getComputedStyle(ring);
    const opaque = (colour) => !/rgba\\(.*, 0\\)$/.test(colour) && colour !== 'transparent';
    let around = ring.parentElement;
    while (around && !opaque(getComputedStyle(around).backgroundColor)) {
        around = around.parentElement;
    }
    return {
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
        background: style.backgroundColor,
        color: style.color,
        surrounding: around ? getComputedStyle(around).backgroundColor : 'rgb(255, 255, 255)',
    };
}"""


def rgba(colour: str) -> tuple[float, float, float, float]:
    parts = [float(part) for part in re.findall(r"[\d.]+", colour)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def over(colour: str, background: str) -> tuple[float, float, float]:
    """The colour seen when ``colour`` (maybe translucent) is painted on an opaque background."""
    *top, alpha = rgba(colour)
    bottom = rgba(background)[:3]
    return tuple(alpha * t + (1 - alpha) * b for t, b in zip(top, bottom, strict=True))


def luminance(rgb: tuple[float, float, float]) -> float:
    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: tuple, second: tuple) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ring_colours(style: dict) -> list[str]:
    """The colours of the parts of the focus ring at least 2 px wide."""
    colours = []
    if style["outlineStyle"] != "none" and style["outlineWidth"] >= 2:
        colours.append(style["outlineColor"])
    for shadow in re.findall(r"rgba?\([^)]*\)[^,]*", style["boxShadow"]):
        colour, *lengths = re.split(r"(?<=\))\s+", shadow, maxsplit=1)
        sizes = [float(size) for size in re.findall(r"-?[\d.]+(?=px)", " ".join(lengths))]
        if len(sizes) == 4 and sizes[3] >= 2:
            colours.append(colour)
    return colours


def tab_to(page: Page, target: Locator) -> dict:
    handle = target.element_handle()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(target) => document.activeElement === target", handle):
            return handle.evaluate(FOCUS_STYLE)
    raise AssertionError(f"Tab never reached {target}")


def assert_visible_ring(page: Page, target: Locator) -> dict:
    style = tab_to(page, target)
    colours = ring_colours(style)
    assert colours, style
    surrounding = rgba(style["surrounding"])[:3]
    best = max(contrast(over(colour, style["surrounding"]), surrounding) for colour in colours)
    assert best >= 3, (style, best)
    if rgba(style["background"])[3] == 1:
        element = rgba(style["background"])[:3]
        next_to_element = max(
            contrast(over(colour, style["background"]), element) for colour in colours
        )
        assert next_to_element >= 3, (style, next_to_element)
    return style


def assert_readable_clay_button(style: dict) -> None:
    text = contrast(rgba(style["color"])[:3], rgba(style["background"])[:3])
    assert text >= 4.5, (style, text)


def test_focus_rings_stand_out_in_the_header_footer_and_on_clay_buttons(new_page, swedish):
    page = new_page(viewport=DESKTOP)
    page.goto("/")
    header = page.get_by_role("navigation", name="Main")

    assert_visible_ring(page, header.get_by_role("link", name="Journal"))
    assert_readable_clay_button(assert_visible_ring(page, header.get_by_role("link", name="Book")))
    assert_visible_ring(page, page.locator(".site-footer").get_by_role("link").first)


def test_focus_rings_stand_out_on_the_booking_steps(page, swedish, maya):
    start_from_the_service_page(page)
    assert_readable_clay_button(
        assert_visible_ring(page, page.get_by_role("button", name="Continue"))
    )
    assert_visible_ring(page, page.get_by_label("Your zip code"))
    choose_length_and_zip(page, javascript=True)
    day = booking_day()
    choose_day(page, day)

    assert_visible_ring(page, page.get_by_role("radio").first)


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

    start_from_the_service_page(page)
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
