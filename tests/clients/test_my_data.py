"""The client's data: a JSON download of the account and every booking with its email, and
deleting the account, which lists upcoming bookings first, cancels none of them, and
anonymises the rest as the retention run does."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from booking.models import Booking
from booking.retention import ANONYMISED
from clients.models import ClientAccount
from tests.booking.helpers import page_of

from .conftest import a_booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


def test_download_my_data_is_a_json_attachment_of_every_booking(ada_by_code):
    booking = a_booking(
        -4,
        client_email="ada@example.com",
        status=Booking.Status.COMPLETED,
        address_line1="12 Elm St",
        access_notes="Gate code 4410",
        health_notes="Sore left shoulder",
        pressure=Booking.Pressure.FIRM,
    )
    a_booking(-4, client_email="bea@example.com")

    response = ada_by_code.get("/account/data/")

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="spa-theory-my-data.json"'
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["account"]["email"] == "ada@example.com"
    assert data["account"]["verified_at"]
    [exported] = data["bookings"]
    assert exported["reference"] == booking.reference
    assert exported["service"] == booking.service.name
    assert exported["address"]["line1"] == "12 Elm St"
    assert exported["access_notes"] == "Gate code 4410"
    assert exported["health_notes"] == "Sore left shoulder"
    assert exported["preferences"]["pressure"] == "Firm"
    assert exported["status"] == "Completed"
    assert exported["starts_at"] == booking.starts_at.isoformat()
    assert exported["payments"] == []


def test_deleting_lists_upcoming_bookings_and_refuses_until_each_is_kept(ada_by_code):
    upcoming = a_booking(3, client_email="ada@example.com")
    past = a_booking(-40, client_email="ada@example.com", status=Booking.Status.COMPLETED)

    page = page_of(ada_by_code.get("/account/delete/"))
    assert upcoming.reference in page
    assert f"/booking/{upcoming.token}/cancel/" in page
    assert past.reference not in page

    refused = ada_by_code.post("/account/delete/")

    assert refused.status_code == 200
    assert "Error:" in page_of(refused)
    assert "Cancel each upcoming booking, or tick that you keep it." in page_of(refused)
    assert ClientAccount.objects.filter(email="ada@example.com").exists()
    past.refresh_from_db()
    assert past.anonymised_at is None


def test_deleting_keeps_ticked_bookings_and_anonymises_the_rest(ada_by_code):
    upcoming = a_booking(3, client_email="ada@example.com", address_line1="12 Elm St")
    past = a_booking(-40, client_email="ada@example.com", status=Booking.Status.COMPLETED)
    cancelled = a_booking(6, client_email="ada@example.com", status=Booking.Status.CANCELLED)

    response = ada_by_code.post("/account/delete/", {"keep": [upcoming.reference]})

    text = page_of(response)
    assert "Your account is deleted" in text
    assert "from 2 past or cancelled bookings" in text
    assert "Your 1 upcoming booking stays booked" in text
    assert not ClientAccount.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="client-").exists()
    assert ada_by_code.get("/account/")["Location"] == "/account/sign-in/"
    for booking in (past, cancelled):
        booking.refresh_from_db()
        assert booking.client_name == ANONYMISED and booking.anonymised_at is not None
        assert booking.client_email.endswith("@anonymised.invalid")
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CONFIRMED
    assert upcoming.client_email == "ada@example.com" and upcoming.address_line1 == "12 Elm St"
    assert ada_by_code.get(upcoming.get_absolute_url()).status_code == 200


def test_a_booking_cancelled_first_is_no_longer_asked_about(ada_by_code):
    upcoming = a_booking(3, client_email="ada@example.com")
    upcoming.status, upcoming.cancelled_at = Booking.Status.CANCELLED, timezone.now()
    upcoming.save()

    response = ada_by_code.post("/account/delete/")

    assert "Your account is deleted" in page_of(response)
    upcoming.refresh_from_db()
    assert upcoming.anonymised_at is not None


def test_the_download_holds_the_clients_saved_addresses_and_no_one_elses(ada_by_code, bea):
    from clients.models import SavedAddress

    from .conftest import make_address

    make_address(ClientAccount.objects.get(email="ada@example.com"), "Mum's house")

    data = json.loads(ada_by_code.get("/account/data/").content)

    [address] = data["saved_addresses"]
    assert address["label"] == "Mum's house"
    assert address["address_line1"] == "12 Juniper St NE"
    assert address["access_notes"] == "Gate code 1234"
    assert SavedAddress.objects.filter(account=bea).exists()
    assert "Bea's flat" not in json.dumps(data)
