"""The four booking steps: what and where, when, who, then check and confirm.

Each step reads and writes the client's ``BookingDraft``; only the last one books, through
``booking_create``, and puts any refusal back on the step that asked the question.
"""

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.flow import details_answers, details_form
from clients.selectors import client_for_user
from payments.checkout import (
    NEW_CARD,
    booking_create_from_session,
    booking_create_with_saved_card,
    review_card_context,
)
from payments.csp import stripe_csp
from payments.gateway import GatewayUnavailable, payments_enabled
from payments.money import cents
from payments.services import CardNotReady
from spatheory.page_cache import (
    AVAILABILITY,
    shell_render,
    shell_serve,
    versioned_get,
    versioned_set,
)

from ..assignment import SlotTaken
from ..draft import BookingDraft, SlotTakenNotice
from ..forms import ServiceStepForm, TimeStepForm, errors_onto_form
from ..models import Booking
from ..ratelimit import rate_limit_count, rate_limit_reached
from ..selectors import (
    AVAILABILITY_SECONDS,
    covered_not_bookable_message,
    lengths_offered_message,
    not_served_message,
    service_bookable_in_zip,
    service_list_active,
    service_serves_zip,
)
from ..services import booking_create
from ..validation import REFERRAL_FIELDS, referral_list_reusable
from .common import (
    availability_for,
    day_asked,
    day_of_posted_start,
    is_htmx,
    picker_first_day,
    picker_key,
    private_page,
    rate_limited,
    slot_picker,
)
from .manage import booking_or_404

# The step that asked for each booking_create argument not on the details step.
# The ``?therapist=`` that drops the therapist asked for: anyone free.
ANY_THERAPIST = "any"
NOT_BOOKABLE = (
    "That therapist isn't taking bookings right now, so we'll show you the times any of our "
    "therapists can come."
)

STEP_OF_FIELD = {
    "service": "book",
    "minutes": "book",
    "zip_code": "book",
    "gender_preference": "book",
    "starts_at": "book_time",
}


def _not_served(zip_code: str) -> str:
    return (
        f"{not_served_message(zip_code)} Call us on {settings.BUSINESS_PHONE} and we'll see "
        "what we can do."
    )


def _nobody_bookable(zip_code: str) -> str:
    return f"{covered_not_bookable_message(zip_code)} Call us on {settings.BUSINESS_PHONE}."


def zip_answer(*, service, zip_code: str) -> tuple[str, str]:
    """Whether we can come to the zip for this service: ``("yes", "")`` only when a therapist
    could actually be booked there within the horizon, else ``("no", what is true)``."""
    if not service_serves_zip(service=service, zip_code=zip_code):
        return "no", _not_served(zip_code)
    if not service_bookable_in_zip(service=service, zip_code=zip_code):
        return "no", _nobody_bookable(zip_code)
    return "yes", ""


def _step_one_initial(request, draft: BookingDraft) -> dict:
    initial = {"gender_preference": draft.gender_preference}
    if draft.minutes:
        initial["minutes"] = draft.minutes
    if draft.zip_code:
        initial["zip_code"] = draft.zip_code
    initial["service"] = request.GET.get("service") or draft.service_slug or None
    return initial


@never_cache
@require_http_methods(["GET", "POST"])
def book(request):
    """Step 1: service, length, zip code (and therapist preference, which shapes the times)."""
    draft = BookingDraft.load(request.session)
    if request.method != "POST":
        if "therapist" in request.GET:
            _therapist_choose(request, draft, request.GET["therapist"])
        therapist = _therapist_asked(request, draft)
        form = ServiceStepForm(initial=_step_one_initial(request, draft))
        return render(
            request,
            "booking/book_service.html",
            {"form": form, "step": 1, "therapist": therapist},
        )
    form = ServiceStepForm(request.POST)
    if form.is_valid():
        service, zip_code = form.cleaned_data["service"], form.cleaned_data["zip_code"]
        answer, refusal = zip_answer(service=service, zip_code=zip_code)
        if answer == "yes":
            draft.choose_service(
                service=service,
                minutes=form.cleaned_data["minutes"],
                zip_code=zip_code,
                gender=form.cleaned_data["gender_preference"],
            )
            draft.save(request.session)
            return redirect("booking:book_time")
        form.add_error("zip_code", refusal)
    context = {"form": form, "step": 1, "therapist": draft.therapist()}
    return render(request, "booking/book_service.html", context)


def _therapist_choose(request, draft: BookingDraft, slug: str) -> None:
    """``?therapist=<slug>`` asks for that therapist, ``?therapist=any`` for anyone free."""
    draft.choose_therapist("" if slug == ANY_THERAPIST else slug)
    draft.save(request.session)


def _therapist_asked(request, draft: BookingDraft):
    """The therapist the draft asks for; one who can no longer be booked is dropped, with a
    message saying so, and anyone free comes instead."""
    if not draft.therapist_slug:
        return None
    therapist = draft.therapist()
    if therapist is None:
        draft.choose_therapist("")
        draft.save(request.session)
        messages.info(request, NOT_BOOKABLE)
    return therapist


@require_POST
def book_zip_check(request):
    """The immediate "we come to you" answer under the zip field (htmx)."""
    form = ServiceStepForm(request.POST)
    form.is_valid()
    service, zip_code = form.cleaned_data.get("service"), form.cleaned_data.get("zip_code")
    answer, refusal = (
        zip_answer(service=service, zip_code=zip_code) if service and zip_code else ("", "")
    )
    return render(
        request,
        "booking/_zip_answer.html",
        {"answer": answer, "zip_code": zip_code, "refusal": refusal},
    )


@require_GET
def book_lengths(request):
    """The length radios for the massage just chosen on step 1, with its prices (htmx)."""
    initial = {"service": request.GET.get("service"), "minutes": request.GET.get("minutes")}
    form = ServiceStepForm(initial=initial)
    return render(request, "booking/_lengths.html", {"form": form})


def _draft_for(request, *steps: str):
    """The draft and its service, or a service of None when the client skipped a step."""
    draft = BookingDraft.load(request.session)
    service = draft.service() if draft.has(*steps) else None
    return draft, service


def _chosen_day(request, draft: BookingDraft):
    """The day whose times the picker shows: the one asked for, else that of the time chosen
    before, else the one looked at last."""
    chosen = timezone.localtime(draft.starts_at).date() if draft.starts_at else None
    if request.method == "POST":
        return day_of_posted_start(request) or chosen
    return day_asked(request) or chosen or draft.day


@never_cache
@require_http_methods(["GET", "POST"])
def book_time(request):
    """Step 2: a date strip and the open times for the chosen day."""
    draft = BookingDraft.load(request.session)
    if not draft.has("service"):
        return redirect("booking:book")
    if request.method == "GET" and request.GET.get("therapist") == ANY_THERAPIST:
        _therapist_choose(request, draft, ANY_THERAPIST)
        return redirect("booking:book_time")
    therapist = _therapist_asked(request, draft)
    chosen_day = _chosen_day(request, draft)
    if request.method == "POST":
        return _time_chosen(request, draft, therapist=therapist, chosen_day=chosen_day)
    first_day = picker_first_day(asked=day_asked(request, "from"), chosen_day=chosen_day)
    parts = _time_parts_cached(
        request, draft, therapist=therapist, chosen_day=chosen_day, first_day=first_day
    )
    if parts is None:
        return redirect("booking:book")
    if chosen_day:
        draft.day = chosen_day
        draft.save(request.session)
    if is_htmx(request):
        return HttpResponse(parts["picker"])
    if draft.slot_taken is None and not messages.get_messages(request):
        return shell_serve(request, parts["page"])
    return _time_page(request, draft, parts)


def _time_chosen(request, draft: BookingDraft, *, therapist, chosen_day):
    """The time sent: on to the details, or the step again with what was wrong."""
    service = draft.service()
    if service is None:
        return redirect("booking:book")
    first_day = picker_first_day(asked=None, chosen_day=chosen_day)
    availability = _times_for(draft, service, therapist=therapist, first_day=first_day)
    form = TimeStepForm(request.POST, slots=availability.slots)
    if form.is_valid():
        draft.starts_at, draft.slot_taken = form.cleaned_data["start"], None
        draft.save(request.session)
        return redirect("booking:book_details")
    parts = _time_parts(
        draft,
        service,
        availability=availability,
        form=form,
        therapist=therapist,
        chosen_day=chosen_day,
        first_day=first_day,
    )
    return _time_page(request, draft, parts, form=form)


def _times_for(draft: BookingDraft, service, *, therapist, first_day):
    return availability_for(
        service,
        minutes=draft.minutes,
        zip_code=draft.zip_code,
        gender=draft.gender_preference,
        first_day=first_day,
        therapist=therapist,
    )


def _time_parts(draft: BookingDraft, service, *, availability, form, therapist, **days) -> dict:
    """The parts of the time step that follow from the open times: the lines above the picker
    (the service, the therapist asked for) and the picker itself, rendered without the request,
    so that no visitor's own CSRF token or messages can be in them."""
    context = {
        "form": form,
        "service": service,
        "draft": draft,
        "availability": availability,
        "therapist": therapist,
        **slot_picker(availability, picker_url=reverse("booking:book_time"), **days),
    }
    return {
        "intro": render_to_string("booking/_time_intro.html", context),
        "picker": render_to_string("booking/_slots.html", context),
    }


def _time_parts_cached(
    request, draft: BookingDraft, *, therapist, chosen_day, first_day
) -> dict | None:
    """``_time_parts`` for a GET, and the whole page as any visitor gets it (``shell_render``),
    cached with the open times they show (under the availability version every write that
    changes them bumps), keyed by everything else they show: the day chosen and the time
    selected. None when the draft's service is no longer bookable."""
    selected = draft.starts_at.isoformat() if draft.starts_at else ""
    key = picker_key(
        service=draft.service_slug,
        minutes=draft.minutes,
        zip_code=draft.zip_code,
        gender=draft.gender_preference,
        first_day=first_day,
        therapist=therapist.slug if therapist else "",
        day=chosen_day or "",
        selected=selected,
    )
    parts, version = versioned_get(AVAILABILITY, key)
    if parts is not None:
        return parts
    service = draft.service()
    if service is None:
        return None
    availability = _times_for(draft, service, therapist=therapist, first_day=first_day)
    parts = _time_parts(
        draft,
        service,
        availability=availability,
        form=TimeStepForm(initial={"start": selected or None}, slots=availability.slots),
        therapist=therapist,
        chosen_day=chosen_day,
        first_day=first_day,
    )
    parts["page"] = shell_render(request, "booking/book_time.html", _time_page_context(parts))
    versioned_set(key, version, parts, AVAILABILITY_SECONDS)
    return parts


def _time_page_context(parts: dict, *, form=None, slot_taken=None) -> dict:
    return {
        "form": form,
        "step": 2,
        "slot_taken": slot_taken,
        "intro": mark_safe(parts["intro"]),
        "picker": mark_safe(parts["picker"]),
    }


def _time_page(request, draft: BookingDraft, parts: dict, form=None):
    """The page rendered for this visitor: their messages, their refused time or the notice
    that the time they chose was just taken."""
    context = _time_page_context(parts, form=form, slot_taken=draft.slot_taken)
    return render(request, "booking/book_time.html", context)


def _massage_day(draft: BookingDraft):
    return timezone.localdate(draft.starts_at) if draft.starts_at else None


def _reusable_referrals(request, draft: BookingDraft, service) -> list:
    """A signed-in client's earlier referrals still valid on the massage's day."""
    if not service.requires_referral or draft.starts_at is None:
        return []
    account = client_for_user(user=request.user)
    if account is None:
        return []
    return referral_list_reusable(email=account.email, day=_massage_day(draft))


def _details_page(request, draft: BookingDraft, service, form):
    context = {
        "form": form,
        "step": 3,
        "service": service,
        "draft": draft,
        "referrals": _reusable_referrals(request, draft, service),
    }
    return render(request, "booking/book_details.html", context)


def _referral_reuse(request, draft: BookingDraft, service):
    """The details form again with the chosen earlier referral filled in: only one of the
    signed-in client's own, still valid on the massage's day, is ever found by its reference."""
    chosen = request.POST.get("use_referral", "")
    referral = next(
        (r for r in _reusable_referrals(request, draft, service) if r.reference == chosen), None
    )
    initial = dict(draft.details)
    if referral is None:
        messages.error(request, "That referral can't be used for this massage; enter its details.")
    else:
        initial |= {name: getattr(referral, name) for name in REFERRAL_FIELDS}
    shown = dataclasses.replace(draft, details=initial)
    form = details_form(request, draft=shown, service=service, day=_massage_day(draft))
    return _details_page(request, draft, service, form)


@never_cache
@require_http_methods(["GET", "POST"])
def book_details(request):
    """Step 3: who you are, where we're coming, and anything your therapist should know."""
    draft, service = _draft_for(request, "service", "time")
    if service is None:
        return redirect("booking:book")
    if request.method == "POST" and "use_referral" in request.POST:
        return _referral_reuse(request, draft, service)
    data = request.POST if request.method == "POST" else None
    form = details_form(request, draft=draft, service=service, data=data, day=_massage_day(draft))
    if data is not None and form.is_valid():
        try:
            draft.details = details_answers(request, form, draft=draft)
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            draft.save(request.session)
            return redirect("booking:book_review")
    return _details_page(request, draft, service, form)


@never_cache
@require_http_methods(["GET", "POST"])
def book_review(request):
    """Step 4: check everything, see the price and the cancellation policy, then confirm."""
    draft, service = _draft_for(request, "service", "time", "details")
    if service is None:
        return redirect("booking:book")
    if request.method == "POST":
        return _confirm(request, draft, service)
    duration = service.duration_for(draft.minutes)
    context = {
        "step": 4,
        "service": service,
        "draft": draft,
        "details": draft.details,
        "starts_at": draft.starts_at,
        "ends_at": _review_ends_at(service, draft),
        "price": duration.price if duration else None,
        "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
    }
    if not payments_enabled():
        return render(request, "booking/book_review.html", context)
    account = client_for_user(user=request.user)
    context |= review_card_context(
        request.session,
        email=draft.details.get("client_email", ""),
        price_cents=cents(duration.price) if duration else 0,
        account_email=account.email if account else "",
    )
    return stripe_csp(render(request, "booking/book_review.html", context))


def _review_ends_at(service, draft: BookingDraft):
    """When the massage ends; for back-to-back couples, both massages and the changeover."""
    if draft.starts_at is None or not draft.minutes:
        return None
    minutes = service.appointment_minutes(
        draft.minutes, changeover=settings.BOOKING_COUPLES_CHANGEOVER_MINUTES
    )
    return draft.starts_at + timedelta(minutes=minutes)


def _book(request, draft: BookingDraft, service, therapist):
    """Book the draft; with payments on, only with the card the client confirmed for it."""
    arguments = draft.booking_arguments(service, therapist)
    if not payments_enabled():
        return booking_create(**arguments)
    saved_card = request.POST.get("saved_card", "")
    if saved_card and saved_card != NEW_CARD:
        account = client_for_user(user=request.user)
        return booking_create_with_saved_card(
            request.session,
            account_email=account.email if account else "",
            payment_method_id=saved_card,
            **arguments,
        )
    return booking_create_from_session(
        request.session, setup_intent_id=request.POST.get("setup_intent", ""), **arguments
    )


def _confirm(request, draft: BookingDraft, service):
    if rate_limit_reached(request, scope="booking", rate=settings.BOOKING_RATE_LIMIT):
        return rate_limited(request)
    asked = bool(draft.therapist_slug)
    therapist = _therapist_asked(request, draft)
    if asked and therapist is None:
        # They can't be booked any more: the client chooses again from anyone's times.
        draft.starts_at = None
        draft.save(request.session)
        return redirect("booking:book_time")
    try:
        booking = _book(request, draft, service, therapist)
    except CardNotReady as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("booking:book_review")
    except GatewayUnavailable:
        messages.error(request, "We couldn't reach our card processor. Please try again soon.")
        return redirect("booking:book_review")
    except SlotTaken as taken:
        draft.starts_at = None
        draft.slot_taken = SlotTakenNotice(
            message=taken.message, alternatives=[slot.starts_at for slot in taken.alternatives]
        )
        draft.save(request.session)
        return redirect("booking:book_time")
    except ValidationError as error:
        return _review_refused(request, draft, service, error)
    rate_limit_count(request, scope="booking", rate=settings.BOOKING_RATE_LIMIT)
    BookingDraft.clear(request.session)
    messages.success(request, "You're booked. We've emailed your confirmation.")
    return redirect(booking)


def _review_refused(request, draft: BookingDraft, service, error: ValidationError):
    """Show the refused answer on the step that asked for it, with the reason next to it."""
    fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    earlier_step = next((STEP_OF_FIELD[field] for field in fields if field in STEP_OF_FIELD), None)
    if earlier_step is not None:
        for field_messages in fields.values():
            messages.error(request, " ".join(field_messages))
        if earlier_step == "book_time":
            draft.starts_at = None
            draft.save(request.session)
        return redirect(f"booking:{earlier_step}")
    form = details_form(
        request, draft=draft, service=service, data=_details_data(draft), day=_massage_day(draft)
    )
    form.is_valid()
    errors_onto_form(form, error)
    return _details_page(request, draft, service, form)


def _details_data(draft: BookingDraft) -> dict:
    """The saved answers as the details form would have posted them."""
    data = {key: value for key, value in draft.details.items() if value not in (None, False)}
    for checkbox in ("consent", "text_consent"):
        if data.get(checkbox):
            data[checkbox] = "on"
    return data


# What "Book again" carries over to the details step. Not consent to the terms or to texts
# (asked afresh each time), nor health notes or a referral, which may have changed.
AGAIN_DETAILS = (
    "client_name",
    "client_email",
    "client_phone",
    "address_line1",
    "address_line2",
    "city",
    "access_notes",
    "pressure",
)


@private_page
@require_POST
def book_again(request, token):
    """A new draft filled in from an earlier booking (its private link's token): the same
    massage, length, place and preferences, straight to the time step. With ``therapist`` (the
    slug of one who treated that booking), with them only."""
    booking = booking_or_404(token)
    draft = BookingDraft(
        zip_code=booking.zip_code,
        gender_preference=booking.gender_preference or Booking.GenderPreference.ANY,
        details={name: getattr(booking, name) for name in AGAIN_DETAILS},
    )
    slug = request.POST.get("therapist", "")
    if slug in {appointment.therapist.slug for appointment in booking.appointments.all()}:
        draft.therapist_slug = slug
    service = service_list_active().filter(pk=booking.service_id).first()
    if service is None or service.duration_for(booking.minutes) is None:
        draft.save(request.session)
        if service is None:
            messages.info(request, f"We no longer offer {booking.service.name}. Choose a massage.")
        else:
            draft.service_slug = service.slug
            draft.save(request.session)
            messages.info(request, f"{lengths_offered_message(service)} Choose a length.")
        return redirect(reverse("booking:book") + (f"?service={service.slug}" if service else ""))
    draft.service_slug, draft.minutes = service.slug, booking.minutes
    draft.save(request.session)
    return redirect("booking:book_time")
