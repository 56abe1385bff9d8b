"""Asking for a therapist in a real browser: "Book Maya again" from a past booking's private
page (the time step with only Maya's times, the details filled in, in fewer screens than a
guest booking) and "Book with Maya" from her profile."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking
from tests.booking.helpers import at, make_booking
from tests.e2e.helpers import (
    CONSENT,
    DETAILS,
    arrived,
    booking_day,
    choose_day,
    choose_length_and_zip,
    choose_time,
    confirm,
    review,
)
from tests.factories import TherapistFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The screens of a guest booking, from step 1 to the confirmation: what booking again beats.
GUEST_SCREENS = ["/book/", "/book/time/", "/book/details/", "/book/review/"]


@pytest.fixture
def maya_and_tess(swedish, maya):
    maya.slug = "maya"
    maya.save()
    tess = TherapistFactory(
        first_name="Tess", slug="tess", modalities=[swedish.modality], hours="all"
    )
    return maya, tess


@pytest.fixture
def past_booking(swedish, maya_and_tess, time_machine):
    """Ada's 90-minute Swedish massage with Maya, yesterday at 2 pm."""
    maya, _ = maya_and_tess
    today = timezone.localdate()
    time_machine.move_to(at(today - timedelta(days=3), 9), tick=False)
    booking = make_booking(
        swedish,
        at(today - timedelta(days=1), 14),
        minutes=90,
        therapist=maya,
        access_notes="Street parking on 5th",
        pressure="firm",
    )
    time_machine.move_to(at(today, 9), tick=False)
    return booking


def screens_visited(page: Page) -> list[str]:
    """The paths of the pages the tab loads from now on (htmx swaps are not pages)."""
    paths = []
    page.on(
        "framenavigated",
        lambda frame: (
            paths.append(re.sub(r"^https?://[^/]+", "", frame.url).split("?")[0])
            if frame == page.main_frame
            else None
        ),
    )
    return paths


def test_book_maya_again_shows_only_her_times_and_books_her_in_fewer_screens(
    new_page, viewport, swedish, maya_and_tess, past_booking
):
    maya, _ = maya_and_tess
    day = booking_day()
    make_booking(swedish, at(day, 10), therapist=maya)  # Maya is out at 10 that day; Tess isn't
    page = new_page(viewport=viewport)
    page.goto(f"/booking/{past_booking.token}/")
    visited = screens_visited(page)

    page.get_by_role("button", name="Book Maya again").click()
    arrived(page, "Step 2 of 4")
    expect(page.get_by_text(re.compile("90 minutes, at 30309, with Maya"))).to_be_visible()
    choose_day(page, day)
    expect(page.get_by_text("10:00 am", exact=True)).to_have_count(0)
    when = choose_time(page, day, "2:00 pm")
    for label, value in DETAILS.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(
            "+14045550123" if label == "Mobile phone number" else value
        )
    expect(page.get_by_label(re.compile("^Getting in and parking"))).to_have_value(
        "Street parking on 5th"
    )
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    review(page, when)
    token = confirm(page)

    booking = Booking.objects.get(token=token)
    assert [a.therapist for a in booking.appointments.all()] == [maya]
    assert booking.starts_at == at(day, 14)
    screens = [path for path in visited if path.startswith("/book/")]
    assert screens == ["/book/time/", "/book/details/", "/book/review/"]
    assert len(screens) < len(GUEST_SCREENS)


def test_book_with_maya_from_her_profile_and_back_to_any_therapist(
    sized_page, swedish, maya_and_tess
):
    page = sized_page
    page.goto("/therapists/maya/")
    page.get_by_role("link", name="Book with Maya").click()
    arrived(page, "Step 1 of 4")
    expect(page.get_by_text("With Maya.")).to_be_visible()
    page.get_by_role("radio", name="Swedish massage", exact=True).check()
    choose_length_and_zip(page, javascript=True)
    expect(page.get_by_text(re.compile("at 30309, with Maya"))).to_be_visible()

    page.get_by_role("link", name="Show times with any therapist").click()
    arrived(page, "Step 2 of 4")
    expect(page.get_by_text(re.compile("with Maya"))).to_have_count(0)


def test_a_signed_in_client_books_maya_again_from_their_bookings_in_fewer_screens(
    new_page, viewport, swedish, maya_and_tess, past_booking, live_server
):
    from tests.clients.conftest import browser_sign_in, make_client_account

    maya, _ = maya_and_tess
    day = booking_day()
    page = new_page(viewport=viewport)
    browser_sign_in(page, make_client_account(past_booking.client_email), live_server.url)
    page.goto("/account/")
    visited = screens_visited(page)

    page.get_by_role("button", name=re.compile("^Book Maya again")).click()
    arrived(page, "Step 2 of 4")
    expect(page.get_by_text(re.compile("with Maya"))).to_be_visible()
    choose_day(page, day)
    when = choose_time(page, day, "2:00 pm")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Continue").click()
    review(page, when)
    token = confirm(page)

    booking = Booking.objects.get(token=token)
    assert [a.therapist for a in booking.appointments.all()] == [maya]
    assert booking.client_email == past_booking.client_email
    screens = [path for path in visited if path.startswith("/book/")]
    assert len(screens) < len(GUEST_SCREENS)
