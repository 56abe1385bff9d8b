"""Asking for a therapist ("Book with Maya", "Book Maya again") and booking again from a past
booking's private page: the engine's filter, the assignment under lock, the lost race, the
cache and the flow."""

from datetime import UTC, timedelta

import pytest

from booking.assignment import SlotRequest, SlotTaken, therapists_assign
from booking.availability import Busy, free_candidates, open_slots
from booking.models import Booking
from booking.selectors import availability_key, slot_list_available_cached
from booking.services import booking_create
from tests.booking.helpers import DAY, DETAILS, TODAY, TOMORROW, at, make_booking, page_of
from tests.booking.test_availability import NINE_TO_FIVE, calendar, query, therapist
from tests.factories import ServiceFactory, TherapistFactory
from therapists.models import Therapist

# The engine's filter (pure) -------------------------------------------------------------------


def local_times(slots) -> list[str]:
    return [f"{slot.starts_at.astimezone(at(DAY, 0).tzinfo):%H:%M}" for slot in slots]


def test_asking_for_a_therapist_offers_only_their_free_times():
    maya_busy = calendar(
        therapist(1), hours=NINE_TO_FIVE, busy=[Busy.between(at(DAY, 12), at(DAY, 13), "30303")]
    )
    colleague = calendar(therapist(2), hours=NINE_TO_FIVE)

    anyone = local_times(open_slots(query(), [maya_busy, colleague]))
    with_maya = local_times(open_slots(query(), [maya_busy, colleague], therapist_id=1))

    assert "12:00" in anyone
    assert "11:00" not in with_maya and "12:00" not in with_maya  # the visit and its buffer
    assert "09:00" in with_maya and "10:30" in with_maya and "14:00" in with_maya
    assert open_slots(query(), [colleague], therapist_id=1) == []


def test_side_by_side_with_one_asked_for_needs_them_and_one_more():
    maya = calendar(therapist(1), hours={DAY.weekday(): [(at(DAY, 9).time(), at(DAY, 12).time())]})
    colleague = calendar(therapist(2), hours=NINE_TO_FIVE)
    second = calendar(therapist(3), hours=NINE_TO_FIVE)

    times = local_times(open_slots(query(therapists_needed=2), [maya, colleague], therapist_id=1))
    both_others = open_slots(query(therapists_needed=2), [colleague, second], therapist_id=1)

    assert times == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert both_others == []


def test_the_therapist_asked_for_comes_first_or_nobody_does():
    busy_morning = Busy.between(at(DAY, 9), at(DAY, 10, 30), "30303")
    maya = calendar(therapist(1), busy=[busy_morning])
    colleague = calendar(therapist(2))

    order = [c.therapist.pk for c in free_candidates(query(), [maya, colleague], at(DAY, 14))]
    asked = free_candidates(query(), [maya, colleague], at(DAY, 14), therapist_id=1)
    taken = free_candidates(query(), [maya, colleague], at(DAY, 9, 30), therapist_id=1)

    assert order == [2, 1]  # without asking, the less booked colleague first
    assert [c.therapist.pk for c in asked] == [1, 2]
    assert taken == []


# Availability, assignment and the lost race (database) ----------------------------------------


@pytest.fixture
def tess(swedish):
    return TherapistFactory(
        first_name="Tess", slug="tess", modalities=[swedish.modality], hours="all"
    )


@pytest.fixture
def maya_slug(maya):
    maya.slug = "maya"
    maya.save()
    return maya


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_the_cached_times_are_kept_apart_for_each_therapist_asked_for(swedish, maya_slug, tess):
    make_booking(swedish, at(TOMORROW, 14))  # Maya first (lowest id, nothing booked)
    asked = {"service": swedish, "minutes": 60, "zip_code": "30309", "start_date": TOMORROW}

    with_maya = slot_list_available_cached(**asked, days=1, therapist=maya_slug)
    anyone = slot_list_available_cached(**asked, days=1)
    with_tess = slot_list_available_cached(**asked, days=1, therapist=tess)

    assert at(TOMORROW, 14) not in {slot.starts_at for slot in with_maya.slots}
    assert at(TOMORROW, 14) in {slot.starts_at for slot in anyone.slots}
    assert at(TOMORROW, 14) in {slot.starts_at for slot in with_tess.slots}
    key = {"service": "swedish", "minutes": 60, "zip_code": "30309", "start_date": TOMORROW}
    assert availability_key(**key, days=1, therapist="maya") != availability_key(**key, days=1)


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_the_booking_goes_to_the_therapist_asked_for(swedish, maya_slug, tess):
    booking = make_booking(swedish, at(DAY, 10), therapist=tess)

    assert [a.therapist for a in booking.appointments.all()] == [tess]


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_a_therapist_asked_for_and_taken_meanwhile_loses_the_slot_with_their_alternatives(
    swedish, maya_slug, tess
):
    make_booking(swedish, at(DAY, 10), therapist=maya_slug)  # someone else got Maya

    request = SlotRequest(
        service=swedish,
        minutes=60,
        starts_at=at(DAY, 10),
        zip_code="30309",
        gender="any",
        therapist=maya_slug,
    )
    with pytest.raises(SlotTaken) as taken:
        therapists_assign(request)

    alternatives = [slot.starts_at for slot in taken.value.alternatives]
    assert alternatives and at(DAY, 10) not in alternatives
    # Tess is free at 10 but wasn't asked for; Maya's own times are the alternatives.
    assert all(abs(start - at(DAY, 10)) >= timedelta(hours=1) for start in alternatives)
    assert Booking.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_side_by_side_asking_for_one_gives_them_and_any_other(maya_slug, tess, swedish):
    couples = ServiceFactory(
        name="Couples side by side",
        slug="couples-side-by-side",
        kind="couples_side_by_side",
        modality=swedish.modality,
        prices={60: "250.00"},
    )
    TherapistFactory(first_name="Zoe", modalities=[swedish.modality], hours="all")

    booking = make_booking(couples, at(DAY, 10), therapist=tess)

    therapists = {a.therapist for a in booking.appointments.all()}
    assert tess in therapists and len(therapists) == 2


# The flow ---------------------------------------------------------------------------------------


def slot_value(moment) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.fixture
def past_booking(swedish, maya_slug, tess, time_machine):
    """Ada's Swedish massage with Maya yesterday (60 minutes, firm pressure, at 30309)."""
    time_machine.move_to(at(TODAY - timedelta(days=3), 9), tick=False)
    booking = booking_create(
        service=swedish,
        minutes=90,
        starts_at=at(TODAY - timedelta(days=1), 14),
        consent=True,
        text_consent=True,
        therapist=maya_slug,
        **{
            "client_name": "Ada Client",
            "client_email": "ada@example.com",
            "client_phone": "+14045550123",
            "address_line1": "100 Peachtree St NW",
            "address_line2": "Apt 4",
            "city": "Atlanta",
            "zip_code": "30309",
            "access_notes": "Street parking on 5th",
            "pressure": "firm",
            "health_notes": "Sore left shoulder",
        },
    )
    time_machine.move_to(at(TODAY, 9), tick=False)
    return booking


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_book_maya_again_goes_to_the_time_step_with_her_times_and_the_details_filled_in(
    client, past_booking, maya_slug, tess, swedish
):
    make_booking(swedish, at(DAY, 14), therapist=maya_slug)
    page = page_of(client.get(f"/booking/{past_booking.token}/"))
    assert "Book Maya again" in page

    response = client.post(f"/booking/{past_booking.token}/again/", {"therapist": "maya"})

    assert response["Location"] == "/book/time/"
    page = page_of(client.get(f"/book/time/?day={DAY:%Y-%m-%d}"))
    assert "Swedish massage, 90 minutes, at 30309, with Maya." in page
    assert slot_value(at(DAY, 14)) not in page  # Maya is busy then (Tess isn't)
    assert slot_value(at(DAY, 11)) in page

    client.post("/book/time/", {"start": slot_value(at(DAY, 11))})
    page = page_of(client.get("/book/details/"))
    assert 'value="Ada Client"' in page and 'value="100 Peachtree St NW"' in page
    assert "Street parking on 5th" in page
    assert "Sore left shoulder" not in page
    assert 'name="text_consent"' in page and 'name="text_consent" checked' not in page

    response = client.post("/book/details/", DETAILS)
    response = client.post("/book/review/")
    booking = Booking.objects.latest("pk")
    assert response["Location"] == f"/booking/{booking.token}/"
    assert [a.therapist for a in booking.appointments.all()] == [maya_slug]
    assert booking.minutes == 90


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_book_again_with_a_length_no_longer_offered_goes_to_step_one_saying_so(
    client, past_booking, swedish
):
    swedish.durations.filter(minutes=90).delete()

    response = client.post(f"/booking/{past_booking.token}/again/", follow=True)

    page = page_of(response)
    assert response.redirect_chain[-1][0] == "/book/?service=swedish"
    assert "Swedish massage comes in 60 minutes. Choose a length." in page
    assert 'value="30309"' in page


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_book_again_needs_the_bookings_own_link(client, past_booking):
    assert client.post("/booking/" + "x" * 22 + "/again/").status_code == 404
    assert client.get(f"/booking/{past_booking.token}/again/").status_code == 405


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_book_with_maya_from_her_profile_then_any_therapist(client, swedish, maya_slug, tess):
    profile = page_of(client.get("/therapists/maya/"))
    assert 'href="/book/?therapist=maya"' in profile and "Book with Maya" in profile

    page = page_of(client.get("/book/?therapist=maya"))
    assert "With Maya." in page and "Any therapist instead" in page

    page = page_of(client.get("/book/?therapist=any"))
    assert "With Maya." not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_a_therapist_with_no_free_time_is_said_plainly_with_an_any_therapist_button(
    client, swedish, maya_slug, tess
):
    maya_slug.modalities.clear()  # she no longer gives Swedish: no time for it
    client.get("/book/?therapist=maya")
    client.post("/book/", {"service": "swedish", "minutes": 60, "zip_code": "30309"})

    page = page_of(client.get("/book/time/"))
    assert "Maya has no free times from December 1 to December 14." in page
    assert 'href="/book/time/?therapist=any"' in page

    client.get("/book/time/?therapist=any")
    page = page_of(client.get(f"/book/time/?day={DAY:%Y-%m-%d}"))
    assert "with Maya" not in page and slot_value(at(DAY, 11)) in page


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_a_paused_therapist_has_no_button_and_a_draft_naming_them_falls_back(
    client, swedish, maya_slug, tess
):
    client.get("/book/?therapist=maya")
    client.post("/book/", {"service": "swedish", "minutes": 60, "zip_code": "30309"})
    Therapist.objects.filter(pk=maya_slug.pk).update(status=Therapist.Status.PAUSED)

    assert client.get("/therapists/maya/").status_code == 404
    page = page_of(client.get(f"/book/time/?day={DAY:%Y-%m-%d}"))
    assert "That therapist isn't taking bookings right now" in page
    assert "with Maya" not in page and slot_value(at(DAY, 11)) in page


@pytest.mark.django_db
@pytest.mark.usefixtures("tuesday_morning")
def test_maya_taken_at_the_last_moment_shows_her_alternatives(client, swedish, maya_slug, tess):
    client.get("/book/?therapist=maya")
    client.post("/book/", {"service": "swedish", "minutes": 60, "zip_code": "30309"})
    client.post("/book/time/", {"start": slot_value(at(DAY, 11))})
    client.post("/book/details/", DETAILS)
    make_booking(swedish, at(DAY, 11), therapist=maya_slug)

    response = client.post("/book/review/")

    assert response["Location"] == "/book/time/"
    page = page_of(client.get("/book/time/"))
    assert "that time was just taken" in page
    assert Booking.objects.count() == 1
