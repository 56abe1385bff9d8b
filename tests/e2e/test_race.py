"""Two clients in two browsers want the last free time of the day: the first to confirm gets it;
the other is told it was just taken, offered the nearest open times, and loses nothing typed.
The race runs on a phone; at desktop width one client finds the time taken by a booking made
meanwhile and is shown the same."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.models import Booking
from tests.booking.helpers import at, make_booking
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import (
    assert_details_kept,
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
from tests.factories import TherapistFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def one_time_left(swedish):
    """Maya works from 10 to 11 am on the booking day, so its one 60-minute time is 10:00 am;
    the days either side she works from 9 am to 9 pm."""
    day = booking_day()
    hours = [(day.weekday(), time(10), time(11))] + [
        ((day + timedelta(days=shift)).weekday(), time(9), time(21)) for shift in (-1, 1)
    ]
    return TherapistFactory(first_name="Maya", modalities=[swedish.modality], hours=hours)


def up_to_the_review(page: Page, name: str) -> tuple[str, dict]:
    start_booking(page, "swedish", "Swedish massage")
    choose_length_and_zip(page, javascript=True, length="60 minutes")
    day = booking_day()
    choose_day(page, day)
    expect(page.get_by_role("button", name=f"{day:%a} {day:%b} {day.day} 1 open")).to_be_visible()
    when = choose_time(page, day)
    typed = fill_details(
        page, **{"Your full name": name, "Email address": f"{name.split()[0].lower()}@example.com"}
    )
    review(page, when, price="$125.00")
    return when, typed


def offered_the_nearest_times_and_books_one(page: Page, when: str, typed: dict) -> None:
    """On confirming a time just taken: back on step 2 with the nearest open times instead, and
    the evening before, picked, books with every detail typed kept."""
    expect(page.get_by_text("Step 2 of 4")).to_be_visible()
    expect(page).to_have_title("Error: Choose a time · Book · Spa Theory")
    notice = page.get_by_role("alert").filter(has_text="Sorry, that time was just taken.")
    expect(notice).to_be_visible()
    alternatives = notice.get_by_role("group", name="Nearest open times").get_by_role("radio")
    expect(alternatives).to_have_count(5)
    expect(notice.get_by_role("radio", name=when)).to_have_count(0)
    # The evening before is nearer than the morning after.
    nearest = atlanta_time(booking_day() - timedelta(days=1), "8:00 pm")
    expect(alternatives.last).to_have_accessible_name(nearest)

    alternatives.last.check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    assert_details_kept(page, typed)
    page.get_by_role("button", name="Continue").click()
    review(page, nearest, price="$125.00")
    confirm(page)


def test_the_second_to_confirm_is_offered_other_times_and_keeps_what_they_typed(
    new_page, one_time_left
):
    ada, bo = new_page(viewport=PHONE), new_page(viewport=PHONE)
    up_to_the_review(ada, "Ada Client")
    when, typed = up_to_the_review(bo, "Bo Client")

    confirm(ada)
    bo.get_by_role("button", name="Confirm booking").click()

    offered_the_nearest_times_and_books_one(bo, when, typed)
    assert sorted(Booking.objects.values_list("client_name", flat=True)) == [
        "Ada Client",
        "Bo Client",
    ]


def test_at_desktop_width_a_time_taken_meanwhile_offers_the_nearest_times(
    new_page, swedish, one_time_left
):
    bo = new_page(viewport=DESKTOP)
    when, typed = up_to_the_review(bo, "Bo Client")
    make_booking(swedish, at(booking_day(), 10), client_name="Ada Client")

    bo.get_by_role("button", name="Confirm booking").click()

    offered_the_nearest_times_and_books_one(bo, when, typed)
    assert sorted(Booking.objects.values_list("client_name", flat=True)) == [
        "Ada Client",
        "Bo Client",
    ]
