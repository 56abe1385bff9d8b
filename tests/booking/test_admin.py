"""Staff running the day in Django admin: services, the booking list, reassignment, actions,
the schedule and booking by phone."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.availability import required_gap
from booking.models import Appointment, Booking, Service
from tests.booking.helpers import DAY, TODAY, TOMORROW, at, make_booking, page_of
from tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ModalityFactory,
    TherapistFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

CHANGELIST = "/admin/booking/booking/"


def reassign_data(booking, appointment, therapist_pk):
    return {
        "client_name": booking.client_name,
        "client_email": booking.client_email,
        "client_phone": booking.client_phone,
        "access_notes": booking.access_notes,
        "pressure": booking.pressure,
        "health_notes": booking.health_notes,
        "appointments-TOTAL_FORMS": "1",
        "appointments-INITIAL_FORMS": "1",
        "appointments-MIN_NUM_FORMS": "0",
        "appointments-MAX_NUM_FORMS": "0",
        "appointments-0-id": str(appointment.pk),
        "appointments-0-booking": str(booking.pk),
        "appointments-0-therapist": str(therapist_pk),
        "_save": "Save",
    }


def test_staff_edit_a_service_with_its_prices_inline(admin_client):
    modality = ModalityFactory(name="Swedish", slug="swedish")

    response = admin_client.post(
        "/admin/booking/service/add/",
        {
            "name": "Swedish massage",
            "slug": "swedish",
            "modality": modality.pk,
            "kind": "single",
            "is_active": "on",
            "order": "1",
            "durations-TOTAL_FORMS": "2",
            "durations-INITIAL_FORMS": "0",
            "durations-MIN_NUM_FORMS": "1",
            "durations-MAX_NUM_FORMS": "1000",
            "durations-0-minutes": "60",
            "durations-0-price": "125.00",
            "durations-1-minutes": "90",
            "durations-1-price": "170.00",
        },
    )

    assert response.status_code == 302, page_of(response)
    service = Service.objects.get(slug="swedish")
    assert [(d.minutes, str(d.price)) for d in service.durations.order_by("minutes")] == [
        (60, "125.00"),
        (90, "170.00"),
    ]
    assert "60 min $125.00, 90 min $170.00" in page_of(admin_client.get("/admin/booking/service/"))


def test_the_booking_list_shows_what_staff_need(admin_client, booking):
    page = page_of(admin_client.get(CHANGELIST))

    for text in (booking.reference, "Wed, Dec 2 · 2:00 pm", "Swedish massage", "Ada Client"):
        assert text in page
    assert "30309" in page
    assert "Maya O." in page
    assert "Confirmed" in page
    assert "Today's schedule" in page
    assert "Book by phone" in page
    assert "/admin/booking/booking/add/" not in page
    assert admin_client.get("/admin/booking/booking/add/").status_code == 403


def test_the_booking_list_runs_a_constant_number_of_queries(
    admin_client, swedish, maya, django_assert_num_queries
):
    make_booking(swedish, at(TOMORROW, 9))
    with CaptureQueriesContext(connection) as one:
        admin_client.get(CHANGELIST)
    others = [TherapistFactory(modalities=[swedish.modality], hours="all") for _ in range(3)]
    for index in range(9):
        make_booking(swedish, at(DAY + timedelta(days=index // 3), 9 + 3 * (index % 3)))
    assert Booking.objects.count() == 10
    assert len(others) == 3

    with django_assert_num_queries(len(one)):
        admin_client.get(CHANGELIST)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Ada", True),
        ("ada@example.com", True),
        ("(404) 555-0123", True),
        ("404-555-0123", True),
        ("Grace", False),
    ],
)
def test_staff_search_by_name_email_and_phone(admin_client, booking, query, found):
    page = page_of(admin_client.get(CHANGELIST, {"q": query}))

    assert (booking.reference in page) is found


def test_staff_search_by_reference(admin_client, swedish, maya, booking):
    other = make_booking(swedish, at(DAY, 10), client_name="Grace Hopper")

    page = page_of(admin_client.get(CHANGELIST, {"q": other.reference}))

    assert other.reference in page
    assert booking.reference not in page


def test_the_when_filter_splits_upcoming_today_and_past(admin_client, swedish, maya):
    today = make_booking(swedish, at(TODAY, 15), client_name="Today Client")
    later = make_booking(swedish, at(DAY + timedelta(days=2), 10), client_name="Later Client")

    today_page = page_of(admin_client.get(CHANGELIST, {"when": "today"}))
    upcoming_page = page_of(admin_client.get(CHANGELIST, {"when": "upcoming"}))
    past_page = page_of(admin_client.get(CHANGELIST, {"when": "past"}))

    assert today.reference in today_page and later.reference not in today_page
    assert today.reference in upcoming_page and later.reference in upcoming_page
    assert today.reference not in past_page and later.reference not in past_page


def test_the_list_filters_by_status_service_and_therapist(admin_client, swedish, maya, booking):
    jordan = TherapistFactory(first_name="Jordan", modalities=[swedish.modality], hours="all")
    other = make_booking(swedish, at(TOMORROW, 14), client_name="Grace Hopper")
    assert other.appointments.get().therapist == jordan

    by_therapist = page_of(
        admin_client.get(CHANGELIST, {"appointments__therapist__id__exact": jordan.pk})
    )
    by_status = page_of(admin_client.get(CHANGELIST, {"status__exact": "cancelled"}))
    by_service = page_of(admin_client.get(CHANGELIST, {"service__id__exact": swedish.pk}))

    assert other.reference in by_therapist and booking.reference not in by_therapist
    assert booking.reference not in by_status
    assert booking.reference in by_service and other.reference in by_service


def test_time_and_service_cannot_be_edited_on_the_booking(admin_client, booking):
    appointment = booking.appointments.get()
    data = reassign_data(booking, appointment, appointment.therapist_id) | {
        "starts_at_0": "2026-12-09",
        "starts_at_1": "10:00",
        "client_name": "Ada Lovelace",
    }

    page = page_of(admin_client.get(f"/admin/booking/booking/{booking.pk}/change/"))
    admin_client.post(f"/admin/booking/booking/{booking.pk}/change/", data)

    booking.refresh_from_db()
    assert booking.starts_at == at(TOMORROW, 14)
    assert booking.client_name == "Ada Lovelace"
    assert 'name="starts_at' not in page
    assert 'name="service"' not in page
    assert f"/booking/{booking.token}/reschedule/" in page


def test_a_corrected_phone_number_is_stored_in_e164(admin_client, booking):
    appointment = booking.appointments.get()
    data = reassign_data(booking, appointment, appointment.therapist_id)

    admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/", data | {"client_phone": "(404) 555-0188"}
    )
    refused = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/", data | {"client_phone": "12"}
    )

    booking.refresh_from_db()
    assert booking.client_phone == "+14045550188"
    assert "Enter a valid phone number" in page_of(refused)


def test_reassigning_a_therapist_goes_through_the_engine(admin_client, swedish, booking):
    jordan = TherapistFactory(first_name="Jordan", modalities=[swedish.modality], hours="all")
    appointment = booking.appointments.get()

    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        reassign_data(booking, appointment, jordan.pk),
        follow=True,
    )

    appointment.refresh_from_db()
    assert not appointment.is_active
    assert booking.appointments.active().get().therapist == jordan
    assert "now has this appointment" in page_of(response)


def test_an_impossible_reassignment_is_refused_with_the_reason(admin_client, booking):
    unqualified = TherapistFactory(first_name="Sam", display_name="Sam K.", hours="all")
    appointment = booking.appointments.get()
    data = reassign_data(booking, appointment, unqualified.pk) | {"client_name": "Changed Name"}

    response = admin_client.post(f"/admin/booking/booking/{booking.pk}/change/", data, follow=True)

    page = page_of(response)
    appointment.refresh_from_db()
    booking.refresh_from_db()
    assert appointment.therapist.first_name == "Maya"
    assert booking.client_name == "Ada Client"
    assert "Sam K. was not assigned" in page
    assert "can't take this booking" in page
    assert "was changed successfully" not in page


def test_actions_use_the_services_and_report_each_refusal(
    admin_client, swedish, maya, booking, time_machine
):
    done = make_booking(swedish, at(TODAY, 13), client_name="Earlier Client")
    time_machine.move_to(at(TODAY, 15), tick=False)

    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_completed", "_selected_action": [booking.pk, done.pk]},
        follow=True,
    )

    page = page_of(response)
    done.refresh_from_db()
    booking.refresh_from_db()
    assert done.status == Booking.Status.COMPLETED
    assert booking.status == Booking.Status.CONFIRMED
    assert "1 booking marked completed." in page
    assert f"{booking.reference}: This booking hasn't started yet" in page


def test_the_cancel_action_cancels_through_the_service(admin_client, booking):
    admin_client.post(CHANGELIST, {"action": "cancel", "_selected_action": [booking.pk]})

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert not Appointment.objects.active().exists()


def test_the_no_show_action(admin_client, booking, time_machine):
    time_machine.move_to(at(TOMORROW, 14, 30), tick=False)

    admin_client.post(CHANGELIST, {"action": "mark_no_show", "_selected_action": [booking.pk]})

    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


def test_the_schedule_shows_each_therapists_day_with_travel(admin_client, swedish, maya):
    make_booking(swedish, at(TOMORROW, 10), client_name="First Client", zip_code="30309")
    make_booking(
        swedish,
        at(TOMORROW, 14),
        client_name="Second Client",
        zip_code="30030",
        address_line1="200 Church St",
        city="Decatur",
    )
    make_booking(swedish, at(DAY, 10), client_name="Tomorrow Client")

    response = admin_client.get("/admin/booking/booking/schedule/", {"date": "2026-12-02"})

    page = page_of(response)
    assert response.status_code == 200
    assert "Schedule for Wednesday, December 2" in page
    assert "Maya O." in page
    assert "10:00 am – 11:00 am" in page
    assert "2:00 pm – 3:00 pm" in page
    assert "200 Church St" in page and "Decatur, GA 30030" in page
    assert "Starts from home" in page
    assert re.search(r"\d+\.\d mi, about \d+ min needed; 180 min gap", page)
    assert "Tomorrow Client" not in page
    assert "Today's schedule" in page_of(admin_client.get(CHANGELIST))


def test_the_schedule_flags_visits_too_close_for_the_drive_between_them(admin_client, maya):
    # Written directly, bypassing the engine: 30309 at 10, Alpharetta (29 miles) at 11:30.
    first = BookingFactory(starts_at=at(TOMORROW, 10), zip_code="30309")
    second = BookingFactory(starts_at=at(TOMORROW, 11, 30), zip_code="30024")
    AppointmentFactory(booking=first, therapist=maya)
    AppointmentFactory(booking=second, therapist=maya)

    page = page_of(admin_client.get("/admin/booking/booking/schedule/", {"date": "2026-12-02"}))

    needed = required_gap("30309", "30024", buffer_minutes=30)
    assert f"about {needed} min needed; 30 min gap" in page
    assert "Tight" in page


def test_the_schedule_survives_a_bad_date(admin_client):
    response = admin_client.get("/admin/booking/booking/schedule/", {"date": "2026-02-30"})

    assert response.status_code == 200
    assert "Schedule for Tuesday, December 1" in page_of(response)


def test_the_schedule_is_for_staff_only(client):
    response = client.get("/admin/booking/booking/schedule/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


PHONE = {
    "service": "",
    "minutes": "60",
    "starts_at": "2026-12-02T14:00",
    "zip_code": "30309",
    "gender_preference": "any",
    "client_name": "Ada Client",
    "client_email": "ada@example.com",
    "client_phone": "(404) 555-0123",
    "address_line1": "100 Peachtree St NW",
    "city": "Atlanta",
    "pressure": "medium",
    "consent": "on",
}


def test_staff_book_by_phone_with_the_same_rules(admin_client, swedish, maya):
    response = admin_client.post(
        "/admin/booking/booking/book-by-phone/", PHONE | {"service": swedish.pk}, follow=True
    )

    booking = Booking.objects.get()
    assert booking.starts_at == at(TOMORROW, 14)
    assert booking.client_phone == "+14045550123"
    assert booking.appointments.get().therapist == maya
    assert f"Booked {booking.reference} for Ada Client." in page_of(response)


def test_phone_booking_refuses_what_online_booking_refuses(admin_client, swedish, maya, medical):
    no_referral = admin_client.post(
        "/admin/booking/booking/book-by-phone/", PHONE | {"service": medical.pk}
    )
    too_soon = admin_client.post(
        "/admin/booking/booking/book-by-phone/",
        PHONE | {"service": swedish.pk, "starts_at": "2026-12-01T10:00"},
    )

    assert "Enter the name of the doctor or physiotherapist" in page_of(no_referral)
    assert "notice" in page_of(too_soon)
    assert Booking.objects.count() == 0
    assert Appointment.objects.count() == 0


def test_phone_booking_of_a_taken_time_offers_alternatives(admin_client, swedish, maya, booking):
    response = admin_client.post(
        "/admin/booking/booking/book-by-phone/", PHONE | {"service": swedish.pk}
    )

    page = page_of(response)
    assert "that time was just taken" in page
    assert "Wed, Dec 2 · " in page
    assert Booking.objects.count() == 1


def test_front_desk_runs_the_day_and_vetting_stays_out_of_it(client, staff_in, booking):
    client.force_login(staff_in("Front desk"))
    for url in (
        "/admin/booking/booking/",
        f"/admin/booking/booking/{booking.pk}/change/",
        "/admin/booking/booking/schedule/",
        "/admin/booking/booking/book-by-phone/",
        "/admin/booking/notification/",
    ):
        assert client.get(url).status_code == 200, url

    client.force_login(staff_in("Vetting"))
    assert client.get("/admin/booking/booking/schedule/").status_code == 403
    assert client.get("/admin/booking/booking/book-by-phone/").status_code == 403
