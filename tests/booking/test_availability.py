"""The availability engine on plain data: no database, no settings, no clock."""

import dataclasses
import math
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from booking.availability import (
    Busy,
    SlotQuery,
    TherapistCalendar,
    free_candidates,
    open_slots,
    required_gap,
    travel_minutes,
)
from tests.booking.helpers import DAY, at
from tests.conftest import ATLANTA
from therapists.geo import distance_miles

SWEDISH = 1
DEEP_TISSUE = 2
STEP = 30
BUFFER = 30
NINE_TO_NINE = {weekday: [(time(9), time(21))] for weekday in range(7)}
NINE_TO_FIVE = {weekday: [(time(9), time(17))] for weekday in range(7)}


def therapist(pk: int = 1, *, modality_ids=(SWEDISH,), **fields) -> SimpleNamespace:
    """The attributes the eligibility predicate and the assignment policy read."""
    modalities = [SimpleNamespace(id=modality_id) for modality_id in modality_ids]
    defaults = {
        "status": "active",
        "vetted_on": date(2020, 1, 2),
        "licence_issued_on": date(2020, 1, 1),
        "licence_expires_on": date(2030, 12, 31),
        "insurance_starts_on": date(2020, 1, 1),
        "insurance_expires_on": date(2030, 12, 31),
        "background_check_valid_until": date(2030, 12, 31),
        "home_zip": "30303",
        "travel_radius_miles": 40,
        "gender": "female",
    }
    return SimpleNamespace(
        pk=pk, id=pk, modalities=SimpleNamespace(all=lambda: modalities), **defaults | fields
    )


def calendar(person=None, *, hours=NINE_TO_NINE, time_off=(), busy=()) -> TherapistCalendar:
    return TherapistCalendar(person or therapist(), hours, list(time_off), list(busy))


BASE_QUERY = SlotQuery(
    modality_id=SWEDISH,
    zip_code="30303",
    busy_minutes=60,
    therapists_needed=1,
    first_day=DAY,
    last_day=DAY,
    not_before=at(DAY - timedelta(days=1), 8),
    last_bookable_day=DAY + timedelta(days=60),
    step_minutes=STEP,
    buffer_minutes=BUFFER,
    tz=ATLANTA,
)


def query(**changes) -> SlotQuery:
    return dataclasses.replace(BASE_QUERY, **changes)


def offered(query_: SlotQuery, calendars) -> list[str]:
    """Local start times, as the client reads them."""
    return [f"{slot.starts_at.astimezone(ATLANTA):%H:%M}" for slot in open_slots(query_, calendars)]


def steps(first: datetime, last: datetime) -> list[str]:
    count = int((last - first).total_seconds()) // 60 // STEP
    return [f"{first + timedelta(minutes=STEP * n):%H:%M}" for n in range(count + 1)]


def step_at_or_after(moment: datetime) -> datetime:
    midnight = moment.replace(hour=0, minute=0)
    minutes = (moment - midnight).total_seconds() / 60
    return midnight + timedelta(minutes=STEP * math.ceil(minutes / STEP))


def step_at_or_before(moment: datetime) -> datetime:
    midnight = moment.replace(hour=0, minute=0)
    minutes = (moment - midnight).total_seconds() / 60
    return midnight + timedelta(minutes=STEP * math.floor(minutes / STEP))


# Travel -----------------------------------------------------------------------------------


def test_travel_time_follows_the_documented_formula():
    miles = distance_miles("30303", "30024")
    # 1.3 road miles per straight-line mile at 25 mph, plus 15 minutes to park and set up,
    # rounded up to 5 minutes.
    expected = 5 * math.ceil((miles * 1.3 / 25 * 60 + 15) / 5)

    assert 28 < miles < 30
    assert travel_minutes("30303", "30024") == expected == 110
    assert required_gap("30303", "30024", buffer_minutes=BUFFER) == 110
    # Next door the drive is shorter than the minimum buffer, which wins.
    assert travel_minutes("30303", "30303") == 15
    assert required_gap("30303", "30303", buffer_minutes=BUFFER) == BUFFER


def test_a_far_client_is_offered_only_times_the_therapist_can_drive_to_and_from():
    downtown_visit = Busy.between(at(DAY, 14), at(DAY, 15), "30303")
    travel = timedelta(minutes=travel_minutes("30303", "30024"))
    first_after = step_at_or_after(at(DAY, 15) + travel)
    # A session before the visit must end early enough to drive back downtown.
    last_before = step_at_or_before(at(DAY, 14) - travel - timedelta(minutes=60))

    times = offered(query(zip_code="30024"), [calendar(busy=[downtown_visit])])

    assert (f"{last_before:%H:%M}", f"{first_after:%H:%M}") == ("11:00", "17:00")
    assert times == steps(at(DAY, 9), last_before) + steps(first_after, at(DAY, 20))
    assert "11:30" not in times and "16:30" not in times


def test_a_client_next_door_waits_only_the_minimum_buffer():
    downtown_visit = Busy.between(at(DAY, 14), at(DAY, 15), "30303")

    times = offered(query(zip_code="30303"), [calendar(busy=[downtown_visit])])

    assert times == steps(at(DAY, 9), at(DAY, 12, 30)) + steps(at(DAY, 15, 30), at(DAY, 20))


def test_the_one_start_that_fits_exactly_between_two_visits_is_offered():
    # 10:30 ends at 11:30: the buffer after the first visit and before the second, to the minute.
    first = Busy.between(at(DAY, 9), at(DAY, 10), "30303")
    second = Busy.between(at(DAY, 12), at(DAY, 13), "30303")

    times = offered(query(zip_code="30303"), [calendar(hours=NINE_TO_FIVE, busy=[first, second])])

    assert times == ["10:30", *steps(at(DAY, 13, 30), at(DAY, 16))]


def test_the_first_visit_of_the_day_needs_no_travel_from_home():
    far_from_home = therapist(home_zip="30097")

    assert offered(query(), [calendar(far_from_home)])[0] == "09:00"


# Hours, time off and length -----------------------------------------------------------------


def test_a_session_must_end_by_the_end_of_working_hours():
    ninety = offered(query(busy_minutes=90), [calendar(hours=NINE_TO_FIVE)])
    sixty = offered(query(busy_minutes=60), [calendar(hours=NINE_TO_FIVE)])

    assert ninety[-1] == "15:30"
    assert "16:00" not in ninety
    assert sixty[-1] == "16:00"


def test_time_off_blocks_every_session_that_would_touch_it():
    lunch_off = (at(DAY, 12), at(DAY, 15))

    times = offered(query(), [calendar(hours=NINE_TO_FIVE, time_off=[lunch_off])])

    assert times == steps(at(DAY, 9), at(DAY, 11)) + steps(at(DAY, 15), at(DAY, 16))


def test_a_day_without_working_hours_offers_nothing():
    weekdays_only = {weekday: [(time(9), time(17))] for weekday in range(5)}
    saturday = date(2026, 12, 5)

    assert (
        offered(query(first_day=saturday, last_day=saturday), [calendar(hours=weekdays_only)]) == []
    )


def test_start_windows_and_notice_limit_the_grid():
    evening = query(earliest_start=time(18), latest_start=time(19))
    afternoon = query(not_before=at(DAY, 15, 10))

    assert offered(evening, [calendar()]) == ["18:00", "18:30", "19:00"]
    assert offered(afternoon, [calendar()])[0] == "15:30"


def test_nothing_is_offered_after_the_last_bookable_day():
    limited = query(last_day=DAY + timedelta(days=2), last_bookable_day=DAY + timedelta(days=1))

    days = {slot.starts_at.astimezone(ATLANTA).date() for slot in open_slots(limited, [calendar()])}

    assert days == {DAY, DAY + timedelta(days=1)}


# Eligibility ------------------------------------------------------------------------------------


def test_insurance_expiring_mid_range_stops_offers_from_the_next_day():
    insured_until_day = therapist(insurance_expires_on=DAY)
    two_days = query(last_day=DAY + timedelta(days=1))

    days = {
        slot.starts_at.astimezone(ATLANTA).date()
        for slot in open_slots(two_days, [calendar(insured_until_day)])
    }

    assert days == {DAY}


def test_a_therapist_without_the_modality_is_never_offered():
    deep_tissue_only = therapist(modality_ids=(DEEP_TISSUE,))

    assert offered(query(), [calendar(deep_tissue_only)]) == []
    assert offered(query(modality_id=DEEP_TISSUE), [calendar(deep_tissue_only)]) != []


def test_a_zip_outside_the_service_radius_is_never_offered():
    assert offered(query(zip_code="30024"), [calendar(therapist(travel_radius_miles=25))]) == []
    assert offered(query(zip_code="30024"), [calendar(therapist(travel_radius_miles=40))]) != []


# Couples --------------------------------------------------------------------------------------


def test_side_by_side_needs_two_therapists_free_at_once():
    busy_at_ten = calendar(
        therapist(1), hours=NINE_TO_FIVE, busy=[Busy.between(at(DAY, 10), at(DAY, 11), "30303")]
    )
    free_all_day = calendar(therapist(2), hours=NINE_TO_FIVE)

    single = offered(query(), [busy_at_ten, free_all_day])
    side_by_side = offered(query(therapists_needed=2), [busy_at_ten, free_all_day])

    assert "10:00" in single
    assert "10:00" not in side_by_side
    assert side_by_side == steps(at(DAY, 11, 30), at(DAY, 16))


def test_one_therapist_with_overlapping_hours_never_counts_as_two():
    # Staff can enter windows that overlap; the therapist is still one person.
    overlapping = {DAY.weekday(): [(time(9), time(13)), (time(12), time(17))]}

    single = offered(query(), [calendar(hours=overlapping)])
    side_by_side = offered(query(therapists_needed=2), [calendar(hours=overlapping)])

    assert single == steps(at(DAY, 9), at(DAY, 16))
    assert side_by_side == []


def test_back_to_back_length_is_checked_against_hours():
    # Two 60-minute sessions plus a 15-minute changeover keep one therapist 135 minutes.
    times = offered(query(busy_minutes=135), [calendar(hours=NINE_TO_FIVE)])

    assert times[-1] == "14:30"


# Assignment policy ------------------------------------------------------------------------------


def assigned(calendars, starts_at=None) -> list[int]:
    candidates = free_candidates(query(), calendars, starts_at or at(DAY, 14))
    return [candidate.therapist.pk for candidate in candidates]


def test_the_least_booked_therapist_that_day_is_assigned_first():
    morning_visit = Busy.between(at(DAY, 9), at(DAY, 10, 30), "30303")

    assert assigned([calendar(therapist(1), busy=[morning_visit]), calendar(therapist(2))]) == [
        2,
        1,
    ]


def test_with_equal_bookings_the_shorter_drive_wins():
    from_duluth = therapist(1, home_zip="30097")
    from_grant_park = therapist(2, home_zip="30312")

    assert assigned([calendar(from_duluth), calendar(from_grant_park)]) == [2, 1]


def test_travel_is_measured_from_the_previous_visit_not_from_home():
    # Both have one 60-minute visit that day; therapist 1 lives downtown but will be in
    # Alpharetta, therapist 2 lives in Duluth but will be next door.
    after_alpharetta = calendar(therapist(1), busy=[Busy.between(at(DAY, 9), at(DAY, 10), "30024")])
    after_downtown = calendar(
        therapist(2, home_zip="30097"), busy=[Busy.between(at(DAY, 9), at(DAY, 10), "30303")]
    )

    assert assigned([after_alpharetta, after_downtown]) == [2, 1]


def test_otherwise_the_lowest_id_is_assigned_first():
    assert assigned([calendar(therapist(7)), calendar(therapist(3))]) == [3, 7]


def test_no_candidate_for_a_time_off_the_grid_or_already_taken():
    taken = calendar(busy=[Busy.between(at(DAY, 14), at(DAY, 15), "30303")])

    assert assigned([calendar()], at(DAY, 14, 15)) == []
    assert assigned([taken], at(DAY, 14)) == []
