"""A client who comes back, in a real browser at both sizes: sign in from the header with the
code emailed to them, see their past booking made as a guest, download their data, and delete
the account, keeping the massage still to come."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from booking.formatting import local_when
from booking.models import Booking
from clients.models import ClientAccount
from tests.booking.helpers import at, make_booking
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import axe_violations, booking_day
from tests.factories import BookingFactory
from tests.pro.conftest import CODE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bookings(swedish, maya):
    """Ada's Swedish massage two days from now, and one she had three weeks ago, both booked
    as a guest."""
    upcoming = make_booking(swedish, at(booking_day(), 14))
    past_start = at(booking_day() - timedelta(days=23), 10)
    past = BookingFactory(
        service=swedish,
        starts_at=past_start,
        ends_at=past_start + timedelta(hours=1),
        status=Booking.Status.COMPLETED,
        client_email="ada@example.com",
    )
    return upcoming, past


def test_a_client_signs_in_sees_past_bookings_downloads_and_deletes(sized_page, viewport, bookings):
    page = sized_page
    upcoming, past = bookings
    mail.outbox.clear()

    page.goto("/")
    if viewport == PHONE:
        page.get_by_role("button", name="Open menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your bookings").click()
    expect(page.get_by_role("heading", name="Sign in to see your bookings")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Your email address").fill("Ada@Example.com")
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    [email] = mail.outbox
    assert email.to == ["ada@example.com"]
    page.get_by_label("Your 6-digit code").fill(CODE.search(email.body)[1])
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Your bookings")).to_be_visible()
    for booking in (past, upcoming):
        expect(page.get_by_text(f"{local_when(booking.starts_at)} (Atlanta time)")).to_be_visible()
    expect(page.locator(f'a[href="{past.get_absolute_url()}"]')).to_have_text("Swedish massage")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(download.value.path().read_text())
    assert {b["reference"] for b in data["bookings"]} == {upcoming.reference, past.reference}

    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel this booking")).to_have_attribute(
        "href", f"/booking/{upcoming.token}/cancel/"
    )
    page.get_by_role("button", name="Delete my account").click()
    expect(
        page.get_by_text("Cancel each upcoming booking, or tick that you keep it.").first
    ).to_be_visible()
    assert ClientAccount.objects.exists()
    assert axe_violations(page) == []
    page.get_by_label("I keep this booking").check()
    page.get_by_role("button", name="Delete my account").click()

    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    assert not ClientAccount.objects.exists()
    past.refresh_from_db()
    upcoming.refresh_from_db()
    assert past.anonymised_at is not None
    assert upcoming.status == Booking.Status.CONFIRMED and upcoming.anonymised_at is None
    page.goto("/account/")
    expect(page.get_by_role("heading", name="Sign in to see your bookings")).to_be_visible()
