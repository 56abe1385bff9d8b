"""A fixed-window request counter per client IP, kept in Django's cache.

The cache backend fails open, so when Redis is down every request is allowed: a booking must
never be refused because the limiter could not count it.
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
