"""The client booking flow in HTML, driven through Django's test client with JavaScript off
(plain posts) and on (htmx partial requests)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Appointment, Booking
from tests.booking.helpers import DAY, DETAILS, REFERRAL, TOMORROW, at, make_booking, page_of
from tests.factories import ServiceFactory, TherapistFactory
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

# Couples name the second person on the details step.
COUPLE = DETAILS | {"second_person_name": "Ben Partner"}


def slot_value(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def choose_service(client, service, *, minutes=60, zip_code="30309", gender="any"):
    return client.post(
        "/book/",
        {
            "service": service.slug,
            "minutes": minutes,
            "zip_code": zip_code,
            "gender_preference": gender,
        },
    )


def book(client, service, *, starts_at, minutes=60, details=None, gender="any"):
    """Walk every step with JavaScript off; return the response to the final confirm."""
    response = choose_service(client, service, minutes=minutes, gender=gender)
    assert response.status_code == 302, page_of(response)
    assert response["Location"] == "/book/time/"
    response = client.post("/book/time/", {"start": slot_value(starts_at)})
    assert response.status_code == 302, page_of(response)
    assert response["Location"] == "/book/details/"
    response = client.post("/book/details/", details or DETAILS)
    assert response.status_code == 302, page_of(response)
    assert response["Location"] == "/book/review/"
    return client.post("/book/review/")


def test_a_client_books_a_swedish_massage_in_four_steps(client, swedish, maya):
    page = page_of(client.get("/book/?service=swedish"))
    assert "Step 1 of 4" in page
    assert re.search(r'value="swedish"[^>]*checked|checked[^>]*value="swedish"', page)

    assert choose_service(client, swedish)["Location"] == "/book/time/"
    page = page_of(client.get("/book/time/?day=2026-12-02"))
    assert "Step 2 of 4" in page
    assert "Wed, Dec 2 · 2:00 pm" in page
    assert "Morning" in page and "Afternoon" in page and "Evening" in page

    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    page = page_of(client.get("/book/details/"))
    assert "Step 3 of 4" in page
    assert "Only your therapist and our booking team see this" in page
    assert "Prescriber" not in page

    client.post("/book/details/", DETAILS)
    page = page_of(client.get("/book/review/"))
    assert "Step 4 of 4" in page
    assert "Wed, Dec 2 · 2:00 pm" in page
    assert "$125.00" in page
    assert "up to 24 hours before your massage" in page
    assert "You'll get a confirmation email with a calendar invite" in page

    response = client.post("/book/review/")

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/booking/{booking.token}/"
    assert booking.starts_at == at(TOMORROW, 14)
    assert booking.client_phone == "+14045550123"
    assert booking.pressure == "firm"
    assert booking.health_notes == "Sore left shoulder"
    assert booking.price == 125
    page = page_of(client.get(response["Location"]))
    assert "Your massage is booked" in page
    assert booking.reference in page
    assert "Wed, Dec 2 · 2:00 pm" in page
    assert "Maya" in page
    assert "Add to calendar" in page
    # The draft is gone: starting again begins from an empty form.
    assert client.get("/book/details/")["Location"] == "/book/"


def test_step_one_says_at_once_when_we_dont_come_to_the_zip(client, swedish, maya):
    answer = client.post("/book/zip-check/", {"service": "swedish", "zip_code": "30309"})
    assert "Good news: we come to 30309." in page_of(answer)
    answer = client.post("/book/zip-check/", {"service": "swedish", "zip_code": "31401"})
    assert "We don't come to 31401 yet." in page_of(answer)

    response = choose_service(client, swedish, zip_code="31401")

    page = page_of(response)
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert 'class="error-summary"' in page
    assert 'href="#id_zip_code_group"' in page
    assert "We don't come to 31401 yet." in page
    assert 'value="31401"' in page


def test_the_time_list_swaps_with_htmx_and_reloads_without_javascript(client, swedish, maya):
    choose_service(client, swedish)

    partial = client.get("/book/time/?day=2026-12-03", headers={"HX-Request": "true"})
    html = page_of(partial)
    assert "<html" not in html
    assert 'id="slot-picker"' in html
    assert "Thu, Dec 3 · 9:00 am" in html

    page = page_of(client.get("/book/time/", {"day": "2026-12-04"}))
    assert "<html" in page
    assert "Fri, Dec 4 · 9:00 am" in page
    assert "Thu, Dec 3 · 9:00 am" not in page


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "1999-01-01", "9" * 5000])
def test_a_malformed_day_shows_the_first_open_day(client, swedish, maya, day):
    choose_service(client, swedish)

    response = client.get("/book/time/", {"day": day})

    assert response.status_code == 200
    assert "Tue, Dec 1 · 12:00 pm" in page_of(response)


def test_choosing_no_time_is_refused_with_the_reason(client, swedish, maya):
    choose_service(client, swedish)

    response = client.post("/book/time/", {})

    page = page_of(response)
    assert "<title>Error: " in page
    assert "Choose a time." in page
    response = client.post("/book/time/", {"start": "2026-12-02T19:07:00+00:00"})
    assert "That time is no longer open" in page_of(response)


def test_sleep_massage_offers_evening_starts_only(client):
    sleep = ServiceFactory(name="Sleep massage", slug="sleep", prices={60: "135.00"})
    sleep.earliest_start, sleep.latest_start = datetime.min.time().replace(hour=18), None
    sleep.latest_start = sleep.earliest_start.replace(hour=20)
    sleep.save()
    TherapistFactory(modalities=[sleep.modality], hours="all")
    choose_service(client, sleep)

    page = page_of(client.get("/book/time/?day=2026-12-02"))

    starts = re.findall(r"Wed, Dec 2 · (\d+:\d\d [ap]m)", page)
    assert starts == ["6:00 pm", "6:30 pm", "7:00 pm", "7:30 pm", "8:00 pm"]
    assert "Morning" not in page
    response = book(client, sleep, starts_at=at(TOMORROW, 19))
    assert response.status_code == 302
    assert Booking.objects.get().starts_at == at(TOMORROW, 19)


def test_side_by_side_couples_get_two_different_therapists(client):
    couples = ServiceFactory(
        name="Couples side by side", kind="couples_side_by_side", prices={60: "250.00"}
    )
    TherapistFactory(first_name="Maya", modalities=[couples.modality], hours="all")
    TherapistFactory(first_name="Jordan", modalities=[couples.modality], hours="all")

    response = book(client, couples, starts_at=at(TOMORROW, 14), details=COUPLE)

    booking = Booking.objects.get()
    therapists = {appointment.therapist_id for appointment in booking.appointments.all()}
    assert len(therapists) == 2
    assert booking.price == 250
    page = page_of(client.get(response["Location"]))
    assert "Your therapists" in page
    assert "Maya" in page and "Jordan" in page


def test_side_by_side_couples_need_two_free_therapists(client):
    couples = ServiceFactory(name="Couples side by side", kind="couples_side_by_side")
    TherapistFactory(modalities=[couples.modality], hours="all")
    choose_service(client, couples)

    page = page_of(client.get("/book/time/?day=2026-12-02"))

    assert "No open times on this day" in page
    assert "Wed, Dec 2 · 2:00 pm" not in page


def test_back_to_back_couples_keep_one_therapist_for_both_sessions(client):
    couples = ServiceFactory(
        name="Couples back to back", kind="couples_back_to_back", prices={60: "230.00"}
    )
    TherapistFactory(modalities=[couples.modality], hours="all")

    book(client, couples, starts_at=at(TOMORROW, 14), details=COUPLE)

    booking = Booking.objects.get()
    assert booking.appointments.count() == 1
    assert booking.ends_at == at(TOMORROW, 14) + timedelta(minutes=60 + 15 + 60)


def test_medical_massage_requires_the_referral(client, medical):
    choose_service(client, medical)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})

    response = client.post("/book/details/", DETAILS)

    page = page_of(response)
    assert "<title>Error: " in page
    assert "Enter the name of the doctor or physiotherapist." in page
    assert "Enter the date of the prescription." in page
    assert 'value="Ada Client"' in page
    client.post("/book/details/", DETAILS | REFERRAL)
    assert client.post("/book/review/").status_code == 302
    booking = Booking.objects.get()
    assert booking.prescriber_name == "Dr. Lee"
    assert booking.prescriber_phone == "+14045550100"


def test_details_errors_sit_next_to_fields_and_keep_what_was_typed(client, swedish, maya):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})

    response = client.post(
        "/book/details/", DETAILS | {"client_phone": "12", "consent": "", "client_name": ""}
    )

    page = page_of(response)
    assert "<title>Error: " in page
    assert 'href="#id_client_phone_group"' in page
    assert "Enter a valid phone number, like (404) 555-0123." in page
    assert "Enter your full name." in page
    assert "Tick the box to agree" in page
    assert "Street parking on 5th" in page
    assert 'value="100 Peachtree St NW"' in page
    assert Booking.objects.count() == 0


def test_a_slot_taken_before_confirming_offers_alternatives_and_keeps_the_details(
    client, swedish, maya
):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    client.post("/book/details/", DETAILS)
    make_booking(
        swedish, at(TOMORROW, 14), client_name="Someone Else", client_email="else@example.com"
    )

    response = client.post("/book/review/")

    assert response.status_code == 302
    assert response["Location"] == "/book/time/"
    assert Booking.objects.count() == 1
    page = page_of(client.get("/book/time/"))
    assert "that time was just taken" in page
    assert "Nearest open times" in page
    assert "Wed, Dec 2 · 12:30 pm" in page or "Wed, Dec 2 · 3:30 pm" in page
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 16))})
    page = page_of(client.get("/book/details/"))
    assert 'value="Ada Client"' in page
    assert "Sore left shoulder" in page
    assert client.post("/book/review/").status_code == 302
    assert Booking.objects.filter(client_name="Ada Client").get().starts_at == at(TOMORROW, 16)


def test_steps_cannot_be_skipped(client, swedish, maya):
    assert client.get("/book/time/")["Location"] == "/book/"
    assert client.get("/book/details/")["Location"] == "/book/"
    assert client.post("/book/review/")["Location"] == "/book/"
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"service": "no-such-massage", "minutes": "60", "zip_code": "30309"},
        {"service": "swedish", "minutes": "abc", "zip_code": "30309"},
        {"service": "swedish", "minutes": "45", "zip_code": "30309"},
        {"service": "swedish", "minutes": "60", "zip_code": "3" * 10_000},
        {"service": "swedish", "minutes": "60", "zip_code": "00000"},
        {"service": "swedish", "minutes": "60", "zip_code": "30309", "gender_preference": "x"},
        {"service": ["swedish", "sleep"], "minutes": ["60", "90"]},
    ],
)
def test_malformed_first_step_is_refused_with_a_message(client, swedish, maya, data):
    response = client.post("/book/", data)

    assert response.status_code == 200
    assert "<title>Error: " in page_of(response)
    assert client.get("/book/time/")["Location"] == "/book/"


def test_huge_and_malformed_details_are_refused_and_write_nothing(client, swedish, maya):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})

    response = client.post(
        "/book/details/",
        DETAILS | {"client_name": "A" * 10_000, "client_email": "not-an-email"},
    )

    page = page_of(response)
    assert response.status_code == 200
    assert "Ensure this value has at most 120 characters" in page
    assert "Enter an email address like name@example.com." in page
    assert Booking.objects.count() == 0
    assert Appointment.objects.count() == 0


def test_a_refusal_from_the_booking_rules_lands_on_the_right_step(client, swedish, maya, settings):
    choose_service(client, swedish)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    client.post("/book/details/", DETAILS)
    # Between review and confirm the notice period grows past the chosen time.
    settings.BOOKING_MIN_NOTICE_MINUTES = 3 * 24 * 60

    response = client.post("/book/review/", follow=True)

    assert response.redirect_chain[-1][0] == "/book/time/"
    assert "notice" in page_of(response)
    assert Booking.objects.count() == 0


def test_booking_pages_run_a_constant_number_of_queries(client, django_assert_num_queries):
    couples = ServiceFactory(name="Couples side by side", kind="couples_side_by_side")
    TherapistFactory(modalities=[couples.modality], hours="all")
    TherapistFactory(modalities=[couples.modality], hours="all")
    choose_service(client, couples)

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    few_step_one = count("/book/?service=" + couples.slug)
    few_time = count("/book/time/")
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})
    few_details = count("/book/details/")
    client.post("/book/details/", COUPLE)
    few_review = count("/book/review/")
    booking_token = book(client, couples, starts_at=at(TOMORROW, 16), details=COUPLE)["Location"]
    few_detail_page = count(booking_token)

    for index in range(8):
        TherapistFactory(modalities=[couples.modality], hours="all")
        ServiceFactory(name=f"Extra massage {index}")
    for hour in (9, 11, 13, 15, 17):
        make_booking(couples, at(DAY, hour), client_email="other@example.com")
    choose_service(client, couples)
    with django_assert_num_queries(few_time):
        client.get("/book/time/")
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 18))})
    with django_assert_num_queries(few_details):
        client.get("/book/details/")
    client.post("/book/details/", COUPLE)
    with django_assert_num_queries(few_review):
        client.get("/book/review/")
    with django_assert_num_queries(few_step_one):
        client.get("/book/?service=" + couples.slug)
    Therapist.objects.update(first_name="Sam")
    with django_assert_num_queries(few_detail_page):
        client.get(booking_token)


def test_booking_create_rules_are_the_ones_the_flow_applies(swedish, maya):
    with pytest.raises(ValidationError) as refused:
        make_booking(swedish, at(TOMORROW, 14), client_phone="12")
    assert "client_phone" in refused.value.message_dict
