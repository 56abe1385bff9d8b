"""A signed-in client's bookings at /account/: every booking made with the account's exact
(normalised) email, guest ones included, each opening its private page; nobody else's."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking.formatting import local_when
from booking.models import Booking
from tests.booking.helpers import page_of
from tests.factories import AppointmentFactory, TherapistFactory

from .conftest import a_booking, client_sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


def test_the_page_lists_upcoming_and_past_bookings_with_their_links(ada_by_code):
    soon = a_booking(3, client_email="ada@example.com")
    AppointmentFactory(booking=soon, therapist=TherapistFactory(first_name="Maya"))
    earlier = a_booking(-20, client_email="ada@example.com", status=Booking.Status.COMPLETED)
    cancelled = a_booking(5, client_email="ada@example.com", status=Booking.Status.CANCELLED)

    text = page_of(ada_by_code.get("/account/"))

    coming_up, past = text.split("Past and cancelled")
    assert soon.get_absolute_url() in coming_up and local_when(soon.starts_at) in coming_up
    assert "Maya" in coming_up and "Confirmed" in coming_up
    assert earlier.get_absolute_url() in past and "Completed" in past
    assert cancelled.get_absolute_url() in past and "Cancelled" in past
    assert f'action="/booking/{earlier.token}/again/"' in past
    assert "including the ones you made as a guest" in text


def test_bookings_made_as_a_guest_before_signing_in_are_linked(client):
    guest = a_booking(-3, client_email="bea@example.com", status=Booking.Status.COMPLETED)
    page = client_sign_in(client, "Bea@Example.com")
    assert guest.get_absolute_url() in page_of(page)


def test_the_page_takes_the_same_number_of_queries_for_one_booking_or_many(
    ada_by_code, django_assert_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ada_by_code.get("/account/").status_code == 200
        return len(captured)

    a_booking(2, client_email="ada@example.com")
    a_booking(-2, client_email="ada@example.com", status=Booking.Status.COMPLETED)
    few = queries()
    for days in (3, 4, -5, -6):
        booking = a_booking(days, client_email="ada@example.com")
        AppointmentFactory(booking=booking, therapist=TherapistFactory())
    with django_assert_num_queries(few):
        ada_by_code.get("/account/")


def test_a_look_alike_address_never_sees_the_real_ones_bookings(client):
    real = a_booking(-3, client_email="ana@gmail.com", status=Booking.Status.COMPLETED)
    look_alike = client_sign_in(client, "ana@gmaıl.com")  # a dotless ı
    assert real.get_absolute_url() not in page_of(look_alike)
    assert "ana@xn--gmal-nza.com" in page_of(look_alike)
    data = client.get("/account/data/").json()
    assert data["bookings"] == []


def test_one_client_never_sees_anothers_bookings_or_data(ada_by_code):
    mine = a_booking(2, client_email="ada@example.com")
    theirs = a_booking(2, client_email="bea@example.com", client_name="Bea Other")
    theirs_past = a_booking(-9, client_email="bea@example.com", status=Booking.Status.COMPLETED)

    pages = [
        ada_by_code.get("/account/"),
        ada_by_code.get(f"/account/?email=bea@example.com&id={theirs.pk}&token={theirs.token}"),
        ada_by_code.get("/account/data/", {"email": "bea@example.com", "id": theirs.pk}),
    ]
    for page in pages:
        text = page_of(page)
        assert theirs.token not in text and theirs_past.token not in text
        assert "Bea Other" not in text and "bea@example.com" not in text
    assert mine.token in page_of(pages[0])

    # Ticking someone else's booking as kept deletes nothing of theirs.
    ada_by_code.post("/account/delete/", {"keep": [mine.reference, theirs.reference]})
    theirs.refresh_from_db()
    assert theirs.client_email == "bea@example.com" and theirs.anonymised_at is None


def test_the_header_link_is_the_same_for_everyone(client):
    anonymous = page_of(client.get("/"))
    client_sign_in(Client(), "ada@example.com")
    signed_in = Client()
    client_sign_in(signed_in, "cy@example.com")
    mine = page_of(signed_in.get("/"))
    link = '<a class="nav-link" href="/account/">Your bookings</a>'
    assert link in anonymous and link in mine
