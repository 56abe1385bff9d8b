"""The rules a new booking, or a new time for one, must meet before anyone is assigned.

Each rule answers with the message a client reads, keyed by ``booking_create``'s argument
names; the forms and the API put those messages next to their own fields.
"""

import calendar
import contextlib
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from therapists.validators import phone_to_e164

from .availability import StartProblem, start_problem
from .formatting import local_time
from .models import Booking, Service, ServiceDuration
from .selectors import (
    lengths_offered_message,
    not_served_message,
    referral_list_for_email,
    service_serves_zip,
    slot_query_build,
)

SERVICE_UNAVAILABLE = "That service is not available to book."
CONSENT_REQUIRED = "Tick the box to agree to the booking terms and how we use notes."
REFERRAL_REQUIRED = {
    "prescriber_name": "Enter the name of the doctor or physiotherapist who prescribed it.",
    "prescriber_practice": "Enter their practice or clinic.",
    "prescriber_phone": "Enter the practice's phone number.",
    "prescribed_on": "Enter the date of the prescription.",
}
REFERRAL_FIELDS = tuple(REFERRAL_REQUIRED)
SECOND_PERSON_FIELDS = (
    "second_person_name",
    "second_person_pressure",
    "second_person_health_notes",
)


def referral_valid_until(prescribed_on: date) -> date:
    """The last day a referral dated ``prescribed_on`` covers: ``REFERRAL_VALID_MONTHS``
    calendar months on (from the 31st, the last day of a shorter month)."""
    months = settings.REFERRAL_VALID_MONTHS
    year, month_index = divmod(prescribed_on.year * 12 + prescribed_on.month - 1 + months, 12)
    month = month_index + 1
    day = min(prescribed_on.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def referral_covers(prescribed_on: date, *, day: date) -> bool:
    """Whether a referral dated ``prescribed_on`` is still valid for a massage on ``day``."""
    return prescribed_on <= day <= referral_valid_until(prescribed_on)


def referral_list_reusable(*, email: str, day: date) -> list[Booking]:
    """The client's earlier referrals (bookings carrying them) still valid for a massage on
    ``day``, newest first."""
    months = settings.REFERRAL_VALID_MONTHS
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    # No referral dated before this covers ``day``; referral_covers has the last word.
    earliest = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    referrals = referral_list_for_email(email=email, dated_from=earliest, dated_to=day)
    return [b for b in referrals if referral_covers(b.prescribed_on, day=day)]


def referral_expired_message() -> str:
    months = settings.REFERRAL_VALID_MONTHS
    period = "a year" if months == 12 else f"{months} months"
    return (
        f"A referral is valid for {period} from its date, and this one will have run out by "
        "the day of your massage. Ask your prescriber for a new one."
    )


def _window_message(service: Service) -> str:
    earliest, latest = service.earliest_start, service.latest_start
    if earliest and latest:
        return f"{service.name} starts between {local_time(earliest)} and {local_time(latest)}."
    if earliest:
        return f"{service.name} starts from {local_time(earliest)}."
    return f"{service.name} starts no later than {local_time(latest)}."


def start_errors(*, service: Service, starts_at, now: datetime) -> list[str]:
    """What is wrong with ``starts_at`` as a start for ``service`` whoever is free, if anything."""
    if not isinstance(starts_at, datetime):
        return ["Choose a date and time."]
    today = timezone.localdate(now)
    # The start rules depend on the service's window, the clock and the settings only.
    query = slot_query_build(
        service=service, minutes=0, zip_code="", first_day=today, last_day=today, now=now
    )
    problem = start_problem(query, starts_at)
    if problem is None:
        return []
    if problem is StartProblem.NO_OFFSET:
        return ["Give the time with its UTC offset, e.g. 2026-12-01T14:00:00-05:00."]
    if problem is StartProblem.TOO_SOON and starts_at <= now:
        return ["That time has already passed. Choose a time in the future."]
    if problem is StartProblem.TOO_SOON:
        hours = settings.BOOKING_MIN_NOTICE_MINUTES / 60
        return [f"We need at least {hours:g} hours' notice. Choose a later time."]
    if problem is StartProblem.BEYOND_HORIZON:
        return [f"You can book up to {settings.BOOKING_HORIZON_DAYS} days ahead."]
    if problem is StartProblem.OFF_GRID:
        step = settings.BOOKING_SLOT_STEP_MINUTES
        return [f"Choose one of the offered start times (every {step} minutes)."]
    return [_window_message(service)]


def _phones_normalise(booking: Booking) -> None:
    """Phones are kept in E.164; one that can't be read stays as typed for its field's check."""
    for field in ("client_phone", "prescriber_phone"):
        with contextlib.suppress(ValidationError):
            if getattr(booking, field):
                setattr(booking, field, phone_to_e164(getattr(booking, field)))


def _field_errors(booking: Booking, *, exclude) -> dict[str, list[str]]:
    """The model fields' own checks: required, lengths, choices, email, phone and zip format."""
    try:
        booking.full_clean(
            exclude=["service", "price", "starts_at", "ends_at", *exclude],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _referral_errors(booking: Booking, *, now: datetime, errors: dict) -> dict[str, list[str]]:
    service = booking.service
    given = {field: getattr(booking, field) for field in REFERRAL_REQUIRED}
    if not service.requires_referral:
        if any(given.values()):
            return {"prescriber_name": [f"{service.name} doesn't need a referral; leave it out."]}
        return {}
    found = {
        field: [message]
        for field, message in REFERRAL_REQUIRED.items()
        if not given[field] and field not in errors
    }
    prescribed_on = booking.prescribed_on
    if isinstance(prescribed_on, date) and prescribed_on > timezone.localdate(now):
        found["prescribed_on"] = ["The prescription date can't be in the future."]
    elif (
        isinstance(prescribed_on, date)
        and isinstance(booking.starts_at, datetime)
        and not referral_covers(prescribed_on, day=timezone.localdate(booking.starts_at))
    ):
        found["prescribed_on"] = [referral_expired_message()]
    return found


def _second_person_errors(booking: Booking) -> dict[str, list[str]]:
    """Only couples have a second person; the details form asks for their name."""
    service = booking.service
    given = (booking.second_person_name, booking.second_person_health_notes)
    if service.is_couples or not any(given):
        return {}
    message = f"{service.name} is for one person; leave out the second person."
    return {"second_person_name": [message]}


def booking_validate(
    booking: Booking,
    *,
    consent: bool,
    now: datetime,
    duration: ServiceDuration | None,
    zip_served: bool | None = None,
) -> None:
    """Raise ValidationError with every problem of an unsaved booking, keyed by field.
    ``zip_served``: True when the caller already found someone who serves the zip."""
    errors: dict[str, list[str]] = {}
    service = booking.service
    if not service.is_active:
        errors["service"] = [SERVICE_UNAVAILABLE]
    if duration is None:
        errors["minutes"] = [lengths_offered_message(service)]
    if problems := start_errors(service=service, starts_at=booking.starts_at, now=now):
        errors["starts_at"] = problems
    if consent is not True:
        errors["consent"] = [CONSENT_REQUIRED]
    _phones_normalise(booking)
    errors.update(_field_errors(booking, exclude=errors))
    if (
        "zip_code" not in errors
        and not zip_served
        and not service_serves_zip(service=service, zip_code=booking.zip_code)
    ):
        errors["zip_code"] = [not_served_message(booking.zip_code)]
    errors.update(_referral_errors(booking, now=now, errors=errors))
    errors.update(_second_person_errors(booking))
    if errors:
        raise ValidationError(errors)
