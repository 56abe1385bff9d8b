"""The assigned therapist's private page for one appointment, reached by its job token."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..formatting import local_time, local_when
from ..selectors import appointment_get_by_job_token
from .common import private_page


@private_page
@require_GET
def job(request, token):
    """Everything the therapist needs at the door, including the health notes that never
    travel by email."""
    appointment = appointment_get_by_job_token(token=token)
    if appointment is None:
        raise Http404("No job with this link.")
    booking = appointment.booking
    context = {
        "appointment": appointment,
        "booking": booking,
        "when": local_when(appointment.starts_at),
        "ends": local_time(appointment.ends_at),
        "cancelled": booking.status == booking.Status.CANCELLED or not appointment.is_active,
    }
    return render(request, "booking/job_detail.html", context)
