"""Couples in a real browser at both sizes: each person gives their own name, pressure and
health notes, and each therapist's job page shows the person they treat first, with that
person's notes only."""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from booking.models import Appointment, Booking
from tests.conftest import ATLANTA
from tests.e2e.helpers import (
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    confirm,
    fill_details,
    review,
    screenshot,
    start_booking,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_each_person_books_their_own_pressure_and_their_therapist_reads_it(
    new_page, viewport, side_by_side, tuesday_morning
):
    page = new_page(viewport=viewport)
    start_booking(page, "couples", "Couples massage, side by side")
    choose_length_and_zip(page, javascript=True, length="60 minutes each")
    day = booking_day()
    choose_day(page, day)
    when = choose_time(page, day)

    expect(page.get_by_role("heading", name="The second person")).to_be_visible()
    page.get_by_role("group", name="What pressure do you like?").get_by_label("Firm").check()
    page.get_by_role("group", name="What pressure do they like?").get_by_label("Light").check()
    page.get_by_label(re.compile("about their health")).fill("Pregnant, second trimester")
    if viewport["width"] < 500:
        screenshot(page, "book-details-couples")
    fill_details(page, **{"The second person's full name": "Ben Partner"})
    review(page, when, price="$250.00")
    expect(page.get_by_text("Ben Partner")).to_be_visible()
    confirm(page)
    expect(page.get_by_text("Ben Partner, light pressure")).to_be_visible()

    booking = Booking.objects.get()
    # The evening before: inside the job pages' details window.
    tuesday_morning.move_to(datetime.combine(day - timedelta(days=1), time(18), tzinfo=ATLANTA))
    pages = {}
    for person in (Appointment.Person.FIRST, Appointment.Person.SECOND):
        appointment = booking.appointments.get(person=person)
        page.goto(appointment.get_absolute_url())
        pages[person] = page.locator("main").inner_text()

    adas, bens = pages[Appointment.Person.FIRST], pages[Appointment.Person.SECOND]
    assert "Couples massage, side by side for Ada" in adas
    assert adas.index("Your client: Ada") < adas.index("Your colleague's client: Ben")
    assert "Sore left shoulder" in adas and "Pregnant" not in adas
    assert "Couples massage, side by side for Ben" in bens
    assert bens.index("Your client: Ben") < bens.index("Your colleague's client: Ada")
    assert "Pregnant, second trimester" in bens and "Sore left shoulder" not in bens
    expect(page.get_by_role("heading", name="Your client: Ben")).to_be_visible()
