"""Couples massages ask for each person's name, pressure and health notes; each therapist reads
the notes of the person they treat, and the second person's details go the way the first
person's do."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from booking.models import Appointment, Booking, Notification, Service
from booking.retention import booking_anonymise_ended
from booking.services import booking_reassign, booking_reschedule
from tests.booking.helpers import BODY, DETAILS, TOMORROW, at, make_booking, page_of, post
from tests.booking.test_client_copy import email_to_client, send_all
from tests.booking.test_flow import choose_service, slot_value
from tests.factories import ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

SECOND = {
    "second_person_name": "Ben Partner",
    "second_person_pressure": "light",
    "second_person_health_notes": "Pregnant, second trimester",
}


def couples(kind=Service.Kind.COUPLES_SIDE_BY_SIDE, therapists=("Maya", "Jordan")):
    service = ServiceFactory(name="Couples massage", kind=kind, prices={60: "250.00"})
    for name in therapists:
        TherapistFactory(first_name=name, modalities=[service.modality], hours="all")
    return service


def to_details(client, service):
    choose_service(client, service)
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})


def book_couple(service, **overrides):
    return make_booking(
        service,
        at(TOMORROW, 14),
        client_name="Ada Client",
        pressure="firm",
        **SECOND | overrides,
    )


def test_the_details_step_asks_for_each_persons_name_pressure_and_notes(client):
    service = couples()
    to_details(client, service)

    page = page_of(client.get("/book/details/"))

    assert "The second person" in page
    assert "Each of you chooses your own pressure" in page
    assert 'name="second_person_name"' in page
    assert page.count('name="pressure"') == 4 and page.count('name="second_person_pressure"') == 4
    assert 'name="second_person_health_notes"' in page


def test_a_single_massage_asks_for_one_person_only(client, swedish, maya):
    to_details(client, swedish)

    page = page_of(client.get("/book/details/"))

    assert "second_person" not in page
    assert "The second person" not in page


def test_couples_need_the_second_persons_name_next_to_its_field(client):
    service = couples()
    to_details(client, service)

    response = client.post("/book/details/", DETAILS)

    page = page_of(response)
    assert response.status_code == 200
    assert "Enter the full name of the person having a massage with you." in page
    assert 'id="id_second_person_name_error"' in page or "id_second_person_name" in page
    assert not Booking.objects.exists()


def test_each_person_is_booked_with_their_own_pressure_and_notes(client):
    service = couples()
    to_details(client, service)

    client.post("/book/details/", DETAILS | SECOND)
    review = page_of(client.get("/book/review/"))
    response = client.post("/book/review/")

    assert "Ben Partner" in review
    booking = Booking.objects.get()
    assert (booking.client_name, booking.pressure, booking.health_notes) == (
        "Ada Client",
        "firm",
        "Sore left shoulder",
    )
    assert (
        booking.second_person_name,
        booking.second_person_pressure,
        booking.second_person_health_notes,
    ) == ("Ben Partner", "light", "Pregnant, second trimester")
    people = sorted(booking.appointments.values_list("person", flat=True))
    assert people == [Appointment.Person.FIRST, Appointment.Person.SECOND]
    private = page_of(client.get(response["Location"]))
    assert "Ada Client, firm pressure" in private and "Ben Partner, light pressure" in private


def test_the_confirmation_names_both_people_and_never_their_health_notes():
    book_couple(couples())
    send_all()

    for body in email_to_client(Notification.Kind.CLIENT_CONFIRMATION):
        assert "Ada Client (firm pressure) and Ben Partner (light pressure)" in body
        assert "Pregnant" not in body and "shoulder" not in body


def test_a_single_massage_refuses_a_second_person(swedish, maya):
    with pytest.raises(ValidationError) as refused:
        make_booking(swedish, at(TOMORROW, 14), second_person_name="Ben Partner")

    assert "is for one person" in refused.value.message_dict["second_person_name"][0]
    assert not Booking.objects.exists()


def job_page(client, appointment) -> str:
    return page_of(client.get(appointment.get_absolute_url()))


@pytest.fixture
def massage_morning(time_machine):
    """9:00 am on the day of the massage: inside the job pages' details window."""
    time_machine.move_to(at(TOMORROW, 9), tick=False)


def test_side_by_side_each_therapist_reads_their_own_persons_notes_first(client, massage_morning):
    booking = book_couple(couples())
    for_ada = booking.appointments.get(person=Appointment.Person.FIRST)
    for_ben = booking.appointments.get(person=Appointment.Person.SECOND)

    adas_page, bens_page = job_page(client, for_ada), job_page(client, for_ben)

    assert "Couples massage for Ada" in adas_page
    assert adas_page.index("Your client: Ada") < adas_page.index("Your colleague's client: Ben")
    assert "Sore left shoulder" in adas_page and "Pregnant" not in adas_page
    assert 'Pressure, your client</dt><dd class="col-sm-8">Firm (Ada)' in adas_page
    assert "Couples massage for Ben" in bens_page
    assert bens_page.index("Your client: Ben") < bens_page.index("Your colleague's client: Ada")
    assert "Pregnant, second trimester" in bens_page and "Sore left shoulder" not in bens_page
    assert 'Pressure, your client</dt><dd class="col-sm-8">Light (Ben)' in bens_page


def test_back_to_back_the_therapist_reads_both_people_in_order(client, massage_morning):
    booking = book_couple(couples(Service.Kind.COUPLES_BACK_TO_BACK, therapists=["Maya"]))

    page = job_page(client, booking.appointments.get())

    assert booking.appointments.get().person is None
    assert "Couples massage for Ada and Ben" in page
    assert page.index("First session: Ada") < page.index("Second session: Ben")
    assert page.index("Sore left shoulder") < page.index("Pregnant, second trimester")


def test_nobodys_name_or_notes_show_before_the_details_window(client, time_machine):
    booking = make_booking(
        couples(), at(TOMORROW + timedelta(days=2), 14), pressure="firm", **SECOND
    )

    page = job_page(client, booking.appointments.get(person=Appointment.Person.SECOND))

    assert "Pressure, your client" in page and "Light" in page
    for private in ("Ben", "Ada", "Pregnant", "Sore left shoulder"):
        assert private not in page


def test_a_new_therapist_takes_over_the_same_person(client, time_machine):
    booking = book_couple(couples(therapists=("Maya", "Jordan", "Sam")))
    for_ben = booking.appointments.get(person=Appointment.Person.SECOND)
    busy = set(booking.appointments.values_list("therapist_id", flat=True))
    sam = TherapistFactory._meta.model.objects.exclude(pk__in=busy).get()

    replacement = booking_reassign(appointment=for_ben, therapist=sam)
    time_machine.move_to(at(TOMORROW, 9), tick=False)

    assert replacement.person == Appointment.Person.SECOND
    assert "Pregnant, second trimester" in job_page(client, replacement)


def test_a_reschedule_keeps_whom_each_therapist_treats():
    booking = book_couple(couples())
    before = dict(booking.appointments.values_list("therapist_id", "person"))

    booking_reschedule(booking=booking, starts_at=at(TOMORROW, 16))

    assert dict(booking.appointments.active().values_list("therapist_id", "person")) == before


def test_retention_removes_the_second_persons_name_and_notes(settings, time_machine):
    booking = book_couple(couples())
    time_machine.move_to(booking.ends_at + timedelta(days=31 * settings.BOOKING_RETENTION_MONTHS))

    booking_anonymise_ended()

    booking.refresh_from_db()
    assert booking.anonymised_at is not None
    assert (booking.second_person_name, booking.second_person_health_notes) == ("", "")
    assert booking.second_person_pressure == "light"


def test_the_api_takes_the_second_person_and_still_books_without_one(client):
    service = couples()
    body = BODY | {"service": service.slug, "start": at(TOMORROW, 14).isoformat()}

    response = post(
        client,
        "/api/bookings",
        body | {"second_person": {"name": "Ben Partner", "pressure": "deep"}},
    )
    older_client = post(client, "/api/bookings", body | {"start": at(TOMORROW, 17).isoformat()})

    assert response.status_code == 201, response.content
    assert older_client.status_code == 201, older_client.content
    first, second = Booking.objects.order_by("starts_at")
    assert (first.second_person_name, first.second_person_pressure) == ("Ben Partner", "deep")
    assert (second.second_person_name, second.second_person_pressure) == ("", "medium")
