"""The public JSON API, mounted at /api/ (OpenAPI document at /api/openapi.json).

Every rule lives in the booking services: the API turns their ValidationError into a 422 with
the same messages, keyed by the API's own field paths. There is no cookie authentication, so
there is nothing for CSRF to protect: a booking token is the only credential, as on the pages.
Request and response shapes are in ``booking.schemas``.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaValidationError

from spatheory.page_cache import AVAILABILITY, versioned_get, versioned_set

from .assignment import SlotTaken
from .models import Booking
from .ratelimit import rate_limit_count, rate_limit_reached
from .schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    BookingIn,
    BookingOut,
    Message,
    RescheduleIn,
    ServiceOut,
    SlotTakenOut,
    ValidationFailed,
)
from .selectors import (
    AVAILABILITY_SECONDS,
    availability_key,
    booking_get_by_token,
    service_list_active,
    slot_list_available,
)
from .services import booking_cancel, booking_create, booking_reschedule

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Spa Theory booking API",
    version="1",
    description="Services, availability and bookings for at-home massage in Atlanta.",
    urls_namespace="api",
    # The interactive docs page would load its scripts from a third-party host.
    docs_url=None,
)

# Service-layer argument names -> the API's field paths.
FIELD_PATHS = {
    "service": "service",
    "minutes": "minutes",
    "starts_at": "start",
    "client_name": "client.name",
    "client_email": "client.email",
    "client_phone": "client.phone",
    "text_consent": "client.texts",
    "address_line1": "address.line1",
    "address_line2": "address.line2",
    "city": "address.city",
    "state": "address.state",
    "zip_code": "address.zip",
    "access_notes": "notes",
    "health_notes": "health_notes",
    "consent": "consent",
    "gender_preference": "preferences.gender",
    "pressure": "preferences.pressure",
    "second_person_name": "second_person.name",
    "second_person_pressure": "second_person.pressure",
    "second_person_health_notes": "second_person.health_notes",
    "prescriber_name": "referral.prescriber_name",
    "prescriber_practice": "referral.practice",
    "prescriber_phone": "referral.phone",
    "prescribed_on": "referral.prescribed_on",
}
AVAILABILITY_PATHS = {"zip_code": "zip", "start_date": "date"}


# Errors -----------------------------------------------------------------------------------


def _unprocessable(request, message: str, errors: dict[str, list[str]]):
    return api.create_response(request, {"message": message, "errors": errors}, status=422)


@api.exception_handler(SchemaValidationError)
def schema_invalid(request, exc: SchemaValidationError):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "client", "email") -> "client.email"; ("query", "zip") -> "zip"
        if location[:1] == ["body"]:
            location = location[2:]
        elif location[:1] in (["query"], ["path"]):
            location = location[1:]
        message = error.get("msg", "Invalid value.").removeprefix("Value error, ")
        errors.setdefault(".".join(location) or "body", []).append(message)
    return _unprocessable(request, "Some fields need correcting.", errors)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(request, {"message": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"message": "Not found."}, status=404)


def unknown_api_path(request):
    """Any other address under /api/: the API's own JSON 404, not the site's page."""
    return JsonResponse({"message": "Not found."}, status=404)


@api.exception_handler(Exception)
def server_error(request, exc: Exception):
    """Anything unexpected: logged with its traceback here, never shown to the client."""
    logger.exception("Unexpected error in %s %s", request.method, request.path_info)
    body = {"message": "Something went wrong on our side. Please try again in a moment."}
    return api.create_response(request, body, status=500)


def _refused(request, error: ValidationError, paths: dict[str, str] = FIELD_PATHS):
    if not hasattr(error, "error_dict"):
        return _unprocessable(request, " ".join(error.messages), {})
    errors = {
        paths.get(field, field): list(messages) for field, messages in error.message_dict.items()
    }
    errors.pop("__all__", None)
    general = error.message_dict.get("__all__")
    return _unprocessable(
        request, " ".join(general) if general else "Some fields need correcting.", errors
    )


def _slot(slot) -> dict:
    return {"start": timezone.localtime(slot.starts_at), "end": timezone.localtime(slot.ends_at)}


def _slot_taken(request, taken: SlotTaken):
    body = {"message": taken.message, "alternatives": [_slot(slot) for slot in taken.alternatives]}
    return api.create_response(request, body, status=409)


# Reads ------------------------------------------------------------------------------------


def _service_out(service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "kind": service.kind,
        "modality": service.modality.slug,
        "durations": [
            {"minutes": duration.minutes, "price": str(duration.price)}
            for duration in service.durations.all()
        ],
        "requires_referral": service.requires_referral,
    }


@api.get("/services", response=list[ServiceOut], summary="List the services and their prices")
def services(request):
    return [_service_out(service) for service in service_list_active()]


@api.get(
    "/availability",
    response={200: AvailabilityOut, 404: Message, 422: ValidationFailed},
    exclude_none=True,
    summary="Open start times for a service at a zip code",
)
def availability(request, query: Query[AvailabilityQuery]):
    arguments = {
        "minutes": query.minutes,
        "zip_code": query.zip,
        "start_date": query.date,
        "days": query.days,
        "gender": query.gender,
    }
    # The answer as sent, cached under the same key as the times it lists.
    key = f"api:{availability_key(service=query.service, **arguments)}"
    stored, version = versioned_get(AVAILABILITY, key)
    if stored is not None:
        content, content_type = stored
        return HttpResponse(content, content_type=content_type)
    service = service_list_active().filter(slug=query.service).first()
    if service is None:
        raise HttpError(404, f"No service called {query.service!r}.")
    try:
        result = slot_list_available(service=service, **arguments)
    except ValidationError as error:
        return _refused(request, error, AVAILABILITY_PATHS)
    if not result.served:
        body = {"served": False, "slots": [], "message": result.message}
    else:
        body = {"served": True, "slots": [_slot(slot) for slot in result.slots]}
    response = api.create_response(request, body, status=200)
    versioned_set(key, version, (response.content, response["Content-Type"]), AVAILABILITY_SECONDS)
    return response


# Bookings ---------------------------------------------------------------------------------


BOOKING_RESPONSES = {200: BookingOut, 404: Message, 409: SlotTakenOut, 422: ValidationFailed}


def _json_only(request) -> None:
    """State-changing calls take JSON only: a form or text/plain post from another site (which
    a browser sends without asking) is refused before anything changes."""
    content_type = request.content_type or ""
    if content_type.lower() != "application/json":
        raise HttpError(415, "Send the request as JSON, with Content-Type: application/json.")


def _booking(token: str) -> Booking:
    booking = booking_get_by_token(token=token)
    if booking is None:
        raise Http404
    return booking


def _booking_arguments(payload: BookingIn) -> dict:
    """``booking_create``'s arguments, each read from the payload at its API field path (a
    booking without a referral leaves the referral arguments out)."""
    arguments = {}
    for argument, path in FIELD_PATHS.items():
        value = payload
        for part in path.split("."):
            value = getattr(value, part, None)
        if value is not None:
            arguments[argument] = value
    return arguments


def _booking_out(booking: Booking, appointments=None) -> dict:
    """The booking as the API shows it, with the therapists of ``appointments`` (by default its
    prefetched active ones)."""
    if appointments is None:
        appointments = booking.appointments.all()
    return {
        "reference": booking.reference,
        "token": booking.token,
        "service": booking.service.slug,
        "minutes": booking.minutes,
        "start": timezone.localtime(booking.starts_at),
        "end": timezone.localtime(booking.ends_at),
        "status": booking.status,
        "late_cancellation": booking.late_cancellation,
        "price": str(booking.price),
        "therapists": [appointment.therapist.first_name for appointment in appointments],
        "address": {
            "line1": booking.address_line1,
            "line2": booking.address_line2,
            "city": booking.city,
            "state": booking.state,
            "zip": booking.zip_code,
        },
    }


@api.post(
    "/bookings",
    response={201: BookingOut, 409: SlotTakenOut, 422: ValidationFailed, 429: Message},
    summary="Book a massage",
)
def booking_create_endpoint(request, payload: BookingIn, response: HttpResponse):
    _json_only(request)
    response["Cache-Control"] = "no-store"
    if rate_limit_reached(request, scope="booking", rate=settings.BOOKING_RATE_LIMIT):
        raise HttpError(429, "Too many bookings from your connection. Please try again later.")
    service = service_list_active().filter(slug=payload.service).first()
    if service is None:
        return _unprocessable(
            request, "Some fields need correcting.", {"service": ["There is no such service."]}
        )
    try:
        booking = booking_create(**_booking_arguments(payload) | {"service": service})
    except SlotTaken as taken:
        return _slot_taken(request, taken)
    except ValidationError as error:
        return _refused(request, error)
    rate_limit_count(request, scope="booking", rate=settings.BOOKING_RATE_LIMIT)
    return Status(201, _booking_out(booking, booking.appointments_written))


@api.get("/bookings/{token}", response=BOOKING_RESPONSES, summary="A booking, by its token")
def booking_detail(request, token: str, response: HttpResponse):
    response["Cache-Control"] = "no-store"
    return _booking_out(_booking(token))


@api.post("/bookings/{token}/cancel", response=BOOKING_RESPONSES, summary="Cancel a booking")
def booking_cancel_endpoint(request, token: str, response: HttpResponse):
    _json_only(request)
    response["Cache-Control"] = "no-store"
    booking = _booking(token)
    try:
        booking_cancel(booking=booking)
    except ValidationError as error:
        return _refused(request, error)
    return _booking_out(_booking(token))


@api.post("/bookings/{token}/reschedule", response=BOOKING_RESPONSES, summary="Move a booking")
def booking_reschedule_endpoint(request, token: str, payload: RescheduleIn, response: HttpResponse):
    _json_only(request)
    response["Cache-Control"] = "no-store"
    booking = _booking(token)
    try:
        booking_reschedule(booking=booking, starts_at=payload.start)
    except SlotTaken as taken:
        return _slot_taken(request, taken)
    except ValidationError as error:
        return _refused(request, error)
    return _booking_out(_booking(token))
