"""Headless Chromium for the browser tests.

One browser per test module keeps the suite fast; every test gets fresh contexts (its own
cookies, storage and viewport) pointed at the live server.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

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
PHONE = {"width": 375, "height": 812}
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (make test does)",
            pytrace=False,
        )
    expect.set_options(timeout=WAIT_MS)
    # The sync API keeps an event loop in this thread, which Django's ORM takes for async code;
    # the test body itself stays synchronous, so the guard is lifted for this module only.
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
