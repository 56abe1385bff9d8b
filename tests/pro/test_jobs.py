"""The portal's job pages: today's and upcoming jobs, one job with its buttons, and the client's
details only inside the job's window."""

from datetime import timedelta

import pytest
from django.test import Client

from booking.models import Booking, JobEvent, Notification, Service
from tests.booking.helpers import REFERRAL, TODAY, at, make_booking, page_of
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory
from tests.pro.conftest import code_from_outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

# The client's personal details on make_job's booking; none may show outside the window.
CLIENT_DETAILS = (
    "Ada",
    "+14045550123",
    "12 Ponce de Leon Ave",
    "Gate code 4412",
    "Health notes",
    "rotator cuff",
)
JOB_BASICS = ("Tue, Dec 1 · 2:00 pm to 3:30 pm", "Deep tissue massage, 90 minutes", "Decatur 30030")
# make_job runs 2:00 to 3:30 pm today; details show from 2:00 pm yesterday to 5:30 pm today.
OPENS = at(TODAY - timedelta(days=1), 14)
CLOSES = at(TODAY, 17, 30)
SECOND = timedelta(seconds=1)


def make_job(therapist, **overrides):
    starts_at = at(TODAY, 14)
    fields = {
        "service": ServiceFactory(name="Deep tissue massage"),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=90),
        "minutes": 90,
        "client_name": "Ada Lovelace",
        "address_line1": "12 Ponce de Leon Ave",
        "city": "Decatur",
        "zip_code": "30030",
        "access_notes": "Gate code 4412",
        "health_notes": "Recovering from a left rotator cuff tear",
    }
    booking = BookingFactory(**(fields | overrides))
    return AppointmentFactory(booking=booking, therapist=therapist)


def pages_at(client, time_machine, moment, appointment) -> list[str]:
    time_machine.move_to(moment, tick=False)
    return [
        page_of(client.get("/pro/")),
        page_of(client.get(f"/pro/jobs/{appointment.pk}/")),
    ]


def test_inside_the_window_the_therapist_sees_the_client_and_how_to_reach_them(
    signed_in, tess, time_machine
):
    job = make_job(tess)
    listing, page = pages_at(signed_in, time_machine, OPENS, job)
    assert "Client: Ada" in listing
    for text in (*CLIENT_DETAILS, *JOB_BASICS):
        assert text in page
    assert 'href="tel:+14045550123"' in page
    assert "google.com/maps/search/?api=1&query=12%20Ponce%20de%20Leon%20Ave%2C%20Decatur" in page
    assert "Lovelace" not in page


def test_before_the_window_only_time_service_and_area_show(signed_in, tess, time_machine):
    job = make_job(tess)
    for page in pages_at(signed_in, time_machine, OPENS - SECOND, job):
        for text in CLIENT_DETAILS:
            assert text not in page
    assert "appear here from Mon, Nov 30 · 2:00 pm" in page
    for text in JOB_BASICS:
        assert text in page


def test_after_the_window_the_details_are_gone(signed_in, tess, time_machine):
    job = make_job(tess, status=Booking.Status.COMPLETED)
    for moment in (CLOSES, CLOSES + timedelta(days=3)):
        time_machine.move_to(moment, tick=False)
        page = page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))
        assert "This job is over." in page
        for text in CLIENT_DETAILS:
            assert text not in page


def test_a_medical_job_shows_the_prescriber_inside_the_window_only(signed_in, tess, time_machine):
    medical = {"service": ServiceFactory(name="Medical massage", requires_referral=True)}
    job = make_job(tess, **medical, **REFERRAL)
    _, inside = pages_at(signed_in, time_machine, OPENS, job)
    _, before = pages_at(signed_in, time_machine, OPENS - SECOND, job)
    assert "Dr. Lee, Midtown Ortho" in inside
    assert 'href="tel:404-555-0100"' in inside
    for text in ("Dr. Lee", "Midtown Ortho", "404-555-0100"):
        assert text not in before


def test_the_list_shows_today_then_upcoming_and_only_the_therapists_own_jobs(
    signed_in, tess, time_machine
):
    time_machine.move_to(at(TODAY, 9), tick=False)
    make_job(tess)
    make_job(
        tess, starts_at=at(TODAY + timedelta(days=3), 10), ends_at=at(TODAY + timedelta(days=3), 11)
    )
    make_job(tess, status=Booking.Status.CANCELLED, starts_at=at(TODAY, 18), ends_at=at(TODAY, 19))
    make_job(
        tess, starts_at=at(TODAY - timedelta(days=1), 10), ends_at=at(TODAY - timedelta(days=1), 11)
    )
    make_job(TherapistFactory(), starts_at=at(TODAY, 11), ends_at=at(TODAY, 12))

    page = page_of(signed_in.get("/pro/"))

    today, upcoming = page.split("Coming up")
    assert "Tue, Dec 1 · 2:00 pm to 3:30 pm" in today
    assert "Fri, Dec 4 · 10:00 am to 11:00 am" in upcoming
    for absent in ("6:00 pm", "Mon, Nov 30", "11:00 am to 12:00 pm"):
        assert absent not in page


def test_a_couples_job_shows_both_people(signed_in, tess, time_machine):
    time_machine.move_to(at(TODAY, 9), tick=False)
    service = ServiceFactory(name="Couples massage", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    partner = TherapistFactory(first_name="Jo")
    job = make_job(tess, service=service, minutes=60)
    AppointmentFactory(booking=job.booking, therapist=partner)

    listing = page_of(signed_in.get("/pro/"))
    page = page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))

    for text in (listing, page):
        assert "Two people side by side, with Jo" in text
        assert "60 minutes each" in text


def test_another_therapists_job_is_a_404(signed_in):
    job = make_job(TherapistFactory())
    assert "Decline this job" not in page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))
    assert signed_in.post(f"/pro/jobs/{job.pk}/on-my-way/").status_code == 404


def test_the_list_costs_the_same_queries_for_any_number_of_jobs(
    signed_in, tess, time_machine, django_assert_num_queries
):
    time_machine.move_to(at(TODAY, 9), tick=False)
    make_job(tess)
    signed_in.get("/pro/")
    with django_assert_num_queries(5) as one:
        signed_in.get("/pro/")
    for day in range(1, 6):
        job = make_job(
            tess,
            starts_at=at(TODAY + timedelta(days=day), 10),
            ends_at=at(TODAY + timedelta(days=day), 11),
        )
        JobEvent.objects.create(appointment=job, therapist=tess, action=JobEvent.Action.STARTED)
    with django_assert_num_queries(len(one.captured_queries)):
        signed_in.get("/pro/")


@pytest.fixture
def todays_job(swedish, tess):
    """Tess's Swedish massage for Ada today at 2:00 pm, booked as a client would."""
    tess.modalities.set([swedish.modality])
    return make_booking(swedish, at(TODAY, 14)).appointments.get()


def test_on_my_way_from_the_job_page(signed_in, todays_job, time_machine):
    time_machine.move_to(at(TODAY, 13, 15), tick=False)
    page = page_of(signed_in.get(f"/pro/jobs/{todays_job.pk}/"))
    assert "On my way" in page and "Complete" not in page

    for _ in range(2):  # a double tap
        response = signed_in.post(f"/pro/jobs/{todays_job.pk}/on-my-way/", follow=True)

    assert "We've told the client you're on the way." in page_of(response)
    assert "On your way, arriving 2:00 pm" in page_of(response)
    assert Notification.objects.filter(kind=Notification.Kind.CLIENT_ON_MY_WAY).count() == 1


def test_running_late_from_the_job_page(signed_in, todays_job, time_machine):
    time_machine.move_to(at(TODAY, 13, 50), tick=False)
    page = signed_in.get(f"/pro/jobs/{todays_job.pk}/").content.decode()
    key = page.split('name="key" value="')[1].split('"')[0]

    for _ in range(2):
        response = signed_in.post(
            f"/pro/jobs/{todays_job.pk}/running-late/", {"minutes": "20", "key": key}, follow=True
        )

    assert "you'll arrive at 2:20 pm" in page_of(response)
    assert Notification.objects.filter(kind=Notification.Kind.STAFF_RUNNING_LATE).count() == 1


def test_a_refused_action_says_why_and_changes_nothing(signed_in, todays_job, time_machine):
    time_machine.move_to(at(TODAY, 9), tick=False)
    response = signed_in.post(f"/pro/jobs/{todays_job.pk}/no-show/", follow=True)
    assert "You can mark a no-show only if you haven't started" in page_of(response)
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert signed_in.post(f"/pro/jobs/{todays_job.pk}/dance/").status_code == 404
    assert signed_in.get(f"/pro/jobs/{todays_job.pk}/start/").status_code == 405


def test_start_then_complete_from_the_job_page(signed_in, todays_job, time_machine):
    time_machine.move_to(at(TODAY, 14), tick=False)
    signed_in.post(f"/pro/jobs/{todays_job.pk}/start/")
    time_machine.move_to(at(TODAY, 15), tick=False)
    response = signed_in.post(f"/pro/jobs/{todays_job.pk}/complete/", follow=True)
    assert "Job complete. Thank you!" in page_of(response)
    assert Booking.objects.get().status == Booking.Status.COMPLETED


def test_job_actions_need_the_csrf_token(tess, todays_job, time_machine):
    client = Client(enforce_csrf_checks=True)
    time_machine.move_to(at(TODAY, 13, 15), tick=False)
    token = client.get("/pro/sign-in/").cookies["csrftoken"].value
    client.post("/pro/sign-in/", {"email": tess.email, "csrfmiddlewaretoken": token})
    code = code_from_outbox(tess.email)
    client.post("/pro/sign-in/code/", {"code": code, "csrfmiddlewaretoken": token})
    assert client.get("/pro/").status_code == 200

    assert client.post(f"/pro/jobs/{todays_job.pk}/on-my-way/").status_code == 403
    assert not JobEvent.objects.exists()


def test_a_therapist_declines_a_job_days_ahead_and_it_goes_to_another(signed_in, tess):
    cover = TherapistFactory(first_name="Nia", email="nia@example.com", hours="all")
    service = ServiceFactory(name="Deep tissue massage")
    tess.modalities.add(service.modality)
    cover.modalities.add(service.modality)
    starts_at = at(TODAY + timedelta(days=3), 14)
    job = make_job(
        tess, service=service, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90)
    )
    assert "Decline this job" in page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))

    response = signed_in.post(f"/pro/jobs/{job.pk}/decline/", follow=True)

    assert "Declined. The job has gone to another therapist." in page_of(response)
    assert job.booking.appointments.active().get().therapist == cover
    assert Notification.objects.filter(
        kind=Notification.Kind.THERAPIST_ASSIGNED, recipient="nia@example.com"
    ).exists()
    assert "Decline this job" not in page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))


def test_the_decline_button_is_gone_inside_the_notice_period(signed_in, tess):
    starts_at = at(TODAY + timedelta(days=1), 8)
    job = make_job(tess, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90))
    page = page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))
    assert "Decline this job" not in page

    response = signed_in.post(f"/pro/jobs/{job.pk}/decline/", follow=True)

    assert "can be declined only more than 24 hours before it starts" in page_of(response)
    assert job.booking.appointments.active().get().therapist == tess


def test_side_by_side_the_portal_shows_the_therapists_own_person_first(
    signed_in, tess, time_machine
):
    time_machine.move_to(at(TODAY, 9), tick=False)
    service = ServiceFactory(name="Couples massage", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    job = make_job(
        tess,
        service=service,
        minutes=60,
        second_person_name="Ben Partner",
        second_person_pressure="light",
        second_person_health_notes="Pregnant, second trimester",
    )
    job.person = 2
    job.save()
    AppointmentFactory(booking=job.booking, therapist=TherapistFactory(first_name="Jo"), person=1)

    listing = page_of(signed_in.get("/pro/"))
    page = page_of(signed_in.get(f"/pro/jobs/{job.pk}/"))

    assert listing.index("Your client: Ben, light pressure") < listing.index(
        "Your colleague's client: Ada"
    )
    assert page.index("Your client: Ben") < page.index("Your colleague's client: Ada")
    assert "Pregnant, second trimester" in page and "rotator cuff" not in page
