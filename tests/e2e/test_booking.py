"""Booking a massage in a real browser, as a client on a phone would: with JavaScript on (the
zip answer and the time list arrive through htmx), with JavaScript off (plain form posts), and
with mistakes on the details step."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKEN_URL = re.compile(r"/booking/([A-Za-z0-9_-]{22,})/$")


def booking_day() -> date:
    """Two days ahead in Atlanta: open in the date strip, and outside the late-cancellation
    window whatever the time of day the suite runs."""
    return timezone.localdate() + timedelta(days=2)


def atlanta_time(day: date, clock: str) -> str:
    return f"{day:%a}, {day:%b} {day.day} · {clock}"


def day_button(page: Page, day: date):
    return page.get_by_role("button", name=re.compile(rf"^{day:%a} {day:%b} {day.day} "))


def start_from_the_service_page(page: Page) -> None:
    page.goto("/services/swedish/")
    page.get_by_role("main").get_by_role("link", name="Book swedish massage").click()
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    expect(page.get_by_role("radio", name="Swedish massage")).to_be_checked()


def choose_length_and_zip(page: Page, *, javascript: bool) -> None:
    page.get_by_role("radio", name="90 minutes").check()
    page.get_by_label("Your zip code").fill("30309")
    if javascript:
        expect(page.get_by_text("Good news: we come to 30309.")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 4")).to_be_visible()
    expect(page.get_by_role("heading", name="Choose a time", level=1)).to_be_visible()


def choose_day(page: Page, day: date) -> None:
    day_button(page, day).click()
    expect(day_button(page, day)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("group", name=f"Times on {day:%A, %B} {day.day}")).to_be_visible()


def choose_time(page: Page, day: date, clock: str = "10:00 am") -> str:
    page.get_by_text(clock, exact=True).click()
    when = atlanta_time(day, clock)
    expect(page.get_by_role("radio", name=when)).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    return when


def fill_details(page: Page, *, email: str = "ada@example.com", phone: str = "(404) 555-0123"):
    page.get_by_label("Your full name").fill("Ada Client")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Mobile phone number").fill(phone)
    page.get_by_label("Street address").fill("100 Peachtree St NW")
    page.get_by_label("City", exact=True).fill("Atlanta")
    page.get_by_label(re.compile("about your health")).fill("Sore left shoulder")
    page.get_by_label(re.compile("^I agree to the booking terms")).check()
    page.get_by_role("button", name="Continue").click()


def review_and_confirm(page: Page, when: str) -> None:
    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    expect(page.get_by_role("heading", name="Check your booking")).to_be_visible()
    expect(page.get_by_text(when)).to_be_visible()
    expect(page.get_by_text("$170.00")).to_be_visible()
    expect(page.get_by_role("heading", name="Cancellation policy")).to_be_visible()
    expect(page.get_by_text("up to 24 hours before your massage")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()


def test_a_client_books_with_javascript_and_then_cancels(page, swedish, maya):
    start_from_the_service_page(page)
    choose_length_and_zip(page, javascript=True)

    page.evaluate("window.__marker = 'same page'")
    day = booking_day()
    with page.expect_request(lambda request: f"day={day:%Y-%m-%d}" in request.url) as swap:
        choose_day(page, day)
    assert swap.value.headers.get("hx-request") == "true"
    assert page.evaluate("window.__marker") == "same page", "the time list reloaded the page"
    when = choose_time(page, day)

    fill_details(page)
    review_and_confirm(page, when)

    booking = Booking.objects.get()
    match = TOKEN_URL.search(page.url)
    assert match, page.url
    assert match[1] == booking.token
    assert not match[1].isdigit() and str(booking.pk) not in page.url.split("/")
    expect(page.get_by_text(booking.reference)).to_be_visible()
    in_atlanta_time = re.compile(rf"^{re.escape(when)} to .* \(Atlanta time\)$")
    expect(page.get_by_text(in_atlanta_time)).to_be_visible()
    calendar = page.get_by_role("link", name="Add to calendar")
    expect(calendar).to_be_visible()
    expect(calendar).to_have_attribute("href", f"/booking/{booking.token}/calendar.ics")

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel your booking?")).to_be_visible()
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    page.get_by_role("button", name="Yes, cancel my booking").click()

    expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/booking/{booking.token}/$"))
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    assert Booking.objects.get().status == Booking.Status.CANCELLED


def test_a_client_books_with_javascript_turned_off(new_page, swedish, maya):
    page = new_page(javascript=False)
    start_from_the_service_page(page)
    choose_length_and_zip(page, javascript=False)

    day = booking_day()
    choose_day(page, day)
    when = choose_time(page, day)
    fill_details(page)
    review_and_confirm(page, when)

    booking = Booking.objects.get()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.minutes == 90
    assert timezone.localtime(booking.starts_at).strftime("%H:%M") == "10:00"
    expect(page).to_have_url(re.compile(rf"/booking/{booking.token}/$"))
    expect(page.get_by_text(booking.reference)).to_be_visible()


def test_details_with_a_bad_email_and_phone_are_sent_back_with_the_reasons(page, swedish, maya):
    start_from_the_service_page(page)
    choose_length_and_zip(page, javascript=True)
    choose_day(page, booking_day())
    choose_time(page, booking_day())

    fill_details(page, email="ada.example.com", phone="123")

    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    email_error = "Enter an email address like name@example.com."
    phone_error = "Enter a valid phone number, like (404) 555-0123."
    for message, label in ((email_error, "Email address"), (phone_error, "Mobile phone number")):
        link = summary.get_by_role("link", name=message)
        expect(link).to_be_visible()
        group_id = link.get_attribute("href").removeprefix("#")
        field_group = page.locator(f"[id='{group_id}']")
        expect(field_group.get_by_label(label)).to_be_visible()
        expect(field_group.get_by_text(message)).to_be_visible()
    assert summary.bounding_box()["y"] < page.get_by_label("Your full name").bounding_box()["y"]

    summary.get_by_role("link", name=phone_error).click()
    expect(page).to_have_url(re.compile("#id_client_phone_group$"))

    expect(page.get_by_label("Your full name")).to_have_value("Ada Client")
    expect(page.get_by_label("Email address")).to_have_value("ada.example.com")
    expect(page.get_by_label("Mobile phone number")).to_have_value("123")
    expect(page.get_by_label("Street address")).to_have_value("100 Peachtree St NW")
    expect(page.get_by_label("City", exact=True)).to_have_value("Atlanta")
    expect(page.get_by_label(re.compile("about your health"))).to_have_value("Sore left shoulder")
    expect(page.get_by_label(re.compile("^I agree to the booking terms"))).to_be_checked()
    assert not Booking.objects.exists()
