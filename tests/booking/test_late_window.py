"""Lateness is judged when the client acts: once the late window has opened, moving the booking
online is closed, so a late cancellation can't be turned into a free one by rescheduling first."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from booking.services import booking_cancel, booking_reschedule
from tests.booking.helpers import TOMORROW, at, page_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

START = at(TOMORROW, 14)


def test_rescheduling_out_of_the_late_window_then_cancelling_is_still_late(booking, time_machine):
    time_machine.move_to(START - timedelta(hours=23), tick=False)

    with pytest.raises(ValidationError):
        booking_reschedule(booking=booking, starts_at=START + timedelta(days=3))
    booking_cancel(booking=booking)

    booking.refresh_from_db()
    assert booking.late_cancellation is True


def test_the_reschedule_page_says_it_is_closed_and_gives_the_phone_number(
    booking, client, time_machine, settings
):
    time_machine.move_to(START - timedelta(hours=23), tick=False)

    response = client.get(f"/booking/{booking.token}/reschedule/", follow=True)

    page = page_of(response)
    assert "can no longer be moved online" in page
    assert settings.BUSINESS_PHONE in page
