"""Staff running the day in admin, in a real browser at both sizes: sign in, activate a vetted
therapist, be refused activating one whose insurance has expired (by the action and by the edit
form), cancel a booking, and open the day's schedule."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking
from tests.booking.helpers import at, make_booking
from tests.e2e.helpers import booking_day, staff_sign_in
from tests.factories import TherapistFactory
from therapists.models import Therapist

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CANCEL = "Cancel selected bookings (the client and therapists are emailed)"


@pytest.fixture
def staff_page(sized_page):
    staff_sign_in(sized_page)
    return sized_page


@pytest.fixture
def applicants():
    """Cara, vetted with every credential valid, and Ben, paused with his insurance expired."""
    lapsed_on = timezone.localdate() - timedelta(days=30)
    cara = TherapistFactory(display_name="Cara C.", status=Therapist.Status.APPLICANT)
    ben = TherapistFactory(
        display_name="Ben B.", status=Therapist.Status.PAUSED, insurance_expires_on=lapsed_on
    )
    refusal = f"Ben B. can't be activated: liability insurance expired on {lapsed_on:%b} "
    refusal += f"{lapsed_on.day}, {lapsed_on.year}."
    return cara, ben, refusal


def run_action(page: Page, row_name: str, action: str) -> None:
    page.get_by_role("row", name=re.compile(re.escape(row_name))).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_staff_activate_only_therapists_whose_credentials_are_valid(staff_page, applicants):
    page = staff_page
    cara, ben, refusal = applicants
    page.locator('a[href="/admin/therapists/therapist/"]').first.click()
    expect(page.get_by_role("link", name="Cara C.")).to_be_visible()

    run_action(page, "Cara C.", "Activate selected therapists")
    expect(page.get_by_text("Cara C.: activated.")).to_be_visible()
    cara.refresh_from_db()
    assert cara.status == Therapist.Status.ACTIVE

    run_action(page, "Ben B.", "Activate selected therapists")
    expect(page.locator(".messagelist .error")).to_have_text(refusal)
    ben.refresh_from_db()
    assert ben.status == Therapist.Status.PAUSED

    page.get_by_role("link", name="Ben B.").click()
    page.get_by_label("Status:").select_option(label="Active")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Please correct the error below.")).to_be_visible()
    expect(page.locator(".field-status").get_by_text(refusal)).to_be_visible()
    ben.refresh_from_db()
    assert ben.status == Therapist.Status.PAUSED


def test_staff_cancel_a_booking_and_see_the_day_schedule(staff_page, swedish, maya):
    page = staff_page
    day = booking_day()
    kept = make_booking(swedish, at(day, 11))
    cancelled = make_booking(swedish, at(day, 14))

    page.get_by_role("link", name="Bookings", exact=True).click()
    run_action(
        page,
        cancelled.reference,
        "Cancel selected bookings (the client and therapists are emailed)",
    )
    expect(page.get_by_text("1 booking cancelled.")).to_be_visible()
    assert Booking.objects.get(pk=cancelled.pk).status == Booking.Status.CANCELLED
    assert Booking.objects.get(pk=kept.pk).status == Booking.Status.CONFIRMED

    page.get_by_role("link", name="Today's schedule").click()
    expect(page.get_by_role("heading", name=re.compile("^Schedule for"))).to_be_visible()
    page.get_by_label("Date").fill(f"{day:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Schedule for {day:%A, %B} {day.day}")).to_be_visible()
    expect(page.get_by_role("heading", name="Maya O. (1 appointment)")).to_be_visible()
    expect(page.get_by_role("link", name=kept.reference)).to_be_visible()
    expect(page.get_by_text("11:00 am – 12:00 pm")).to_be_visible()
    expect(page.get_by_role("link", name=cancelled.reference)).to_have_count(0)
