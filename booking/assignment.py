"""Choosing therapists for a slot, under lock.

The therapists who could take a slot are locked once, as late as possible, in id order
(``_therapists_lock``); their appointments are then re-read and the slot recomputed, travel
included, before anything is inserted. On PostgreSQL the ``appointment_no_overlap`` exclusion
constraint is the backstop; a violation becomes the same friendly ``SlotTaken``. A lock not
granted within ``BOOKING_LOCK_TIMEOUT_MS`` gives up with ``SlotTaken`` too, rather than leave a
request (and its database connection) waiting behind a stuck transaction.
"""

import dataclasses
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from therapists.eligibility import therapist_is_bookable
from therapists.models import Therapist

from .availability import Slot, free_candidates
from .models import Appointment, Booking, Service
from .selectors import (
    business_timezone,
    calendars_load,
    slot_list_available,
    slot_query_build,
    therapist_ids_who_could_serve,
)

ALTERNATIVES = 5
TAKEN_MESSAGE = "Sorry, that time was just taken. Here are the nearest times still open."
# PostgreSQL's SQLSTATE for a lock not granted within lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"
BUSY_MESSAGE = "Sorry, we couldn't confirm that time just now. Please try again in a moment."


class SlotTaken(Exception):
    def __init__(self, alternatives: list[Slot], message: str = TAKEN_MESSAGE):
        super().__init__(message)
        self.message = message
        self.alternatives = alternatives


@dataclasses.dataclass(frozen=True, kw_only=True)
class SlotRequest:
    """What a booking asks of the therapists' calendars."""

    service: Service
    minutes: int
    starts_at: datetime
    zip_code: str
    gender: str
    # The booking being moved: its own appointments don't block its new time.
    booking: Booking | None = None
    # The therapist the client asked for: they take it, or it is taken.
    therapist: Therapist | None = None

    @classmethod
    def for_booking(cls, booking: Booking, *, starts_at: datetime) -> "SlotRequest":
        return cls(
            service=booking.service,
            minutes=booking.minutes,
            starts_at=starts_at,
            zip_code=booking.zip_code,
            gender=booking.gender_preference or Booking.GenderPreference.ANY,
            booking=booking,
        )

    @property
    def day(self):
        return self.starts_at.astimezone(business_timezone()).date()


def _therapists_lock(ids: list[int]) -> None:
    """Lock the therapists' rows in id order so concurrent bookings queue instead of racing."""
    if connection.vendor == "sqlite":
        # SQLite has no row locks; a write takes the database write lock for the transaction.
        Therapist.objects.filter(pk__in=ids).update(travel_radius_miles=F("travel_radius_miles"))
        return
    with connection.cursor() as cursor:
        # Local to the transaction: the wait for these rows, not the whole connection.
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{settings.BOOKING_LOCK_TIMEOUT_MS}ms"]
        )
    try:
        list(Therapist.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        # The transaction is aborted, so no alternatives can be read: the client tries again.
        raise SlotTaken([], BUSY_MESSAGE) from error


def alternatives_list(request: SlotRequest) -> list[Slot]:
    """The open times nearest the one asked for, from the day before to the day after."""
    first = max(timezone.localdate(), request.day - timedelta(days=1))
    slots = slot_list_available(
        service=request.service,
        minutes=request.minutes,
        zip_code=request.zip_code,
        start_date=first,
        days=3,
        gender=request.gender,
        exclude_booking=request.booking,
        therapist=request.therapist,
    ).slots
    nearest = sorted(slots, key=lambda slot: abs(slot.starts_at - request.starts_at))
    return sorted(nearest[:ALTERNATIVES], key=lambda slot: slot.starts_at)


def _calendars_locked(request: SlotRequest, *, therapist_ids: list[int] | None = None):
    """Lock the therapists who could serve the request's day, then read their calendars: once,
    under the lock (the ids come from the therapists' rows alone)."""
    load = {
        "service": request.service,
        "zip_code": request.zip_code,
        "first_day": request.day,
        "last_day": request.day,
        "gender": request.gender,
        "exclude_booking": request.booking,
    }
    if therapist_ids is None and request.therapist and request.service.therapists_needed == 1:
        therapist_ids = [request.therapist.pk]
    if therapist_ids is None:
        therapist_ids = therapist_ids_who_could_serve(
            service=request.service,
            zip_code=request.zip_code,
            day=request.day,
            gender=request.gender,
        )
    if not therapist_ids:
        return []
    _therapists_lock(therapist_ids)
    return calendars_load(**load, therapist_ids=therapist_ids)


def _slot_query(request: SlotRequest, **overrides):
    query = slot_query_build(
        service=request.service,
        minutes=request.minutes,
        zip_code=request.zip_code,
        first_day=request.day,
        last_day=request.day,
    )
    return dataclasses.replace(query, **overrides)


def therapists_assign(request: SlotRequest, *, keep: list[int] = ()) -> list[Therapist]:
    """Lock, recompute this exact slot and choose the therapists (``keep`` first if free); the
    one the client asked for, if any, first, and the slot is taken when they aren't free."""
    calendars = _calendars_locked(request)
    asked = request.therapist.pk if request.therapist else None
    free = free_candidates(_slot_query(request), calendars, request.starts_at, therapist_id=asked)
    candidates = [c.therapist for c in free]
    if asked is not None:
        keep = [asked, *keep]
    chosen = [t for t in candidates if t.pk in keep] + [t for t in candidates if t.pk not in keep]
    if len(chosen) < request.service.therapists_needed:
        raise slot_taken(request)
    return chosen[: request.service.therapists_needed]


def therapist_choose_free(request: SlotRequest, *, exclude: Collection[int]) -> Therapist | None:
    """Lock, recompute this exact slot and return the best free therapist (the engine's
    assignment order, travel included) who is not in ``exclude``, or None. For moving a job that
    is already booked, so the clients' notice period doesn't apply."""
    calendars = _calendars_locked(request)
    query = _slot_query(request, not_before=timezone.now())
    candidates = free_candidates(query, calendars, request.starts_at)
    return next((c.therapist for c in candidates if c.therapist.pk not in exclude), None)


def therapist_check_free(request: SlotRequest, *, therapist: Therapist) -> None:
    """Staff handing a booking to ``therapist``: refuse, saying why, unless the engine agrees
    they can take it. Staff may do this inside the clients' notice period."""
    calendars = _calendars_locked(request, therapist_ids=[therapist.pk])
    fresh = Therapist.objects.prefetch_related("modalities").get(pk=therapist.pk)
    service = request.service
    if not therapist_is_bookable(
        fresh, on=request.day, modality_id=service.modality_id, zip_code=request.zip_code
    ):
        raise ValidationError(
            f"{therapist} can't take this booking: they must be active and vetted, offer "
            f"{service.modality}, serve {request.zip_code}, and hold a licence, insurance "
            "and background check valid that day."
        )
    query = _slot_query(request, not_before=timezone.now())
    if not free_candidates(query, calendars, request.starts_at):
        raise ValidationError(
            f"{therapist} isn't free then: outside their hours, on time off, or without "
            "enough travel time from or to another appointment."
        )


def appointments_save(appointments: list[Appointment], *, on_overlap: Callable[[], Exception]):
    """Insert or update appointment rows; an overlap the database catches is a lost race,
    raised as ``on_overlap()``."""
    try:
        with transaction.atomic():
            for appointment in appointments:
                appointment.save()
    except IntegrityError:
        raise on_overlap() from None


def slot_taken(request: SlotRequest) -> SlotTaken:
    return SlotTaken(alternatives_list(request))
