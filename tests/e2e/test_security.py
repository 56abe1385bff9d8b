"""The Content-Security-Policy in a real browser: the pages clients, readers and staff use load,
and their scripts (htmx, the phone menu, the admin's widgets) work, without a single violation."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from blog.models import Article
from tests.conftest import ATLANTA
from tests.e2e.helpers import (
    book_this_service,
    booking_day,
    choose_day,
    choose_length_and_zip,
    staff_sign_in,
)
from tests.factories import AppointmentFactory, ArticleFactory, BookingFactory
from therapists.models import Therapist

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Seen by every page of the tab, across navigations: a binding outlives the page's own scripts.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def watched_page(page: Page):
    """The tab, and the list of every policy complaint it raised: the page's
    ``securitypolicyviolation`` events, and Chromium's console messages about either policy."""
    complaints: list[str] = []

    def on_violation(description: str) -> None:
        complaints.append(description)

    page.expose_function("reportViolation", on_violation)
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message):
        if re.search("Content.Security.Policy|Permissions.Policy", message.text):
            complaints.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    return page, complaints


@pytest.fixture
def staff_page(watched_page, demo_site):
    """The watched tab, signed in to admin through its login page, with the demo therapists."""
    page, complaints = watched_page
    staff_sign_in(page)
    return page, complaints


def test_the_home_page_loads_under_the_policy(watched_page, demo_site):
    page, complaints = watched_page

    response = page.goto("/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The structured data is a data block, not a script: the policy leaves it alone.
    assert page.locator('script[type="application/ld+json"]').count() == 1
    page.get_by_role("button", name="Open menu").click()  # js/menu.js, a script
    expect(page.locator("#main-nav").get_by_role("link", name="Journal")).to_be_visible()
    assert complaints == []


def test_the_booking_steps_update_through_htmx_under_the_policy(watched_page, swedish, maya):
    page, complaints = watched_page
    page.goto("/services/swedish/")
    book_this_service(page, "Swedish massage")

    with page.expect_request(re.compile(r"/book/zip-check/$")) as zip_check:
        choose_length_and_zip(page, javascript=True)
    assert zip_check.value.headers.get("hx-request") == "true"
    page.evaluate("window.__marker = 'same page'")
    day = booking_day()
    with page.expect_request(lambda request: f"day={day:%Y-%m-%d}" in request.url) as swap:
        choose_day(page, day)

    assert swap.value.headers.get("hx-request") == "true"
    assert page.evaluate("window.__marker") == "same page", "the day switch reloaded the page"
    # htmx was told to keep its indicator style out of the page (site.css has it).
    assert page.locator("style").count() == 0
    assert complaints == []


def test_an_article_loads_under_the_policy(watched_page):
    page, complaints = watched_page
    article = ArticleFactory(title="Orthopedic vs. medical massage")

    page.goto(article.get_absolute_url())

    expect(page.get_by_role("heading", name="Orthopedic vs. medical massage")).to_be_visible()
    assert page.locator('script[type="application/ld+json"]').count() == 1
    assert complaints == []


def test_staff_lists_and_forms_work_under_the_policy(staff_page):
    page, complaints = staff_page

    page.goto("/admin/therapists/therapist/")
    expect(page.get_by_role("link", name="Aisha G.")).to_be_visible()
    expect(page.locator(".admin-warning").first).to_be_visible()
    page.get_by_role("link", name="Aisha G.").click()
    # The date widget, the two-box modality picker and the inlines are all admin scripts.
    page.get_by_role("link", name="Choose a Date").first.click()
    calendar = page.locator(".calendarbox").first
    expect(calendar).to_be_visible()
    calendar.get_by_role("link", name="Cancel").click()
    expect(calendar).to_be_hidden()
    expect(page.get_by_role("button", name="Choose all modalities")).to_be_visible()
    page.get_by_role("button", name="Add another Working hours").click()
    expect(page.locator(".inline-deletelink").first).to_be_visible()

    page.goto("/admin/therapists/therapist/add/")
    page.get_by_label("Display name").press_sequentially("Nia R.")
    expect(page.get_by_label("Slug")).to_have_value("nia-r")

    aisha = Therapist.objects.get(display_name="Aisha G.")
    page.goto(f"/admin/therapists/therapist/{aisha.pk}/history/")
    expect(page.get_by_role("heading", name=re.compile("Change history"))).to_be_visible()

    article = Article.objects.first()
    page.goto("/admin/blog/article/")
    page.get_by_role("link", name=article.title).click()
    expect(page.locator(".article-preview")).to_be_visible()
    assert complaints == []


def test_the_day_schedule_and_phone_booking_work_under_the_policy(staff_page, swedish, maya):
    page, complaints = staff_page
    day = timezone.localdate() + timedelta(days=2)
    for hour in (10, 12):
        starts_at = datetime.combine(day, time(hour), tzinfo=ATLANTA)
        booking = BookingFactory(service=swedish, starts_at=starts_at)
        AppointmentFactory(booking=booking, therapist=maya)

    page.goto("/admin/booking/booking/")
    expect(page.get_by_role("link", name=booking.reference)).to_be_visible()
    page.get_by_role("link", name="Today's schedule").click()
    page.get_by_label("Date").fill(f"{day:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=re.compile(maya.display_name))).to_be_visible()
    expect(page.get_by_role("link", name=booking.reference)).to_be_visible()

    page.goto("/admin/booking/booking/")
    page.get_by_role("link", name="Book by phone").click()
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Please correct the errors below.")).to_be_visible()
    page.goto(f"/admin/booking/booking/{booking.pk}/change/")
    expect(page.get_by_text(booking.reference).first).to_be_visible()
    assert complaints == []
