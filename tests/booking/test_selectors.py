from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import selectors
from booking.selectors import service_list_active, service_serves_zip, slot_list_available
from tests.booking.helpers import DAY, TODAY, at
from tests.conftest import ATLANTA
from tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ModalityFactory,
    ServiceFactory,
    TherapistFactory,
    TimeOffFactory,
)
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


def local_starts(slots) -> list[str]:
    return [f"{slot.starts_at.astimezone(ATLANTA):%H:%M}" for slot in slots]


def half_hours(first: str, last: str) -> list[str]:
    """Wall-clock times every 30 minutes from ``first`` to ``last``, both included."""
    times = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
    return times[times.index(first) : times.index(last) + 1]


def slots_for(service, *, zip_code="30303", minutes=60, day=DAY, days=1, **options):
    return slot_list_available(
        service=service, minutes=minutes, zip_code=zip_code, start_date=day, days=days, **options
    )


# Where we go ----------------------------------------------------------------------------------


def test_a_zip_outside_every_radius_is_told_we_dont_come_there(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all", travel_radius_miles=25)

    availability = slots_for(swedish, zip_code="30024")

    assert availability.served is False
    assert availability.slots == []
    assert availability.message == "We don't come to 30024 yet."
    assert service_serves_zip(service=swedish, zip_code="30024") is False
    assert service_serves_zip(service=swedish, zip_code="30309") is True


def test_a_therapist_without_the_services_modality_offers_nothing(swedish):
    TherapistFactory(modalities=[ModalityFactory(name="Deep tissue")], hours="all")

    assert slots_for(swedish).slots == []
    assert service_serves_zip(service=swedish, zip_code="30303") is False


# Who may come -----------------------------------------------------------------------------------


def test_a_female_only_request_skips_the_male_therapist(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all", gender=Therapist.Gender.MALE)
    female = TherapistFactory(modalities=[swedish.modality], hours="all")
    TimeOffFactory(therapist=female, starts_at=at(DAY, 9), ends_at=at(DAY, 13))

    anyone = slots_for(swedish)
    female_only = slots_for(swedish, gender="female")

    assert local_starts(anyone.slots)[0] == "09:00"
    assert local_starts(female_only.slots)[0] == "13:00"


def test_with_only_a_male_therapist_a_female_only_request_gets_no_times_but_is_served(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all", gender=Therapist.Gender.MALE)

    female_only = slots_for(swedish, gender="female")

    assert female_only.served is True
    assert female_only.slots == []
    assert female_only.message == ""
    assert slots_for(swedish, gender="male").slots != []


def test_insurance_expiring_before_the_day_removes_that_day_only(swedish):
    # Valid today and tomorrow, lapsed on the day after.
    TherapistFactory(
        modalities=[swedish.modality], hours="all", insurance_expires_on=DAY - timedelta(days=1)
    )

    slots = slots_for(swedish, day=DAY - timedelta(days=1), days=2).slots

    assert {slot.starts_at.astimezone(ATLANTA).date() for slot in slots} == {
        DAY - timedelta(days=1)
    }


# When ----------------------------------------------------------------------------------------


def test_nothing_starts_within_three_hours_of_now(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all")

    starts = local_starts(slots_for(swedish, day=TODAY).slots)

    assert starts == half_hours("12:00", "20:00")


def test_nothing_is_offered_beyond_sixty_days(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all")
    last_day = TODAY + timedelta(days=60)

    slots = slots_for(swedish, day=last_day - timedelta(days=1), days=3).slots

    assert {slot.starts_at.astimezone(ATLANTA).date() for slot in slots} == {
        last_day - timedelta(days=1),
        last_day,
    }


def test_sleep_massage_starts_only_in_its_evening_window():
    sleep = ServiceFactory(
        name="Sleep", earliest_start=time(18), latest_start=time(21), prices={60: "130.00"}
    )
    late_hours = [(weekday, time(9), time(23, 30)) for weekday in range(7)]
    TherapistFactory(modalities=[sleep.modality], hours=late_hours)

    starts = local_starts(slots_for(sleep).slots)

    assert starts == half_hours("18:00", "21:00")


def test_time_off_and_the_end_of_hours_limit_a_long_session(swedish):
    therapist = TherapistFactory(
        modalities=[swedish.modality], hours=[(DAY.weekday(), time(9), time(17))]
    )
    TimeOffFactory(therapist=therapist, starts_at=at(DAY, 11), ends_at=at(DAY, 13))

    starts = local_starts(slots_for(swedish, minutes=90).slots)

    assert starts == half_hours("09:00", "09:30") + half_hours("13:00", "15:30")


def test_an_appointment_far_away_leaves_time_to_drive(swedish):
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all", travel_radius_miles=40)
    AppointmentFactory(
        therapist=therapist,
        booking=BookingFactory(service=swedish, starts_at=at(DAY, 14), zip_code="30303"),
    )

    alpharetta = local_starts(slots_for(swedish, zip_code="30024").slots)
    downtown = local_starts(slots_for(swedish, zip_code="30303").slots)

    # 29 miles each way: 110 minutes of travel (see test_availability for the formula).
    assert "11:00" in alpharetta and "11:30" not in alpharetta
    assert "16:30" not in alpharetta and "17:00" in alpharetta
    assert "12:30" in downtown and "13:00" not in downtown
    assert "15:00" not in downtown and "15:30" in downtown


def test_a_cancelled_appointment_frees_the_time(swedish):
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
    AppointmentFactory(
        therapist=therapist, booking=BookingFactory(starts_at=at(DAY, 14)), is_active=False
    )

    assert "14:00" in local_starts(slots_for(swedish).slots)


# Daylight saving -----------------------------------------------------------------------------

DST_SUNDAYS = [
    (date(2026, 3, 8), "-05:00", "-04:00"),
    (date(2026, 11, 1), "-04:00", "-05:00"),
    (date(2027, 3, 14), "-05:00", "-04:00"),
    (date(2027, 11, 7), "-04:00", "-05:00"),
]


@pytest.mark.parametrize(("sunday", "offset_before", "offset_after"), DST_SUNDAYS)
def test_daylight_saving_sundays_get_each_working_hour_slot_once(
    time_machine, swedish, sunday, offset_before, offset_after
):
    time_machine.move_to(at(sunday - timedelta(days=5), 8), tick=False)
    TherapistFactory(
        modalities=[swedish.modality], hours=[(day, time(9), time(17)) for day in range(7)]
    )
    saturday = sunday - timedelta(days=1)

    slots = slots_for(swedish, day=saturday, days=2).slots

    expected = half_hours("09:00", "16:00")
    assert len(expected) == 15
    for day, offset in [(saturday, offset_before), (sunday, offset_after)]:
        local = [s.starts_at.astimezone(ATLANTA) for s in slots]
        that_day = [moment for moment in local if moment.date() == day]
        assert [f"{moment:%H:%M}" for moment in that_day] == expected
        assert {moment.isoformat()[-6:] for moment in that_day} == {offset}
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=60) for slot in slots)


def early_hours_slots(time_machine, service, sunday):
    time_machine.move_to(at(sunday - timedelta(days=5), 8), tick=False)
    TherapistFactory(modalities=[service.modality], hours=[(6, time(0), time(6))])
    return slots_for(service, day=sunday).slots


def test_spring_forward_skips_the_hour_that_does_not_exist(time_machine, swedish):
    slots = early_hours_slots(time_machine, swedish, date(2026, 3, 8))

    assert local_starts(slots) == half_hours("00:00", "01:30") + half_hours("03:00", "05:00")
    # 1:30 am EST plus one real hour is 3:30 am EDT.
    assert slots[3].ends_at.astimezone(ATLANTA).isoformat() == "2026-03-08T03:30:00-04:00"


def test_fall_back_offers_the_repeated_hour_once(time_machine, swedish):
    slots = early_hours_slots(time_machine, swedish, date(2026, 11, 1))

    starts = local_starts(slots)
    assert starts == half_hours("00:00", "05:00")
    assert len(set(starts)) == len(starts)
    half_past_midnight = slots[1]
    assert half_past_midnight.starts_at.astimezone(ATLANTA).isoformat() == (
        "2026-11-01T00:30:00-04:00"
    )
    assert half_past_midnight.ends_at - half_past_midnight.starts_at == timedelta(minutes=60)
    assert half_past_midnight.ends_at.astimezone(ATLANTA).isoformat() == (
        "2026-11-01T01:30:00-04:00"
    )
    # The last start, 5 am EST, ends exactly when the hours do: 6 am EST, seven real hours
    # after midnight EDT.
    assert slots[-1].ends_at.astimezone(ATLANTA).isoformat() == "2026-11-01T06:00:00-05:00"


# Input and cost --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"minutes": 45}, "minutes"),
        ({"zip_code": "3030"}, "zip_code"),
        ({"zip_code": "00000"}, "zip_code"),
        ({"gender": "robot"}, "gender"),
        ({"days": 0}, "days"),
        ({"days": 61}, "days"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(swedish, options, field):
    with pytest.raises(ValidationError) as error:
        slots_for(swedish, **options)

    assert field in error.value.message_dict


def test_slots_load_in_the_same_number_of_queries_however_busy_the_calendar(
    swedish, django_assert_num_queries
):
    modality = swedish.modality
    TherapistFactory(modalities=[modality], hours="all")
    service = service_list_active().get(pk=swedish.pk)
    with CaptureQueriesContext(connection) as one_therapist_one_day:
        assert slots_for(service).slots

    for index in range(9):
        therapist = TherapistFactory(modalities=[modality], hours="all")
        TimeOffFactory(
            therapist=therapist,
            starts_at=at(DAY + timedelta(days=index), 9),
            ends_at=at(DAY + timedelta(days=index), 12),
        )
        for day in range(0, 14, 3):
            for hour in (10, 15):
                AppointmentFactory(
                    therapist=therapist,
                    booking=BookingFactory(
                        service=swedish, starts_at=at(DAY + timedelta(days=day), hour)
                    ),
                )

    with django_assert_num_queries(len(one_therapist_one_day)):
        busy = slots_for(service, days=14)
    assert len(one_therapist_one_day) == 1
    assert len(busy.slots) > 14


def test_the_engine_reads_in_the_same_number_of_queries_for_5_or_50_therapists_7_or_28_days(
    swedish,
):
    def busy_therapists(count):
        for _ in range(count):
            therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
            for day in (0, 6, 20):
                AppointmentFactory(
                    therapist=therapist,
                    booking=BookingFactory(
                        service=swedish, starts_at=at(DAY + timedelta(days=day), 10)
                    ),
                )

    service = service_list_active().get(pk=swedish.pk)  # its lengths already loaded

    def queries(days):
        with CaptureQueriesContext(connection) as captured:
            assert slots_for(service, days=days).slots
        return len(captured)

    busy_therapists(5)
    few = {days: queries(days) for days in (7, 28)}
    busy_therapists(45)
    many = {days: queries(days) for days in (7, 28)}

    assert few == many == {7: 1, 28: 1}


def test_calendars_read_in_one_statement_hold_what_the_plain_queries_read(swedish):
    """On PostgreSQL every calendar comes in one statement, as arrays, alone or after the
    therapists' own fields; the other databases read the same rows in plain queries. All give
    the engine the same hours, time off and appointments: inside the range, active, and not the
    booking being moved."""
    maya = TherapistFactory(
        modalities=[swedish.modality],
        hours=[(3, time(14), time(18)), (3, time(9), time(13)), (5, time(10), time(16))],
    )
    tess = TherapistFactory(modalities=[swedish.modality])
    TimeOffFactory(therapist=maya, starts_at=at(DAY, 8), ends_at=at(DAY + timedelta(days=1), 12))
    TimeOffFactory(therapist=maya, starts_at=at(DAY + timedelta(days=30), 8))
    kept = AppointmentFactory(
        therapist=maya,
        booking=BookingFactory(service=swedish, starts_at=at(DAY, 15, 30), zip_code="30309"),
    )
    moved = AppointmentFactory(therapist=maya, booking=BookingFactory(starts_at=at(DAY, 10)))
    AppointmentFactory(
        therapist=maya, is_active=False, booking=BookingFactory(starts_at=at(DAY, 12))
    )
    AppointmentFactory(
        therapist=maya, booking=BookingFactory(starts_at=at(DAY + timedelta(days=20), 9))
    )
    read = {
        "since": at(DAY - timedelta(days=1), 0),
        "until": at(DAY + timedelta(days=2), 0),
        "exclude_booking": moved.booking,
    }

    def calendars(load):
        columns = load([maya.pk, tess.pk], **read)
        found = {}
        for pk in (maya.pk, tess.pk):
            week, off_starts, off_ends, starts, ends, zip_codes = columns.get(
                pk, selectors.NO_COLUMNS
            )
            found[pk] = (
                week,
                sorted(zip(off_starts, off_ends, strict=True)),
                sorted(zip(starts, ends, zip_codes, strict=True)),
            )
        return found

    def minute(moment):
        return int(moment.timestamp()) // 60

    def with_facts(ids, **read):
        facts, columns = selectors._facts_and_calendar_columns_sql(
            selectors._statement_with_therapists(Therapist.objects.filter(pk__in=ids)), **read
        )
        assert [fact.pk for fact in facts] == sorted(ids)
        assert facts[0].home_zip == Therapist.objects.get(pk=min(ids)).home_zip
        return columns

    one_statement = calendars(selectors._calendar_columns_sql)

    assert one_statement == calendars(selectors._calendar_columns_orm)
    assert one_statement == calendars(with_facts)
    assert one_statement[maya.pk] == (
        ((3, ((time(9), time(13)), (time(14), time(18)))), (5, ((time(10), time(16)),))),
        [(minute(at(DAY, 8)), minute(at(DAY + timedelta(days=1), 12)))],
        [(minute(kept.starts_at), minute(kept.ends_at), "30309")],
    )
    assert one_statement[tess.pk] == ((), [], [])
