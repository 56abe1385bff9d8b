"""How a rate limit is written in settings: ``20/h``, ``5/m`` or ``100/d``, or ``0`` for none.

Settings check ``BOOKING_RATE_LIMIT`` and ``BOOKING_LOST_LINK_RATE_LIMIT`` with ``parse_rate`` at
start and ``booking.ratelimit`` counts with it, so this module reads no Django settings.
"""

import re
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured

RATE_PATTERN = re.compile(r"(?P<limit>[1-9][0-9]*)/(?P<unit>[smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=16)
def parse_rate(value: str, *, name: str = "A rate limit") -> tuple[int, int] | None:
    """``"20/h"`` -> ``(20, 3600)``; ``"0"`` turns the limit off and gives None.

    Anything else raises ``ImproperlyConfigured`` in one line that starts with ``name`` (the
    variable the value came from)."""
    value = value.strip()
    if value == "0":
        return None
    match = RATE_PATTERN.fullmatch(value)
    if match is None:
        raise ImproperlyConfigured(
            f"{name} must look like 20/h, 5/m or 100/d, or 0 for no limit, not {value!r}"
        )
    return int(match["limit"]), UNIT_SECONDS[match["unit"]]
