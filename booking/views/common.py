"""What the booking pages share: the day-and-time picker, private-page headers, htmx checks."""

from collections import defaultdict
from datetime import date, timedelta
from functools import wraps

from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from ..models import Service
from ..selectors import Availability, slot_list_available

PICKER_DAYS = 14


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


def availability_for(
    service: Service, *, minutes: int, zip_code: str, gender: str, exclude_booking=None
) -> Availability:
    """Open times for the picker's days, from today."""
    return slot_list_available(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        start_date=timezone.localdate(),
        days=PICKER_DAYS,
        gender=gender,
        exclude_booking=exclude_booking,
    )


def slot_picker(availability: Availability, *, chosen_day: date | None) -> dict:
    """The date strip and the chosen day's open times, grouped by part of the day."""
    first_day = timezone.localdate()
    by_day = defaultdict(list)
    for slot in availability.slots:
        by_day[timezone.localtime(slot.starts_at).date()].append(slot)
    days = [first_day + timedelta(days=offset) for offset in range(PICKER_DAYS)]
    if chosen_day not in days:
        chosen_day = next((day for day in days if by_day[day]), first_day)
    groups = {"Morning": [], "Afternoon": [], "Evening": []}
    for slot in by_day[chosen_day]:
        groups[_part_of_day(slot.starts_at)].append(slot)
    return {
        "days": [{"date": day, "open": len(by_day[day])} for day in days],
        "chosen_day": chosen_day,
        "slot_groups": [(label, slots) for label, slots in groups.items() if slots],
    }


def _part_of_day(moment) -> str:
    hour = timezone.localtime(moment).hour
    return "Morning" if hour < 12 else "Afternoon" if hour < 17 else "Evening"


def day_asked(request) -> date | None:
    """The ``?day=`` a client picked on the date strip, if it is a real date."""
    try:
        return parse_date(request.GET.get("day", ""))
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
