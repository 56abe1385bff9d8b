"""The client's private pages for one booking, reached only by its token: see it, add it to a
calendar, move it, cancel it; and "Lost your link?" to have the links emailed again."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from payments.gateway import payments_enabled
from payments.money import dollars, late_fee_cents

from ..assignment import SlotTaken
from ..calendar import booking_ics
from ..forms import LostLinkForm, TimeStepForm
from ..models import Booking
from ..notifications.outbox import manage_links_notify
from ..ratelimit import rate_limit_exceeded
from ..selectors import booking_get_by_token
from ..services import (
    booking_cancel,
    booking_cancellation_is_late,
    booking_is_changeable,
    booking_is_reschedulable,
    booking_reschedule,
)
from ..wording import reschedule_closed
from .common import (
    availability_for,
    day_asked,
    day_of_posted_start,
    is_htmx,
    picker_first_day,
    private_page,
    rate_limited,
    slot_picker,
)


def booking_or_404(token: str) -> Booking:
    booking = booking_get_by_token(token=token)
    if booking is None:
        raise Http404("No booking with this link.")
    return booking


def changeable_booking_page(action: str):
    """A private page that changes the booking: it answers only while the client may still
    change it, and otherwise sends them back to the booking saying why."""

    def decorate(view):
        @private_page
        @require_http_methods(["GET", "POST"])
        @wraps(view)
        def wrapper(request, token):
            booking = booking_or_404(token)
            if not booking_is_changeable(booking=booking):
                messages.error(
                    request,
                    f"This booking can no longer be {action} online. Call us and we'll help.",
                )
                return redirect(booking)
            return view(request, booking)

        return wrapper

    return decorate


@private_page
@require_GET
def booking_detail(request, token):
    booking = booking_or_404(token)
    therapists = [appointment.therapist for appointment in booking.appointments.all()]
    return render(
        request,
        "booking/booking_detail.html",
        {
            "booking": booking,
            "therapists": therapists,
            "can_change": booking_is_changeable(booking=booking),
            "can_reschedule": booking_is_reschedulable(booking=booking),
            "payments_on": payments_enabled(),
            "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
        },
    )


@private_page
@require_GET
def booking_calendar(request, token):
    booking = booking_or_404(token)
    cancelled = booking.status == Booking.Status.CANCELLED
    response = HttpResponse(
        booking_ics(booking=booking, method="CANCEL" if cancelled else "PUBLISH"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="spa-theory-{booking.reference}.ics"'
    return response


def _reschedule_post(request, booking: Booking, form: TimeStepForm):
    """Move the booking to the posted time: a redirect when done, else what to show."""
    if not form.is_valid():
        return None, None
    try:
        booking_reschedule(booking=booking, starts_at=form.cleaned_data["start"])
    except SlotTaken as taken:
        alternatives = [slot.starts_at for slot in taken.alternatives]
        return None, {"message": taken.message, "alternatives": alternatives}
    except ValidationError as error:
        form.add_error(None, error.messages)
        return None, None
    messages.success(request, "Your massage has a new time. We've emailed you the update.")
    return redirect(booking), None


def _reschedule_days(request, booking: Booking):
    """The day whose times the picker shows and the strip's first day."""
    if request.method == "POST":
        chosen_day = day_of_posted_start(request)
        return chosen_day, picker_first_day(asked=None, chosen_day=chosen_day)
    chosen_day = day_asked(request) or timezone.localtime(booking.starts_at).date()
    return chosen_day, picker_first_day(asked=day_asked(request, "from"), chosen_day=chosen_day)


@changeable_booking_page("changed")
def booking_reschedule_view(request, booking: Booking):
    if not booking_is_reschedulable(booking=booking):
        messages.error(request, reschedule_closed())
        return redirect(booking)
    chosen_day, first_day = _reschedule_days(request, booking)
    availability = availability_for(
        booking.service,
        minutes=booking.minutes,
        zip_code=booking.zip_code,
        gender=booking.gender_preference,
        exclude_booking=booking,
        first_day=first_day,
    )
    slot_taken = None
    if request.method == "POST":
        form = TimeStepForm(request.POST, slots=availability.slots)
        done, slot_taken = _reschedule_post(request, booking, form)
        if done:
            return done
    else:
        form = TimeStepForm(slots=availability.slots)
    picker_url = reverse("booking:reschedule", kwargs={"token": booking.token})
    context = {
        "form": form,
        "booking": booking,
        "service": booking.service,
        "availability": availability,
        "slot_taken": slot_taken,
        **slot_picker(
            availability, chosen_day=chosen_day, first_day=first_day, picker_url=picker_url
        ),
    }
    if is_htmx(request) and request.method == "GET":
        return render(request, "booking/_slots.html", context)
    return render(request, "booking/booking_reschedule.html", context)


@changeable_booking_page("cancelled")
def booking_cancel_view(request, booking: Booking):
    if request.method == "POST":
        try:
            booking_cancel(booking=booking)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, "Your booking is cancelled. We've emailed you a confirmation."
            )
        return redirect(booking)
    return render(
        request,
        "booking/booking_cancel.html",
        {
            "booking": booking,
            "is_late": booking_cancellation_is_late(booking=booking),
            "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
            "late_fee": dollars(late_fee_cents(booking)) if payments_enabled() else "",
            "late_fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def lost_link(request):
    """Email the links to an address's upcoming bookings; the answer never says whether any
    exist, so the page cannot be used to find out who has booked."""
    if request.method == "POST":
        if rate_limit_exceeded(
            request, scope="lost-link", rate=settings.BOOKING_LOST_LINK_RATE_LIMIT
        ):
            return rate_limited(request)
        form = LostLinkForm(request.POST)
        if form.is_valid():
            manage_links_notify(email=form.cleaned_data["email"])
            return render(request, "booking/lost_link_sent.html")
    else:
        form = LostLinkForm()
    return render(request, "booking/lost_link.html", {"form": form})
