"""What the booking pages share: the day-and-time picker, private-page headers, htmx checks."""

from collections import defaultdict
from datetime import date, timedelta
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from ..models import Service
from ..selectors import Availability, availability_key, slot_list_available_cached

PICKER_DAYS = 14
# How far "Previous week" and "Next week" move the date strip.
PICKER_STEP_DAYS = 7


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def rate_limited(request):
    return render(request, "booking/rate_limited.html", status=429)


def private_page(view):
    """Every page reached by an unguessable token (a client's booking, a therapist's job):
    kept out of search results, caches and other sites' Referer headers.

    Their forms skip Django's CSRF check. A page sent with ``Referrer-Policy: no-referrer``
    makes browsers post its forms with ``Origin: null``, which that check refuses; and the
    unguessable token in the URL already does the check's job, since a forged request would
    need it."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapper


def _last_bookable_day() -> date:
    return timezone.localdate() + timedelta(days=settings.BOOKING_HORIZON_DAYS)


def _latest_first_day() -> date:
    """The last day the strip may start on: its last day is then the last bookable one."""
    return max(timezone.localdate(), _last_bookable_day() - timedelta(days=PICKER_DAYS - 1))


def picker_first_day(*, asked: date | None, chosen_day: date | None) -> date:
    """The strip's first day: the ``?from=`` asked for (kept within the horizon), else today
    when the chosen day is in the first strip, else the chosen day when it is bookable."""
    today = timezone.localdate()
    latest = _latest_first_day()
    if asked is not None:
        return min(max(asked, today), latest)
    if chosen_day is None or not today <= chosen_day <= _last_bookable_day():
        return today
    if chosen_day < today + timedelta(days=PICKER_DAYS):
        return today
    return min(chosen_day, latest)


def _strip_last_day(first_day: date) -> date:
    return min(first_day + timedelta(days=PICKER_DAYS - 1), _last_bookable_day())


def availability_for(
    service: Service,
    *,
    minutes: int,
    zip_code: str,
    gender: str,
    exclude_booking=None,
    first_day: date | None = None,
    therapist=None,
) -> Availability:
    """Open times for the strip's days, from ``first_day`` (today by default)."""
    first_day = first_day or timezone.localdate()
    last_day = _strip_last_day(first_day)
    return slot_list_available_cached(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        start_date=first_day,
        days=(last_day - first_day).days + 1,
        gender=gender,
        exclude_booking=exclude_booking,
        therapist=therapist,
    )


def picker_key(
    *,
    service: str,
    minutes: int,
    zip_code: str,
    gender: str,
    first_day: date,
    therapist: str = "",
    **shown,
) -> str:
    """The cache key of what is rendered from the open times ``availability_for`` gives (to be
    stored under the ``AVAILABILITY`` version): their own key, with the strip's days, plus
    everything else the rendering shows (``shown``: the day chosen, the time selected...)."""
    times = availability_key(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        start_date=first_day,
        days=(_strip_last_day(first_day) - first_day).days + 1,
        gender=gender,
        therapist=therapist,
    )
    return f"picker:{times}:" + ":".join(f"{name}={shown[name]}" for name in sorted(shown))


def _week_links(picker_url: str, first_day: date) -> dict:
    today, latest = timezone.localdate(), _latest_first_day()
    previous = max(first_day - timedelta(days=PICKER_STEP_DAYS), today)
    following = min(first_day + timedelta(days=PICKER_STEP_DAYS), latest)
    return {
        "previous_week_url": f"{picker_url}?from={previous:%Y-%m-%d}"
        if first_day > today
        else None,
        "next_week_url": f"{picker_url}?from={following:%Y-%m-%d}" if first_day < latest else None,
    }


def slot_picker(
    availability: Availability,
    *,
    chosen_day: date | None,
    first_day: date | None = None,
    picker_url: str = "",
) -> dict:
    """The date strip (from ``first_day``, today by default, up to the last bookable day), its
    previous and next week links, and the chosen day's open times by part of the day."""
    first_day = first_day or timezone.localdate()
    last_day = _strip_last_day(first_day)
    by_day = defaultdict(list)
    for slot in availability.slots:
        by_day[timezone.localtime(slot.starts_at).date()].append(slot)
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    if chosen_day not in days:
        chosen_day = next((day for day in days if by_day[day]), first_day)
    groups = {"Morning": [], "Afternoon": [], "Evening": []}
    for slot in by_day[chosen_day]:
        groups[_part_of_day(slot.starts_at)].append(slot)
    return {
        "days": [{"date": day, "open": len(by_day[day])} for day in days],
        "first_day": first_day,
        "chosen_day": chosen_day,
        "slot_groups": [(label, slots) for label, slots in groups.items() if slots],
        "picker_url": picker_url,
        **_week_links(picker_url, first_day),
    }


def _part_of_day(moment) -> str:
    hour = timezone.localtime(moment).hour
    return "Morning" if hour < 12 else "Afternoon" if hour < 17 else "Evening"


def day_asked(request, name: str = "day") -> date | None:
    """The ``?day=`` a client picked on the date strip (or the ``?from=`` its week links ask
    for), if it is a real date."""
    try:
        return parse_date(request.GET.get(name, ""))
    except ValueError:
        return None


def day_of_posted_start(request) -> date | None:
    """The local day of the start a refused time form sent, to show that day again."""
    try:
        moment = parse_datetime(request.POST.get("start", ""))
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return timezone.localtime(moment).date()
