"""The assigned therapist's private page for one appointment, reached by its job token, and
their calendar feed of every job, reached by their calendar token."""

from datetime import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from therapists.selectors import therapist_get_by_calendar_token

from ..calendar import therapist_jobs_ics
from ..formatting import local_time, local_when
from ..models import Appointment
from ..selectors import (
    appointment_details_visible,
    appointment_details_window,
    appointment_get_by_job_token,
    appointment_is_cancelled,
    appointment_list_for_calendar,
    appointment_people,
)
from .common import private_page


def job_page_context(*, appointment: Appointment, now: datetime, partners=()) -> dict:
    """What ``booking/_job_details.html`` shows of one job at ``now``: the client's details
    only while ``appointment_details_visible`` allows; ``partners`` are the first names of
    the other therapists at a side-by-side booking."""
    booking = appointment.booking
    opens, closes = appointment_details_window(appointment=appointment)
    show_details = appointment_details_visible(appointment=appointment, now=now)
    return {
        "appointment": appointment,
        "booking": booking,
        "when": local_when(appointment.starts_at),
        "ends": local_time(appointment.ends_at),
        "cancelled": appointment_is_cancelled(appointment=appointment),
        "show_details": show_details,
        "details_from": local_when(opens) if now < opens else "",
        "over": now >= closes,
        "partners": list(partners),
        "people": appointment_people(appointment=appointment),
        "maps_query": f"{booking.address_line1}, {booking.city}, {booking.state} {booking.zip_code}"
        if show_details
        else "",
    }


@private_page
@require_GET
def job(request, token):
    """Everything the therapist needs at the door, including the health notes that never
    travel by email, while the job's details window is open; the time, service and area
    otherwise."""
    appointment = appointment_get_by_job_token(token=token)
    if appointment is None:
        raise Http404("No job with this link.")
    context = job_page_context(appointment=appointment, now=timezone.now())
    return render(request, "booking/job_detail.html", context)


@private_page
@require_GET
def therapist_calendar(request, token):
    """The therapist's jobs as an .ics feed for their calendar app to subscribe to."""
    therapist = therapist_get_by_calendar_token(token=token)
    if therapist is None:
        raise Http404("No calendar with this link.")
    appointments = appointment_list_for_calendar(therapist=therapist)
    return HttpResponse(
        therapist_jobs_ics(therapist=therapist, appointments=appointments),
        content_type="text/calendar; charset=utf-8",
    )
