"""Reads for the booking app: the catalogue and availability.

``slot_list_available`` loads everything the engine needs in one query (on PostgreSQL), whatever
the number of therapists, appointments or days, then hands plain data to
``booking.availability``.
"""

import re
import sys
import zlib
from array import array
from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from spatheory.db import prepared_execute
from spatheory.page_cache import AVAILABILITY, CONTENT, versioned_get, versioned_set
from therapists.credentials import CREDENTIALS
from therapists.eligibility import therapist_serves_zip
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.validators import email_normalise, validate_zip_code

from .availability import Slot, SlotQuery, TherapistCalendar, Week, open_slots, working_week
from .models import (
    TOKEN_PATTERN,
    Appointment,
    Booking,
    JobEvent,
    Notification,
    Service,
    ServiceDuration,
    TextOptOut,
)

GENDER_CHOICES = {"any", "female", "male"}
TOKEN = re.compile(TOKEN_PATTERN)


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


# What the engine reads of a therapist: the eligibility predicate's attributes and the
# assignment order's id, without building a model instance for each.
ENGINE_THERAPIST_FIELDS = (
    "pk",
    "status",
    "vetted_on",
    *dict.fromkeys(
        field
        for credential in CREDENTIALS
        for field in (credential.starts, credential.expires)
        if field != credential.starts or credential.starts_validity
    ),
    "home_zip",
    "travel_radius_miles",
)
TherapistFacts = namedtuple("TherapistFacts", ENGINE_THERAPIST_FIELDS)


def _therapists_who_could_serve_queryset(
    *, modality_id: int, first_day: date, last_day: date, gender: str, ids, lock: bool
) -> QuerySet[Therapist]:
    if lock:
        # The rows of ``ids`` who offer the service's modality, locked in id order: the lock
        # every appointment write takes. Nothing more is asked of the database: the engine's
        # predicate checks status, vetting and credentials on the rows just locked.
        therapists = Therapist.objects.filter(pk__in=ids, modalities__id=modality_id)
    else:
        # The SQL prefilter narrows the rows; the engine asks the predicate day by day.
        therapists = Therapist.objects.bookable_between(
            first_day, last_day, modality_id=modality_id
        )
        if ids is not None:
            therapists = therapists.filter(pk__in=ids)
    if gender != "any":
        therapists = therapists.filter(gender=gender)
    return therapists


def _therapists_who_could_serve(
    *,
    service: Service,
    zip_code: str,
    first_day: date,
    last_day: date,
    gender: str,
    ids,
    as_facts: bool = False,
    lock: bool = False,
) -> list:
    therapists = _therapists_who_could_serve_queryset(
        modality_id=service.modality_id,
        first_day=first_day,
        last_day=last_day,
        gender=gender,
        ids=ids,
        lock=lock,
    )
    if lock:
        therapists = therapists.select_for_update(of=("self",)).order_by("pk")
    elif as_facts:
        rows = therapists.order_by("pk").values_list(*ENGINE_THERAPIST_FIELDS)
        therapists = [TherapistFacts._make(row) for row in rows]
    else:
        therapists = therapists.prefetch_related("modalities").order_by("pk")
    return [t for t in therapists if therapist_serves_zip(t, zip_code)]


# How long a shortlist's therapists stay cached (under the content version), and the shape of
# what is stored: a change of the fields read is never read back from entries in the old one.
SHORTLIST_SECONDS = 10 * 60
SHORTLIST_FORMAT = zlib.crc32(" ".join(ENGINE_THERAPIST_FIELDS).encode())


def _therapists_shortlist(
    *, service: Service, zip_code: str, first_day: date, last_day: date, gender: str, ids
) -> list[TherapistFacts]:
    """``_therapists_who_could_serve`` as facts, through the cache: stored under the
    ``CONTENT`` version, which every save of a therapist, their modalities, a modality or a
    service bumps, and keyed by every argument (the days decide whose credentials count). For
    choosing whom to lock only: the booking services lock the therapists picked and check
    them again on the rows they lock."""
    key = ":".join(
        str(part)
        for part in (
            "therapist-shortlist",
            SHORTLIST_FORMAT,
            service.pk,
            service.modality_id,
            zip_code,
            first_day,
            last_day,
            gender,
            ",".join(map(str, ids)) if ids is not None else "",
        )
    )
    stored, version = versioned_get(CONTENT, key)
    if stored is not None:
        return [TherapistFacts._make(row) for row in stored]
    therapists = _therapists_who_could_serve(
        service=service,
        zip_code=zip_code,
        first_day=first_day,
        last_day=last_day,
        gender=gender,
        ids=ids,
        as_facts=True,
    )
    versioned_set(key, version, [tuple(t) for t in therapists], SHORTLIST_SECONDS)
    return therapists


def calendars_load(
    *,
    service: Service,
    zip_code: str,
    first_day: date,
    last_day: date,
    gender: str = "any",
    exclude_booking: Booking | None = None,
    therapist_ids: list[int] | None = None,
    as_facts: bool = False,
    lock: bool = False,
    shortlist: bool = False,
) -> list[TherapistCalendar]:
    """The engine's inputs for therapists who could serve this zip on some day of the range.

    Each calendar's therapist is a model instance (what a booking assigns), or with
    ``as_facts`` a ``TherapistFacts`` record of only what the engine reads (for showing times):
    no instance, no modalities prefetch, as every therapist loaded offers the service's
    modality. Hours, time off and appointments come in one more query (three elsewhere than
    PostgreSQL), as columns of integers rather than a row each; on PostgreSQL the facts come
    in the same statement as the calendars. With ``lock``
    (inside a transaction) the therapists' rows are locked as they are read, so their
    appointments, time off and hours, read next, can't change until it commits; their
    modalities are then not loaded (the caller sets them from an earlier read). With
    ``shortlist`` (facts, to rank whom to lock) the therapists come through the cache
    (``_therapists_shortlist``); their calendars are always read."""
    who = {
        "service": service,
        "first_day": first_day,
        "last_day": last_day,
        "gender": gender,
        "ids": therapist_ids,
    }
    tz = business_timezone()
    # Whatever could touch the range: a day's margin either side covers any travel gap.
    read = {
        "since": datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=tz),
        "until": datetime.combine(last_day + timedelta(days=2), time.min, tzinfo=tz),
        "exclude_booking": exclude_booking,
    }
    if as_facts and not lock and not shortlist and connection.vendor == "postgresql":
        statement = _facts_and_calendars_statement(
            service.modality_id,
            first_day,
            last_day,
            gender,
            tuple(therapist_ids) if therapist_ids is not None else None,
        )
        therapists, columns = _facts_and_calendar_columns_sql(statement, **read)
        therapists = [t for t in therapists if therapist_serves_zip(t, zip_code)]
    else:
        if shortlist and as_facts and not lock:
            therapists = _therapists_shortlist(**who, zip_code=zip_code)
        else:
            therapists = _therapists_who_could_serve(
                **who, zip_code=zip_code, as_facts=as_facts, lock=lock
            )
        if not therapists:
            return []
        columns = (
            _calendar_columns_sql if connection.vendor == "postgresql" else _calendar_columns_orm
        )([therapist.pk for therapist in therapists], **read)
    offered = frozenset({service.modality_id}) if as_facts else None
    calendars = []
    for therapist in therapists:
        week, off_starts, off_ends, starts, ends, zip_codes = columns.get(therapist.pk, NO_COLUMNS)
        calendars.append(
            TherapistCalendar.columns(
                therapist,
                week,
                time_off_starts=off_starts,
                time_off_ends=off_ends,
                busy_starts=starts,
                busy_ends=ends,
                busy_zip_codes=zip_codes,
                modality_ids=offered,
            )
        )
    return calendars


# A therapist's calendar as columns: their weekly hours (``working_week``), the start and end
# (UTC minutes) of each time off, and the start, end and zip code of each appointment.
NO_COLUMNS = ((), (), (), (), (), ())

# One statement for every therapist's calendar, one row each: the hours as text, whole minutes
# as 8-byte big-endian integers end to end, zip codes separated by commas. Thousands of
# appointments arrive as a few hundred rows, their times read into arrays of integers in C
# (no Python object for each, nothing for the garbage collector to walk). Each lateral
# subquery reads one therapist's rows through their index; an appointment of
# ``exclude_booking`` (the booking being moved) does not count. The minutes are the columns
# the database keeps (``EpochMinutes``). Planning the statement costs more than running it, so
# it runs prepared, planned once per connection (``prepared_execute``).
CALENDAR_LATERAL_SQL = """
CROSS JOIN LATERAL (
    SELECT string_agg(weekday || ' ' || starts_at || ' ' || ends_at, ' '
                      ORDER BY weekday, starts_at, ends_at) AS week
    FROM therapists_workinghours WHERE therapist_id = therapist.id
) AS hours
CROSS JOIN LATERAL (
    SELECT string_agg(int8send(starts_minute), '') AS starts,
           string_agg(int8send(ends_minute), '') AS ends
    FROM therapists_timeoff
    WHERE therapist_id = therapist.id AND starts_at < %(until)s AND ends_at > %(since)s
) AS time_off
CROSS JOIN LATERAL (
    SELECT string_agg(int8send(starts_minute), '') AS starts,
           string_agg(int8send(ends_minute), '') AS ends,
           string_agg(zip_code, ',') AS zip_codes
    FROM booking_appointment
    WHERE therapist_id = therapist.id AND is_active
      AND starts_at < %(until)s AND ends_at > %(since)s
      AND booking_id IS DISTINCT FROM %(excluded)s
) AS busy
"""
CALENDAR_COLUMNS = (
    "hours.week, time_off.starts, time_off.ends, busy.starts, busy.ends, busy.zip_codes"
)
# The calendars of the therapists ``ids``.
CALENDAR_COLUMNS_SQL = f"""
SELECT therapist.id, {CALENDAR_COLUMNS}
FROM unnest(%(ids)s::bigint[]) AS therapist (id)
{CALENDAR_LATERAL_SQL}
"""
# The therapists a query (its SQL in place of ``{therapists}``) finds, their fields first and
# their calendars after, in id order.
FACTS_AND_CALENDAR_COLUMNS_SQL = f"""
SELECT therapist.*, {CALENDAR_COLUMNS}
FROM ({{therapists}}) AS therapist (id)
{CALENDAR_LATERAL_SQL}
ORDER BY therapist.id
"""
POSITIONAL = re.compile(r"%%|%s")


def _calendar_columns_read(sql: str, parameters: dict) -> list[tuple]:
    parameters["excluded"] = parameters.pop("exclude_booking")
    if parameters["excluded"] is not None:
        parameters["excluded"] = parameters["excluded"].pk
    with connection.cursor() as cursor:
        prepared_execute(connection, cursor, sql, parameters)
        return cursor.fetchall()


def _calendar_columns(week, off_starts, off_ends, starts, ends, zip_codes) -> tuple:
    return (
        _week_from_text(week or ""),
        _minutes_from_bytes(off_starts),
        _minutes_from_bytes(off_ends),
        _minutes_from_bytes(starts),
        _minutes_from_bytes(ends),
        zip_codes.split(",") if zip_codes is not None else (),
    )


def _calendar_columns_sql(ids, **read) -> dict[int, tuple]:
    """The therapists' calendars as columns, by therapist id, in one query (PostgreSQL)."""
    rows = _calendar_columns_read(CALENDAR_COLUMNS_SQL, {"ids": ids, **read})
    return {therapist_id: _calendar_columns(*columns) for therapist_id, *columns in rows}


def _statement_with_therapists(therapists: QuerySet[Therapist]) -> tuple[str, dict]:
    """``FACTS_AND_CALENDAR_COLUMNS_SQL`` around the SQL of ``therapists`` (their fields as
    the engine reads them), and that query's parameters, named."""
    query, found = (
        therapists.order_by().values_list(*ENGINE_THERAPIST_FIELDS).query.sql_with_params()
    )
    parameters = {f"therapist_{index}": value for index, value in enumerate(found)}
    counter = iter(parameters)
    query = POSITIONAL.sub(
        lambda match: "%%" if match[0] == "%%" else f"%({next(counter)})s", query
    )
    # One string for every statement of the same shape (prepared_execute remembers each).
    return sys.intern(FACTS_AND_CALENDAR_COLUMNS_SQL.replace("{therapists}", query)), parameters


@lru_cache(maxsize=64)
def _facts_and_calendars_statement(
    modality_id: int, first_day: date, last_day: date, gender: str, ids: tuple | None
) -> tuple[str, dict]:
    """The statement reading who could serve (``_therapists_who_could_serve_queryset``) with
    their calendars: the same SQL and parameters for the same arguments, so the therapists'
    query is built and compiled once for them rather than on every request. Its parameters are
    dates, numbers and text, never changed by a caller."""
    return _statement_with_therapists(
        _therapists_who_could_serve_queryset(
            modality_id=modality_id,
            first_day=first_day,
            last_day=last_day,
            gender=gender,
            ids=ids,
            lock=False,
        )
    )


def _facts_and_calendar_columns_sql(
    statement: tuple[str, dict], **read
) -> tuple[list[TherapistFacts], dict[int, tuple]]:
    """The therapists ``statement`` (``_statement_with_therapists``) finds, as facts in id
    order, and their calendars by id, in one query (PostgreSQL): the therapists' query runs
    inside the calendars' statement."""
    sql, parameters = statement
    rows = _calendar_columns_read(sql, {**parameters, **read})
    width = len(ENGINE_THERAPIST_FIELDS)
    facts = [TherapistFacts._make(row[:width]) for row in rows]
    return facts, {row[0]: _calendar_columns(*row[width:]) for row in rows}


@lru_cache(maxsize=4096)
def _week_from_text(text: str) -> Week:
    """``working_week`` of hours written "weekday start end ...", e.g. "0 09:00:00 17:00:00"."""
    words = text.split()
    hours = defaultdict(list)
    for weekday, start, end in zip(words[0::3], words[1::3], words[2::3], strict=True):
        hours[int(weekday)].append((time.fromisoformat(start), time.fromisoformat(end)))
    return working_week(hours)


def _minutes_from_bytes(data) -> array:
    minutes = array("q")
    if data:
        minutes.frombytes(data)
        if sys.byteorder == "little":
            minutes.byteswap()
    return minutes


def _calendar_columns_orm(ids, *, since, until, exclude_booking) -> dict[int, tuple]:
    """What ``_calendar_columns_sql`` reads, in three plain queries, for the other databases
    (the embedded SQLite default)."""
    hours = defaultdict(lambda: defaultdict(list))
    for therapist_id, weekday, starts_at, ends_at in (
        WorkingHours.objects.filter(therapist_id__in=ids)
        .order_by()
        .values_list("therapist_id", "weekday", "starts_at", "ends_at")
    ):
        hours[therapist_id][weekday].append((starts_at, ends_at))
    columns = defaultdict(lambda: ((), [], [], [], [], []))
    for therapist_id in hours:
        columns[therapist_id] = (working_week(hours[therapist_id]), [], [], [], [], [])
    overlapping = {"therapist_id__in": ids, "starts_at__lt": until, "ends_at__gt": since}
    for therapist_id, start, end in (
        TimeOff.objects.filter(**overlapping)
        .order_by()
        .values_list("therapist_id", "starts_minute", "ends_minute")
    ):
        _, off_starts, off_ends, *_ = columns[therapist_id]
        off_starts.append(start)
        off_ends.append(end)
    appointments = Appointment.objects.active().filter(**overlapping)
    if exclude_booking is not None:
        appointments = appointments.exclude(booking_id=exclude_booking.pk)
    for therapist_id, start, end, visit_zip in appointments.order_by().values_list(
        "therapist_id", "starts_minute", "ends_minute", "zip_code"
    ):
        *_, starts, ends, zip_codes = columns[therapist_id]
        starts.append(start)
        ends.append(end)
        zip_codes.append(visit_zip)
    return columns


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
    """What a client reads when they ask for a length the service doesn't come in, like
    "Sleep massage comes in 60 or 90 minutes."."""
    lengths = sorted(duration.minutes for duration in service.durations.all())
    words = [str(minutes) for minutes in lengths]
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"{service.name} comes in {listed} minutes."


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


def covered_not_bookable_message(zip_code: str) -> str:
    return f"We cover {zip_code}, but no therapist is free to book there right now."


def service_bookable_in_zip(*, service: Service, zip_code: str) -> bool:
    """Whether someone could actually be booked for this service at the zip within the booking
    horizon: a therapist bookable on some day from today (licence, insurance and checks in
    date, not suspended) who gives its modality and reaches the zip. Cheap: one query, no slot
    computation, so the slot list may still find every time taken."""
    today = timezone.localdate()
    therapists = Therapist.objects.bookable_between(
        today,
        today + timedelta(days=settings.BOOKING_HORIZON_DAYS),
        modality_id=service.modality_id,
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
    therapist: Therapist | None = None,
) -> Availability:
    """Open start times for ``days`` local days from ``start_date`` (today by default); with
    ``therapist``, only the times that therapist can take (for a couples massage, with any
    other free therapist beside them).

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
        therapist_ids=_asked_for_only(service, therapist),
        as_facts=True,
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
    therapist_id = therapist.pk if therapist is not None else None
    return Availability(served=True, slots=open_slots(query, calendars, therapist_id=therapist_id))


def _asked_for_only(service: Service, therapist: Therapist | None) -> list[int] | None:
    """The calendars to load when a client asked for ``therapist``: theirs alone when the
    service needs one therapist; everyone's for two (the other may be anyone free)."""
    if therapist is None or service.therapists_needed > 1:
        return None
    return [therapist.pk]


AVAILABILITY_SECONDS = 10 * 60


def availability_key(
    *,
    service: str,
    minutes: int,
    zip_code: str,
    start_date: date,
    days: int,
    gender: str = "any",
    exclude_booking: Booking | None = None,
    therapist: str = "",
) -> str:
    """The cache key of an availability answer (stored under the ``AVAILABILITY`` version,
    bumped by every write the answer is computed from): every argument, the settings it reads,
    and the two
    ways time changes it: today's date (the horizon) and the first grid start the notice
    period still allows (an open time drops out exactly when the notice passes it)."""
    tz = business_timezone()
    now = timezone.now()
    step = settings.BOOKING_SLOT_STEP_MINUTES
    earliest = (now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)).astimezone(tz)
    minute_of_day = (
        earliest.hour * 60 + earliest.minute + bool(earliest.second or earliest.microsecond)
    )
    first_start = -(-minute_of_day // step)
    parts = (
        service,
        minutes,
        zip_code,
        start_date,
        days,
        gender,
        exclude_booking.pk if exclude_booking is not None else "",
        therapist,
        now.astimezone(tz).date(),
        earliest.date(),
        first_start,
        step,
        settings.BOOKING_MIN_NOTICE_MINUTES,
        settings.BOOKING_HORIZON_DAYS,
        settings.BOOKING_MIN_BUFFER_MINUTES,
        settings.BOOKING_COUPLES_CHANGEOVER_MINUTES,
    )
    return "availability:" + ":".join(str(part) for part in parts)


def slot_list_available_cached(
    *,
    service: Service,
    minutes: int,
    zip_code: str,
    start_date: date | None = None,
    days: int = 14,
    gender: str = "any",
    exclude_booking: Booking | None = None,
    therapist: Therapist | None = None,
) -> Availability:
    """``slot_list_available`` through the cache (see ``availability_key``), for showing
    times to clients. Never for booking: the booking services recompute under lock."""
    arguments = {
        "minutes": minutes,
        "zip_code": zip_code,
        "start_date": start_date or timezone.localdate(),
        "days": days,
        "gender": gender,
        "exclude_booking": exclude_booking,
    }
    _slot_request_validate(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        gender=gender,
        start_date=arguments["start_date"],
        days=days,
    )
    key = availability_key(
        service=service.slug, therapist=therapist.slug if therapist else "", **arguments
    )
    stored, version = versioned_get(AVAILABILITY, key)
    if stored is not None:
        served, message, minutes_pairs = stored
        return Availability(
            served=served,
            slots=[Slot(_from_minute(start), _from_minute(end)) for start, end in minutes_pairs],
            message=message,
        )
    availability = slot_list_available(service=service, therapist=therapist, **arguments)
    pairs = [(_to_minute(slot.starts_at), _to_minute(slot.ends_at)) for slot in availability.slots]
    versioned_set(
        key, version, (availability.served, availability.message, pairs), AVAILABILITY_SECONDS
    )
    return availability


def _to_minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _from_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


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


def appointment_is_cancelled(*, appointment: Appointment) -> bool:
    """The booking was cancelled, or the appointment moved to another therapist: either way
    it is no longer this therapist's job."""
    return not appointment.is_active or appointment.booking.status == Booking.Status.CANCELLED


def appointment_details_window(*, appointment: Appointment) -> tuple[datetime, datetime]:
    """When the assigned therapist may see the client's personal details: from
    ``JOB_DETAILS_VISIBLE_HOURS_BEFORE`` hours before the appointment starts (included) until
    ``JOB_DETAILS_VISIBLE_HOURS_AFTER`` hours after it ends (excluded)."""
    return (
        appointment.starts_at - timedelta(hours=settings.JOB_DETAILS_VISIBLE_HOURS_BEFORE),
        appointment.ends_at + timedelta(hours=settings.JOB_DETAILS_VISIBLE_HOURS_AFTER),
    )


def appointment_details_visible(*, appointment: Appointment, now: datetime) -> bool:
    """The one rule for showing a therapist the client's first name, address, phone, access and
    health notes and prescriber: the job is still theirs and ``now`` is inside its window."""
    if appointment_is_cancelled(appointment=appointment):
        return False
    opens, closes = appointment_details_window(appointment=appointment)
    return opens <= now < closes


def referral_list_for_email(*, email: str, dated_from: date, dated_to: date) -> list[Booking]:
    """The referrals given with the (normalised) email's medical massage bookings, dated in
    the range, newest first, one per prescriber and date; anonymised bookings hold none."""
    bookings = (
        Booking.objects.filter(
            client_email=email_normalise(email),
            service__requires_referral=True,
            anonymised_at__isnull=True,
            prescribed_on__gte=dated_from,
            prescribed_on__lte=dated_to,
        )
        .exclude(prescriber_name="")
        .only(
            "reference",
            "prescriber_name",
            "prescriber_practice",
            "prescriber_phone",
            "prescribed_on",
        )
        .order_by("-prescribed_on", "-starts_at")
    )
    seen, referrals = set(), []
    for booking in bookings:
        key = (booking.prescriber_name, booking.prescriber_practice, booking.prescribed_on)
        if key not in seen:
            seen.add(key)
            referrals.append(booking)
    return referrals


@dataclass(frozen=True)
class JobPerson:
    """One person on the table at a job, as the appointment's therapist sees them."""

    label: str
    first_name: str
    pressure: str
    health_notes: str
    # Whether this appointment's therapist treats them: only then are their notes shown.
    treated_here: bool


def appointment_people(*, appointment: Appointment) -> list[JobPerson]:
    """Whom the appointment's therapist meets, in order: a single massage's client; back to
    back, both people, in the order of their sessions; side by side, the therapist's own
    person first, then the other, whose health notes are for their own therapist only."""
    booking = appointment.booking
    client = (booking.client_first_name, booking.get_pressure_display(), booking.health_notes)
    if not booking.service.is_couples:
        return [JobPerson("Your client", *client, treated_here=True)]
    second = (
        booking.second_person_first_name,
        booking.get_second_person_pressure_display() or booking.get_pressure_display(),
        booking.second_person_health_notes,
    )
    if booking.service.kind == Service.Kind.COUPLES_BACK_TO_BACK or appointment.person is None:
        return [
            JobPerson("First session", *client, treated_here=True),
            JobPerson("Second session", *second, treated_here=True),
        ]
    mine, other = (client, second)
    if appointment.person == Appointment.Person.SECOND:
        mine, other = second, client
    return [
        JobPerson("Your client", *mine, treated_here=True),
        JobPerson("Your colleague's client", *other, treated_here=False),
    ]


def appointment_list_future(*, therapist: Therapist) -> QuerySet[Appointment]:
    """The therapist's jobs still to come: their active appointments on confirmed bookings."""
    return (
        Appointment.objects.active()
        .filter(therapist=therapist, booking__status=Booking.Status.CONFIRMED)
        .filter(starts_at__gt=timezone.now())
        .select_related("booking__service", "therapist")
        .order_by("starts_at", "pk")
    )


def appointment_list_for_calendar(*, therapist: Therapist) -> QuerySet[Appointment]:
    """The jobs a therapist's calendar feed shows: theirs and not cancelled, from
    ``THERAPIST_CALENDAR_PAST_DAYS`` ago on."""
    since = timezone.now() - timedelta(days=settings.THERAPIST_CALENDAR_PAST_DAYS)
    return (
        Appointment.objects.active()
        .filter(therapist=therapist, starts_at__gte=since)
        .exclude(booking__status=Booking.Status.CANCELLED)
        .select_related("booking__service")
        .order_by("starts_at", "pk")
    )


def _therapist_cannot_work(day) -> Q:
    """Appointments whose therapist is not bookable on ``day`` (an expression) for their status,
    vetting or credentials: ``therapist_is_bookable`` but for the modality and the zip, which
    only staff change and which a booked job keeps."""
    cannot = (
        ~Q(therapist__status=Therapist.Status.ACTIVE)
        | Q(therapist__vetted_on__isnull=True)
        | Q(therapist__vetted_on__gt=day)
    )
    for credential in CREDENTIALS:
        expires = f"therapist__{credential.expires}"
        cannot |= Q(**{f"{expires}__isnull": True}) | Q(**{f"{expires}__lt": day})
        if credential.starts_validity:
            cannot |= Q(**{f"therapist__{credential.starts}__gt": day})
    return cannot


def appointment_list_at_risk(*, therapist: Therapist | None = None) -> QuerySet[Appointment]:
    """Jobs still to come that nobody will work unless staff act: the therapist declined it and
    nobody else was free, or on its (Atlanta) day the therapist is paused, offboarded, not
    vetted, or holds a credential that has lapsed or not started. Soonest first."""
    appointments = Appointment.objects.active().filter(
        booking__status=Booking.Status.CONFIRMED, starts_at__gt=timezone.now()
    )
    if therapist is not None:
        appointments = appointments.filter(therapist=therapist)
    return (
        appointments.annotate(day=TruncDate("starts_at", tzinfo=business_timezone()))
        .filter(Q(declined_at__isnull=False) | _therapist_cannot_work(F("day")))
        .select_related("booking__service", "therapist")
        .order_by("starts_at", "pk")
    )


def appointment_risk_reason(appointment: Appointment) -> str:
    """Why an appointment from ``appointment_list_at_risk`` is at risk, in staff's words."""
    therapist = appointment.therapist
    day = appointment.starts_at.astimezone(business_timezone()).date()
    if appointment.declined_at is not None:
        return f"{therapist} declined it"
    if therapist.status != Therapist.Status.ACTIVE:
        return f"{therapist} is {therapist.get_status_display().lower()}"
    if therapist.vetted_on is None or therapist.vetted_on > day:
        return f"{therapist} isn't vetted by then"
    for credential in CREDENTIALS:
        expires = getattr(therapist, credential.expires)
        if expires is None or expires < day:
            return f"{therapist}'s {credential.name} isn't valid that day"
        starts = getattr(therapist, credential.starts)
        if credential.starts_validity and starts is not None and starts > day:
            return f"{therapist}'s {credential.name} only starts later"
    return f"{therapist} can't take it"


def appointment_decline_deadline(*, appointment: Appointment) -> datetime:
    """Until when the therapist may decline the job: ``DECLINE_NOTICE_HOURS`` before its
    booking starts."""
    return appointment.booking.starts_at - timedelta(hours=settings.DECLINE_NOTICE_HOURS)


def therapist_decline_count(*, therapist: Therapist) -> int:
    """How many jobs the therapist has declined."""
    return Appointment.objects.filter(therapist=therapist, declined_at__isnull=False).count()


def job_event_latest_arrival(*, appointment_id: int, before: datetime) -> JobEvent | None:
    """The therapist's latest word on when they will arrive (on my way, running late) up to
    ``before``."""
    return (
        JobEvent.objects.filter(
            appointment_id=appointment_id, expected_at__isnull=False, created_at__lte=before
        )
        .order_by("-created_at", "-id")
        .first()
    )


def booking_list_upcoming(*, email: str) -> QuerySet[Booking]:
    """Confirmed bookings still to come that were made with ``email`` (compared in its
    normalised form), soonest first."""
    return (
        Booking.objects.upcoming().filter(client_email=email_normalise(email)).order_by("starts_at")
    )


def booking_list_to_anonymise(*, ended_before: datetime) -> QuerySet[Booking]:
    """Bookings that ended before ``ended_before`` and still hold the client's details."""
    return Booking.objects.filter(ends_at__lt=ended_before, anonymised_at__isnull=True)


def notification_failed_count(*, since: datetime, until: datetime) -> int:
    """How many messages failed for good between ``since`` and ``until``."""
    return Notification.objects.filter(
        status=Notification.Status.FAILED, failed_at__gte=since, failed_at__lt=until
    ).count()


def notification_failure_alert_latest(
    *, before: datetime | None = None, sent: bool = False
) -> Notification | None:
    """The latest staff alert about failed messages (written before ``before``, if given; only
    one that went out, if ``sent``)."""
    alerts = Notification.objects.filter(kind=Notification.Kind.NOTIFICATION_FAILURES)
    if before is not None:
        alerts = alerts.filter(created_at__lt=before)
    if sent:
        alerts = alerts.filter(status=Notification.Status.SENT)
    return alerts.order_by("-created_at").first()


def notification_failures_after(*, alert: Notification | None) -> QuerySet[Notification]:
    """Messages (other than these alerts) that failed for good after ``alert``, a staff alert
    that went out, read its list (at its last try), or every one since failures were timed
    without it; latest first."""
    failed = Notification.objects.filter(status=Notification.Status.FAILED).exclude(
        kind=Notification.Kind.NOTIFICATION_FAILURES
    )
    if alert is None:
        failed = failed.filter(failed_at__isnull=False)
    else:
        failed = failed.filter(failed_at__gte=alert.claimed_at or alert.created_at)
    return failed.order_by("-failed_at", "-id")


def text_opted_out(*, phone: str) -> bool:
    """Whether ``phone`` (E.164) replied STOP and not START since."""
    return TextOptOut.objects.filter(phone=phone, opted_out_at__isnull=False).exists()
