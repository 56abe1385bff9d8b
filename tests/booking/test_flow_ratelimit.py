"""The per-IP limit on confirming bookings: a clear 429, a trusted-proxy client IP, and
booking still works when Redis is down."""

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from booking.models import Booking
from booking.ratelimit import client_ip, parse_rate
from tests.booking.helpers import DETAILS, TOMORROW, at, page_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


def confirm(client, service, hour, **headers):
    start = at(TOMORROW, hour).astimezone(UTC).isoformat()
    client.post(
        "/book/",
        {"service": service.slug, "minutes": 60, "zip_code": "30309", "gender_preference": "any"},
        **headers,
    )
    client.post("/book/time/", {"start": start}, **headers)
    client.post("/book/details/", DETAILS, **headers)
    return client.post("/book/review/", **headers)


def test_confirming_too_often_gets_a_clear_429_and_keeps_the_draft(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    assert confirm(client, swedish, 10).status_code == 302

    response = confirm(client, swedish, 14)

    assert response.status_code == 429
    page = page_of(response)
    assert "Too many attempts" in page
    assert "Nothing you typed has been lost" in page
    assert Booking.objects.count() == 1
    for path in ("/book/", "/book/time/", "/book/details/", "/book/review/"):
        assert client.get(path).status_code == 200


def test_a_zero_rate_turns_the_limit_off(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "0"

    assert [confirm(client, swedish, hour).status_code for hour in (10, 14)] == [302, 302]


def test_the_limit_counts_each_client_behind_the_trusted_proxy(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1

    first = confirm(client, swedish, 10, HTTP_X_FORWARDED_FOR="203.0.113.5")
    second = confirm(client, swedish, 14, HTTP_X_FORWARDED_FOR="203.0.113.6")
    third = confirm(client, swedish, 17, HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert [first.status_code, second.status_code, third.status_code] == [302, 302, 429]


def test_booking_still_works_with_redis_down(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    settings.CACHES = {
        "default": {
            "BACKEND": "spatheory.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }

    statuses = [confirm(client, swedish, hour).status_code for hour in (10, 14)]

    assert statuses == [302, 302]
    assert Booking.objects.count() == 2


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "198.51.100.9, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.9, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "", "10.0.0.1"),
        (2, "203.0.113.5", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_rates_parse_and_junk_is_refused_clearly():
    assert parse_rate("20/h") == (20, 3600)
    assert parse_rate("5/m") == (5, 60)
    assert parse_rate("100/d") == (100, 86400)
    assert parse_rate("0") is None
    with pytest.raises(ImproperlyConfigured, match="must look like 20/h"):
        parse_rate("twenty an hour")


def test_a_junk_rate_setting_stops_the_process_with_a_clear_message():
    env = {key: value for key, value in os.environ.items() if not key.startswith("BOOKING_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "BOOKING_RATE_LIMIT": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "BOOKING_RATE_LIMIT must look like 20/h, 5/m or 100/d, or 0 for no limit" in (
        result.stderr
    )
