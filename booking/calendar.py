"""The calendar invite (.ics) for a booking, attached to client emails and offered as the
"add to calendar" download; and a therapist's subscription feed of their jobs.

icalendar is imported by the functions that build a file, not with the module: a web worker
that never serves one doesn't hold it.
"""

from collections.abc import Iterable
from datetime import date
from email.utils import parseaddr
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from therapists.models import Therapist

from .models import Appointment, Booking

UID_DOMAIN = "spatheory.com"
METHODS = {"REQUEST", "CANCEL", "PUBLISH"}


def booking_uid(booking: Booking) -> str:
    """Stable for the life of the booking, so every update replaces the same calendar entry."""
    return f"{booking.reference}@{UID_DOMAIN}"


def booking_ics(*, booking: Booking, method: str = "REQUEST") -> bytes:
    """An iCalendar file for ``booking``: METHOD:REQUEST to add or update the entry,
    METHOD:CANCEL (with STATUS:CANCELLED) to remove it. Times carry TZID America/New_York with
    its VTIMEZONE. No health notes or other private details beyond what the client gave."""
    from icalendar import Calendar, Event, vCalAddress, vText

    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
    zone = ZoneInfo(settings.TIME_ZONE)
    cancelled = method == "CANCEL" or booking.status == Booking.Status.CANCELLED

    calendar = Calendar()
    calendar.add("prodid", "-//Spa Theory//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    event.add("dtstart", booking.starts_at.astimezone(zone))
    event.add("dtend", booking.ends_at.astimezone(zone))
    event.add("summary", f"{booking.service.name} · Spa Theory")
    event.add("location", _address(booking))
    manage_url = settings.SITE_URL + booking.get_absolute_url()
    event.add(
        "description",
        f"Your at-home massage, booking {booking.reference}.\n"
        f"See, reschedule or cancel it: {manage_url}",
    )
    event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")

    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(organizer_name or "Spa Theory")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{booking.client_email}")
    attendee.params["cn"] = vText(booking.client_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)

    calendar.add_component(event)
    # The zone goes in before the event, as add_component would put it, from bytes serialised
    # once per year: folding its lines again for every email was most of an invite's cost.
    head, begin, rest = calendar.to_ical().partition(b"BEGIN:VEVENT\r\n")
    year = booking.starts_at.astimezone(zone).year
    return head + _vtimezone_ical(settings.TIME_ZONE, year) + begin + rest


def therapist_jobs_ics(*, therapist: Therapist, appointments: Iterable[Appointment]) -> bytes:
    """A therapist's jobs as a calendar to subscribe to: for each, the time, the service and
    length, the area (city and zip) and a link to its job page. Nothing else about the client
    (no name, phone, address or notes): the feed's URL lives in calendar apps and their sync
    servers, outside the job page's visibility window."""
    from icalendar import Calendar, Event

    zone = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", "-//Spa Theory//Therapist jobs//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Spa Theory jobs · {therapist.first_name}")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    events = []
    stamp = timezone.now().astimezone(ZoneInfo("UTC"))
    for appointment in appointments:
        booking = appointment.booking
        starts_at = appointment.starts_at.astimezone(zone)
        area = f"{booking.city} {appointment.zip_code}"
        job_url = settings.SITE_URL + appointment.get_absolute_url()
        event = Event()
        event.add("uid", f"job-{appointment.pk}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", starts_at)
        event.add("dtend", appointment.ends_at.astimezone(zone))
        event.add("summary", f"{booking.service.name}, {booking.minutes} min · {area}")
        event.add("location", area)
        event.add("description", f"Job {booking.reference}. Details on the job page: {job_url}")
        event.add("url", job_url)
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        events.append(event)
    # One VTIMEZONE per TZID: the zone's rules from the year before the first job on cover the
    # feed, which reaches back a few weeks and forward to the booking horizon.
    first = min((event.decoded("dtstart") for event in events), default=timezone.now())
    calendar.add_component(_vtimezone(settings.TIME_ZONE, first.astimezone(zone).year))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


@cache
def _vtimezone(tzid: str, year: int):
    """The zone's rules around ``year``: enough for the event, and far cheaper to build and
    send than the full 1970-2038 history."""
    from icalendar import Timezone

    return Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))


@cache
def _vtimezone_ical(tzid: str, year: int) -> bytes:
    return _vtimezone(tzid, year).to_ical()


def _address(booking: Booking) -> str:
    street = ", ".join(part for part in (booking.address_line1, booking.address_line2) if part)
    return f"{street}, {booking.city}, {booking.state} {booking.zip_code}"
