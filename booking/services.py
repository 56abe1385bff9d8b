"""Writes for the booking app: create, reschedule, cancel, close and reassign bookings, and a
therapist declining a job.

Each change runs in one transaction: validate (``booking.validation``), lock and assign
(``booking.assignment``), write, and queue the messages it causes in the same transaction
(``booking.notifications``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Required, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from payments import services as payments
from therapists.models import Therapist
from therapists.validators import email_normalise

from .assignment import (
    SlotRequest,
    SlotTaken,
    appointments_save,
    slot_taken,
    therapist_check_free,
    therapist_choose_free,
    therapists_assign,
    therapists_rank,
)
from .formatting import local_time
from .models import Appointment, Booking, Service
from .notifications.messages import Change
from .notifications.outbox import (
    booking_change_notify,
    booking_created_notify,
    job_declined_notify,
)
from .selectors import appointment_decline_deadline
from .validation import SERVICE_UNAVAILABLE, booking_validate, start_errors
from .wording import reschedule_closed


def _refuse_unless_confirmed(booking: Booking, *, action: str) -> None:
    if booking.status != Booking.Status.CONFIRMED:
        status = booking.get_status_display().lower()
        raise ValidationError(f"This booking is {status}, so it can't be {action}.")


def _refuse_unless_changeable(booking: Booking, *, now: datetime, action: str) -> None:
    _refuse_unless_confirmed(booking, action=action)
    if booking.starts_at <= now:
        raise ValidationError(f"This booking has already started, so it can't be {action}.")


def booking_is_changeable(*, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the client may still reschedule or cancel: confirmed and not yet started."""
    try:
        _refuse_unless_changeable(booking, now=now or timezone.now(), action="changed")
    except ValidationError:
        return False
    return True


class BookingDetails(TypedDict, total=False):
    """What the client tells us, as ``booking_create`` takes it besides the slot and consent:
    the one list of those fields (the booking form and the API map theirs onto it)."""

    client_name: Required[str]
    client_email: Required[str]
    client_phone: Required[str]
    address_line1: Required[str]
    address_line2: str
    city: Required[str]
    state: str
    zip_code: Required[str]
    access_notes: str
    gender_preference: str
    pressure: str
    health_notes: str
    second_person_name: str
    second_person_pressure: str
    second_person_health_notes: str
    prescriber_name: str
    prescriber_practice: str
    prescriber_phone: str
    prescribed_on: date | None


DETAIL_FIELDS = frozenset(BookingDetails.__annotations__)


def _booking_build(
    *, service: Service, minutes: int, starts_at, now, text_consent: bool, details
) -> Booking:
    unknown = details.keys() - DETAIL_FIELDS
    if unknown:
        raise TypeError(f"booking_create() got unexpected arguments: {sorted(unknown)}")
    values = {
        name: (value or "").strip() if name != "prescribed_on" else value
        for name, value in details.items()
    }
    if "client_email" in values:
        values["client_email"] = email_normalise(values["client_email"])
    if "state" in values:
        values["state"] = values["state"].upper()
    # Each of a couple has a pressure (medium unless they said); one person has no second.
    if service.is_couples:
        values["second_person_pressure"] = (
            values.get("second_person_pressure") or Booking.Pressure.MEDIUM
        )
    else:
        values.pop("second_person_pressure", None)
    duration = service.duration_for(minutes)
    return Booking(
        service=service,
        minutes=minutes,
        price=duration.price if duration else 0,
        starts_at=starts_at,
        consent_given_at=now,
        text_consent_at=now if text_consent else None,
        **values,
    )


def booking_create(
    *,
    service: Service,
    minutes: int,
    starts_at: datetime,
    consent: bool,
    text_consent: bool = False,
    therapist: Therapist | None = None,
    **details: Unpack[BookingDetails],
) -> Booking:
    """Book it, or raise ``ValidationError`` (or ``SlotTaken``). ``text_consent``: the client
    ticked "Text me about this booking", so its messages go by text too. ``therapist``: the
    one the client asked for, who takes it (beside anyone free, for two), or it is taken.
    The booking returned carries ``appointments_written``: its appointments as just written,
    each with its therapist, for a caller that shows them without reading them back."""
    if service.pk is None:
        # A deleted service has no durations to read; nothing else can be checked without it.
        raise ValidationError({"service": [SERVICE_UNAVAILABLE]})
    now = timezone.now()
    booking = _booking_build(
        service=service,
        minutes=minutes,
        starts_at=starts_at,
        now=now,
        text_consent=text_consent,
        details=details,
    )
    request = SlotRequest(
        service=service,
        minutes=minutes,
        starts_at=starts_at,
        zip_code=booking.zip_code,
        gender=booking.gender_preference,
        therapist=therapist,
    )
    # Who could take it, read before the other checks (a start they refuse finds nobody):
    # anyone found serves the zip, so the checks need not ask the database that again.
    start_ok = not start_errors(service=service, starts_at=starts_at, now=now)
    ranked = therapists_rank(request) if start_ok else []
    booking_validate(
        booking,
        consent=consent,
        now=now,
        duration=service.duration_for(minutes),
        zip_served=bool(ranked) or None,
    )
    busy_minutes = service.appointment_minutes(
        minutes, changeover=settings.BOOKING_COUPLES_CHANGEOVER_MINUTES
    )
    booking.ends_at = starts_at + timedelta(minutes=busy_minutes)
    with transaction.atomic():
        therapists = therapists_assign(request, ranked=ranked)
        booking.save()
        appointments = [
            Appointment.for_booking(booking, t, person=person)
            for t, person in zip(therapists, _people_treated(service), strict=False)
        ]
        appointments_save(appointments, on_overlap=lambda: slot_taken(request))
        booking_created_notify(booking=booking, appointments=appointments)
    booking.appointments_written = appointments
    return booking


def _people_treated(service: Service) -> list[int | None]:
    """Whom each of the service's therapists treats: side by side, the client and the second
    person, one each; otherwise one therapist treats everyone."""
    if service.kind == Service.Kind.COUPLES_SIDE_BY_SIDE:
        return [Appointment.Person.FIRST, Appointment.Person.SECOND]
    return [None] * service.therapists_needed


def _appointments_moved(
    booking: Booking, current: list[Appointment], therapists: list[Therapist]
) -> list[Appointment]:
    """The booking's appointment rows at its new time: kept therapists' rows moved, released
    ones deactivated, new ones added; released rows first, so the overlap constraint never
    sees old and new together."""
    kept = {therapist.pk for therapist in therapists}
    changed = []
    for appointment in current:
        if appointment.therapist_id in kept:
            appointment.starts_at, appointment.ends_at = booking.starts_at, booking.ends_at
        else:
            appointment.is_active = False
        changed.append(appointment)
    staying = {appointment.therapist_id for appointment in current}
    # A new therapist takes over the person a released one treated.
    treated = {a.person for a in current if a.therapist_id in kept}
    free = [p for p in _people_treated(booking.service) if p is None or p not in treated]
    newcomers = [t for t in therapists if t.pk not in staying]
    changed += [
        Appointment.for_booking(booking, t, person=person)
        for t, person in zip(newcomers, free, strict=False)
    ]
    return sorted(changed, key=lambda appointment: appointment.is_active)


def booking_is_reschedulable(*, booking: Booking, now: datetime | None = None) -> bool:
    """Online rescheduling closes when the late window opens, judged at the current start: a
    move can't take a booking out of the window to cancel it for free."""
    now = now or timezone.now()
    return booking_is_changeable(booking=booking, now=now) and not booking_cancellation_is_late(
        booking=booking, now=now
    )


def booking_reschedule(*, booking: Booking, starts_at: datetime) -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("service")
            .get(pk=booking.pk)
        )
        _refuse_unless_changeable(booking, now=now, action="rescheduled")
        if booking_cancellation_is_late(booking=booking, now=now):
            raise ValidationError(reschedule_closed())
        errors = start_errors(service=booking.service, starts_at=starts_at, now=now)
        if errors:
            raise ValidationError({"starts_at": errors})
        current = list(booking.appointments.active())
        request = SlotRequest.for_booking(booking, starts_at=starts_at)
        therapists = therapists_assign(
            request, keep=[appointment.therapist_id for appointment in current]
        )
        booking.ends_at = starts_at + (booking.ends_at - booking.starts_at)
        booking.starts_at = starts_at
        appointments_save(
            _appointments_moved(booking, current, therapists),
            on_overlap=lambda: slot_taken(request),
        )
        booking.sequence += 1
        booking.reminded_at = None
        booking.save(
            update_fields=["starts_at", "ends_at", "sequence", "reminded_at", "updated_at"]
        )
        booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    return booking


def booking_cancellation_is_late(*, booking: Booking, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.starts_at - now < timedelta(hours=settings.BOOKING_LATE_CANCELLATION_HOURS)


def booking_cancel(*, booking: Booking, by_staff: bool = False) -> Booking:
    """Cancel for the client (late inside the late window, which costs the late fee) or, with
    ``by_staff``, on our side: never late, never a fee."""
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        _refuse_unless_changeable(booking, now=now, action="cancelled")
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.late_cancellation = not by_staff and booking_cancellation_is_late(
            booking=booking, now=now
        )
        booking.save(update_fields=["status", "cancelled_at", "late_cancellation", "updated_at"])
        booking.appointments.update(is_active=False)
        booking_change_notify(booking=booking, change=Change.CANCELLED)
        if booking.late_cancellation:
            payments.booking_late_cancellation_charge(booking=booking)
    return booking


def _booking_close(*, booking: Booking, status: str, stamp_field: str) -> Booking:
    now = timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        action = f"marked {Booking.Status(status).label.lower()}"
        _refuse_unless_confirmed(booking, action=action)
        if booking.starts_at > now:
            raise ValidationError(f"This booking hasn't started yet, so it can't be {action}.")
        if status == Booking.Status.NO_SHOW and now < no_show_from(booking):
            raise ValidationError(
                f"A no-show can be marked from {local_time(no_show_from(booking))}, "
                f"{settings.NO_SHOW_GRACE_MINUTES} minutes after the start."
            )
        booking.status = status
        setattr(booking, stamp_field, now)
        booking.save(update_fields=["status", stamp_field, "updated_at"])
    return booking


def no_show_from(booking: Booking) -> datetime:
    return booking.starts_at + timedelta(minutes=settings.NO_SHOW_GRACE_MINUTES)


def booking_complete(*, booking: Booking) -> Booking:
    """Close the booking as given; the price is charged to the card once this commits."""
    with transaction.atomic():
        booking = _booking_close(
            booking=booking, status=Booking.Status.COMPLETED, stamp_field="completed_at"
        )
        payments.booking_completed_charge(booking=booking)
    return booking


def booking_mark_no_show(*, booking: Booking) -> Booking:
    """Close the booking as a no-show, from the grace period after the start; the no-show fee
    is charged once this commits."""
    with transaction.atomic():
        booking = _booking_close(
            booking=booking, status=Booking.Status.NO_SHOW, stamp_field="no_show_at"
        )
        payments.booking_no_show_charge(booking=booking)
    return booking


RELEASED_MESSAGE = (
    "This appointment was released when the booking changed, so it can't be reassigned."
)


def _reassign_refusal(booking: Booking, appointment, therapist: Therapist) -> str | None:
    if appointment is None:
        return RELEASED_MESSAGE
    if booking.appointments.active().filter(therapist=therapist).exists():
        return f"{therapist} is already on this booking."
    if booking.gender_preference not in ("", Booking.GenderPreference.ANY) and (
        therapist.gender != booking.gender_preference
    ):
        wanted = booking.get_gender_preference_display().lower()
        return f"The client asked for a {wanted}; {therapist} isn't a match."
    return None


def _appointment_lock(appointment: Appointment, *, now: datetime, action: str):
    """Lock the appointment's booking (before any therapist, as every booking change does) and
    return it with the appointment as it is now: None once it is no longer active."""
    # Only the booking's row: a lock on its service would block every new booking of it.
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service")
        .get(pk=appointment.booking_id)
    )
    _refuse_unless_changeable(booking, now=now, action=action)
    return booking, booking.appointments.active().filter(pk=appointment.pk).first()


def _appointment_hand_over(booking: Booking, appointment: Appointment, therapist: Therapist):
    """Give ``appointment`` to ``therapist`` and tell the client and both therapists."""
    # A new row, so the new therapist gets a job link of their own and the previous
    # therapist's link stops showing the client's details.
    appointment.is_active = False
    replacement = Appointment.for_booking(booking, therapist, person=appointment.person)
    appointments_save(
        [appointment, replacement],
        on_overlap=lambda: ValidationError(f"{therapist} was just booked at that time."),
    )
    booking_change_notify(booking=booking, change=Change.REASSIGNED)
    return replacement


def booking_reassign(*, appointment: Appointment, therapist: Therapist) -> Appointment:
    """Give one appointment to another therapist, if the engine says they can take it.

    Returns the new appointment; the old row stays, inactive, as the record of who had it."""
    now = timezone.now()
    with transaction.atomic():
        booking, appointment = _appointment_lock(appointment, now=now, action="reassigned")
        if appointment is not None and therapist.pk == appointment.therapist_id:
            return appointment
        if refusal := _reassign_refusal(booking, appointment, therapist):
            raise ValidationError(refusal)
        therapist_check_free(
            SlotRequest.for_booking(booking, starts_at=booking.starts_at), therapist=therapist
        )
        return _appointment_hand_over(booking, appointment, therapist)


def _best_other_therapist(booking: Booking, appointment: Appointment) -> Therapist | None:
    """The best free therapist for ``appointment`` who isn't on the booking already (the other
    half of a side-by-side couple keeps theirs) and hasn't declined it; under lock."""
    exclude = set(booking.appointments.active().values_list("therapist_id", flat=True))
    exclude |= set(
        booking.appointments.filter(declined_at__isnull=False).values_list(
            "therapist_id", flat=True
        )
    )
    request = SlotRequest.for_booking(booking, starts_at=booking.starts_at)
    try:
        return therapist_choose_free(request, exclude=exclude)
    except SlotTaken as busy:  # the therapists' locks were not granted in time
        raise ValidationError(busy.message) from busy


def appointment_reassign_best(*, appointment: Appointment) -> Therapist | None:
    """Move one appointment, in one transaction, to the best other free therapist by the
    engine's assignment order (fewest minutes booked that day, then the shortest trip from
    their previous visit or home, then the lowest id), never to someone already on the booking
    or who declined it. The client and both therapists are emailed.

    Returns the new therapist, or None when nobody else is free (nothing changes). Raises
    ``ValidationError`` when the booking can no longer change or the appointment was released.
    """
    now = timezone.now()
    with transaction.atomic():
        booking, current = _appointment_lock(appointment, now=now, action="reassigned")
        if current is None:
            raise ValidationError(RELEASED_MESSAGE)
        therapist = _best_other_therapist(booking, current)
        if therapist is not None:
            _appointment_hand_over(booking, current, therapist)
    return therapist


def appointment_decline(*, appointment: Appointment, therapist: Therapist) -> Therapist | None:
    """``therapist`` turns down their job ``appointment``; allowed only while it starts more
    than ``DECLINE_NOTICE_HOURS`` from now. In one transaction the decline is recorded (it
    counts against the therapist) and the job moves to the best other free therapist, as in
    ``appointment_reassign_best``; the new therapist and the client are emailed, and the new
    therapist is returned.

    When nobody else is free it returns None: the job stays with ``therapist``, flagged as
    declined (at risk, for staff), staff get an email, and the client is told nothing until
    staff act. Raises ``ValidationError`` with a message for the therapist when the job isn't
    theirs, is already declined, has changed, or is too close to decline."""
    now = timezone.now()
    with transaction.atomic():
        booking, current = _appointment_lock(appointment, now=now, action="declined")
        if current is None or current.therapist_id != therapist.pk:
            raise ValidationError("This job isn't yours any more, so there's nothing to decline.")
        if current.declined_at is not None:
            raise ValidationError("You've declined this job already; we're finding cover.")
        if now >= appointment_decline_deadline(appointment=current):
            raise ValidationError(
                f"A job can be declined only more than {settings.DECLINE_NOTICE_HOURS} hours "
                "before it starts. Please call us instead."
            )
        current.declined_at = now
        current.save(update_fields=["declined_at"])
        replacement = _best_other_therapist(booking, current)
        if replacement is None:
            job_declined_notify(appointment=current)
        else:
            _appointment_hand_over(booking, current, replacement)
    return replacement


@dataclass(frozen=True)
class Placement:
    """What ``appointment_list_reassign_best`` did with one appointment: ``therapist`` has it
    now, or ``refusal`` says why it stayed where it was."""

    appointment: Appointment
    therapist: Therapist | None = None
    refusal: str = ""


def appointment_list_reassign_best(*, appointments: Iterable[Appointment]) -> list[Placement]:
    """``appointment_reassign_best`` for each appointment, each in its own transaction, so one
    that can't be placed doesn't hold back the rest."""
    placements = []
    for appointment in appointments:
        try:
            therapist = appointment_reassign_best(appointment=appointment)
        except ValidationError as error:
            placements.append(Placement(appointment, refusal=" ".join(error.messages)))
            continue
        refusal = "" if therapist else "nobody else is free then"
        placements.append(Placement(appointment, therapist=therapist, refusal=refusal))
    return placements
