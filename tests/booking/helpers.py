"""Small helpers shared by the booking tests (fixtures live in conftest.py).

Most booking tests run on the clock the ``tuesday_morning`` fixture sets: 9:00 am on TODAY in
Atlanta.
"""

import html
import json
import socket
import time as clock
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.test import override_settings
from django.utils import timezone

from booking.models import Notification
from booking.notifications import outbox
from booking.services import booking_create
from spatheory.celery import app
from tests.conftest import ATLANTA

TODAY = date(2026, 12, 1)  # a Tuesday
TOMORROW = TODAY + timedelta(days=1)
DAY = TODAY + timedelta(days=2)  # Thursday: open all day, and over 24 hours ahead

# What a client types on the details step of the booking flow.
DETAILS = {
    "client_name": "Ada Client",
    "client_email": "ada@example.com",
    "client_phone": "(404) 555-0123",
    "address_line1": "100 Peachtree St NW",
    "address_line2": "Apt 4",
    "city": "Atlanta",
    "access_notes": "Street parking on 5th",
    "pressure": "firm",
    "health_notes": "Sore left shoulder",
    "consent": "on",
}

# The referral a medical massage needs, as the details step and ``booking_create`` take it.
REFERRAL = {
    "prescriber_name": "Dr. Lee",
    "prescriber_practice": "Midtown Ortho",
    "prescriber_phone": "404-555-0100",
    "prescribed_on": date(2026, 11, 20),
}


# A booking as the JSON API takes it: Wed, Dec 2 at 2 pm (TOMORROW), Swedish for 60 minutes.
BODY = {
    "service": "swedish",
    "minutes": 60,
    "start": "2026-12-02T14:00:00-05:00",
    "client": {"name": "Ada Client", "email": "ada@example.com", "phone": "+14045550123"},
    "address": {
        "line1": "100 Peachtree St NW",
        "line2": "",
        "city": "Atlanta",
        "state": "GA",
        "zip": "30309",
    },
    "notes": "Street parking",
    "health_notes": "Sore left shoulder",
    "consent": True,
    "preferences": {"gender": "any", "pressure": "medium"},
}


def post(client, path, body=None, **extra):
    """A JSON POST, as an API client sends it."""
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day``, Atlanta time."""
    return datetime.combine(day, time(hour, minute), tzinfo=ATLANTA)


def in_days(days: int, hour: int) -> datetime:
    """``hour`` o'clock Atlanta time, ``days`` after today on the test's clock."""
    return at(timezone.localdate() + timedelta(days=days), hour)


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


def wait_for(condition, *, timeout=10.0, what="the condition"):
    """Poll ``condition`` until it holds (for tests with a real worker), or fail naming it."""
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if condition():
            return
        clock.sleep(0.02)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def wait_for_outbox_drained(booking, *, what="every message due for the booking"):
    """Wait until the worker has sent every row of the booking that is due (later reminders
    aside): a worker's task also claims other due rows, so a test that puts a row back to
    pending must first let every task of the booking finish."""
    Status = Notification.Status

    def drained():
        return not Notification.objects.filter(
            booking=booking,
            status__in=[Status.PENDING, Status.SENDING],
            next_attempt_at__lte=timezone.now() + timedelta(minutes=1),
        ).exists()

    wait_for(drained, what=what)


@contextmanager
def broker_unreachable():
    """Point publishing at a closed port on loopback, as if Redis were down. (The worker keeps
    its own connection; only producers are cut off.)"""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = f"redis://127.0.0.1:{port}/0"
    _reset_publishing(closed)
    try:
        # The web's publisher (spatheory.broker) reads the setting.
        with override_settings(CELERY_BROKER_URL=closed):
            yield
    finally:
        _reset_publishing(None)


def _reset_publishing(write_url):
    # What the worker's own retries publish through: broker_write_url wins over the
    # CELERY_BROKER_URL environment variable the suite sets.
    app.conf.broker_write_url = write_url
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def notifications_published(side_effect=None):
    """The notification ids handed to the broker inside the block, in order, instead of their
    send task running (inline in most tests). ``side_effect``: what publishing does instead,
    e.g. raise ``BrokerUnreachable``."""
    ids = []

    def publish(name, calls, *, countdown=None):
        if side_effect is not None:
            raise side_effect
        ids.extend(notification_id for (notification_id,) in calls)

    with mock.patch.object(outbox, "tasks_publish", side_effect=publish):
        yield ids
