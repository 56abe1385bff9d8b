"""Booking a Swedish massage in a real browser, on a phone and at desktop width: with JavaScript
on (the zip answer and the time list arrive through htmx) through to the private page and its
calendar file, with JavaScript off from the header menu on (plain links and form posts), and
with mistakes on the details step."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from booking.models import Booking
from tests.booking.helpers import at
from tests.e2e.helpers import (
    DETAILS,
    arrived,
    assert_details_kept,
    book_this_service,
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    confirm,
    fill_details,
    review,
    start_booking,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def choose_swedish_on_the_home_page(page: Page) -> None:
    page.goto("/")
    services = page.get_by_role("region", name="Services")
    services.get_by_role("link", name="Book swedish massage").click()
    arrived(page, "Step 1 of 4")
    expect(page.get_by_role("radio", name="Swedish massage")).to_be_checked()


def calendar_event(page: Page):
    """The event in the .ics file the private page's "Add to calendar" downloads."""
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar").click()
    assert download.value.suggested_filename.endswith(".ics"), download.value.suggested_filename
    calendar = Calendar.from_ical(download.value.path().read_bytes())
    [event] = calendar.walk("VEVENT")
    return event


def test_a_client_books_a_swedish_massage_from_the_home_page(sized_page, swedish, maya):
    page = sized_page
    choose_swedish_on_the_home_page(page)
    choose_length_and_zip(page, javascript=True)

    page.evaluate("window.__marker = 'same page'")
    day = booking_day()
    with page.expect_request(lambda request: f"day={day:%Y-%m-%d}" in request.url) as swap:
        choose_day(page, day)
    assert swap.value.headers.get("hx-request") == "true"
    assert page.evaluate("window.__marker") == "same page", "the time list reloaded the page"
    when = choose_time(page, day)
    fill_details(page)
    review(page, when)
    token = confirm(page)

    booking = Booking.objects.get()
    assert token == booking.token
    assert str(booking.pk) not in page.url.split("/")
    expect(page.get_by_text(booking.reference)).to_be_visible()
    in_atlanta_time = re.compile(rf"^{re.escape(when)} to 11:30 am \(Atlanta time\)$")
    expect(page.get_by_text(in_atlanta_time)).to_be_visible()
    expect(page.get_by_text("Maya", exact=True)).to_be_visible()

    event = calendar_event(page)
    starts_at = at(day, 10)
    assert event.decoded("dtstart") == starts_at
    assert event.decoded("dtend") == starts_at + timedelta(minutes=90)
    assert str(event["dtstart"].params["TZID"]) == "America/New_York"
    assert str(event["summary"]) == "Swedish massage · Spa Theory"
    assert "100 Peachtree St NW" in str(event["location"])
    assert "Atlanta" in str(event["location"])
    assert booking.token in str(event["description"])
    assert "Sore left shoulder" not in event.to_ical().decode()


def open_services_from_the_header(page: Page, viewport: dict) -> None:
    """The header's Services link: in the header at desktop width; on a phone, "Open menu"
    leads to the site navigation (the footer's, without JavaScript)."""
    navigation = page.get_by_role("navigation", name="Main")
    if viewport["width"] < 768:
        expect(navigation.get_by_role("link", name="Services")).to_be_hidden()
        navigation.get_by_role("button", name="Open menu").click()
    services = page.get_by_role("link", name="Services", exact=True).locator("visible=true")
    expect(services.first).to_be_in_viewport()
    services.first.click()
    expect(page.get_by_role("heading", name="Services and prices", level=1)).to_be_visible()


def test_a_client_books_with_javascript_turned_off(new_page, viewport, swedish, maya):
    page = new_page(javascript=False, viewport=viewport)
    page.goto("/")
    open_services_from_the_header(page, viewport)
    page.get_by_role("link", name="Swedish massage", exact=True).click()
    expect(page.get_by_role("heading", name="Swedish massage", level=1)).to_be_visible()
    book_this_service(page, "Swedish massage")
    choose_length_and_zip(page, javascript=False)

    day = booking_day()
    choose_day(page, day, javascript=False)
    when = choose_time(page, day)
    fill_details(page)
    review(page, when)
    token = confirm(page)

    booking = Booking.objects.get()
    assert token == booking.token
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.minutes == 90
    assert timezone.localtime(booking.starts_at).strftime("%H:%M") == "10:00"
    expect(page.get_by_text(booking.reference)).to_be_visible()


def test_details_with_a_bad_email_and_phone_are_sent_back_with_the_reasons(
    sized_page, swedish, maya
):
    page = sized_page
    start_booking(page, "swedish", "Swedish massage")
    choose_length_and_zip(page, javascript=True)
    choose_day(page, booking_day())
    choose_time(page, booking_day())

    typed = fill_details(page, **{"Email address": "ada.example.com", "Mobile phone number": "123"})

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

    assert typed != DETAILS
    assert_details_kept(page, typed)
    assert not Booking.objects.exists()
