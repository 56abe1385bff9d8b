"""A therapist's private calendar feed of their jobs: what it shows, what it never shows, and
how staff turn a link off."""

from datetime import timedelta

import pytest
from django.conf import settings
from icalendar import Calendar

from booking.services import booking_cancel
from tests.booking.helpers import DAY, REFERRAL, at, make_booking
from tests.factories import StaffUserFactory, TherapistFactory
from therapists.models import Therapist
from therapists.services import therapist_calendar_token_rotate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

PRIVATE = {
    "client_name": "Ada Quintessa Client",
    "client_email": "ada.quintessa@example.com",
    "client_phone": "+14045559876",
    "address_line1": "742 Evergreen Terrace",
    "address_line2": "Unit 9Z",
    "access_notes": "Gate code 4417",
    "health_notes": "Recovering from knee surgery",
}


def events(response) -> list:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_the_feed_lists_time_service_area_and_job_link_and_no_client_details(client, medical):
    therapist = Therapist.objects.get()
    booking = make_booking(medical, at(DAY, 14), **PRIVATE, **REFERRAL)
    appointment = booking.appointments.get()

    response = client.get(therapist.get_calendar_url())

    [event] = events(response)
    assert event.decoded("dtstart") == at(DAY, 14)
    assert event.decoded("dtend") == at(DAY, 15)
    assert str(event["summary"]) == "Medical massage, 60 min · Atlanta 30309"
    assert str(event["location"]) == "Atlanta 30309"
    job_url = settings.SITE_URL + appointment.get_absolute_url()
    assert str(event["url"]) == job_url
    assert job_url in str(event["description"])
    feed = response.content.decode()
    private = [*PRIVATE.values(), "Quintessa", "5559876", *REFERRAL.values()]
    for value in private:
        assert str(value) not in feed, value
    assert "ATTENDEE" not in feed
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_feed_shows_only_the_therapists_own_current_jobs(client, swedish):
    mine = TherapistFactory(modalities=[swedish.modality], hours="all")
    kept = make_booking(swedish, at(DAY, 10))
    cancelled = make_booking(swedish, at(DAY, 14))
    booking_cancel(booking=cancelled)
    other = TherapistFactory(modalities=[swedish.modality], hours="all")
    make_booking(swedish, at(DAY, 10))  # the other therapist's: mine is busy then

    [event] = events(client.get(mine.get_calendar_url()))

    assert event.decoded("dtstart") == kept.starts_at
    assert len(events(client.get(other.get_calendar_url()))) == 1


def test_the_feed_runs_the_same_queries_however_many_jobs(
    client, swedish, django_assert_num_queries
):
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
    make_booking(swedish, at(DAY, 10))
    with django_assert_num_queries(2):
        assert len(events(client.get(therapist.get_calendar_url()))) == 1
    for days in range(1, 6):
        make_booking(swedish, at(DAY + timedelta(days=days), 10))
    with django_assert_num_queries(2):
        assert len(events(client.get(therapist.get_calendar_url()))) == 6


def test_a_new_link_turns_the_old_one_off(client, swedish):
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
    old_url = therapist.get_calendar_url()

    therapist_calendar_token_rotate(therapist=therapist, by=StaffUserFactory())

    assert client.get(old_url).status_code == 404
    assert therapist.get_calendar_url() != old_url
    assert client.get(therapist.get_calendar_url()).status_code == 200


def test_an_offboarded_therapists_feed_is_gone(client, swedish):
    therapist = TherapistFactory(status=Therapist.Status.OFFBOARDED)

    assert client.get(therapist.get_calendar_url()).status_code == 404


def test_every_therapist_gets_their_own_unguessable_link():
    first, second = TherapistFactory(), TherapistFactory()

    assert first.calendar_token != second.calendar_token
    assert len(first.calendar_token) >= 32
    assert first.get_calendar_url() == f"/pro/calendar/{first.calendar_token}.ics"
