"""The availability engine as it was before the single-pass rewrite, kept only to check the
current one against it (``test_availability_equivalence.py``): per day, per therapist, carve
each working stretch by every blocking interval, and count the free grid starts in a Counter.
"""

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date, time

from booking.availability import (
    MINUTES_PER_DAY,
    Busy,
    Slot,
    SlotQuery,
    _candidate,
    _days,
    _grid,
    _minute,
    _moment,
    _window_minute,
    required_gap,
    start_problem,
)
from therapists.eligibility import therapist_is_bookable


@dataclass
class ReferenceCalendar:
    therapist: object
    hours: dict[int, list[tuple[time, time]]]
    time_off: list
    busy: list[Busy]

    def __post_init__(self):
        self.busy = sorted(self.busy, key=lambda busy: busy.start)
        self._busy_starts = [busy.start for busy in self.busy]
        self._time_off_minutes = [(_minute(start), _minute(end)) for start, end in self.time_off]

    def blocked_near(self, first: int, last: int, query: SlotQuery) -> list[tuple[int, int]]:
        blocked = [
            (
                busy.start
                - required_gap(busy.zip_code, query.zip_code, buffer_minutes=query.buffer_minutes)
                - query.busy_minutes,
                busy.end
                + required_gap(busy.zip_code, query.zip_code, buffer_minutes=query.buffer_minutes),
            )
            for busy in self.busy
        ]
        lo = bisect_left(self._busy_starts, first - MINUTES_PER_DAY)
        hi = bisect_right(self._busy_starts, last + MINUTES_PER_DAY)
        return blocked[lo:hi]


def _working_stretches(calendar, query, day):
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


def _carve(allowed, forbidden):
    for lo, hi in forbidden:
        carved = []
        for first, last in allowed:
            if first <= min(last, lo):
                carved.append((first, min(last, lo)))
            if max(first, hi) <= last:
                carved.append((max(first, hi), last))
        allowed = carved
    return allowed


def _open_intervals(calendar, query, day):
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
    blocked = [(start - query.busy_minutes, end) for start, end in calendar._time_off_minutes]
    blocked += calendar.blocked_near(first, last, query)
    return _carve(allowed, [(lo, hi) for lo, hi in blocked if hi > first and lo < last])


def _eligible(calendar, query, day: date) -> bool:
    return therapist_is_bookable(
        calendar.therapist, on=day, modality_id=query.modality_id, zip_code=query.zip_code
    )


def open_slots(query: SlotQuery, calendars) -> list[Slot]:
    days = list(_days(query))
    slots = []
    for day in days:
        grid = _grid(query, day)
        if not grid:
            continue
        free = Counter()
        for calendar in calendars:
            if _eligible(calendar, query, day):
                starts = set()
                for first, last in _open_intervals(calendar, query, day):
                    starts.update(grid[bisect_left(grid, first) : bisect_right(grid, last)])
                free.update(starts)
        slots.extend(
            Slot(_moment(minute), _moment(minute + query.busy_minutes))
            for minute in sorted(free)
            if free[minute] >= query.therapists_needed
        )
    return slots


def free_candidates(query: SlotQuery, calendars, starts_at):
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
    return sorted(candidates, key=lambda candidate: candidate.assignment_key)
