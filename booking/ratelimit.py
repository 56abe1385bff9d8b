"""A fixed-window request counter per client IP, kept in Django's cache.

The cache backend fails open, so when Redis is down every request is allowed: a booking must
never be refused because the limiter could not count it.
"""

import re
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

RATE_PATTERN = re.compile(r"^(?P<limit>[1-9]\d*)/(?P<unit>[smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=16)
def parse_rate(value: str) -> tuple[int, int] | None:
    """``"20/h"`` -> ``(20, 3600)``; ``"0"`` (or empty) turns the limit off and gives None."""
    value = (value or "").strip()
    if value in {"", "0"}:
        return None
    match = RATE_PATTERN.match(value)
    if match is None:
        raise ImproperlyConfigured(
            f"A rate limit must look like 20/h, 5/m or 100/d (or 0 for no limit), not {value!r}"
        )
    return int(match["limit"]), UNIT_SECONDS[match["unit"]]


def client_ip(request) -> str:
    """The client's address: with N trusted proxies in front, the Nth X-Forwarded-For entry
    from the right (the one our own outermost proxy wrote); otherwise REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            entry.strip()
            for entry in request.headers.get("X-Forwarded-For", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_exceeded(request, *, scope: str, rate: str) -> bool:
    """Count this request against ``rate`` for the client's IP; True once it is over the limit."""
    parsed = parse_rate(rate)
    if parsed is None:
        return False
    limit, window = parsed
    key = f"ratelimit:{scope}:{client_ip(request)}"
    # add() starts the window only when no count exists; incr() counts within it.
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this request opens a new window.
        cache.add(key, 1, timeout=window)
        return False
    return count is not None and count > limit
