"""The public JSON API: services, availability, bookings, and every kind of bad input."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking.models import Appointment, Booking
from tests.booking.helpers import BODY, DAY, TOMORROW, at, make_booking, post
from tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ServiceFactory,
    TherapistFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

REFERRAL_JSON = {
    "prescriber_name": "Dr. Lee",
    "practice": "Midtown Ortho",
    "phone": "+14045550100",
    "prescribed_on": "2026-11-20",
}


def test_services_list_slugs_kinds_modalities_and_prices(client, swedish, maya):
    couples = ServiceFactory(
        name="Couples side by side", kind="couples_side_by_side", prices={60: "250.00"}
    )

    response = client.get("/api/services")

    assert response.status_code == 200
    by_slug = {service["slug"]: service for service in response.json()}
    assert by_slug["swedish"] == {
        "slug": "swedish",
        "name": "Swedish massage",
        "kind": "single",
        "modality": swedish.modality.slug,
        "durations": [{"minutes": 60, "price": "125.00"}, {"minutes": 90, "price": "170.00"}],
        "requires_referral": False,
    }
    assert by_slug[couples.slug]["kind"] == "couples_side_by_side"
    assert by_slug[couples.slug]["durations"] == [{"minutes": 60, "price": "250.00"}]


def test_availability_lists_slots_with_the_atlanta_offset(client, swedish, maya):
    response = client.get(
        "/api/availability",
        {"service": "swedish", "minutes": 60, "zip": "30309", "date": "2026-12-02"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["served"] is True
    assert "message" not in body
    assert body["slots"][0] == {
        "start": "2026-12-02T09:00:00-05:00",
        "end": "2026-12-02T10:00:00-05:00",
    }
    assert {"start": "2026-12-02T14:00:00-05:00", "end": "2026-12-02T15:00:00-05:00"} in body[
        "slots"
    ]
    assert all(slot["start"].startswith("2026-12-02") for slot in body["slots"])


def test_availability_spans_days_and_filters_by_gender(client, swedish, maya):
    days = client.get(
        "/api/availability",
        {"service": "swedish", "minutes": 60, "zip": "30309", "date": "2026-12-02", "days": 3},
    ).json()
    male = client.get(
        "/api/availability",
        {
            "service": "swedish",
            "minutes": 60,
            "zip": "30309",
            "date": "2026-12-02",
            "gender": "male",
        },
    ).json()

    assert {slot["start"][:10] for slot in days["slots"]} == {
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
    }
    assert male == {"served": True, "slots": []}


def test_availability_outside_the_area_says_so(client, swedish, maya):
    response = client.get(
        "/api/availability",
        {"service": "swedish", "minutes": 60, "zip": "31401", "date": "2026-12-02"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "served": False,
        "slots": [],
        "message": "We don't come to 31401 yet.",
    }


def test_availability_for_an_unknown_service_is_404(client, swedish, maya):
    response = client.get(
        "/api/availability",
        {"service": "reiki", "minutes": 60, "zip": "30309", "date": "2026-12-02"},
    )

    assert response.status_code == 404
    assert "reiki" in response.json()["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"minutes": "sixty"}, "minutes"),
        ({"minutes": 45}, "minutes"),
        ({"zip": "3030"}, "zip"),
        ({"zip": "00000"}, "zip"),
        ({"zip": "3" * 10_000}, "zip"),
        ({"date": "2026-13-45"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"days": 0}, "days"),
        ({"days": 32}, "days"),
        ({"gender": "robot"}, "gender"),
        ({"service": "s" * 10_000}, "service"),
    ],
)
def test_bad_availability_parameters_are_422_with_the_field(client, swedish, maya, params, field):
    query = {"service": "swedish", "minutes": 60, "zip": "30309", "date": "2026-12-02"} | params

    response = client.get("/api/availability", query)

    assert response.status_code == 422
    body = response.json()
    assert body["message"]
    assert field in body["errors"]
    assert all(isinstance(message, str) for message in body["errors"][field])


def test_missing_availability_parameters_are_named(client, swedish, maya):
    response = client.get("/api/availability")

    assert response.status_code == 422
    assert {"service", "minutes", "zip", "date"} <= set(response.json()["errors"])


def test_a_client_books_through_the_api(client, swedish, maya):
    response = post(client, "/api/bookings", BODY)

    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get()
    assert body == {
        "reference": booking.reference,
        "token": booking.token,
        "service": "swedish",
        "minutes": 60,
        "start": "2026-12-02T14:00:00-05:00",
        "end": "2026-12-02T15:00:00-05:00",
        "status": "confirmed",
        "late_cancellation": False,
        "price": "125.00",
        "therapists": ["Maya"],
        "address": {
            "line1": "100 Peachtree St NW",
            "line2": "",
            "city": "Atlanta",
            "state": "GA",
            "zip": "30309",
        },
    }
    assert booking.health_notes == "Sore left shoulder"
    assert booking.access_notes == "Street parking"
    assert "Sore left shoulder" not in response.content.decode()
    assert str(booking.pk) not in {str(value) for value in body.values()}


def test_the_api_needs_no_csrf_token(swedish, maya):
    strict = Client(enforce_csrf_checks=True)

    assert post(strict, "/api/bookings", BODY).status_code == 201


def test_side_by_side_couples_through_the_api(client):
    couples = ServiceFactory(
        name="Couples side by side",
        slug="couples",
        kind="couples_side_by_side",
        prices={60: "250.00"},
    )
    TherapistFactory(first_name="Maya", modalities=[couples.modality], hours="all")
    TherapistFactory(first_name="Jordan", modalities=[couples.modality], hours="all")

    response = post(client, "/api/bookings", BODY | {"service": "couples"})

    assert response.status_code == 201
    assert sorted(response.json()["therapists"]) == ["Jordan", "Maya"]
    assert response.json()["price"] == "250.00"


def test_back_to_back_couples_through_the_api(client):
    couples = ServiceFactory(
        name="Couples back to back", slug="b2b", kind="couples_back_to_back", prices={60: "230.00"}
    )
    TherapistFactory(first_name="Maya", modalities=[couples.modality], hours="all")

    response = post(client, "/api/bookings", BODY | {"service": "b2b"})

    assert response.status_code == 201
    assert response.json()["therapists"] == ["Maya"]
    assert response.json()["end"] == "2026-12-02T16:15:00-05:00"


def test_sleep_massage_refuses_a_daytime_start(client):
    sleep = ServiceFactory(name="Sleep massage", slug="sleep", prices={60: "135.00"})
    sleep.earliest_start = datetime(2026, 1, 1, 18).time()
    sleep.latest_start = datetime(2026, 1, 1, 21).time()
    sleep.save()
    TherapistFactory(modalities=[sleep.modality], hours="all")

    daytime = post(client, "/api/bookings", BODY | {"service": "sleep"})
    evening = post(
        client, "/api/bookings", BODY | {"service": "sleep", "start": "2026-12-02T19:30:00-05:00"}
    )

    assert daytime.status_code == 422
    assert "6:00 pm" in daytime.json()["errors"]["start"][0]
    assert evening.status_code == 201


def test_medical_massage_requires_the_referral_and_others_refuse_it(client, swedish, maya, medical):
    without = post(client, "/api/bookings", BODY | {"service": "medical"})
    refused = post(client, "/api/bookings", BODY | {"referral": REFERRAL_JSON})
    accepted = post(
        client, "/api/bookings", BODY | {"service": "medical", "referral": REFERRAL_JSON}
    )

    assert without.status_code == 422
    assert set(without.json()["errors"]) == {
        "referral.prescriber_name",
        "referral.practice",
        "referral.phone",
        "referral.prescribed_on",
    }
    assert refused.status_code == 422
    assert "referral.prescriber_name" in refused.json()["errors"]
    assert accepted.status_code == 201
    assert "referral" not in accepted.json()
    assert Booking.objects.get().prescriber_name == "Dr. Lee"


def test_a_slot_just_taken_is_409_with_alternatives(client, swedish, maya):
    make_booking(swedish, at(TOMORROW, 14), client_email="else@example.com")

    response = post(client, "/api/bookings", BODY)

    assert response.status_code == 409
    body = response.json()
    assert "just taken" in body["message"]
    assert 0 < len(body["alternatives"]) <= 5
    assert body["alternatives"][0]["start"].endswith("-05:00")
    assert Booking.objects.count() == 1


def test_get_cancel_and_reschedule_by_token(client, swedish, maya):
    token = post(client, "/api/bookings", BODY).json()["token"]

    assert client.get(f"/api/bookings/{token}").json()["status"] == "confirmed"
    moved = post(
        client, f"/api/bookings/{token}/reschedule", {"start": "2026-12-03T10:00:00-05:00"}
    )
    assert moved.status_code == 200
    assert moved.json()["start"] == "2026-12-03T10:00:00-05:00"
    cancelled = post(client, f"/api/bookings/{token}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["late_cancellation"] is False

    again = post(
        client, f"/api/bookings/{token}/reschedule", {"start": "2026-12-04T10:00:00-05:00"}
    )
    assert again.status_code == 422
    assert "cancelled" in again.json()["message"]
    assert post(client, f"/api/bookings/{token}/cancel").status_code == 422


@pytest.mark.parametrize(
    "start", ["2026-12-03T10:00:00", "tomorrow", "2026-12-03T10:07:00-05:00", 12, None]
)
def test_a_bad_reschedule_time_is_422_and_changes_nothing(client, swedish, maya, start):
    token = post(client, "/api/bookings", BODY).json()["token"]

    response = post(client, f"/api/bookings/{token}/reschedule", {"start": start})

    assert response.status_code == 422
    assert response.json()["errors"]["start"]
    assert client.get(f"/api/bookings/{token}").json()["start"] == "2026-12-02T14:00:00-05:00"


def test_a_late_cancellation_is_flagged(client, swedish, maya):
    token = post(client, "/api/bookings", BODY | {"start": "2026-12-01T14:00:00-05:00"}).json()[
        "token"
    ]

    response = post(client, f"/api/bookings/{token}/cancel")

    assert response.json()["late_cancellation"] is True


def test_rescheduling_onto_a_taken_time_is_409(client, swedish, maya):
    token = post(client, "/api/bookings", BODY).json()["token"]
    make_booking(swedish, at(DAY, 10), client_email="else@example.com")

    response = post(
        client, f"/api/bookings/{token}/reschedule", {"start": "2026-12-03T10:00:00-05:00"}
    )

    assert response.status_code == 409
    assert response.json()["alternatives"]
    assert client.get(f"/api/bookings/{token}").json()["start"] == "2026-12-02T14:00:00-05:00"


@pytest.mark.parametrize(
    "token",
    ["short", "!" * 30, "a" * 65, "A" * 32, "A" * 31 + "="],
)
def test_unknown_or_malformed_tokens_are_404(client, swedish, maya, token):
    assert client.get(f"/api/bookings/{token}").status_code == 404
    assert post(client, f"/api/bookings/{token}/cancel").status_code == 404
    response = post(
        client, f"/api/bookings/{token}/reschedule", {"start": "2026-12-03T10:00:00-05:00"}
    )
    assert response.status_code == 404
    assert "message" in response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2026-12-02T14:00:00"}, "start"),
        ({"start": "next tuesday"}, "start"),
        ({"start": "2026-12-02T14:07:00-05:00"}, "start"),
        ({"start": "2026-11-30T14:00:00-05:00"}, "start"),
        ({"minutes": "sixty"}, "minutes"),
        ({"minutes": 45}, "minutes"),
        ({"minutes": 10**12}, "minutes"),
        ({"service": "reiki"}, "service"),
        ({"service": 42}, "service"),
        ({"consent": False}, "consent"),
        ({"consent": "yes"}, "consent"),
        (
            {"client": {"name": "A" * 10_000, "email": "ada@example.com", "phone": "+14045550123"}},
            "client.name",
        ),
        (
            {"client": {"name": "Ada", "email": "not-an-email", "phone": "+14045550123"}},
            "client.email",
        ),
        ({"client": {"name": "Ada", "email": "ada@example.com", "phone": "12"}}, "client.phone"),
        (
            {"client": {"name": "Ada", "email": "ada@example.com", "phone": "9" * 10_000}},
            "client.phone",
        ),
        ({"client": "Ada"}, "client.name"),
        ({"address": BODY["address"] | {"zip": "3030"}}, "address.zip"),
        ({"address": BODY["address"] | {"zip": "31401"}}, "address.zip"),
        ({"address": BODY["address"] | {"line1": "x" * 10_000}}, "address.line1"),
        ({"health_notes": "x" * 10_000}, "health_notes"),
        ({"preferences": {"gender": "robot", "pressure": "medium"}}, "preferences.gender"),
        ({"preferences": {"gender": "any", "pressure": "crushing"}}, "preferences.pressure"),
        ({"referral": REFERRAL_JSON | {"prescribed_on": "2026-02-30"}}, "referral.prescribed_on"),
    ],
)
def test_malformed_bookings_are_422_and_write_nothing(client, swedish, maya, change, field):
    response = post(client, "/api/bookings", BODY | change)

    assert response.status_code in (409, 422), response.content
    body = response.json()
    assert body["message"]
    if response.status_code == 422:
        assert field in body["errors"], body
    assert Booking.objects.count() == 0
    assert Appointment.objects.count() == 0


def test_missing_fields_are_named(client, swedish, maya):
    response = post(client, "/api/bookings", {"service": "swedish"})

    assert response.status_code == 422
    assert {"minutes", "start", "client", "address", "consent"} <= set(response.json()["errors"])


@pytest.mark.parametrize("raw", ["{not json", "", "[]", "null", '"text"', "\x00\xff"])
def test_invalid_json_is_a_4xx_with_a_message(client, swedish, maya, raw):
    response = client.post("/api/bookings", raw, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert response.json()["message"]
    assert Booking.objects.count() == 0


def test_bookings_are_rate_limited_per_ip(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    assert post(client, "/api/bookings", BODY).status_code == 201

    response = post(client, "/api/bookings", BODY | {"start": "2026-12-02T16:00:00-05:00"})

    assert response.status_code == 429
    assert response.json() == {
        "message": "Too many bookings from your connection. Please try again later."
    }
    assert client.get("/api/services").status_code == 200
    assert Booking.objects.count() == 1


def test_the_api_books_with_redis_down(client, swedish, maya, settings):
    settings.BOOKING_RATE_LIMIT = "1/h"
    settings.CACHES = {
        "default": {
            "BACKEND": "spatheory.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }

    first = post(client, "/api/bookings", BODY)
    second = post(client, "/api/bookings", BODY | {"start": "2026-12-02T16:00:00-05:00"})

    assert [first.status_code, second.status_code] == [201, 201]


def test_the_openapi_document_describes_every_endpoint(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/services",
        "/api/availability",
        "/api/bookings",
        "/api/bookings/{token}",
        "/api/bookings/{token}/cancel",
        "/api/bookings/{token}/reschedule",
    } <= set(paths)


def test_api_endpoints_run_a_constant_number_of_queries(client, django_assert_num_queries):
    couples = ServiceFactory(
        name="Couples side by side",
        slug="couples",
        kind="couples_side_by_side",
        prices={60: "250.00"},
    )
    TherapistFactory(modalities=[couples.modality], hours="all")
    TherapistFactory(modalities=[couples.modality], hours="all")
    query = {"service": "couples", "minutes": 60, "zip": "30309", "date": "2026-12-02", "days": 7}

    def count(method, path, *args):
        with CaptureQueriesContext(connection) as queries:
            response = method(client, path, *args)
        assert response.status_code < 300, response.content
        return len(queries)

    def get(client, path, params=None):
        return client.get(path, params)

    counts = {
        "services": count(get, "/api/services"),
        "availability": count(get, "/api/availability", query),
        "create": count(post, "/api/bookings", BODY | {"service": "couples"}),
    }
    token = Booking.objects.get().token
    counts["detail"] = count(get, f"/api/bookings/{token}")

    for index in range(6):
        ServiceFactory(name=f"Extra {index}", prices={60: "100.00", 90: "150.00"})
        TherapistFactory(modalities=[couples.modality], hours="all")
    for hour in (9, 11, 16, 18):
        make_booking(couples, at(TOMORROW, hour), client_email="else@example.com")

    with django_assert_num_queries(counts["services"]):
        client.get("/api/services")
    with django_assert_num_queries(counts["availability"]):
        client.get("/api/availability", query)
    with django_assert_num_queries(counts["create"]):
        post(
            client,
            "/api/bookings",
            BODY | {"service": "couples", "start": "2026-12-03T14:00:00-05:00"},
        )
    with django_assert_num_queries(counts["detail"]):
        client.get(f"/api/bookings/{token}")


def test_a_booking_runs_the_same_queries_for_5_or_50_therapists_and_2_or_20_visits_that_day(
    client, swedish
):
    def therapists(count):
        return [TherapistFactory(modalities=[swedish.modality], hours="all") for _ in range(count)]

    def visits(who, hours):
        for therapist in who:
            for hour in hours:
                AppointmentFactory(
                    therapist=therapist,
                    booking=BookingFactory(service=swedish, starts_at=at(TOMORROW, hour)),
                )

    def queries(start):
        with CaptureQueriesContext(connection) as captured:
            response = post(client, "/api/bookings", BODY | {"start": start})
        assert response.status_code == 201, response.content
        return len(captured)

    few = therapists(5)
    visits(few[:2], [9])
    with_few = queries("2026-12-02T14:00:00-05:00")
    many = few + therapists(45)
    visits(many[2:11], [9, 11])
    with_many = queries("2026-12-02T17:00:00-05:00")

    assert Appointment.objects.filter(starts_at__date=TOMORROW).count() == 22
    assert with_few == with_many == 16
