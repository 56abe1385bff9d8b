"""My hours and time off: a therapist edits their week and adds days off; a change that would
strand a confirmed appointment is refused with the list of them; clients see the change at
once."""

from datetime import date, time, timedelta

import pytest

from booking.selectors import slot_list_available_cached
from booking.services import booking_cancel
from pro.services import Window, time_off_add, working_hours_replace
from tests.booking.helpers import TODAY, TOMORROW, at, make_booking, page_of
from therapists.models import TimeOff, WorkingHours

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

THURSDAY = TODAY + timedelta(days=2)


@pytest.fixture
def tess_gives_swedish(tess, swedish):
    tess.modalities.set([swedish.modality])
    return tess


@pytest.fixture
def wednesday_job(tess_gives_swedish, swedish):
    """Tess's Swedish massage for Ada tomorrow, Wed Dec 2, 2:00 to 3:00 pm."""
    return make_booking(swedish, at(TOMORROW, 14))


def open_starts(swedish, day: date) -> list[str]:
    """The times clients are shown, through the cache the booking pages read."""
    slots = slot_list_available_cached(
        service=swedish, minutes=60, zip_code="30309", start_date=day, days=1
    )
    return [f"{slot.starts_at.astimezone(at(day, 0).tzinfo):%H:%M}" for slot in slots.slots]


def week(**days) -> dict:
    """The hours form's POST: every day off but those given as ``wed=("09:00", "17:00")``, or
    with a second stretch ``wed=("09:00", "12:00", "13:00", "17:00")``."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data = {"form-TOTAL_FORMS": "7", "form-INITIAL_FORMS": "7"}
    for index, name in enumerate(names):
        times = days.get(name)
        if times:
            data[f"form-{index}-works"] = "on"
            keys = ["starts_at", "ends_at", "later_starts_at", "later_ends_at"]
            for key, value in zip(keys, times, strict=False):
                data[f"form-{index}-{key}"] = value
    return data


def hours_of(therapist) -> list[tuple]:
    return list(
        WorkingHours.objects.filter(therapist=therapist)
        .order_by("weekday", "starts_at")
        .values_list("weekday", "starts_at", "ends_at")
    )


def test_the_hours_page_shows_the_week_as_it_is(signed_in):
    page = page_of(signed_in.get("/pro/hours/"))
    for day in ("Monday", "Sunday"):
        assert f'<legend class="h5">{day}</legend>' in page
    assert page.count('value="09:00"') == 7 and page.count('value="21:00"') == 7


def test_new_hours_show_in_the_public_availability_at_once(signed_in, tess_gives_swedish, swedish):
    assert "10:00" in open_starts(swedish, THURSDAY)

    response = signed_in.post("/pro/hours/", week(thu=("13:00", "18:00")), follow=True)

    assert "Your hours are saved." in page_of(response)
    assert hours_of(tess_gives_swedish) == [(3, time(13), time(18))]
    starts = open_starts(swedish, THURSDAY)
    assert "10:00" not in starts and starts[0] == "13:00" and starts[-1] == "17:00"
    assert open_starts(swedish, THURSDAY + timedelta(days=1)) == []


def test_hours_that_strand_a_booking_are_refused_with_the_list(signed_in, tess, wednesday_job):
    before = hours_of(tess)
    response = signed_in.post("/pro/hours/", week(wed=("09:00", "13:00")))

    page = page_of(response)
    assert response.status_code == 200
    assert page.startswith("<!doctype html>") and "<title>Error: My hours" in page
    assert "would leave booked appointments outside them" in page
    assert f"Wed, Dec 2 · 2:00 pm to 3:00 pm, Swedish massage ({wednesday_job.reference})" in page
    assert hours_of(tess) == before


def test_a_split_day_that_still_covers_the_booking_is_saved(signed_in, tess, wednesday_job):
    response = signed_in.post(
        "/pro/hours/", week(wed=("09:00", "14:30", "14:30", "18:00")), follow=True
    )
    assert "Your hours are saved." in page_of(response)
    assert hours_of(tess) == [(2, time(9), time(14, 30)), (2, time(14, 30), time(18))]


def test_a_cancelled_booking_strands_nothing(tess, wednesday_job):
    booking_cancel(booking=wednesday_job)
    working_hours_replace(therapist=tess, windows=[])
    assert hours_of(tess) == []


def test_an_end_before_the_start_is_refused_next_to_the_field(signed_in, tess):
    before = hours_of(tess)
    page = page_of(signed_in.post("/pro/hours/", week(mon=("17:00", "09:00"))))
    assert 'id="id_form-0-ends_at_error"' in page
    assert "The end time must be after the start time." in page
    assert hours_of(tess) == before


def test_a_tampered_week_is_refused(signed_in, tess):
    before = hours_of(tess)
    data = week(mon=("09:00", "17:00")) | {"form-TOTAL_FORMS": "9"}
    assert signed_in.post("/pro/hours/", data).status_code == 200
    assert hours_of(tess) == before


def test_time_off_removes_the_days_from_the_public_availability(
    signed_in, tess_gives_swedish, swedish
):
    assert open_starts(swedish, THURSDAY)
    response = signed_in.post(
        "/pro/time-off/",
        {"first_day": "2026-12-03", "last_day": "2026-12-03", "reason": "Dentist"},
        follow=True,
    )
    page = page_of(response)
    assert "Time off added." in page
    assert "Thu, Dec 3 · 12:00 am to Fri, Dec 4 · 12:00 am · Dentist" in page
    assert open_starts(swedish, THURSDAY) == []
    assert open_starts(swedish, THURSDAY + timedelta(days=1))


def test_time_off_over_a_booking_is_refused_with_the_list(signed_in, tess, wednesday_job):
    response = signed_in.post(
        "/pro/time-off/", {"first_day": "2026-12-01", "last_day": "2026-12-04"}
    )
    page = page_of(response)
    assert "You have booked appointments in that time" in page
    assert f"Wed, Dec 2 · 2:00 pm to 3:00 pm, Swedish massage ({wednesday_job.reference})" in page
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-12-05", "2026-12-04", "The last day off can't be before the first."),
        ("2026-11-20", "2026-11-30", "Choose a day from today on."),
        ("", "2026-12-04", "This field is required."),
    ],
)
def test_bad_time_off_is_refused_next_to_the_field(signed_in, first, last, message):
    page = page_of(signed_in.post("/pro/time-off/", {"first_day": first, "last_day": last}))
    assert message in page
    assert "<title>Error: Time off" in page
    assert not TimeOff.objects.exists()


def test_time_off_must_end_in_the_future(tess):
    with pytest.raises(Exception, match="must end in the future"):
        time_off_add(therapist=tess, starts_at=at(TODAY, 6), ends_at=at(TODAY, 8))


def test_hours_are_checked_against_the_appointment_in_atlanta_time(tess, wednesday_job):
    # 2:00 pm in Atlanta is 19:00 UTC: a window read in UTC would wrongly keep or refuse it.
    working_hours_replace(therapist=tess, windows=[Window(2, time(13, 30), time(15))])
    with pytest.raises(Exception, match="outside them"):
        working_hours_replace(therapist=tess, windows=[Window(2, time(18), time(21))])


def test_an_appointment_already_outside_the_hours_doesnt_block_other_changes(tess, wednesday_job):
    WorkingHours.objects.filter(therapist=tess, weekday=2).update(starts_at=time(15))
    working_hours_replace(therapist=tess, windows=[Window(0, time(9), time(17))])
    assert hours_of(tess) == [(0, time(9), time(17))]


def test_a_day_with_more_stretches_than_the_form_shows_is_never_cut_short(signed_in, tess):
    WorkingHours.objects.filter(therapist=tess, weekday=0).delete()
    for start, end in ((8, 10), (12, 14), (16, 18)):
        WorkingHours.objects.create(
            therapist=tess, weekday=0, starts_at=time(start), ends_at=time(end)
        )
    before = hours_of(tess)

    assert "ask the office to change your hours" in page_of(signed_in.get("/pro/hours/"))
    response = signed_in.post("/pro/hours/", week(mon=("09:00", "17:00")))

    page = page_of(response)
    assert "Not saved" in page and "<li>Monday</li>" in page
    assert hours_of(tess) == before
