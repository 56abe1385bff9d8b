"""The massages that book differently, in a real browser at both sizes: couples side by side
(two therapists), couples back to back (one therapist, one massage after the other), sleep
massage (evenings only) and medical massage (a referral first)."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Booking
from tests.e2e.helpers import (
    atlanta_time,
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

# Couples name the second person on the details step.
SECOND_PERSON = {"The second person's full name": "Ben Partner"}


def test_couples_side_by_side_are_given_two_therapists(sized_page, side_by_side):
    page = sized_page
    start_booking(page, "couples", "Couples massage, side by side")
    choose_length_and_zip(page, javascript=True, length="60 minutes each")
    choose_day(page, booking_day())
    when = choose_time(page, booking_day())
    fill_details(page, **SECOND_PERSON)
    review(page, when, price="$250.00")
    expect(page.get_by_text("for the two of you")).to_be_visible()
    confirm(page)

    therapists = page.get_by_role("heading", name="Your therapists").locator("+ ul")
    expect(therapists.get_by_role("listitem")).to_have_count(2)
    expect(therapists).to_contain_text("Jo")
    expect(therapists).to_contain_text("Sam")
    assert Booking.objects.get().appointments.count() == 2


def test_couples_back_to_back_review_gives_the_start_and_the_end(sized_page, back_to_back):
    page = sized_page
    start_booking(page, "couples-back-to-back", "Couples massage, back to back")
    choose_length_and_zip(page, javascript=True, length="60 minutes each")
    day = booking_day()
    choose_day(page, day)
    when = choose_time(page, day)
    fill_details(page, **SECOND_PERSON)

    # Two hours of massage and the changeover between them.
    review(page, f"{when} to 12:15 pm", price="$240.00")
    confirm(page)
    expect(page.get_by_text(f"{when} to 12:15 pm (Atlanta time)")).to_be_visible()


def test_sleep_massage_offers_evening_times_only(sized_page, sleep):
    page = sized_page
    start_booking(page, "sleep", "Sleep massage")
    choose_length_and_zip(page, javascript=True, length="60 minutes")
    day = booking_day()
    choose_day(page, day)

    times = page.get_by_role("group", name=f"Times on {day:%A, %B} {day.day}")
    expect(times.get_by_role("radio", name=atlanta_time(day, "6:00 pm"))).to_be_attached()
    expect(times.get_by_role("radio", name=atlanta_time(day, "12:00 pm"))).to_have_count(0)
    expect(times.get_by_role("radio", name=re.compile(r" am$"))).to_have_count(0)
    expect(times.get_by_role("heading", name="Evening")).to_be_visible()
    expect(times.get_by_role("heading", name="Morning")).to_have_count(0)
    choose_time(page, day, "6:00 pm")


def test_medical_massage_waits_for_the_whole_referral(sized_page, medical):
    page = sized_page
    start_booking(page, "medical", "Medical massage")
    choose_length_and_zip(page, javascript=True, length="60 minutes")
    day = booking_day()
    choose_day(page, day)
    when = choose_time(page, day)
    expect(page.get_by_text("Medical massage is prescribed")).to_be_visible()
    page.get_by_label("Prescriber's name").fill("Dr. Lee")
    page.get_by_label("Their practice or clinic").fill("Midtown Ortho")
    fill_details(page)

    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    for label, message in (
        ("Their phone number", "Enter the practice's phone number."),
        ("Date of the prescription", "Enter the date of the prescription."),
    ):
        group = page.locator(".form-field", has=page.get_by_label(label, exact=True))
        expect(group.get_by_text(message)).to_be_visible()
        expect(page.get_by_role("alert").get_by_role("link", name=message)).to_be_visible()
    expect(page.get_by_label("Prescriber's name")).to_have_value("Dr. Lee")
    assert not Booking.objects.exists()

    page.get_by_label("Their phone number").fill("404-555-0100")
    page.get_by_label("Date of the prescription").fill("2026-11-20")
    page.get_by_role("button", name="Continue").click()
    review(page, when, price="$160.00")
    confirm(page)
    assert Booking.objects.get().prescriber_name == "Dr. Lee"
