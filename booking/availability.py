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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain, repeat
from operator import add, itemgetter, sub
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


Week = tuple[tuple[int, tuple[tuple[time, time], ...]], ...]


def working_week(hours: dict[int, list[tuple[time, time]]]) -> Week:
    """Weekly hours as one hashable value: (weekday, its windows in order) for each weekday
    that has any, in weekday order. Therapists with the same hours share what a query works
    out from them."""
    return tuple(
        (weekday, tuple(sorted(windows))) for weekday, windows in sorted(hours.items()) if windows
    )


@lru_cache(maxsize=4096)
def _windows_by_weekday(week: Week) -> dict[int, tuple[tuple[time, time], ...]]:
    return dict(week)


class TherapistCalendar:
    """One therapist's inputs: the therapist (a model instance, or any record with the
    attributes the eligibility predicate reads), weekly hours by weekday in local time, time off
    and appointments (``Busy`` or plain ``(start, end, zip_code)`` tuples, read by position).
    ``modality_ids``, when given, is what the therapist offers, so the predicate needs no
    ``modalities`` prefetch.

    Appointments and time off are kept as columns (``columns`` builds a calendar from them
    directly), so thousands of appointments take a few arrays of integers, not a tuple each
    for the garbage collector to walk."""

    __slots__ = ("_busy", "_hours", "_time_off", "_week", "modality_ids", "therapist")

    def __init__(
        self,
        therapist,
        hours: dict[int, list[tuple[time, time]]],
        time_off: list[tuple[datetime, datetime]],
        busy: list[tuple[int, int, str]],
        modality_ids: frozenset[int] | None = None,
    ):
        rows = list(busy)
        self._setup(
            therapist,
            working_week(hours),
            ([_minute(start) for start, _ in time_off], [_minute(end) for _, end in time_off]),
            ([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]),
            modality_ids,
        )

    @classmethod
    def columns(
        cls,
        therapist,
        week: Week,
        *,
        time_off_starts: Sequence[int],
        time_off_ends: Sequence[int],
        busy_starts: Sequence[int],
        busy_ends: Sequence[int],
        busy_zip_codes: Sequence[str],
        modality_ids: frozenset[int] | None = None,
    ) -> "TherapistCalendar":
        """A calendar from columns, as the database hands them over: ``week`` from
        ``working_week``; the i-th time off from ``time_off_starts[i]`` to ``time_off_ends[i]``
        and the i-th appointment from ``busy_starts[i]`` to ``busy_ends[i]`` (UTC minutes) at
        ``busy_zip_codes[i]``."""
        calendar = cls.__new__(cls)
        calendar._setup(
            therapist,
            week,
            (time_off_starts, time_off_ends),
            (busy_starts, busy_ends, busy_zip_codes),
            modality_ids,
        )
        return calendar

    def _setup(self, therapist, week, time_off, busy, modality_ids):
        self.therapist = therapist
        self.modality_ids = modality_ids
        self._week = week
        self._hours = _windows_by_weekday(week)
        self._time_off = time_off
        self._busy = busy

    @property
    def busy(self) -> list[tuple[int, int, str]]:
        """The appointments as ``(start, end, zip_code)`` rows, by start time."""
        return sorted(zip(*self._busy, strict=True), key=itemgetter(0))


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


def _blocked(calendar: TherapistCalendar, query: "SlotQuery", gaps: _Gaps) -> tuple[list, list]:
    """The start times a calendar rules out for a query, as open intervals (lows[i], highs[i]):
    a start s is blocked when lows[i] < s < highs[i]. Each appointment rules out the session
    before it and the travel gap on both sides; time off rules out the session before it (a
    session may not run into it). Every interval ends after it starts, as the database's
    checks keep each appointment and time off. Computed a column at a time, in C."""
    length = query.busy_minutes
    starts, ends, zip_codes = calendar._busy
    travel = list(map(gaps.__getitem__, zip_codes))
    lows = list(map(sub, starts, map(add, travel, repeat(length))))
    highs = list(map(add, ends, travel))
    off_starts, off_ends = calendar._time_off
    if off_starts:
        lows += map(sub, off_starts, repeat(length))
        highs += off_ends
    return lows, highs


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
    starts = _day_starts(
        day, query.step_minutes, query.tz, query.earliest_start, query.latest_start
    )
    return list(starts[bisect_left(starts, _minute(query.not_before)) :])


@lru_cache(maxsize=1024)
def _day_starts(
    day: date, step_minutes: int, tz: ZoneInfo, earliest: time | None, latest: time | None
) -> tuple[int, ...]:
    """The UTC minutes of the day's step walls inside the start window that exist that day:
    the same for every query of a service until the notice period reaches the day."""
    starts = []
    for wall in _step_walls(step_minutes):
        if _outside_window(wall, earliest, latest):
            continue
        minute = _local_minute(day, wall, tz)
        if minute is not None:
            starts.append(minute)
    return tuple(starts)


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


class _Board:
    """One query's grid of start times, with each therapist's free starts on it as an integer
    whose bit i is set when the therapist can start at grid start i. Working hours become a
    mask (shared by everyone with the same hours), appointments and time off another, and
    counting who is free at every start is a few operations on whole integers per therapist."""

    def __init__(self, query: SlotQuery):
        self.query = query
        self.grid, self.day_spans = _slot_grid(query)
        self.days = list(self.day_spans)
        # bit[i] - bit[j]: the grid starts j to i - 1.
        self.bit = [1 << index for index in range(len(self.grid) + 1)]
        self.gaps = _Gaps(query)
        self._working: dict[tuple, int] = {}
        self._first, self._before = self._count_before() if self.grid else (0, [])

    def free(self, calendar: TherapistCalendar) -> int:
        days = _eligible_days(calendar, self.query, self.days)
        if not days:
            return 0
        key = (calendar._week, None if days is self.days else tuple(days))
        working = self._working.get(key)
        if working is None:
            working = self._working[key] = self._working_mask(calendar, days)
        if not working:
            return 0
        return working & ~self._blocked_mask(calendar)

    def _working_mask(self, calendar: TherapistCalendar, days: list[date]) -> int:
        """The grid starts where a session fits in the calendar's hours on ``days``."""
        grid, bit, query = self.grid, self.bit, self.query
        mask = 0
        for day in days:
            windows = calendar._hours.get(day.weekday())
            if not windows:
                continue
            low, high = self.day_spans[day]
            for first, last in _allowed_starts(windows, day, query.tz, query.busy_minutes):
                begin = bisect_left(grid, first, low, high)
                mask |= bit[bisect_right(grid, last, begin, high)] - bit[begin]
        return mask

    def _blocked_mask(self, calendar: TherapistCalendar) -> int:
        """The grid starts strictly inside any of the calendar's blocked intervals."""
        lows, highs = _blocked(calendar, self.query, self.gaps)
        if not lows:
            return 0
        before, first, bit = self._before, self._first, self.bit
        last = first + len(before) - 1
        if min(lows) < first - 1 or max(highs) > last:
            # Reaching far beyond the grid (long time off): no different from its edges.
            lows = [min(max(low, first - 1), last - 1) for low in lows]
            highs = [min(max(high, first), last) for high in highs]
        mask = 0
        for low, high in zip(lows, highs, strict=True):
            # The starts s with low < s < high: those before high less those up to low.
            mask |= bit[before[high - first]] - bit[before[low + 1 - first]]
        return mask

    def _count_before(self) -> tuple[int, list[int]]:
        """``bisect_left(grid, m)`` as a table to look up: ``(first, before)`` with
        ``before[m - first]`` the number of grid starts before minute m, for every minute from
        a day before the first start to a day after the last (wide enough for the travel and
        the session around any appointment near the grid)."""
        grid = self.grid
        first = grid[0] - MINUTES_PER_DAY
        # 0 up to the first start; each next count from the minute after a start up to the
        # next start; the last count for a day. The same int objects repeated, so nothing is
        # allocated per minute.
        runs = [repeat(0, grid[0] - first + 1)]
        runs += map(repeat, range(1, len(grid)), map(sub, grid[1:], grid))
        runs.append(repeat(len(grid), MINUTES_PER_DAY))
        return first, list(chain.from_iterable(runs))


def open_slots(
    query: SlotQuery, calendars: list[TherapistCalendar], *, therapist_id: int | None = None
) -> list[Slot]:
    """Every start time on the grid where enough distinct therapists are free; with
    ``therapist_id``, only those where that therapist is one of them (the client asked for
    them).

    Each therapist's free starts are one integer of bits over the grid (``_Board``); ``atleast``
    holds, for k = 1 to the number needed, the starts where at least k of them are free."""
    board = _Board(query)
    if not board.grid:
        return []
    needed = query.therapists_needed
    atleast = [0] * (needed + 1)
    atleast[0] = board.bit[len(board.grid)] - 1
    asked = atleast[0] if therapist_id is None else 0
    for calendar in calendars:
        free = board.free(calendar)
        if not free:
            continue
        for count in range(needed, 0, -1):
            atleast[count] |= atleast[count - 1] & free
        if calendar.therapist.pk == therapist_id:
            asked |= free
    offered = atleast[needed] & asked
    grid, length = board.grid, query.busy_minutes
    # Bit i of ``offered`` is character -1 - i of its binary digits.
    return [
        Slot(_moment(grid[index]), _moment(grid[index] + length))
        for index, digit in enumerate(reversed(bin(offered)))
        if digit == "1"
    ]


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
    outside = _outside_window(wall, query.earliest_start, query.latest_start)
    return StartProblem.OUTSIDE_WINDOW if outside else None


def _outside_window(wall: time, earliest: time | None, latest: time | None) -> bool:
    return (earliest is not None and wall < earliest) or (latest is not None and wall > latest)


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


def _free_at(calendar: TherapistCalendar, query: SlotQuery, day: date, start: int, gaps) -> bool:
    """Whether a session may start at ``start`` (UTC minutes, on ``day``): inside the working
    hours, and in none of the calendar's blocked intervals."""
    windows = calendar._hours.get(day.weekday())
    if not windows:
        return False
    stretches = _allowed_starts(windows, day, query.tz, query.busy_minutes)
    if not any(first <= start <= last for first, last in stretches):
        return False
    lows, highs = _blocked(calendar, query, gaps)
    return not any(low < start < high for low, high in zip(lows, highs, strict=True))


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
    gaps = _Gaps(query)
    candidates = [
        _candidate(calendar, query, day, start)
        for calendar in calendars
        if _eligible(calendar, query, day) and _free_at(calendar, query, day, start, gaps)
    ]
    candidates.sort(key=lambda candidate: candidate.assignment_key)
    if therapist_id is None:
        return candidates
    asked = [c for c in candidates if c.therapist.pk == therapist_id]
    return asked + [c for c in candidates if c.therapist.pk != therapist_id] if asked else []
