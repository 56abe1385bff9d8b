"""Writes for the booking app. Every change runs in one transaction.

Concurrency: the therapists who could take a slot are locked once, as late as possible, in id
order (``_therapists_lock``); their appointments are then re-read and the slot recomputed,
travel included, before anything is inserted. On PostgreSQL the ``appointment_no_overlap``
exclusion constraint is the backstop; a violation becomes the same friendly ``SlotTaken``.
"""

import dataclasses
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from therapists.eligibility import therapist_is_bookable
from therapists.models import Therapist
from therapists.validators import phone_to_e164, validate_zip_code

from .availability import Slot, free_candidates
from .models import Appointment, Booking, Service, ServiceDuration
from .notifications import (
    notify_booking_cancelled,
    notify_booking_created,
    notify_booking_reassigned,
    notify_booking_rescheduled,
)
from .selectors import (
    business_timezone,
    calendars_load,
    lengths_offered_message,
    not_served_message,
    slot_list_available,
    slot_query_build,
    zip_is_served,
)

ALTERNATIVES = 5
TAKEN_MESSAGE = "Sorry, that time was just taken. Here are the nearest times still open."
SERVICE_UNAVAILABLE = "That service is not available to book."


class SlotTaken(Exception):
    def __init__(self, alternatives: list[Slot], message: str = TAKEN_MESSAGE):
        super().__init__(message)
        self.message = message
        self.alternatives = alternatives


# Validation -------------------------------------------------------------------------------


def _start_errors(*, service: Service, starts_at: datetime, now: datetime) -> list[str]:
    if not isinstance(starts_at, datetime):
        return ["Choose a date and time."]
    if timezone.is_naive(starts_at):
        return ["Give the time with its UTC offset, e.g. 2026-12-01T14:00:00-05:00."]
    tz = business_timezone()
    local = starts_at.astimezone(tz)
    step = settings.BOOKING_SLOT_STEP_MINUTES
    if starts_at <= now:
        return ["That time has already passed. Choose a time in the future."]
    if starts_at < now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES):
        hours = settings.BOOKING_MIN_NOTICE_MINUTES / 60
        return [f"We need at least {hours:g} hours' notice. Choose a later time."]
    horizon = now.astimezone(tz).date() + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if local.date() > horizon:
        return [f"You can book up to {settings.BOOKING_HORIZON_DAYS} days ahead."]
    off_grid = local.second or local.microsecond or (local.hour * 60 + local.minute) % step
    # The repeated hour when clocks fall back: only its first occurrence is on the grid.
    repeated = datetime.combine(local.date(), local.time(), tzinfo=tz) != starts_at
    if off_grid or repeated:
        return [f"Choose one of the offered start times (every {step} minutes)."]
    earliest, latest = service.earliest_start, service.latest_start
    if earliest and latest and not earliest <= local.time() <= latest:
        return [f"{service.name} starts between {_clock(earliest)} and {_clock(latest)}."]
    if earliest and local.time() < earliest:
        return [f"{service.name} starts from {_clock(earliest)}."]
    if latest and local.time() > latest:
        return [f"{service.name} starts no later than {_clock(latest)}."]
    return []


def _clock(value) -> str:
    return value.strftime("%-I:%M %p").lower().replace(":00", "")


def _duration(service: Service, minutes) -> ServiceDuration | None:
    return next((d for d in service.durations.all() if d.minutes == minutes), None)


def _booking_validate(
    booking: Booking, *, consent: bool, now: datetime, duration: ServiceDuration | None
) -> None:
    """Collect every problem with a new booking, keyed by the service's argument names."""
    errors: dict[str, list[str]] = {}
    service = booking.service
    if not service.is_active:
        errors["service"] = [SERVICE_UNAVAILABLE]
    if duration is None:
        errors["minutes"] = [lengths_offered_message(service)]
    start_errors = _start_errors(service=service, starts_at=booking.starts_at, now=now)
    if start_errors:
        errors["starts_at"] = start_errors
    if consent is not True:
        errors["consent"] = ["Tick the box to agree to the booking terms and how we use notes."]

    # The prescriber's phone is optional here; the referral rules below ask for it.
    phones = ["client_phone", "prescriber_phone"] if booking.prescriber_phone else ["client_phone"]
    for field in phones:
        try:
            setattr(booking, field, phone_to_e164(getattr(booking, field)))
        except ValidationError as exc:
            errors[field] = exc.messages
    try:
        validate_zip_code(booking.zip_code)
    except ValidationError as exc:
        errors["zip_code"] = exc.messages
    else:
        if not zip_is_served(service=service, zip_code=booking.zip_code):
            errors["zip_code"] = [not_served_message(booking.zip_code)]
    try:
        validate_email(booking.client_email)
    except ValidationError:
        errors["client_email"] = ["Enter an email address, like name@example.com."]

    prescriber = {
        "prescriber_name": booking.prescriber_name,
        "prescriber_practice": booking.prescriber_practice,
        "prescriber_phone": booking.prescriber_phone,
        "prescribed_on": booking.prescribed_on,
    }
    if service.requires_referral:
        for field, value in prescriber.items():
            if not value and field not in errors:
                errors[field] = [_REFERRAL_REQUIRED[field]]
        prescribed_on = booking.prescribed_on
        if isinstance(prescribed_on, date) and prescribed_on > timezone.localdate(now):
            errors["prescribed_on"] = ["The prescription date can't be in the future."]
    elif any(prescriber.values()):
        errors["prescriber_name"] = [f"{service.name} doesn't need a referral; leave it out."]

    try:
        booking.full_clean(
            exclude=[
                "service",
                "price",
                "starts_at",
                "ends_at",
                "consent_given_at",
                "client_phone",
                "prescriber_phone",
                "zip_code",
                "client_email",
                *errors,
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


_REFERRAL_REQUIRED = {
    "prescriber_name": "Enter the name of the doctor or physiotherapist who prescribed it.",
    "prescriber_practice": "Enter their practice or clinic.",
    "prescriber_phone": "Enter the practice's phone number.",
    "prescribed_on": "Enter the date of the prescription.",
}


def booking_is_changeable(*, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the client may still reschedule or cancel: confirmed and not yet started."""
    now = now or timezone.now()
    return booking.status == Booking.Status.CONFIRMED and booking.starts_at > now


def _require_changeable(booking: Booking, *, now: datetime, action: str) -> None:
    if booking.status != Booking.Status.CONFIRMED:
        status = booking.get_status_display().lower()
        raise ValidationError(f"This booking is {status}, so it can't be {action}.")
    if booking.starts_at <= now:
        raise ValidationError(f"This booking has already started, so it can't be {action}.")


# Assignment -------------------------------------------------------------------------------


def _therapists_lock(ids: list[int]) -> None:
    """Lock the therapists' rows in id order so concurrent bookings queue instead of racing."""
    if connection.vendor == "sqlite":
        # SQLite has no row locks; a write takes the database write lock for the transaction.
        Therapist.objects.filter(pk__in=ids).update(travel_radius_miles=F("travel_radius_miles"))
        return
    list(Therapist.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def _alternatives(
    *, service: Service, minutes: int, zip_code: str, starts_at: datetime, gender: str, booking
) -> list[Slot]:
    day = starts_at.astimezone(business_timezone()).date()
    today = timezone.localdate()
    first = max(today, day - timedelta(days=1))
    slots = slot_list_available(
        service=service,
        minutes=minutes,
        zip_code=zip_code,
        start_date=first,
        days=3,
        gender=gender,
        exclude_booking=booking,
    ).slots
    nearest = sorted(slots, key=lambda slot: abs(slot.starts_at - starts_at))[:ALTERNATIVES]
    return sorted(nearest, key=lambda slot: slot.starts_at)


def _therapists_assign(
    *,
    service: Service,
    minutes: int,
    starts_at: datetime,
    zip_code: str,
    gender: str,
    booking: Booking | None = None,
    keep: list[int] = (),
) -> list[Therapist]:
    """Lock, recompute this exact slot and choose the therapists (``keep`` first if free)."""
    day = starts_at.astimezone(business_timezone()).date()
    load = {
        "service": service,
        "zip_code": zip_code,
        "first_day": day,
        "last_day": day,
        "gender": gender,
        "exclude_booking": booking,
    }
    ids = [calendar.therapist.pk for calendar in calendars_load(**load)]
    if ids:
        _therapists_lock(ids)
    calendars = calendars_load(**load, therapist_ids=ids) if ids else []
    query = slot_query_build(
        service=service, minutes=minutes, zip_code=zip_code, first_day=day, last_day=day
    )
    candidates = [c.therapist for c in free_candidates(query, calendars, starts_at)]
    chosen = [t for t in candidates if t.pk in keep]
    chosen += [t for t in candidates if t.pk not in keep]
    if len(chosen) < service.therapists_needed:
        raise SlotTaken(
            _alternatives(
                service=service,
                minutes=minutes,
                zip_code=zip_code,
                starts_at=starts_at,
                gender=gender,
                booking=booking,
            )
        )
    return chosen[: service.therapists_needed]


def _appointments_save(appointments: list[Appointment], *, alternatives) -> None:
    """Insert or update appointment rows; an overlap caught by the database is a lost race."""
    try:
        with transaction.atomic():
            for appointment in appointments:
                appointment.save()
    except IntegrityError:
        raise SlotTaken(alternatives()) from None


# Services ---------------------------------------------------------------------------------


def booking_create(
    *,
    service: Service,
    minutes: int,
    starts_at: datetime,
    client_name: str,
    client_email: str,
    client_phone: str,
    address_line1: str,
    address_line2: str = "",
    city: str,
    state: str = "GA",
    zip_code: str,
    access_notes: str = "",
    gender_preference: str = Booking.GenderPreference.ANY,
    pressure: str = Booking.Pressure.MEDIUM,
    health_notes: str = "",
    consent: bool,
    prescriber_name: str = "",
    prescriber_practice: str = "",
    prescriber_phone: str = "",
    prescribed_on: date | None = None,
) -> Booking:
    if service.pk is None:
        # A deleted service has no durations to read; nothing else can be checked without it.
        raise ValidationError({"service": [SERVICE_UNAVAILABLE]})
    now = timezone.now()
    duration = _duration(service, minutes)
    booking = Booking(
        service=service,
        minutes=minutes,
        price=duration.price if duration else 0,
        starts_at=starts_at,
        client_name=(client_name or "").strip(),
        client_email=(client_email or "").strip().lower(),
        client_phone=client_phone or "",
        address_line1=(address_line1 or "").strip(),
        address_line2=(address_line2 or "").strip(),
        city=(city or "").strip(),
        state=(state or "").strip().upper(),
        zip_code=(zip_code or "").strip(),
        access_notes=(access_notes or "").strip(),
        gender_preference=gender_preference,
        pressure=pressure,
        health_notes=(health_notes or "").strip(),
        consent_given_at=now,
        prescriber_name=(prescriber_name or "").strip(),
        prescriber_practice=(prescriber_practice or "").strip(),
        prescriber_phone=prescriber_phone or "",
        prescribed_on=prescribed_on,
    )
    _booking_validate(booking, consent=consent, now=now, duration=duration)
    busy_minutes = service.appointment_minutes(
        minutes, changeover=settings.BOOKING_COUPLES_CHANGEOVER_MINUTES
    )
    booking.ends_at = starts_at + timedelta(minutes=busy_minutes)

    def alternatives():
        return _alternatives(
            service=service,
            minutes=minutes,
            zip_code=booking.zip_code,
            starts_at=starts_at,
            gender=booking.gender_preference,
            booking=None,
        )

    with transaction.atomic():
        therapists = _therapists_assign(
            service=service,
            minutes=minutes,
            starts_at=starts_at,
            zip_code=booking.zip_code,
            gender=booking.gender_preference,
        )
        booking.save()
        _appointments_save(
            [
                Appointment(
                    booking=booking,
                    therapist=therapist,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    zip_code=booking.zip_code,
                )
                for therapist in therapists
            ],
            alternatives=alternatives,
        )
        notify_booking_created(booking=booking)
    return booking


def booking_reschedule(*, booking: Booking, starts_at: datetime) -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("service").get(pk=booking.pk)
        _require_changeable(booking, now=now, action="rescheduled")
        errors = _start_errors(service=booking.service, starts_at=starts_at, now=now)
        if errors:
            raise ValidationError({"starts_at": errors})
        current = list(booking.appointments.active())
        therapists = _therapists_assign(
            service=booking.service,
            minutes=booking.minutes,
            starts_at=starts_at,
            zip_code=booking.zip_code,
            gender=booking.gender_preference,
            booking=booking,
            keep=[appointment.therapist_id for appointment in current],
        )
        ends_at = starts_at + (booking.ends_at - booking.starts_at)
        kept = {therapist.pk for therapist in therapists}
        changed = []
        for appointment in current:
            if appointment.therapist_id in kept:
                appointment.starts_at, appointment.ends_at = starts_at, ends_at
            else:
                appointment.is_active = False
            changed.append(appointment)
        staying = {appointment.therapist_id for appointment in current}
        changed += [
            Appointment(
                booking=booking,
                therapist=therapist,
                starts_at=starts_at,
                ends_at=ends_at,
                zip_code=booking.zip_code,
            )
            for therapist in therapists
            if therapist.pk not in staying
        ]
        # Free the rows being replaced first so the constraint never sees old and new together.
        changed.sort(key=lambda appointment: appointment.is_active)
        _appointments_save(
            changed,
            alternatives=lambda: _alternatives(
                service=booking.service,
                minutes=booking.minutes,
                zip_code=booking.zip_code,
                starts_at=starts_at,
                gender=booking.gender_preference,
                booking=booking,
            ),
        )
        booking.starts_at, booking.ends_at = starts_at, ends_at
        booking.sequence += 1
        booking.reminded_at = None
        booking.save(
            update_fields=["starts_at", "ends_at", "sequence", "reminded_at", "updated_at"]
        )
        notify_booking_rescheduled(booking=booking)
    return booking


def booking_cancellation_is_late(*, booking: Booking, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.starts_at - now < timedelta(hours=settings.BOOKING_LATE_CANCELLATION_HOURS)


def booking_cancel(*, booking: Booking) -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        _require_changeable(booking, now=now, action="cancelled")
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.late_cancellation = booking_cancellation_is_late(booking=booking, now=now)
        booking.save(update_fields=["status", "cancelled_at", "late_cancellation", "updated_at"])
        booking.appointments.update(is_active=False)
        notify_booking_cancelled(booking=booking)
    return booking


def _booking_close(*, booking: Booking, status: str, stamp_field: str) -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        label = Booking.Status(status).label.lower()
        if booking.status != Booking.Status.CONFIRMED:
            current = booking.get_status_display().lower()
            raise ValidationError(f"This booking is {current}, so it can't be marked {label}.")
        if booking.starts_at > now:
            raise ValidationError(
                f"This booking hasn't started yet, so it can't be marked {label}."
            )
        booking.status = status
        setattr(booking, stamp_field, now)
        booking.save(update_fields=["status", stamp_field, "updated_at"])
    return booking


def booking_complete(*, booking: Booking) -> Booking:
    return _booking_close(
        booking=booking, status=Booking.Status.COMPLETED, stamp_field="completed_at"
    )


def booking_mark_no_show(*, booking: Booking) -> Booking:
    return _booking_close(booking=booking, status=Booking.Status.NO_SHOW, stamp_field="no_show_at")


def booking_reassign(*, appointment: Appointment, therapist: Therapist) -> Appointment:
    """Give one appointment to another therapist, if the engine says they can take it.

    Returns the new appointment; the old row stays, inactive, as the record of who had it."""
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update()
            .select_related("service")
            .get(pk=appointment.booking_id)
        )
        _require_changeable(booking, now=now, action="reassigned")
        appointment = booking.appointments.active().filter(pk=appointment.pk).first()
        if appointment is None:
            raise ValidationError(
                "This appointment was released when the booking changed, so it can't be reassigned."
            )
        if therapist.pk == appointment.therapist_id:
            return appointment
        if booking.appointments.active().filter(therapist=therapist).exists():
            raise ValidationError(f"{therapist} is already on this booking.")
        if booking.gender_preference not in ("", Booking.GenderPreference.ANY) and (
            therapist.gender != booking.gender_preference
        ):
            wanted = booking.get_gender_preference_display().lower()
            raise ValidationError(f"The client asked for a {wanted}; {therapist} isn't a match.")
        _therapists_lock([therapist.pk])
        service, day = booking.service, booking.starts_at.astimezone(business_timezone()).date()
        calendars = calendars_load(
            service=service,
            zip_code=booking.zip_code,
            first_day=day,
            last_day=day,
            exclude_booking=booking,
            therapist_ids=[therapist.pk],
        )
        fresh = Therapist.objects.prefetch_related("modalities").get(pk=therapist.pk)
        if not therapist_is_bookable(
            fresh, on=day, modality_id=service.modality_id, zip_code=booking.zip_code
        ):
            raise ValidationError(
                f"{therapist} can't take this booking: they must be active and vetted, offer "
                f"{service.modality}, serve {booking.zip_code}, and hold a licence, insurance "
                "and background check valid that day."
            )
        query = dataclasses.replace(
            slot_query_build(
                service=service,
                minutes=booking.minutes,
                zip_code=booking.zip_code,
                first_day=day,
                last_day=day,
            ),
            not_before=now,
        )
        if not free_candidates(query, calendars, booking.starts_at):
            raise ValidationError(
                f"{therapist} isn't free then: outside their hours, on time off, or without "
                "enough travel time from or to another appointment."
            )
        # A new row, so the new therapist gets a job link of their own and the previous
        # therapist's link stops showing the client's details.
        appointment.is_active = False
        replacement = Appointment(
            booking=booking,
            therapist=therapist,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            zip_code=appointment.zip_code,
        )
        try:
            with transaction.atomic():
                appointment.save(update_fields=["is_active"])
                replacement.save()
        except IntegrityError:
            raise ValidationError(f"{therapist} was just booked at that time.") from None
        notify_booking_reassigned(booking=booking)
    return replacement
