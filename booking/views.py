from collections import defaultdict
from datetime import date, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .calendar import booking_ics
from .emails import local_time, local_when
from .forms import DetailsForm, LostLinkForm, ServiceStepForm, TimeStepForm
from .models import Appointment, Booking, Service
from .notifications import notify_manage_links
from .ratelimit import rate_limit_exceeded
from .selectors import not_served_message, service_list_active, slot_list_available, zip_is_served
from .services import (
    SlotTaken,
    booking_cancel,
    booking_cancellation_is_late,
    booking_create,
    booking_is_changeable,
    booking_reschedule,
)

DRAFT_SESSION_KEY = "booking_draft"
PICKER_DAYS = 14
DETAIL_FIELDS = (
    "client_name",
    "client_email",
    "client_phone",
    "address_line1",
    "address_line2",
    "city",
    "access_notes",
    "pressure",
    "health_notes",
    "prescriber_name",
    "prescriber_practice",
    "prescriber_phone",
    "prescribed_on",
    "consent",
)
# Where the client answered each booking_create argument that is not on the details step.
STEP_OF_FIELD = {
    "service": "book",
    "minutes": "book",
    "zip_code": "book",
    "gender_preference": "book",
    "starts_at": "book_time",
}


@require_GET
def service_list(request):
    return render(request, "booking/service_list.html", {"services": service_list_active()})


@require_GET
def service_detail(request, slug):
    service = get_object_or_404(service_list_active(), slug=slug)
    return render(request, "booking/service_detail.html", {"service": service})


# The booking flow keeps what the client has typed in the session, never in the URL, so a
# refused step or a slot taken at the last moment loses nothing.


def _draft(request) -> dict:
    return request.session.get(DRAFT_SESSION_KEY, {})


def _save_draft(request, draft: dict) -> None:
    request.session[DRAFT_SESSION_KEY] = draft


def _draft_service(draft: dict) -> Service | None:
    if not draft.get("service"):
        return None
    return service_list_active().filter(slug=draft["service"]).first()


def _draft_price(service: Service, minutes: int):
    return next(
        (duration.price for duration in service.durations.all() if duration.minutes == minutes),
        None,
    )


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _slot_picker(availability, *, first_day: date, chosen_day: date | None) -> dict:
    """The date strip and the chosen day's open times, grouped by part of the day."""
    by_day = defaultdict(list)
    for slot in availability.slots:
        by_day[timezone.localtime(slot.starts_at).date()].append(slot)
    days = [first_day + timedelta(days=offset) for offset in range(PICKER_DAYS)]
    if chosen_day not in days:
        chosen_day = next((day for day in days if by_day[day]), first_day)
    groups = {"Morning": [], "Afternoon": [], "Evening": []}
    for slot in by_day[chosen_day]:
        hour = timezone.localtime(slot.starts_at).hour
        groups["Morning" if hour < 12 else "Afternoon" if hour < 17 else "Evening"].append(slot)
    return {
        "days": [{"date": day, "open": len(by_day[day])} for day in days],
        "chosen_day": chosen_day,
        "slot_groups": [(label, slots) for label, slots in groups.items() if slots],
    }


def _chosen_day(request) -> date | None:
    raw = request.GET.get("day", "")
    try:
        return parse_date(raw)
    except ValueError:
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def book(request):
    """Step 1: service, length, zip code (and therapist preference, which shapes the times)."""
    draft = _draft(request)
    if request.method == "POST":
        form = ServiceStepForm(request.POST)
        if form.is_valid():
            choice = {
                "service": form.cleaned_data["service"].slug,
                "minutes": form.cleaned_data["minutes"],
                "zip_code": form.cleaned_data["zip_code"],
                "gender_preference": form.cleaned_data["gender_preference"],
            }
            if not zip_is_served(service=form.cleaned_data["service"], zip_code=choice["zip_code"]):
                form.add_error("zip_code", _not_served(choice["zip_code"]))
            else:
                if any(draft.get(key) != value for key, value in choice.items()):
                    draft.pop("starts_at", None)
                draft.update(choice)
                _save_draft(request, draft)
                return redirect("booking:book_time")
    else:
        initial = {
            key: draft[key] for key in ("minutes", "zip_code", "gender_preference") if key in draft
        }
        initial["service"] = request.GET.get("service") or draft.get("service")
        form = ServiceStepForm(initial=initial)
    return render(request, "booking/book_service.html", {"form": form, "step": 1})


def _not_served(zip_code: str) -> str:
    return f"{not_served_message(zip_code)} Call us on (404) 555-0199 and we'll see what we can do."


@require_POST
def book_zip_check(request):
    """The immediate "we come to you" answer under the zip field (htmx)."""
    form = ServiceStepForm(request.POST)
    form.is_valid()
    service, zip_code = form.cleaned_data.get("service"), form.cleaned_data.get("zip_code")
    served = None
    if service and zip_code:
        served = zip_is_served(service=service, zip_code=zip_code)
    return render(
        request,
        "booking/_zip_answer.html",
        {"served": served, "zip_code": zip_code, "not_served": _not_served(zip_code or "")},
    )


def _flow_state(request, *, needs: tuple[str, ...]):
    """The draft and its service, or None when the client skipped a step (back to step 1)."""
    draft = _draft(request)
    service = _draft_service(draft)
    if service is None or any(key not in draft for key in needs):
        return draft, None
    return draft, service


def _availability(service: Service, draft: dict, *, exclude_booking=None):
    return slot_list_available(
        service=service,
        minutes=draft["minutes"],
        zip_code=draft["zip_code"],
        start_date=timezone.localdate(),
        days=PICKER_DAYS,
        gender=draft.get("gender_preference", "any"),
        exclude_booking=exclude_booking,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book_time(request):
    """Step 2: a date strip and the open times for the chosen day."""
    draft, service = _flow_state(request, needs=("minutes", "zip_code"))
    if service is None:
        return redirect("booking:book")
    availability = _availability(service, draft)
    if request.method == "POST":
        form = TimeStepForm(request.POST, slots=availability.slots)
        if form.is_valid():
            draft["starts_at"] = form.cleaned_data["start"].isoformat()
            draft.pop("slot_taken", None)
            _save_draft(request, draft)
            return redirect("booking:book_details")
        chosen_day = _day_of(request.POST.get("start")) or _day_of(draft.get("starts_at"))
    else:
        form = TimeStepForm(initial={"start": draft.get("starts_at")}, slots=availability.slots)
        chosen_day = (
            _chosen_day(request) or _day_of(draft.get("starts_at")) or _day_of(draft.get("day"))
        )
        if chosen_day:
            draft["day"] = chosen_day.isoformat()
            _save_draft(request, draft)
    context = {
        "form": form,
        "step": 2,
        "service": service,
        "draft": draft,
        "availability": availability,
        "slot_taken": _slot_taken_shown(draft.get("slot_taken")),
        "picker_url": reverse("booking:book_time"),
        **_slot_picker(availability, first_day=timezone.localdate(), chosen_day=chosen_day),
    }
    if _is_htmx(request) and request.method == "GET":
        return render(request, "booking/_slots.html", context)
    return render(request, "booking/book_time.html", context)


def _slot_taken_shown(slot_taken: dict | None) -> dict | None:
    if not slot_taken:
        return None
    alternatives = [parse_datetime(value) for value in slot_taken["alternatives"]]
    return {"message": slot_taken["message"], "alternatives": alternatives}


def _day_of(iso_value: str | None) -> date | None:
    if not iso_value:
        return None
    try:
        moment = parse_datetime(iso_value)
        if moment is None:
            return parse_date(iso_value)
    except ValueError:
        return None
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else None


def _details_form(draft: dict, service: Service, data=None) -> DetailsForm:
    return DetailsForm(data, initial=draft.get("details", {}), service=service)


@never_cache
@require_http_methods(["GET", "POST"])
def book_details(request):
    """Step 3: who you are, where we're coming, and anything your therapist should know."""
    draft, service = _flow_state(request, needs=("minutes", "zip_code", "starts_at"))
    if service is None:
        return redirect("booking:book")
    if request.method == "POST":
        form = _details_form(draft, service, request.POST)
        if form.is_valid():
            details = dict(form.cleaned_data)
            if details.get("prescribed_on"):
                details["prescribed_on"] = details["prescribed_on"].isoformat()
            draft["details"] = details
            _save_draft(request, draft)
            return redirect("booking:book_review")
    else:
        form = _details_form(draft, service)
    return render(
        request,
        "booking/book_details.html",
        {"form": form, "step": 3, "service": service, "draft": draft},
    )


def _booking_arguments(draft: dict, service: Service) -> dict:
    details = draft["details"]
    # Referral answers typed for an earlier choice of massage don't carry over to one that
    # needs none.
    fields = [
        key
        for key in DETAIL_FIELDS
        if service.requires_referral or key not in DetailsForm.REFERRAL_FIELDS
    ]
    arguments = {key: details[key] for key in fields if key in details}
    if arguments.get("prescribed_on"):
        arguments["prescribed_on"] = date.fromisoformat(arguments["prescribed_on"])
    return {
        **arguments,
        "service": service,
        "minutes": draft["minutes"],
        "starts_at": parse_datetime(draft["starts_at"]),
        "zip_code": draft["zip_code"],
        "gender_preference": draft.get("gender_preference", "any"),
    }


def rate_limited(request) -> HttpResponse:
    return render(request, "booking/rate_limited.html", status=429)


@never_cache
@require_http_methods(["GET", "POST"])
def book_review(request):
    """Step 4: check everything, see the price and the cancellation policy, then confirm."""
    draft, service = _flow_state(request, needs=("minutes", "zip_code", "starts_at", "details"))
    if service is None:
        return redirect("booking:book")
    if request.method == "POST":
        if rate_limit_exceeded(request, scope="booking", rate=settings.BOOKING_RATE_LIMIT):
            return rate_limited(request)
        try:
            booking = booking_create(**_booking_arguments(draft, service))
        except SlotTaken as taken:
            draft.pop("starts_at", None)
            draft["slot_taken"] = {
                "message": taken.message,
                "alternatives": [slot.starts_at.isoformat() for slot in taken.alternatives],
            }
            _save_draft(request, draft)
            return redirect("booking:book_time")
        except ValidationError as error:
            return _review_refused(request, draft, service, error)
        request.session.pop(DRAFT_SESSION_KEY, None)
        messages.success(request, "You're booked. We've emailed your confirmation.")
        return redirect(booking)
    starts_at = parse_datetime(draft["starts_at"])
    return render(
        request,
        "booking/book_review.html",
        {
            "step": 4,
            "service": service,
            "draft": draft,
            "details": draft["details"],
            "starts_at": starts_at,
            "price": _draft_price(service, draft["minutes"]),
            "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
        },
    )


def _review_refused(request, draft: dict, service: Service, error: ValidationError):
    """Show the refused answer on the step that asked for it, with the reason next to it."""
    fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    earlier_step = next((STEP_OF_FIELD[field] for field in fields if field in STEP_OF_FIELD), None)
    if earlier_step is not None:
        for field_messages in fields.values():
            messages.error(request, " ".join(field_messages))
        if earlier_step == "book_time":
            draft.pop("starts_at", None)
            _save_draft(request, draft)
        return redirect(f"booking:{earlier_step}")
    form = _details_form(draft, service, data=_details_data(draft))
    form.is_valid()
    for field, field_messages in fields.items():
        form.add_error(field if field in form.fields else None, field_messages)
    return render(
        request,
        "booking/book_details.html",
        {"form": form, "step": 3, "service": service, "draft": draft},
    )


def _details_data(draft: dict) -> dict:
    data = {key: value for key, value in draft["details"].items() if value not in (None, False)}
    if data.get("consent"):
        data["consent"] = "on"
    return data


# Private pages, reached only by the booking's unguessable token.


def private_page(view):
    """Token pages: kept out of search results, caches and other sites' Referer headers.

    Their forms skip Django's CSRF check. A page sent with ``Referrer-Policy: no-referrer``
    makes browsers post its forms with ``Origin: null``, which that check refuses; and the
    unguessable token in the URL already does the check's job, since a forged request would
    need it."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapper


def _booking_for(token: str) -> Booking:
    active = Appointment.objects.active().select_related("therapist").order_by("starts_at")
    try:
        return (
            Booking.objects.select_related("service")
            .prefetch_related(Prefetch("appointments", queryset=active))
            .get(token=token)
        )
    except Booking.DoesNotExist:
        raise Http404("No booking with this link.") from None


@private_page
@require_GET
def booking_detail(request, token):
    booking = _booking_for(token)
    therapists = [appointment.therapist for appointment in booking.appointments.all()]
    return render(
        request,
        "booking/booking_detail.html",
        {
            "booking": booking,
            "therapists": therapists,
            "can_change": booking_is_changeable(booking=booking),
            "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
        },
    )


@private_page
@require_GET
def booking_calendar(request, token):
    booking = _booking_for(token)
    cancelled = booking.status == Booking.Status.CANCELLED
    response = HttpResponse(
        booking_ics(booking=booking, method="CANCEL" if cancelled else "PUBLISH"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="spa-theory-{booking.reference}.ics"'
    return response


@private_page
@require_http_methods(["GET", "POST"])
def booking_reschedule_view(request, token):
    booking = _booking_for(token)
    if not booking_is_changeable(booking=booking):
        messages.error(
            request, "This booking can no longer be changed online. Call us and we'll help."
        )
        return redirect(booking)
    draft = {
        "minutes": booking.minutes,
        "zip_code": booking.zip_code,
        "gender_preference": booking.gender_preference,
    }
    availability = _availability(booking.service, draft, exclude_booking=booking)
    slot_taken = None
    if request.method == "POST":
        form = TimeStepForm(request.POST, slots=availability.slots)
        if form.is_valid():
            try:
                booking_reschedule(booking=booking, starts_at=form.cleaned_data["start"])
            except SlotTaken as taken:
                slot_taken = {
                    "message": taken.message,
                    "alternatives": [slot.starts_at for slot in taken.alternatives],
                }
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request, "Your massage has a new time. We've emailed you the update."
                )
                return redirect(booking)
        chosen_day = _day_of(request.POST.get("start"))
    else:
        form = TimeStepForm(slots=availability.slots)
        chosen_day = _chosen_day(request) or timezone.localtime(booking.starts_at).date()
    context = {
        "form": form,
        "booking": booking,
        "service": booking.service,
        "availability": availability,
        "slot_taken": slot_taken,
        "picker_url": reverse("booking:reschedule", kwargs={"token": booking.token}),
        **_slot_picker(availability, first_day=timezone.localdate(), chosen_day=chosen_day),
    }
    if _is_htmx(request) and request.method == "GET":
        return render(request, "booking/_slots.html", context)
    return render(request, "booking/booking_reschedule.html", context)


@private_page
@require_http_methods(["GET", "POST"])
def booking_cancel_view(request, token):
    booking = _booking_for(token)
    if not booking_is_changeable(booking=booking):
        messages.error(
            request, "This booking can no longer be cancelled online. Call us and we'll help."
        )
        return redirect(booking)
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
            notify_manage_links(email=form.cleaned_data["email"])
            return render(request, "booking/lost_link_sent.html")
    else:
        form = LostLinkForm()
    return render(request, "booking/lost_link.html", {"form": form})


@require_GET
def job(request, token):
    """The assigned therapist's private page for one appointment: everything they need at the
    door, including the health notes that never travel by email."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("booking__service", "therapist"), job_token=token
    )
    booking = appointment.booking
    context = {
        "appointment": appointment,
        "booking": booking,
        "when": local_when(appointment.starts_at),
        "ends": local_time(appointment.ends_at),
        "cancelled": booking.status == booking.Status.CANCELLED or not appointment.is_active,
    }
    response = render(request, "booking/job_detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
