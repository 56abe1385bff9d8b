"""A fixed-window request counter per client IP, kept in Django's cache.

The cache backend fails open, so when Redis is down every request is allowed: a booking must
never be refused because the limiter could not count it. Bookings count only once made
(``rate_limit_reached`` before, ``rate_limit_count`` after), so refused attempts never use up a
client's allowance; "Lost your link?" counts every attempt (``rate_limit_exceeded``).
"""

from django.conf import settings
from django.core.cache import cache

from .rate_format import parse_rate


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


def _key(request, scope: str) -> str:
    return f"ratelimit:{scope}:{client_ip(request)}"


def rate_limit_count(request, *, scope: str, rate: str) -> int:
    """Count one more against ``rate`` for the client's IP; the count in this window (0 when
    the limit is off)."""
    parsed = parse_rate(rate)
    if parsed is None:
        return 0
    key, window = _key(request, scope), parsed[1]
    # add() starts the window only when no count exists; incr() counts within it.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key) or 0
    except ValueError:
        # The key expired between add() and incr(): this request opens a new window.
        cache.add(key, 1, timeout=window)
        return 1


def rate_limit_reached(request, *, scope: str, rate: str) -> bool:
    """Whether the client's IP has used up ``rate`` in this window; counts nothing."""
    parsed = parse_rate(rate)
    return parsed is not None and (cache.get(_key(request, scope)) or 0) >= parsed[0]


def rate_limit_exceeded(request, *, scope: str, rate: str) -> bool:
    """Count this request against ``rate``; True once it is over the limit."""
    parsed = parse_rate(rate)
    return parsed is not None and rate_limit_count(request, scope=scope, rate=rate) > parsed[0]
