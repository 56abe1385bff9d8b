"""Reads for the booking app: the catalogue and availability.

``slot_list_available`` loads everything the engine needs in five queries, whatever the number
of therapists, appointments or days, then hands plain data to ``booking.availability``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Func, Prefetch, QuerySet
from django.utils import timezone

from therapists.geo import distance_miles
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.validators import validate_zip_code

from .availability import Busy, Slot, SlotQuery, TherapistCalendar, open_slots
from .models import Appointment, Booking, Service, ServiceDuration

__all__ = [
    "Availability",
    "Slot",
    "service_list_active",
    "slot_list_available",
    "zip_is_served",
]

GENDER_CHOICES = {"any", "female", "male"}


class EpochMinutes(Func):
    """Whole minutes since 1970 (UTC), the engine's unit of time, computed by the database so
    thousands of appointments load without building a datetime for each."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "(EXTRACT(EPOCH FROM %(expressions)s)::bigint / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # strftime's %s, escaped once for this template and once for the query's parameters.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class Availability:
    served: bool
    slots: list[Slot]
    message: str = ""


def service_list_active() -> QuerySet[Service]:
    return (
        Service.objects.active()
        .select_related("modality")
        .prefetch_related(
            Prefetch("durations", queryset=ServiceDuration.objects.order_by("minutes"))
        )
    )


def business_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def not_served_message(zip_code: str) -> str:
    return f"We don't come to {zip_code} yet."


def _candidate_therapists(
    *, modality_id: int, first_day: date, last_day: date, gender: str
) -> QuerySet[Therapist]:
    """SQL prefilter for ``therapist_is_bookable`` over a range of days; the predicate decides
    per day (credentials may lapse mid-range), and the radius is checked in Python."""
    queryset = Therapist.objects.filter(
        status=Therapist.Status.ACTIVE,
        modalities__id=modality_id,
        vetted_on__lte=last_day,
        licence_expires_on__gte=first_day,
        insurance_expires_on__gte=first_day,
        background_check_valid_until__gte=first_day,
    )
    if gender != "any":
        queryset = queryset.filter(gender=gender)
    return queryset.prefetch_related("modalities").order_by("pk")


def _within_radius(therapist: Therapist, zip_code: str) -> bool:
    miles = distance_miles(therapist.home_zip, zip_code)
    return miles is not None and miles <= therapist.travel_radius_miles


def calendars_load(
    *,
    service: Service,
    zip_code: str,
    first_day: date,
    last_day: date,
    gender: str = "any",
    exclude_booking: Booking | None = None,
    therapist_ids: list[int] | None = None,
) -> list[TherapistCalendar]:
    """The engine's inputs for therapists who could serve this zip on some day of the range."""
    therapists = _candidate_therapists(
        modality_id=service.modality_id, first_day=first_day, last_day=last_day, gender=gender
    )
    if therapist_ids is not None:
        therapists = therapists.filter(pk__in=therapist_ids)
    therapists = [t for t in therapists if _within_radius(t, zip_code)]
    if not therapists:
        return []
    ids = [therapist.pk for therapist in therapists]

    tz = business_timezone()
    range_start = datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=tz)
    range_end = datetime.combine(last_day + timedelta(days=2), time.min, tzinfo=tz)

    time_off = defaultdict(list)
    for off in TimeOff.objects.filter(
        therapist_id__in=ids, starts_at__lt=range_end, ends_at__gt=range_start
    ).values_list("therapist_id", "starts_at", "ends_at"):
        time_off[off[0]].append((off[1], off[2]))

    appointments = Appointment.objects.active().filter(
        therapist_id__in=ids, starts_at__lt=range_end, ends_at__gt=range_start
    )
    if exclude_booking is not None:
        appointments = appointments.exclude(booking_id=exclude_booking.pk)
    busy = defaultdict(list)
    for therapist_id, start, end, zip_of_visit in appointments.values_list(
        "therapist_id", EpochMinutes("starts_at"), EpochMinutes("ends_at"), "zip_code"
    ):
        busy[therapist_id].append(Busy(start, end, zip_of_visit))

    hours = defaultdict(lambda: defaultdict(list))
    for therapist_id, weekday, starts_at, ends_at in WorkingHours.objects.filter(
        therapist_id__in=ids
    ).values_list("therapist_id", "weekday", "starts_at", "ends_at"):
        hours[therapist_id][weekday].append((starts_at, ends_at))

    return [
        TherapistCalendar(
            therapist, dict(hours[therapist.pk]), time_off[therapist.pk], busy[therapist.pk]
        )
        for therapist in therapists
    ]


def slot_query_build(
    *,
    service: Service,
    minutes: int,
    zip_code: str,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
) -> SlotQuery:
    now = now or timezone.now()
    tz = business_timezone()
    return SlotQuery(
        modality_id=service.modality_id,
        zip_code=zip_code,
        busy_minutes=service.appointment_minutes(
            minutes, changeover=settings.BOOKING_COUPLES_CHANGEOVER_MINUTES
        ),
        therapists_needed=service.therapists_needed,
        first_day=first_day,
        last_day=last_day,
        not_before=now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES),
        last_bookable_day=now.astimezone(tz).date() + timedelta(days=settings.BOOKING_HORIZON_DAYS),
        step_minutes=settings.BOOKING_SLOT_STEP_MINUTES,
        buffer_minutes=settings.BOOKING_MIN_BUFFER_MINUTES,
        tz=tz,
        earliest_start=service.earliest_start,
        latest_start=service.latest_start,
    )


def lengths_offered_message(service: Service) -> str:
    lengths = ", ".join(str(duration.minutes) for duration in service.durations.all())
    return f"{service.name} is offered for {lengths} minutes."


def validate_slot_request(*, service: Service, minutes: int, zip_code: str, gender: str) -> None:
    errors = {}
    if not any(duration.minutes == minutes for duration in service.durations.all()):
        errors["minutes"] = [lengths_offered_message(service)]
    try:
        validate_zip_code(zip_code)
    except ValidationError as exc:
        errors["zip_code"] = exc.messages
    if gender not in GENDER_CHOICES:
        errors["gender"] = ["Choose any, female or male."]
    if errors:
        raise ValidationError(errors)


def zip_is_served(*, service: Service, zip_code: str) -> bool:
    """Whether any active therapist offering this service's modality reaches the zip.

    Deliberately loose (no date, credential or gender filter): it answers "do you come to my
    area?", and the slot list then shows when someone can actually come."""
    therapists = Therapist.objects.filter(
        status=Therapist.Status.ACTIVE, modalities__id=service.modality_id
    ).only("home_zip", "travel_radius_miles")
    return any(_within_radius(therapist, zip_code) for therapist in therapists)


def slot_list_available(
    *,
    service: Service,
    minutes: int,
    zip_code: str,
    start_date: date | None = None,
    days: int = 14,
    gender: str = "any",
    exclude_booking: Booking | None = None,
) -> Availability:
    """Open start times for ``days`` local days from ``start_date`` (today by default).

    Raises ValidationError (keys ``minutes``, ``zip_code``, ``gender``, ``days``) for bad input.
    """
    validate_slot_request(service=service, minutes=minutes, zip_code=zip_code, gender=gender)
    if not 1 <= days <= settings.BOOKING_HORIZON_DAYS:
        raise ValidationError({"days": [f"Choose 1 to {settings.BOOKING_HORIZON_DAYS} days."]})
    first_day = start_date or timezone.localdate()
    last_day = first_day + timedelta(days=days - 1)
    calendars = calendars_load(
        service=service,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
        gender=gender,
        exclude_booking=exclude_booking,
    )
    if not calendars and not zip_is_served(service=service, zip_code=zip_code):
        return Availability(served=False, slots=[], message=not_served_message(zip_code))
    query = slot_query_build(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
    )
    return Availability(served=True, slots=open_slots(query, calendars))
