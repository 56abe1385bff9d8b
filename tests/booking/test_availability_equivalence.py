"""The availability engine gives exactly the answers of the implementation it replaced
(``availability_reference``) on thousands of random calendars: hours with overlapping and
touching windows, time off, appointments near and far, credentials lapsing inside the range,
daylight-saving days, start windows, notice and horizon."""

import random
from datetime import date, datetime, time, timedelta

import pytest

from booking.availability import Busy, SlotQuery, TherapistCalendar, free_candidates, open_slots
from tests.booking import availability_reference as reference
from tests.booking.test_availability import therapist
from tests.conftest import ATLANTA

ZIPS = ["30303", "30306", "30309", "30318", "30024", "30097", "99999"]
FIRST_DAYS = [date(2026, 3, 6), date(2026, 10, 30), date(2026, 12, 3), date(2027, 6, 14)]


def wall(rng: random.Random, earliest: int = 0, latest: int = 24 * 60 - 1) -> time:
    minute = rng.randrange(earliest, latest + 1, 5)
    return time(minute // 60, minute % 60)


def moment(rng: random.Random, first_day: date, days: int) -> datetime:
    day = first_day + timedelta(days=rng.randrange(-1, days + 1))
    return datetime.combine(day, wall(rng), tzinfo=ATLANTA)


def random_hours(rng: random.Random) -> dict:
    hours = {}
    for weekday in range(7):
        windows = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            start = rng.randrange(5 * 60, 20 * 60, 15)
            end = min(start + rng.randrange(30, 12 * 60, 15), 24 * 60 - 1)
            windows.append((time(start // 60, start % 60), time(end // 60, end % 60)))
        if rng.random() < 0.1 and windows:  # a window touching the first one
            first_end = windows[0][1]
            windows.append((first_end, time(min(first_end.hour + 2, 23), first_end.minute)))
        hours[weekday] = windows
    return hours


def random_calendar(rng: random.Random, pk: int, first_day: date, days: int):
    inside = [first_day + timedelta(days=offset) for offset in range(days)]
    fields = {"home_zip": rng.choice(ZIPS[:-1]), "travel_radius_miles": rng.choice([5, 15, 40])}
    if rng.random() < 0.2:
        fields["licence_expires_on"] = rng.choice(inside)
    if rng.random() < 0.2:
        fields["insurance_starts_on"] = rng.choice(inside)
    if rng.random() < 0.05:
        fields["status"] = "paused"
    modality_ids = (1,) if rng.random() < 0.9 else (2,)
    person = therapist(pk, modality_ids=modality_ids, **fields)
    hours = random_hours(rng)
    time_off = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        starts = moment(rng, first_day, days)
        time_off.append((starts, starts + timedelta(minutes=rng.randrange(30, 48 * 60, 15))))
    busy = []
    for _ in range(rng.randrange(0, 4 * days + 1)):
        starts = moment(rng, first_day, days)
        ends = starts + timedelta(minutes=rng.randrange(30, 200, 5))
        busy.append(Busy.between(starts, ends, rng.choice(ZIPS)))
    rows = busy if rng.random() < 0.5 else [tuple(visit) for visit in busy]
    offered = frozenset(modality_ids) if rng.random() < 0.5 else None
    return (
        TherapistCalendar(person, hours, list(time_off), rows, offered),
        reference.ReferenceCalendar(person, hours, list(time_off), list(busy)),
    )


def random_query(rng: random.Random) -> SlotQuery:
    first_day = rng.choice(FIRST_DAYS) + timedelta(days=rng.randrange(0, 4))
    days = rng.randrange(1, 8)
    earliest = wall(rng, 6 * 60, 12 * 60) if rng.random() < 0.3 else None
    latest = wall(rng, 12 * 60, 22 * 60) if rng.random() < 0.3 else None
    return SlotQuery(
        modality_id=1,
        zip_code=rng.choice(ZIPS[:-1]),
        busy_minutes=rng.choice([30, 60, 75, 90, 125, 180]),
        therapists_needed=rng.choice([1, 1, 2]),
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
        not_before=moment(rng, first_day, 2),
        last_bookable_day=first_day + timedelta(days=rng.randrange(0, days + 2)),
        step_minutes=rng.choice([15, 30, 60]),
        buffer_minutes=rng.choice([0, 15, 30]),
        tz=ATLANTA,
        earliest_start=earliest,
        latest_start=latest,
    )


def assignment(candidates) -> list[tuple]:
    return [(c.therapist.pk, c.booked_minutes, c.travel_miles) for c in candidates]


@pytest.mark.parametrize("seed", range(40))
def test_open_slots_and_candidates_agree_with_the_reference_engine(seed):
    rng = random.Random(seed)
    for _ in range(25):
        query = random_query(rng)
        days = (query.last_day - query.first_day).days + 1
        pairs = [
            random_calendar(rng, pk, query.first_day, days) for pk in range(rng.randrange(0, 6))
        ]
        current = [pair[0] for pair in pairs]
        old = [pair[1] for pair in pairs]

        slots = open_slots(query, current)

        assert slots == reference.open_slots(query, old)
        for _ in range(5):
            starts_at = moment(rng, query.first_day, days).replace(
                minute=rng.choice([0, 15, 30, 45])
            )
            assert assignment(free_candidates(query, current, starts_at)) == assignment(
                reference.free_candidates(query, old, starts_at)
            )
        for slot in slots[:: max(1, len(slots) // 4)]:
            offered = free_candidates(query, current, slot.starts_at)
            assert len(offered) >= query.therapists_needed
