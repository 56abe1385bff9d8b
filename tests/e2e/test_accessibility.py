"""axe-core in a real browser on a phone (390 px): every public page and every booking step,
its error states included, has no violation of any impact. The tour also saves a screenshot of
each main page in var/screenshots/ for people to look at."""

import re

import pytest
from playwright.sync_api import Page, expect

from blog.models import Article
from booking.models import Booking
from tests.booking.helpers import at, make_booking
from tests.e2e.helpers import (
    arrived,
    axe_violations,
    booking_day,
    choose_day,
    fill_details,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Tour:
    """Runs axe on each state of the page it is shown, keeping every violation for one
    assertion at the end, so a run reports them all."""

    def __init__(self, page: Page):
        self.page = page
        self.violations: list[str] = []
        self.checked: list[str] = []

    def check(self, name: str, *, picture: bool = False) -> None:
        self.page.wait_for_load_state()
        self.checked.append(name)
        self.violations += [f"{name}: {line}" for line in axe_violations(self.page)]
        if picture:
            screenshot(self.page, name)

    def visit(self, name: str, path: str, *, picture: bool = True) -> None:
        self.page.goto(path)
        self.check(name, picture=picture)

    def assert_clean(self) -> None:
        assert not self.violations, "\n".join(self.violations)


@pytest.fixture
def tour(page):
    return Tour(page)


def test_every_public_page_passes_axe(tour, demo_site):
    article = Article.objects.published().order_by("published_at").first()
    public = {
        "home": "/",
        "services": "/services/",
        "service-single": "/services/swedish/",
        "service-evening-only": "/services/sleep/",
        "service-prescribed": "/services/medical/",
        "service-couples-side-by-side": "/services/couples-side-by-side/",
        "service-couples-back-to-back": "/services/couples-back-to-back/",
        "therapists": "/therapists/",
        "therapist": "/therapists/maya-r/",
        "journal": "/blog/",
        "journal-category": article.category.get_absolute_url(),
        "article": article.get_absolute_url(),
        "terms": "/terms/",
        "privacy": "/privacy/",
        "not-found": "/no-such-page/",
    }
    for name, path in public.items():
        tour.visit(name, path)
    expect(tour.page.get_by_role("heading", level=1)).to_be_visible()

    tour.page.goto("/")
    tour.page.get_by_role("button", name="Open menu").click()
    expect(tour.page.locator("#main-nav").get_by_role("link", name="Journal")).to_be_visible()
    tour.check("home-menu-open")
    tour.assert_clean()


def step_one_with(page: Page, *, service: str, length: str, zip_code: str) -> None:
    page.get_by_role("radio", name=service, exact=True).check()
    page.get_by_role("radio", name=re.compile(f"^{length}")).check()
    page.get_by_label("Your zip code").fill(zip_code)


def test_every_booking_step_and_error_passes_axe(tour, swedish, maya, medical):
    page = tour.page
    tour.visit("book-step-1", "/book/")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("book-step-1-nothing-chosen")

    step_one_with(page, service="Swedish massage", length="60 minutes", zip_code="3030")
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 1 of 4")
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("book-step-1-zip-malformed")
    page.get_by_label("Your zip code").fill("90210")
    expect(page.locator("#zip-answer")).to_contain_text("90210")
    tour.check("book-step-1-zip-answer-no")
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 1 of 4")
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("book-step-1-zip-not-served")
    page.get_by_label("Your zip code").fill("30309")
    expect(page.get_by_text("Good news: we come to 30309.")).to_be_visible()
    tour.check("book-step-1-zip-answer-yes")
    page.get_by_role("button", name="Continue").click()

    arrived(page, "Step 2 of 4")
    tour.check("book-step-2", picture=True)
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 2 of 4")
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("book-step-2-no-time")
    day = booking_day()
    choose_day(page, day)
    page.get_by_text("2:00 pm", exact=True).click()
    page.get_by_role("button", name="Continue").click()

    arrived(page, "Step 3 of 4")
    tour.check("book-step-3", picture=True)
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 3 of 4")
    tour.check("book-step-3-missing-fields")
    fill_details(page, **{"Email address": "ada.example.com", "Mobile phone number": "123"})
    expect(
        page.get_by_text("Enter a valid phone number, like (404) 555-0123.").first
    ).to_be_visible()
    tour.check("book-step-3-bad-email-and-phone")
    fill_details(page)

    arrived(page, "Step 4 of 4")
    tour.check("book-step-4", picture=True)
    make_booking(swedish, at(day, 14), client_email="someone@example.com")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Sorry, that time was just taken.")).to_be_visible()
    tour.check("book-just-taken", picture=True)
    page.get_by_role("group", name="Nearest open times").get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 3 of 4")
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 4 of 4")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    tour.check("booking", picture=True)
    appointment = Booking.objects.get(client_email="ada@example.com").appointments.get()
    tour.visit("therapist-job", appointment.get_absolute_url())
    page.go_back()

    page.get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    tour.check("booking-reschedule", picture=True)
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("link", name="Previous week")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Times on"))).to_be_focused()
    tour.check("booking-reschedule-next-week")
    page.get_by_role("button", name="Move my booking").click()
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("booking-reschedule-no-time")
    page.get_by_role("link", name="Back to your booking").click()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel your booking?")).to_be_visible()
    tour.check("booking-cancel", picture=True)
    page.get_by_role("button", name="Yes, cancel my booking").click()
    expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
    tour.check("booking-cancelled")

    tour.visit("lost-link", "/booking/lost-link/")
    page.get_by_label("Email address").fill("ada.example.com")
    page.get_by_role("button", name="Email me my links").click()
    expect(page).to_have_title(re.compile("^Error: "))
    tour.check("lost-link-bad-email")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_role("button", name="Email me my links").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    tour.check("lost-link-sent")

    tour.visit("book-medical", "/book/?service=medical", picture=False)
    step_one_with(page, service="Medical massage", length="60 minutes", zip_code="30309")
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 2 of 4")
    choose_day(page, day)
    page.get_by_text("10:00 am", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    arrived(page, "Step 3 of 4")
    fill_details(page)
    expect(
        page.get_by_text("Enter the name of the doctor or physiotherapist.").first
    ).to_be_visible()
    tour.check("book-step-3-referral-missing")

    assert Booking.objects.filter(status=Booking.Status.CANCELLED).count() == 1
    tour.assert_clean()
