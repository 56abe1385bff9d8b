"""The availability engine: which start times can we offer, and who can take them.

A pure function over preloaded rows: it never touches the database, so it is fast and unit
tested on plain data. ``booking.selectors`` loads its inputs; ``booking.services`` calls it again
under lock before every insert.

Time is handled in integer UTC minutes. Candidate start times are laid on the local wall-clock
grid (every ``step_minutes`` from local midnight) for each local day, so daylight-saving Sundays
get exactly the wall-clock times that exist that day: no missing or doubled slots.

Travel. Between two appointments at different addresses a therapist needs::

    gap = max(minimum buffer, ceil5(straight-line miles x ROAD_FACTOR / CITY_SPEED_MPH x 60
                                    + SETUP_MINUTES))

Straight-line miles come from zip-code centroids; ``ROAD_FACTOR`` turns them into road miles,
``CITY_SPEED_MPH`` is a metro-Atlanta average including traffic, and ``SETUP_MINUTES`` covers
parking and carrying the table in and out. The first appointment of a day needs no inbound
travel: therapists start from home, which their service radius already covers.
"""

import enum
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from therapists.eligibility import therapist_is_bookable
from therapists.geo import distance_miles

ROAD_FACTOR = 1.3
CITY_SPEED_MPH = 25
SETUP_MINUTES = 15
UNKNOWN_TRAVEL_MINUTES = 120
MINUTES_PER_DAY = 24 * 60


@lru_cache(maxsize=65536)
def travel_minutes(zip_a: str, zip_b: str) -> int:
    """Driving plus set-up time between two zip codes, rounded up to 5 minutes."""
    miles = distance_miles(zip_a, zip_b)
    if miles is None:
        return UNKNOWN_TRAVEL_MINUTES
    minutes = miles * ROAD_FACTOR / CITY_SPEED_MPH * 60 + SETUP_MINUTES
    return 5 * math.ceil(minutes / 5)


@lru_cache(maxsize=65536)
def required_gap(zip_a: str, zip_b: str, *, buffer_minutes: int) -> int:
    """Least minutes between the end of a visit at ``zip_a`` and the start of one at ``zip_b``."""
    return max(buffer_minutes, travel_minutes(zip_a, zip_b))


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Busy:
    """An appointment the therapist already has, in UTC minutes since 1970, and its zip code."""

    start: int
    end: int
    zip_code: str

    @classmethod
    def between(cls, starts_at: datetime, ends_at: datetime, zip_code: str) -> "Busy":
        return cls(_minute(starts_at), _minute(ends_at), zip_code)


@dataclass
class TherapistCalendar:
    """One therapist's inputs: the model instance (modalities prefetched, read only by the
    eligibility predicate), weekly hours by weekday in local time, time off and appointments."""

    therapist: object
    hours: dict[int, list[tuple[time, time]]]
    time_off: list[tuple[datetime, datetime]]
    busy: list[Busy]

    def __post_init__(self):
        self.busy = sorted(self.busy, key=lambda busy: busy.start)
        self._busy_starts = [busy.start for busy in self.busy]
        self._time_off_minutes = [(_minute(start), _minute(end)) for start, end in self.time_off]

        self._blocked: dict[tuple, list[tuple[int, int]]] = {}

    def blocked_near(self, first: int, last: int, query: "SlotQuery") -> list[tuple[int, int]]:
        """Start times ruled out by appointments starting within a day of [first, last]: open
        intervals (lo, hi), each an appointment widened by the session before it and the travel
        gap on both sides. Worked out once per appointment for a query, then reused every day."""
        key = (query.zip_code, query.busy_minutes, query.buffer_minutes)
        if key not in self._blocked:
            blocked = []
            for busy in self.busy:
                gap = required_gap(
                    busy.zip_code, query.zip_code, buffer_minutes=query.buffer_minutes
                )
                blocked.append((busy.start - gap - query.busy_minutes, busy.end + gap))
            self._blocked[key] = blocked
        lo = bisect_left(self._busy_starts, first - MINUTES_PER_DAY)
        hi = bisect_right(self._busy_starts, last + MINUTES_PER_DAY)
        return self._blocked[key][lo:hi]


@dataclass(frozen=True)
class SlotQuery:
    modality_id: int
    zip_code: str
    busy_minutes: int
    therapists_needed: int
    first_day: date
    last_day: date
    not_before: datetime
    last_bookable_day: date
    step_minutes: int
    buffer_minutes: int
    tz: ZoneInfo
    earliest_start: time | None = None
    latest_start: time | None = None


@dataclass(frozen=True)
class Candidate:
    therapist: object
    booked_minutes: int
    travel_miles: float

    @property
    def assignment_key(self) -> tuple:
        """Documented policy: least booked that day, then shortest travel, then lowest id."""
        return (self.booked_minutes, self.travel_miles, self.therapist.pk)


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _moment(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


@lru_cache(maxsize=65536)
def _local_minute(day: date, wall: time, tz: ZoneInfo) -> int | None:
    """UTC minute of a local wall time, or None when that wall time does not exist (DST gap)."""
    local = datetime.combine(day, wall, tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return _minute(utc)


@lru_cache(maxsize=8192)
def _window_minute(day: date, wall: time, tz: ZoneInfo) -> int:
    return _minute(datetime.combine(day, wall, tzinfo=tz))


def _days(query: SlotQuery):
    day = query.first_day
    while day <= min(query.last_day, query.last_bookable_day):
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=64)
def _step_walls(step_minutes: int) -> tuple[time, ...]:
    return tuple(time(m // 60, m % 60) for m in range(0, MINUTES_PER_DAY, step_minutes))


def _grid(query: SlotQuery, day: date) -> list[int]:
    """Start times (UTC minutes) on the local step grid of ``day`` that the query allows: the
    wall-clock times of ``start_problem``'s grid, by the same notice, horizon and window rules
    (built from them directly, as this runs for every day of every query)."""
    if day > query.last_bookable_day:
        return []
    not_before = _minute(query.not_before)
    starts = []
    for wall in _step_walls(query.step_minutes):
        if _outside_window(query, wall):
            continue
        minute = _local_minute(day, wall, query.tz)
        if minute is not None and minute >= not_before:
            starts.append(minute)
    return starts


def _working_stretches(calendar: TherapistCalendar, query: SlotQuery, day: date) -> list:
    """The day's working hours as UTC minutes [start, end], touching or overlapping windows
    merged into one stretch of work: 9-1 and 1-5 is 9-5."""
    windows = sorted(
        (_window_minute(day, start, query.tz), _window_minute(day, end, query.tz))
        for start, end in calendar.hours.get(day.weekday(), ())
    )
    merged: list[list[int]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _carve(allowed: list[tuple], forbidden: list[tuple]) -> list[tuple]:
    """A start s is blocked by (lo, hi) when lo < s < hi: keep s <= lo and s >= hi."""
    for lo, hi in forbidden:
        carved = []
        for first, last in allowed:
            if first <= min(last, lo):
                carved.append((first, min(last, lo)))
            if max(first, hi) <= last:
                carved.append((max(first, hi), last))
        allowed = carved
    return allowed


def _open_intervals(calendar: TherapistCalendar, query: SlotQuery, day: date) -> list[tuple]:
    """Closed intervals [a, b] of UTC minutes where a session may start on ``day``."""
    length = query.busy_minutes
    allowed = [
        (start, end - length)
        for start, end in _working_stretches(calendar, query, day)
        if end - length >= start
    ]
    if not allowed:
        return []
    first = min(start for start, _ in allowed)
    last = max(end for _, end in allowed)
    return _carve(allowed, _forbidden(calendar, query, first, last))


def _forbidden(calendar: TherapistCalendar, query: SlotQuery, first: int, last: int) -> list:
    """Open intervals of starts between ``first`` and ``last`` ruled out by time off (the
    session may not run into it) and by appointments with their travel gaps."""
    blocked = [(start - query.busy_minutes, end) for start, end in calendar._time_off_minutes]
    blocked += calendar.blocked_near(first, last, query)
    return [(lo, hi) for lo, hi in blocked if hi > first and lo < last]


def _free_starts(calendar: TherapistCalendar, query: SlotQuery, day: date, grid: list[int]):
    for first, last in _open_intervals(calendar, query, day):
        yield from grid[bisect_left(grid, first) : bisect_right(grid, last)]


def _eligible(calendar: TherapistCalendar, query: SlotQuery, day: date) -> bool:
    return therapist_is_bookable(
        calendar.therapist, on=day, modality_id=query.modality_id, zip_code=query.zip_code
    )


def _eligible_days(calendar: TherapistCalendar, query: SlotQuery, days: list[date]) -> set[date]:
    """Days of the range on which the therapist is bookable.

    Every condition of the predicate is either constant or holds on one unbroken run of dates
    (vetted since, licence/insurance/background check valid from-to), so when it holds on the
    first and last day it holds on every day between; otherwise ask it day by day.
    """
    if not days:
        return set()
    if _eligible(calendar, query, days[0]) and _eligible(calendar, query, days[-1]):
        return set(days)
    return {day for day in days if _eligible(calendar, query, day)}


def open_slots(
    query: SlotQuery, calendars: list[TherapistCalendar], *, therapist_id: int | None = None
) -> list[Slot]:
    """Every start time on the grid where enough distinct therapists are free; with
    ``therapist_id``, only those where that therapist is one of them (the client asked for
    them)."""
    days = list(_days(query))
    eligible = {id(calendar): _eligible_days(calendar, query, days) for calendar in calendars}
    slots = []
    for day in days:
        grid = _grid(query, day)
        if not grid:
            continue
        free = Counter()
        asked_for: set[int] | None = None if therapist_id is None else set()
        for calendar in calendars:
            if day in eligible[id(calendar)]:
                # A set: overlapping working-hours windows must not count one therapist twice.
                starts = set(_free_starts(calendar, query, day, grid))
                free.update(starts)
                if therapist_id is not None and calendar.therapist.pk == therapist_id:
                    asked_for = starts
        slots.extend(
            Slot(_moment(minute), _moment(minute + query.busy_minutes))
            for minute in sorted(free)
            if free[minute] >= query.therapists_needed
            and (asked_for is None or minute in asked_for)
        )
    return slots


class StartProblem(enum.Enum):
    NO_OFFSET = "no_offset"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    OFF_GRID = "off_grid"
    OUTSIDE_WINDOW = "outside_window"


def start_problem(query: SlotQuery, starts_at: datetime) -> StartProblem | None:
    """Why ``starts_at`` is not a start time the query could offer whoever is free, or None.

    The one rule for "on the local grid, inside notice and horizon, inside the service's start
    window": the grid is built from it and a start sent back by a client is checked with it.
    Of the repeated hour when clocks fall back only the first occurrence is on the grid."""
    if starts_at.utcoffset() is None:
        return StartProblem.NO_OFFSET
    if starts_at < query.not_before:
        return StartProblem.TOO_SOON
    try:
        local = starts_at.astimezone(query.tz)
    except OverflowError:  # past the year 9999 in Atlanta time: far beyond any horizon
        return StartProblem.BEYOND_HORIZON
    if local.date() > query.last_bookable_day:
        return StartProblem.BEYOND_HORIZON
    wall = local.time()
    on_step = (wall.hour * 60 + wall.minute) % query.step_minutes == 0 and wall.second == 0
    # Of the repeated hour when clocks fall back only the first occurrence is on the grid.
    first_occurrence = _local_minute(local.date(), wall, query.tz) == _minute(starts_at)
    if not (on_step and wall.microsecond == 0 and first_occurrence):
        return StartProblem.OFF_GRID
    return StartProblem.OUTSIDE_WINDOW if _outside_window(query, wall) else None


def _outside_window(query: SlotQuery, wall: time) -> bool:
    early = query.earliest_start is not None and wall < query.earliest_start
    return early or (query.latest_start is not None and wall > query.latest_start)


def _candidate(calendar: TherapistCalendar, query: SlotQuery, day: date, start: int):
    """The assignment facts for a therapist free at ``start``: minutes already booked that
    day and the trip from their previous visit (or home)."""
    same_day = [b for b in calendar.busy if _moment(b.start).astimezone(query.tz).date() == day]
    before = [b for b in same_day if b.end <= start]
    origin = max(before, key=lambda b: b.end).zip_code if before else None
    miles = distance_miles(origin or calendar.therapist.home_zip, query.zip_code)
    booked = sum(b.end - b.start for b in same_day)
    return Candidate(calendar.therapist, booked, miles or 0.0)


def free_candidates(
    query: SlotQuery,
    calendars: list[TherapistCalendar],
    starts_at: datetime,
    *,
    therapist_id: int | None = None,
) -> list[Candidate]:
    """Therapists who can take a session starting at ``starts_at``, best assignment first; with
    ``therapist_id``, that therapist first, and nobody when they aren't free."""
    start = _minute(starts_at)
    day = starts_at.astimezone(query.tz).date()
    if not query.first_day <= day <= query.last_day or start_problem(query, starts_at):
        return []
    candidates = [
        _candidate(calendar, query, day, start)
        for calendar in calendars
        if _eligible(calendar, query, day)
        and any(first <= start <= last for first, last in _open_intervals(calendar, query, day))
    ]
    candidates.sort(key=lambda candidate: candidate.assignment_key)
    if therapist_id is None:
        return candidates
    asked = [c for c in candidates if c.therapist.pk == therapist_id]
    return asked + [c for c in candidates if c.therapist.pk != therapist_id] if asked else []
