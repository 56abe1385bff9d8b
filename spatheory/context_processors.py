from functools import lru_cache

from django.conf import settings

from booking.wording import SPACE_NEEDED, late_cancellation_policy
from therapists.validators import phone_to_e164


@lru_cache(maxsize=8)
def _e164(number: str) -> str:
    return phone_to_e164(number)


def business_phone_tel() -> str:
    """``BUSINESS_PHONE`` in E.164, for ``tel:`` links and structured data."""
    return _e164(settings.BUSINESS_PHONE)


def site(request):
    return {
        "site_url": settings.SITE_URL,
        "business_phone": settings.BUSINESS_PHONE,
        "business_phone_tel": business_phone_tel(),
        "space_needed": SPACE_NEEDED,
        "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
        "late_policy": late_cancellation_policy(),
    }
