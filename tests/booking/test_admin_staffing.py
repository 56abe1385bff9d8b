"""Staff in admin when a therapist can no longer work their booked jobs: every affected job is
listed, and one action moves those that can be placed and names the rest."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import strip_tags

from booking.models import Appointment
from booking.services import appointment_decline
from tests.booking.helpers import DAY, at, make_booking, page_of
from tests.factories import AppointmentFactory, BookingFactory, TherapistFactory
from tests.therapists.test_admin import form_data
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

THERAPISTS = reverse("admin:therapists_therapist_changelist")
BOOKINGS = reverse("admin:booking_booking_changelist")


def run_action(client, url, action, *objects):
    response = client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True
    )
    return response, [strip_tags(str(message)) for message in get_messages(response.wsgi_request)]


def holder_of(booking) -> Therapist:
    return Appointment.objects.active().get(booking=booking).therapist


@pytest.fixture
def two_jobs(swedish, maya):
    """Maya's two jobs on DAY, at 10 am and 2 pm, and Sam, who is free only for the first."""
    morning = make_booking(swedish, at(DAY, 10))
    afternoon = make_booking(swedish, at(DAY, 14))
    sam = TherapistFactory(first_name="Sam", modalities=[swedish.modality], hours="all")
    clash = AppointmentFactory(
        therapist=sam, booking=BookingFactory(service=swedish, starts_at=at(DAY, 14))
    )
    return morning, afternoon, sam, clash


def test_offboarding_lists_the_jobs_at_risk_and_the_action_places_what_it_can(
    admin_client, maya, two_jobs
):
    morning, afternoon, sam, _ = two_jobs

    _, offboarded = run_action(admin_client, THERAPISTS, "offboard", maya)

    assert offboarded == [
        "Maya O.: offboarded.",
        f"Maya O. has 2 future jobs at risk: {morning.reference} Thu, Dec 3 · 10:00 am "
        f"(Maya O. is offboarded); {afternoon.reference} Thu, Dec 3 · 2:00 pm "
        "(Maya O. is offboarded). Use “Reassign their future jobs” or choose a therapist on "
        "each booking.",
    ]
    listed = page_of(admin_client.get(BOOKINGS, {"staffing": "at_risk"}))
    assert morning.reference in listed
    assert afternoon.reference in listed
    assert "2 future appointments at risk" in listed

    _, report = run_action(admin_client, THERAPISTS, "reassign_future_jobs", maya)

    assert report == [
        f"Reassigned 1: Sam R. now has {morning.reference} Thu, Dec 3 · 10:00 am.",
        f"Could not place 1: {afternoon.reference} Thu, Dec 3 · 2:00 pm stays with Maya O.: "
        "nobody else is free then. Choose a therapist on each booking, or call the client.",
    ]
    assert holder_of(morning) == sam
    assert holder_of(afternoon) == maya
    listed = page_of(admin_client.get(BOOKINGS, {"staffing": "at_risk"}))
    assert morning.reference not in listed
    assert afternoon.reference in listed
    assert "1 future appointment at risk" in listed


def test_the_booking_action_reassigns_the_selected_bookings_jobs_at_risk(
    admin_client, swedish, maya, two_jobs
):
    morning, afternoon, sam, clash = two_jobs
    Therapist.objects.filter(pk=maya.pk).update(insurance_expires_on=DAY - timedelta(days=1))
    clash.is_active = False
    clash.save()
    other_day = make_booking(swedish, at(DAY - timedelta(days=1), 10))

    _, report = run_action(admin_client, BOOKINGS, "reassign_at_risk", afternoon, other_day)

    assert report == [f"Reassigned 1: Sam R. now has {afternoon.reference} Thu, Dec 3 · 2:00 pm."]
    assert holder_of(afternoon) == sam
    assert holder_of(morning) == maya  # not selected: still listed at risk
    assert holder_of(other_day) == maya  # insured that day: not at risk, left alone


def test_the_therapist_page_lists_jobs_at_risk_declines_and_the_calendar_link(
    admin_client, swedish, maya, two_jobs, settings
):
    morning, afternoon, _, _ = two_jobs
    appointment_decline(appointment=morning.appointments.get(), therapist=maya)
    page = page_of(admin_client.get(reverse("admin:therapists_therapist_change", args=[maya.pk])))

    assert "None: every future job can be worked." in page
    assert re.search(r"Jobs declined:?</label>\s*<div class=\"readonly\">1</div>", page), page
    assert f"{settings.SITE_URL}{maya.get_calendar_url()}" in page

    response = admin_client.post(
        reverse("admin:therapists_therapist_change", args=[maya.pk]),
        form_data(maya, status=Therapist.Status.PAUSED) | {"_continue": "Save"},
        follow=True,
    )

    messages = [strip_tags(str(m)) for m in get_messages(response.wsgi_request)]
    assert any(
        f"Maya O. has 1 future job at risk: {afternoon.reference} Thu, Dec 3 · 2:00 pm "
        "(Maya O. is paused)" in message
        for message in messages
    ), messages
    page = page_of(response)
    assert f"{afternoon.reference}</a> Thu, Dec 3 · 2:00 pm (Maya O. is paused)" in page


def test_a_new_calendar_link_from_admin_turns_the_old_one_off(admin_client, client, maya):
    old_url = maya.get_calendar_url()

    _, messages = run_action(admin_client, THERAPISTS, "new_calendar_link", maya)

    assert messages == ["New calendar links for Maya O.; the old ones no longer work."]
    maya.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(maya.get_calendar_url()).status_code == 200


def test_staff_who_may_not_change_bookings_are_not_offered_the_reassign_action(
    vetting_client, maya
):
    response = vetting_client.get(THERAPISTS)

    assert "reassign_future_jobs" not in page_of(response)
    assert "offboard" in page_of(response)
