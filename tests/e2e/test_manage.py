"""The client's private link in a real browser at both sizes: move the massage to another day,
then cancel it; and "Lost your link?", which emails the link again."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from booking.models import Booking
from tests.booking.helpers import at, make_booking
from tests.e2e.helpers import atlanta_time, booking_day, choose_day

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booking(swedish, maya):
    """Ada's Swedish massage with Maya at 2:00 pm, two days from now."""
    return make_booking(swedish, at(booking_day(), 14))


def test_a_client_moves_and_then_cancels_from_the_private_link(sized_page, booking):
    page = sized_page
    page.goto(booking.get_absolute_url())
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()

    page.get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    page.wait_for_load_state()
    new_day = booking_day() + timedelta(days=1)
    choose_day(page, new_day)
    page.get_by_text("4:30 pm", exact=True).click()
    page.get_by_role("button", name="Move my booking").click()

    expect(page.get_by_text("Your massage has a new time.")).to_be_visible()
    new_time = atlanta_time(new_day, "4:30 pm")
    expect(page.get_by_text(re.compile(rf"^{re.escape(new_time)} to 5:30 pm"))).to_be_visible()
    booking.refresh_from_db()
    assert booking.starts_at == at(new_day, 16, 30)

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel your booking?")).to_be_visible()
    expect(page.get_by_text("this is not a late cancellation")).to_be_visible()
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    page.get_by_role("button", name="Yes, cancel my booking").click()

    expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/booking/{booking.token}/$"))
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    expect(page.get_by_role("link", name="Reschedule")).to_have_count(0)
    assert Booking.objects.get().status == Booking.Status.CANCELLED


def test_lost_your_link_emails_the_private_link(sized_page, booking):
    page = sized_page
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Lost your booking link?").click()
    expect(page.get_by_role("heading", name="Lost your booking link?")).to_be_visible()
    page.get_by_label("Email address").fill("ADA@example.com")
    page.get_by_role("button", name="Email me my links").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Sent before the page was answered: eager tasks, on the request's commit.
    [message] = [email for email in mail.outbox if email.subject == "Your Spa Theory booking links"]
    assert message.to == ["ada@example.com"]
    [link] = re.findall(r"https?://\S+/booking/[\w-]+/", message.body)
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="Your massage is booked")).to_be_visible()
    expect(page.get_by_text(booking.reference)).to_be_visible()
