"""A therapist's working day in the portal, on a phone: sign in with the emailed code, see
today's jobs, tell a client they're on the way, start and complete a job, try hours that would
strand a booking, take a day off that then disappears from the public availability, and
decline a later job, which moves to a colleague who is free.

The jobs are placed around the real clock (the browser's cookies follow it), half an hour ago
and two hours ahead, so the run holds on any day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from booking.formatting import local_time, local_when
from booking.models import Booking, Notification
from tests.booking.helpers import at, make_booking
from tests.factories import AppointmentFactory, BookingFactory, TherapistFactory
from tests.pro.conftest import CODE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS


def a_job(therapist, service, starts_at, client_name, **fields):
    booking = BookingFactory(
        **fields,
        service=service,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
        client_name=client_name,
        client_email=f"{client_name.split()[0].lower()}@example.com",
        zip_code="30309",
        address_line1="100 Peachtree St NW",
    )
    return AppointmentFactory(booking=booking, therapist=therapist)


def availability(page, service, day) -> dict:
    response = page.request.get(
        f"/api/availability?service={service.slug}&minutes=60&zip=30309"
        f"&date={day:%Y-%m-%d}&days=1&gender=any"
    )
    assert response.ok, response.text()
    return response.json()


def test_a_therapists_day_in_the_portal(page, swedish):
    now = timezone.now().replace(second=0, microsecond=0)
    tess = TherapistFactory(
        first_name="Tess", email="tess@example.com", modalities=[swedish.modality], hours="all"
    )
    underway = a_job(tess, swedish, now - timedelta(minutes=30), "Bea Client")
    next_up = a_job(tess, swedish, now + timedelta(hours=2), "Cy Client", text_consent_at=now)
    later_day = timezone.localdate() + timedelta(days=2)
    later = make_booking(swedish, at(later_day, 10))
    mail.outbox.clear()

    page.goto("/pro/")
    expect(page.get_by_role("heading", name="Therapists: sign in")).to_be_visible()
    page.get_by_label("Your email address").fill("Tess@Example.com")
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    [email] = mail.outbox
    assert email.to == ["tess@example.com"]
    page.get_by_label("Your 6-digit code").fill(CODE.search(email.body)[1])
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Hi Tess")).to_be_visible()
    expect(page.get_by_text("Client: Bea")).to_be_visible()
    expect(page.get_by_text("Client: Cy")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    mail.outbox.clear()
    page.get_by_role("link", name=job_link(next_up)).click()
    expect(page.get_by_role("link", name=next_up.booking.client_phone)).to_have_attribute(
        "href", f"tel:{next_up.booking.client_phone}"
    )
    page.get_by_role("button", name="On my way").click()
    expect(page.get_by_text("We've told the client you're on the way.")).to_be_visible()
    [on_the_way] = [m for m in mail.outbox if m.to == ["cy@example.com"]]
    assert on_the_way.subject.startswith("Tess is on the way, arriving ")
    text = Notification.objects.get(kind=Notification.Kind.CLIENT_ON_MY_WAY, channel=SMS)
    assert text.recipient == next_up.booking.client_phone
    expect(page.get_by_role("button", name="On my way")).to_have_count(0)

    page.get_by_role("link", name="All my jobs").click()
    page.get_by_role("link", name=job_link(underway)).click()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Started. Enjoy the session.")).to_be_visible()
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_text("Job complete. Thank you!")).to_be_visible()
    assert Booking.objects.get(pk=underway.booking_id).status == Booking.Status.COMPLETED

    page.get_by_role("link", name="My hours").click()
    day = page.get_by_role("group", name=f"{later_day:%A}", exact=True)
    day.get_by_label("Working").uncheck()
    page.get_by_role("button", name="Save my hours").click()
    expect(page.get_by_role("heading", name="Not saved")).to_be_visible()
    expect(page.get_by_text(f"({later.reference})")).to_be_visible()
    expect(
        page.get_by_role("group", name=f"{later_day:%A}", exact=True).get_by_label("Working")
    ).not_to_be_checked()
    page.get_by_role("link", name="My hours").click()
    expect(
        page.get_by_role("group", name=f"{later_day:%A}", exact=True).get_by_label("Working")
    ).to_be_checked()

    day_off = timezone.localdate() + timedelta(days=3)
    assert availability(page, swedish, day_off)["slots"]
    page.get_by_role("link", name="Time off").click()
    page.get_by_label("From", exact=True).fill(f"{day_off:%Y-%m-%d}")
    page.get_by_label("Until (the last day off)").fill(f"{day_off:%Y-%m-%d}")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_text("Time off added.")).to_be_visible()
    after = availability(page, swedish, day_off)
    assert after["served"] and after["slots"] == []
    on_my_way = Notification.objects.filter(kind=Notification.Kind.CLIENT_ON_MY_WAY)
    assert on_my_way.filter(channel=EMAIL).count() == on_my_way.filter(channel=SMS).count() == 1

    # A colleague is free on the later day: declining hands that job to her.
    nia = TherapistFactory(
        first_name="Nia", email="nia@example.com", modalities=[swedish.modality], hours="all"
    )
    page.get_by_role("link", name="My jobs").click()
    page.get_by_role("link", name=job_link(later.appointments.get())).click()
    page.get_by_role("button", name="Decline this job").click()
    expect(page.get_by_text("Declined. The job has gone to another therapist.")).to_be_visible()
    assert later.appointments.get(is_active=True).therapist == nia
    assert Notification.objects.filter(
        kind=Notification.Kind.THERAPIST_ASSIGNED, recipient="nia@example.com", channel=EMAIL
    ).exists()


def job_link(appointment) -> str:
    return f"{local_when(appointment.starts_at)} to {local_time(appointment.ends_at)}"
