"""Headless Chromium for the browser tests.

One browser for the whole run keeps the suite fast; every test gets fresh contexts (its own
cookies, storage and viewport) pointed at the live server. Every test runs at 9:00 am on
Tuesday, December 1 2026 in Atlanta (``tuesday_morning``), the live server included.
"""

from datetime import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from blog import demo as blog_demo
from booking import demo as booking_demo
from booking.models import Service
from tests.factories import ServiceFactory, TherapistFactory
from therapists import demo as therapists_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def _clock(tuesday_morning):
    """The same day for the live server as for the test; Chromium's own clock is not used."""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The browser tests run last in each test process, after pytest-django's ordering of the
    rest, so the browser (and the event loop Playwright keeps in this thread) lives only while
    they run."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (make test does)",
            pytrace=False,
        )
    expect.set_options(timeout=WAIT_MS)
    # The sync API keeps an event loop in this thread, which Django's ORM takes for async code;
    # the test body itself stays synchronous, so the guard is lifted while the browser lives.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            # Playwright gives each launch a fresh temporary profile (user data directory).
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(javascript=False, viewport={...})``: a tab in a fresh context on the live
    server, closed after the test."""
    contexts = []

    def open_page(*, javascript: bool = True, viewport: dict = PHONE):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            java_script_enabled=javascript,
            locale="en-US",
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A phone-sized tab with JavaScript on."""
    return new_page()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request):
    """Each test that asks for it runs twice: on a 390 px phone and at 1280 px desktop width."""
    return request.param


@pytest.fixture
def sized_page(new_page, viewport):
    """A tab with JavaScript on, at each of the two sizes."""
    return new_page(viewport=viewport)


@pytest.fixture
def demo_site():
    """The demo services, therapists and articles, as ``manage.py seed_demo`` loads them."""
    therapists_demo.seed()
    booking_demo.seed()
    blog_demo.seed()


@pytest.fixture
def side_by_side(swedish):
    """Couples massage side by side ($250 or $340 for two), and Jo and Sam who give it."""
    service = ServiceFactory(
        name="Couples massage, side by side",
        slug="couples",
        kind=Service.Kind.COUPLES_SIDE_BY_SIDE,
        prices={60: "250.00", 90: "340.00"},
    )
    for name in ("Jo", "Sam"):
        TherapistFactory(first_name=name, modalities=[service.modality], hours="all")
    return service


@pytest.fixture
def back_to_back():
    """Couples massage back to back: one therapist, one massage after the other."""
    service = ServiceFactory(
        name="Couples massage, back to back",
        slug="couples-back-to-back",
        kind=Service.Kind.COUPLES_BACK_TO_BACK,
        prices={60: "240.00"},
    )
    TherapistFactory(first_name="Lee", modalities=[service.modality], hours="all")
    return service


@pytest.fixture
def sleep():
    """Sleep massage, which starts only between 6 pm and 9 pm."""
    service = ServiceFactory(
        name="Sleep massage",
        slug="sleep",
        prices={60: "135.00", 90: "180.00"},
        earliest_start=time(18),
        latest_start=time(21),
    )
    TherapistFactory(first_name="Rae", modalities=[service.modality], hours="all")
    return service
