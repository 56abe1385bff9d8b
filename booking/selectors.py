"""Reads for the booking app: the catalogue and availability.

``slot_list_available`` loads everything the engine needs in five queries, whatever the number
of therapists, appointments or days, then hands plain data to ``booking.availability``.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Func, Prefetch, QuerySet
from django.utils import timezone

from therapists.eligibility import therapist_serves_zip
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.validators import validate_zip_code

from .availability import Busy, Slot, SlotQuery, TherapistCalendar, open_slots
from .models import TOKEN_PATTERN, Appointment, Booking, Service, ServiceDuration

GENDER_CHOICES = {"any", "female", "male"}
TOKEN = re.compile(TOKEN_PATTERN)


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


def _therapists_who_could_serve(
    *, service: Service, zip_code: str, first_day: date, last_day: date, gender: str, ids
) -> list[Therapist]:
    # The SQL prefilter narrows the rows; the engine asks the predicate day by day.
    therapists = Therapist.objects.bookable_between(
        first_day, last_day, modality_id=service.modality_id
    )
    if gender != "any":
        therapists = therapists.filter(gender=gender)
    if ids is not None:
        therapists = therapists.filter(pk__in=ids)
    therapists = therapists.prefetch_related("modalities").order_by("pk")
    return [t for t in therapists if therapist_serves_zip(t, zip_code)]


def _by_therapist(rows) -> defaultdict:
    """``(therapist_id, *values)`` rows grouped as {therapist_id: [values, ...]}."""
    grouped = defaultdict(list)
    for therapist_id, *values in rows:
        grouped[therapist_id].append(tuple(values))
    return grouped


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
    therapists = _therapists_who_could_serve(
        service=service,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
        gender=gender,
        ids=therapist_ids,
    )
    if not therapists:
        return []
    ids = [therapist.pk for therapist in therapists]
    tz = business_timezone()
    overlapping = {
        "therapist_id__in": ids,
        "starts_at__lt": datetime.combine(last_day + timedelta(days=2), time.min, tzinfo=tz),
        "ends_at__gt": datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=tz),
    }
    time_off = _by_therapist(
        TimeOff.objects.filter(**overlapping).values_list("therapist_id", "starts_at", "ends_at")
    )
    appointments = Appointment.objects.active().filter(**overlapping)
    if exclude_booking is not None:
        appointments = appointments.exclude(booking_id=exclude_booking.pk)
    busy = _by_therapist(
        appointments.values_list(
            "therapist_id", EpochMinutes("starts_at"), EpochMinutes("ends_at"), "zip_code"
        )
    )
    hours = defaultdict(lambda: defaultdict(list))
    for therapist_id, weekday, starts_at, ends_at in WorkingHours.objects.filter(
        therapist_id__in=ids
    ).values_list("therapist_id", "weekday", "starts_at", "ends_at"):
        hours[therapist_id][weekday].append((starts_at, ends_at))
    return [
        TherapistCalendar(
            therapist,
            dict(hours[therapist.pk]),
            time_off[therapist.pk],
            [Busy(*visit) for visit in busy[therapist.pk]],
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


def _slot_request_validate(
    *, service: Service, minutes: int, zip_code: str, gender: str, start_date: date, days: int
) -> None:
    errors = {}
    if service.duration_for(minutes) is None:
        errors["minutes"] = [lengths_offered_message(service)]
    today, horizon = timezone.localdate(), settings.BOOKING_HORIZON_DAYS
    if not today <= start_date <= today + timedelta(days=horizon):
        errors["start_date"] = [f"Choose a date from today to {horizon} days ahead."]
    if not 1 <= days <= horizon:
        errors["days"] = [f"Choose 1 to {horizon} days."]
    try:
        validate_zip_code(zip_code)
    except ValidationError as exc:
        errors["zip_code"] = exc.messages
    if gender not in GENDER_CHOICES:
        errors["gender"] = ["Choose any, female or male."]
    if errors:
        raise ValidationError(errors)


def service_serves_zip(*, service: Service, zip_code: str) -> bool:
    """Whether any active therapist offering this service's modality reaches the zip.

    Deliberately loose (no date, credential or gender filter): it answers "do you come to my
    area?", and the slot list then shows when someone can actually come."""
    therapists = Therapist.objects.filter(
        status=Therapist.Status.ACTIVE, modalities__id=service.modality_id
    ).only("home_zip", "travel_radius_miles")
    return any(therapist_serves_zip(therapist, zip_code) for therapist in therapists)


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

    Raises ValidationError (keys ``minutes``, ``zip_code``, ``gender``, ``start_date``,
    ``days``) for bad input.
    """
    first_day = start_date or timezone.localdate()
    _slot_request_validate(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        gender=gender,
        start_date=first_day,
        days=days,
    )
    last_day = first_day + timedelta(days=days - 1)
    calendars = calendars_load(
        service=service,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
        gender=gender,
        exclude_booking=exclude_booking,
    )
    if not calendars and not service_serves_zip(service=service, zip_code=zip_code):
        return Availability(served=False, slots=[], message=not_served_message(zip_code))
    query = slot_query_build(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
    )
    return Availability(served=True, slots=open_slots(query, calendars))


def booking_get_by_token(*, token: str) -> Booking | None:
    """The booking a private link or API token points at, with its active appointments and
    their therapists; None for a token that is malformed or unknown."""
    if not TOKEN.fullmatch(token or ""):
        return None
    active = Appointment.objects.active().select_related("therapist").order_by("starts_at")
    return (
        Booking.objects.select_related("service")
        .prefetch_related(Prefetch("appointments", queryset=active))
        .filter(token=token)
        .first()
    )


def appointment_get_by_job_token(*, token: str) -> Appointment | None:
    if not TOKEN.fullmatch(token or ""):
        return None
    return (
        Appointment.objects.select_related("booking__service", "therapist")
        .filter(job_token=token)
        .first()
    )


def booking_list_upcoming(*, email: str) -> QuerySet[Booking]:
    """Confirmed bookings still to come that were made with ``email``, soonest first."""
    return Booking.objects.upcoming().filter(client_email__iexact=email).order_by("starts_at")
