"""Small helpers shared by the booking tests (fixtures live in conftest.py)."""

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from booking.services import booking_create

ATLANTA = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026, Atlanta time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ATLANTA)


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def make_booking(service, starts_at, **overrides):
    """A booking made through the service layer, as a client would make it."""
    return booking_create(
        **{
            "service": service,
            "minutes": 60,
            "starts_at": starts_at,
            "client_name": "Ada Client",
            "client_email": "ada@example.com",
            "client_phone": "+14045550123",
            "address_line1": "100 Peachtree St NW",
            "city": "Atlanta",
            "zip_code": "30309",
            "health_notes": "Sore left shoulder",
            "consent": True,
            **overrides,
        }
    )
