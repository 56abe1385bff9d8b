"""What the browser tests do and measure, shared by every file in tests/e2e: the booking steps
as a client takes them, the focus ring a keyboard user sees, axe's verdict on a page, and
signing staff in to admin.

Waits are on page state only. After a click that loads a new page, the helpers wait for that
page's ``load`` event too, so its deferred scripts (htmx) are running before the next click.
"""

import re
from datetime import date, timedelta
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

TOKEN_URL = re.compile(r"/booking/([A-Za-z0-9_-]{22,})/$")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
STAFF_PASSWORD = "a-long-staff-password-for-the-browser"
MAX_TABS = 80


# The booking steps ------------------------------------------------------------------------


def booking_day() -> date:
    """Two days ahead in Atlanta: open in the date strip, and outside the late-cancellation
    window."""
    return timezone.localdate() + timedelta(days=2)


def atlanta_time(day: date, clock: str) -> str:
    """A start as the booking pages write it: "Thu, Dec 3 · 10:00 am"."""
    return f"{day:%a}, {day:%b} {day.day} · {clock}"


def day_button(page: Page, day: date) -> Locator:
    return page.get_by_role("button", name=re.compile(rf"^{day:%a} {day:%b} {day.day} "))


def times_heading(page: Page, day: date) -> Locator:
    return page.get_by_role("heading", name=f"Times on {day:%A, %B} {day.day}")


def arrived(page: Page, text: str) -> None:
    """Wait until the page shows ``text`` and has finished loading."""
    expect(page.get_by_text(text, exact=True).first).to_be_visible()
    page.wait_for_load_state()


def start_booking(page: Page, slug: str, name: str) -> None:
    """From the service's own page to step 1 with that massage chosen."""
    page.goto(f"/services/{slug}/")
    book_this_service(page, name)


def book_this_service(page: Page, name: str) -> None:
    """On a service's page, its Book button leads to step 1 with the massage chosen."""
    page.get_by_role("main").get_by_role("link", name=f"Book {name.lower()}").click()
    arrived(page, "Step 1 of 4")
    expect(page.get_by_role("radio", name=name, exact=True)).to_be_checked()


def choose_length_and_zip(
    page: Page, *, javascript: bool, length: str = "90 minutes", zip_code: str = "30309"
) -> None:
    page.get_by_role("radio", name=re.compile(f"^{length}")).check()
    page.get_by_label("Your zip code").fill(zip_code)
    if javascript:
        expect(page.get_by_text(f"Good news: we come to {zip_code}.")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 2 of 4")
    expect(page.get_by_role("heading", name="Choose a time", level=1)).to_be_visible()


def choose_day(page: Page, day: date, *, javascript: bool = True) -> None:
    """Press the day in the date strip and wait for its times. With JavaScript the click
    leaves focus on the button until htmx has swapped the times in and focused their heading,
    so that focus says the new times (not the ones shown before) are there."""
    day_button(page, day).click()
    if javascript:
        expect(times_heading(page, day)).to_be_focused()
    expect(day_button(page, day)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("group", name=f"Times on {day:%A, %B} {day.day}")).to_be_visible()
    page.wait_for_load_state()


def choose_time(page: Page, day: date, clock: str = "10:00 am") -> str:
    page.get_by_text(clock, exact=True).click()
    when = atlanta_time(day, clock)
    expect(page.get_by_role("radio", name=when)).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 3 of 4")
    return when


DETAILS = {
    "Your full name": "Ada Client",
    "Email address": "ada@example.com",
    "Mobile phone number": "(404) 555-0123",
    "Street address": "100 Peachtree St NW",
    "City": "Atlanta",
}
HEALTH_NOTES = re.compile("about your health")
CONSENT = re.compile("^I agree to the booking terms")


def fill_details(page: Page, **typed: str) -> dict:
    """Type the client's details (``DETAILS``, with any label overridden) and continue.
    Returns what was typed, by label."""
    values = DETAILS | typed
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label(HEALTH_NOTES).fill("Sore left shoulder")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    return values


def assert_details_kept(page: Page, values: dict) -> None:
    for label, value in values.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label(HEALTH_NOTES)).to_have_value("Sore left shoulder")
    expect(page.get_by_label(CONSENT)).to_be_checked()


def review(page: Page, when: str, price: str = "$170.00") -> None:
    arrived(page, "Step 4 of 4")
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    expect(page.get_by_text(re.compile(f"^{re.escape(when)}"))).to_be_visible()
    expect(page.get_by_text(price)).to_be_visible()
    expect(page.get_by_role("heading", name="Cancellation policy")).to_be_visible()
    expect(page.get_by_text("up to 24 hours before your massage")).to_be_visible()


def confirm(page: Page) -> str:
    """Confirm on step 4; returns the booking's token, read from the private page's URL."""
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    page.wait_for_load_state()
    match = TOKEN_URL.search(page.url)
    assert match, page.url
    return match[1]


# Focus rings --------------------------------------------------------------------------------

# What the browser reports for a focused element once its transitions have run: the ring
# (outline and box-shadow), the element's own background and text colour, and the first opaque
# background behind it. A visually hidden radio (.btn-check) shows its ring on its label.
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
        element: ring.outerHTML.slice(0, 160),
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


def assert_ring_stands_out(style: dict) -> None:
    """A ring of 3:1 or more against what surrounds the element, and against the element's own
    background where it has one (WCAG 2.2, 2.4.11 and 1.4.11)."""
    colours = ring_colours(style)
    assert colours, f"no focus ring: {style}"
    surrounding = rgba(style["surrounding"])[:3]
    best = max(contrast(over(colour, style["surrounding"]), surrounding) for colour in colours)
    assert best >= 3, (style, best)
    if rgba(style["background"])[3] == 1:
        element = rgba(style["background"])[:3]
        next_to_element = max(
            contrast(over(colour, style["background"]), element) for colour in colours
        )
        assert next_to_element >= 3, (style, next_to_element)


def assert_focused_ring(page: Page) -> dict | None:
    """The element with keyboard focus, if any, shows a ring that stands out; returns its
    style."""
    focused = page.evaluate_handle(
        "document.activeElement === document.body ? null : document.activeElement"
    ).as_element()
    if focused is None:
        return None  # Tab went past the last element, out of the page
    style = focused.evaluate(FOCUS_STYLE)
    assert_ring_stands_out(style)
    return style


def tab_to(page: Page, target: Locator, *, key: str = "Tab") -> dict:
    """Press ``key`` (Tab or Shift+Tab) until ``target`` has focus, checking the ring of every
    element focused on the way. Returns the target's focus style."""
    handle = target.element_handle()
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        style = assert_focused_ring(page)
        if page.evaluate("(target) => document.activeElement === target", handle):
            return style
    raise AssertionError(f"{key} never reached {target}")


def assert_readable_clay_button(style: dict) -> None:
    text = contrast(rgba(style["color"])[:3], rgba(style["background"])[:3])
    assert text >= 4.5, (style, text)


# axe-core -----------------------------------------------------------------------------------

AXE = Axe()
# Every rule axe runs by default (WCAG 2 A and AA, and its best practices), and WCAG 2.2's
# target size, which it leaves off by default; violations of any impact are reported.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


# Colours caught halfway through a hover or focus transition are no state a reader sees.
TRANSITIONS_DONE = """() => Promise.all(document.getAnimations()
    .filter((animation) => animation.effect.getComputedTiming().iterations !== Infinity)
    .map((animation) => animation.finished.catch(() => null)))"""


def axe_violations(page: Page) -> list[str]:
    """axe's violations on the page as shown once its transitions have run, one readable line
    per element."""
    page.evaluate(TRANSITIONS_DONE)
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{page.url} {violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{', '.join(map(str, node['target']))}: {node['failureSummary']}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def screenshot(page: Page, name: str) -> None:
    """A full-page picture for people to look at, in var/screenshots (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


# Staff --------------------------------------------------------------------------------------


def staff_sign_in(page: Page) -> None:
    """A superuser signs in through the admin's login page (the second factor is off in
    tests)."""
    get_user_model().objects.create_superuser("staffer", password=STAFF_PASSWORD)
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill("staffer")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Run the day")).to_be_visible()
