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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
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


class Busy(NamedTuple):
    """An appointment the therapist already has, in UTC minutes since 1970, and its zip code.
    A plain tuple: thousands load per request without making work for the garbage collector."""

    start: int
    end: int
    zip_code: str

    @classmethod
    def between(cls, starts_at: datetime, ends_at: datetime, zip_code: str) -> "Busy":
        return cls(_minute(starts_at), _minute(ends_at), zip_code)


@dataclass
class TherapistCalendar:
    """One therapist's inputs: the therapist (a model instance, or any record with the
    attributes the eligibility predicate reads), weekly hours by weekday in local time, time off
    and appointments (``Busy`` or plain ``(start, end, zip_code)`` tuples, read by position).
    ``modality_ids``, when given, is what the therapist offers, so the predicate needs no
    ``modalities`` prefetch."""

    therapist: object
    hours: dict[int, list[tuple[time, time]]]
    time_off: list[tuple[datetime, datetime]]
    busy: list[tuple[int, int, str]]
    modality_ids: frozenset[int] | None = None

    def __post_init__(self):
        self.busy = sorted(self.busy, key=itemgetter(0))
        self._time_off_minutes = [(_minute(start), _minute(end)) for start, end in self.time_off]
        self._hours = {
            weekday: tuple(sorted(windows)) for weekday, windows in self.hours.items() if windows
        }
        self._forbidden: dict[tuple, tuple[list, list]] = {}

    def forbidden(self, query: "SlotQuery", gaps: dict | None = None) -> tuple[list, list]:
        """Start times ruled out for a query, as sorted disjoint open intervals (lo, hi) and
        their upper ends: time off widened by the session before it (a session may not run into
        it), and every appointment widened by the session before it and the travel gap on both
        sides. Worked out once per query, then reused every day."""
        key = (query.zip_code, query.busy_minutes, query.buffer_minutes)
        found = self._forbidden.get(key)
        if found is None:
            found = self._forbidden[key] = _forbidden_intervals(self, query, gaps)
        return found


class _Gaps(dict):
    """The travel gap after (and before) an appointment, by the appointment's zip code, for one
    query: worked out once per zip code."""

    def __init__(self, query: "SlotQuery"):
        super().__init__()
        self.query = query

    def __missing__(self, zip_code: str) -> int:
        query = self.query
        gap = required_gap(zip_code, query.zip_code, buffer_minutes=query.buffer_minutes)
        self[zip_code] = gap
        return gap


def _forbidden_intervals(calendar: TherapistCalendar, query: "SlotQuery", gaps) -> tuple:
    length = query.busy_minutes
    gaps = _Gaps(query) if gaps is None else gaps
    blocked = [(start - length, end) for start, end in calendar._time_off_minutes]
    blocked += [
        (start - gaps[zip_code] - length, end + gaps[zip_code])
        for start, end, zip_code in calendar.busy
    ]
    blocked.sort()
    # Open intervals that overlap make one; two that only touch leave the touching minute free.
    merged: list[tuple[int, int]] = []
    last_hi = None
    for lo, hi in blocked:
        if last_hi is not None and lo < last_hi:
            if hi > last_hi:
                merged[-1] = (merged[-1][0], hi)
                last_hi = hi
        else:
            merged.append((lo, hi))
            last_hi = hi
    return merged, [hi for _, hi in merged]


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


@lru_cache(maxsize=8192)
def _allowed_starts(windows: tuple, day: date, tz: ZoneInfo, length: int) -> tuple:
    """Closed intervals [a, b] of UTC minutes where a session of ``length`` minutes fits in the
    day's working hours, ``windows`` of local (start, end) times. Touching or overlapping
    windows make one stretch of work first: 9-1 and 1-5 is 9-5. Shared by every therapist with
    the same hours."""
    stretches = sorted(
        (_window_minute(day, start, tz), _window_minute(day, end, tz)) for start, end in windows
    )
    merged: list[list[int]] = []
    for start, end in stretches:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end - length) for start, end in merged if end - length >= start)


def _subtract(first: int, last: int, forbidden: list, upper_ends: list):
    """The closed interval [first, last] less the sorted disjoint open intervals of
    ``forbidden`` (a start s is blocked by (lo, hi) when lo < s < hi), as closed intervals."""
    index = bisect_right(upper_ends, first)
    count = len(forbidden)
    while index < count:
        lo, hi = forbidden[index]
        if lo >= last:
            break
        if lo >= first:
            yield first, lo
        first = hi
        index += 1
    if first <= last:
        yield first, last


def _open_intervals(calendar: TherapistCalendar, query: SlotQuery, day: date, gaps=None):
    """Closed intervals [a, b] of UTC minutes where a session may start on ``day``, disjoint
    and in order."""
    windows = calendar._hours.get(day.weekday())
    if not windows:
        return
    forbidden, upper_ends = calendar.forbidden(query, gaps)
    for first, last in _allowed_starts(windows, day, query.tz, query.busy_minutes):
        yield from _subtract(first, last, forbidden, upper_ends)


def _eligible(calendar: TherapistCalendar, query: SlotQuery, day: date) -> bool:
    return therapist_is_bookable(
        calendar.therapist,
        on=day,
        modality_id=query.modality_id,
        zip_code=query.zip_code,
        modality_ids=calendar.modality_ids,
    )


def _eligible_days(calendar: TherapistCalendar, query: SlotQuery, days: list[date]) -> list[date]:
    """Days of the range on which the therapist is bookable, in order.

    Every condition of the predicate is either constant or holds on one unbroken run of dates
    (vetted since, licence/insurance/background check valid from-to), so when it holds on the
    first and last day it holds on every day between; otherwise ask it day by day.
    """
    if not days:
        return []
    if _eligible(calendar, query, days[0]) and _eligible(calendar, query, days[-1]):
        return days
    return [day for day in days if _eligible(calendar, query, day)]


def _slot_grid(query: SlotQuery) -> tuple[list[int], dict[date, tuple[int, int]]]:
    """Every grid start of the range in order, and where each day's starts sit in it."""
    grid: list[int] = []
    day_grid: dict[date, tuple[int, int]] = {}
    for day in _days(query):
        starts = _grid(query, day)
        if starts:
            day_grid[day] = (len(grid), len(grid) + len(starts))
            grid.extend(starts)
    return grid, day_grid


def _free_changes(query, calendars, grid, day_grid) -> list[int]:
    """For each grid start, how many more (or fewer) of ``calendars`` are free there than at
    the one before: a running sum of it counts who is free at every start."""
    changes = [0] * (len(grid) + 1)
    days = list(day_grid)
    gaps = _Gaps(query)
    for calendar in calendars:
        for day in _eligible_days(calendar, query, days):
            low, high = day_grid[day]
            for first, last in _open_intervals(calendar, query, day, gaps):
                begin = bisect_left(grid, first, low, high)
                stop = bisect_right(grid, last, begin, high)
                if begin < stop:
                    changes[begin] += 1
                    changes[stop] -= 1
    return changes


def open_slots(
    query: SlotQuery, calendars: list[TherapistCalendar], *, therapist_id: int | None = None
) -> list[Slot]:
    """Every start time on the grid where enough distinct therapists are free; with
    ``therapist_id``, only those where that therapist is one of them (the client asked for
    them).

    One pass per therapist over their open intervals: each adds one at the first grid start it
    covers and takes one away after the last (a therapist's intervals are disjoint, so nobody
    counts twice); a running sum over the grid then counts who is free at every start."""
    grid, day_grid = _slot_grid(query)
    if not grid:
        return []
    changes = _free_changes(query, calendars, grid, day_grid)
    if therapist_id is None:
        asked = [1] + [0] * len(grid)
    else:
        theirs = [c for c in calendars if c.therapist.pk == therapist_id]
        asked = _free_changes(query, theirs, grid, day_grid)
    slots = []
    free = asked_free = 0
    needed = query.therapists_needed
    length = query.busy_minutes
    for index, minute in enumerate(grid):
        free += changes[index]
        asked_free += asked[index]
        if free >= needed and asked_free:
            slots.append(Slot(_moment(minute), _moment(minute + length)))
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
    same_day = [
        (begins, ends, zip_code)
        for begins, ends, zip_code in calendar.busy
        if _moment(begins).astimezone(query.tz).date() == day
    ]
    before = [visit for visit in same_day if visit[1] <= start]
    origin = max(before, key=itemgetter(1))[2] if before else None
    miles = distance_miles(origin or calendar.therapist.home_zip, query.zip_code)
    booked = sum(ends - begins for begins, ends, _ in same_day)
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
