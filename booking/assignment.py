"""Choosing therapists for a slot, under lock.

A booking reads the calendars of everyone who could take the slot once, without locks, and
ranks the therapists free then (the engine's assignment order). It then locks only the one it
picks (a couple's two together, in id order, so two couples can't deadlock), re-reads that
therapist's calendar for the day under the lock and re-checks every rule, travel included,
before anything is inserted. Every write of an appointment takes its therapist's lock first,
so the re-check sees every appointment committed before it and none can be added until it
commits: bookings of different therapists never wait for each other. A pick that fails the
re-check is undone to a savepoint, which releases its lock, and the next candidate is tried.

On PostgreSQL the ``appointment_no_overlap`` exclusion constraint is the backstop; a violation
becomes the same friendly ``SlotTaken``. A lock not granted within ``BOOKING_LOCK_TIMEOUT_MS``
gives up with ``SlotTaken`` too (when no other candidate is free), rather than leave a request
(and its database connection) waiting behind a stuck transaction.
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
    TherapistFacts,
    business_timezone,
    calendars_load,
    slot_list_available,
    slot_query_build,
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


def _lock_timeout_set() -> None:
    """Wait at most ``BOOKING_LOCK_TIMEOUT_MS`` for a therapist's lock, for the rest of this
    transaction only (set outside any pick's savepoint, which would undo it)."""
    if connection.vendor == "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{settings.BOOKING_LOCK_TIMEOUT_MS}ms"]
        )


def _lock_not_granted(error: OperationalError) -> bool:
    return getattr(error.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE


def _calendars_read(request: SlotRequest, *, therapist_ids=None, lock: bool = False):
    """The calendars of the request's day: everyone who could serve it (only the therapist
    asked for, when the service needs one), or ``therapist_ids``.

    Without ``lock`` (ranking who to pick) each therapist is a ``TherapistFacts`` record, as
    for showing times, read through the cache (their calendars never are): only ids and ranks
    leave this read. With ``lock`` their rows are locked
    as they are read (SQLite: the database write lock) and come as model instances, the ones
    the appointments are written for."""
    if therapist_ids is None and request.therapist and request.service.therapists_needed == 1:
        therapist_ids = [request.therapist.pk]
    if lock and connection.vendor == "sqlite":
        Therapist.objects.filter(pk__in=therapist_ids).update(
            travel_radius_miles=F("travel_radius_miles")
        )
    calendars = calendars_load(
        service=request.service,
        zip_code=request.zip_code,
        first_day=request.day,
        last_day=request.day,
        gender=request.gender,
        exclude_booking=request.booking,
        therapist_ids=therapist_ids,
        as_facts=not lock,
        lock=lock,
        shortlist=not lock,
    )
    if lock:
        # The locked read keeps only therapists who offer the service's modality, so the
        # predicate needs no second read of their modalities.
        offered = frozenset({request.service.modality_id})
        for calendar in calendars:
            calendar.modality_ids = offered
    return calendars


class _NotFree(Exception):
    """A pick failed its re-check under lock: ``free`` are the ids that passed it."""

    def __init__(self, free: Collection[int] = (), *, timed_out: bool = False):
        super().__init__()
        self.free = set(free)
        self.timed_out = timed_out


def _pick_confirm(request: SlotRequest, query, picked: list[TherapistFacts]) -> list[Therapist]:
    """Lock the picked therapists (id order), re-read their calendars for the day and return
    them, freshly read, if every one is still free at the start; else raise ``_NotFree``. The
    savepoint means a refused pick releases its locks at once."""
    ids = sorted(therapist.pk for therapist in picked)
    try:
        with transaction.atomic():
            calendars = _calendars_read(request, therapist_ids=ids, lock=True)
            free = {
                candidate.therapist.pk: candidate.therapist
                for candidate in free_candidates(query, calendars, request.starts_at)
            }
            if not all(pk in free for pk in ids):
                raise _NotFree(free)
    except OperationalError as error:
        if not _lock_not_granted(error):
            raise
        raise _NotFree(timed_out=True) from error
    return [free[therapist.pk] for therapist in picked]


def _therapists_pick(
    request: SlotRequest, query, ranked: list[TherapistFacts], *, needed: int
) -> list[Therapist]:
    """The first ``needed`` of ``ranked`` (best first) still free under lock, a refused one
    replaced by the next; [] when too few are left. Raises the "try again" ``SlotTaken`` when
    nobody was confirmed and some lock was not granted in time."""
    remaining = list(ranked)
    timed_out = False
    _lock_timeout_set()
    while len(remaining) >= needed:
        picked = remaining[:needed]
        try:
            return _pick_confirm(request, query, picked)
        except _NotFree as refused:
            timed_out |= refused.timed_out
            dropped = {t.pk for t in picked if refused.timed_out or t.pk not in refused.free}
            remaining = [t for t in remaining if t.pk not in dropped]
    if timed_out:
        raise SlotTaken([], BUSY_MESSAGE)
    return []


def _ranked(query, calendars, request: SlotRequest) -> list[TherapistFacts]:
    return [c.therapist for c in free_candidates(query, calendars, request.starts_at)]


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


def _slot_query(request: SlotRequest, **overrides):
    query = slot_query_build(
        service=request.service,
        minutes=request.minutes,
        zip_code=request.zip_code,
        first_day=request.day,
        last_day=request.day,
    )
    return dataclasses.replace(query, **overrides)


def therapists_rank(request: SlotRequest) -> list[TherapistFacts]:
    """Everyone free for this exact slot by calendars read without locks, best first (the
    engine's assignment order, travel included); the therapist the client asked for first,
    and nobody when they aren't free. Only a shortlist: ``therapists_assign`` re-checks each
    under its lock."""
    asked = request.therapist.pk if request.therapist else None
    free = free_candidates(
        _slot_query(request), _calendars_read(request), request.starts_at, therapist_id=asked
    )
    return [candidate.therapist for candidate in free]


def therapists_assign(
    request: SlotRequest, *, keep: list[int] = (), ranked: list[TherapistFacts] | None = None
) -> list[Therapist]:
    """Choose the therapists for this exact slot (``keep`` first if free) and lock them, each
    re-checked under its lock, travel included. The therapist the client asked for, if any,
    is one of them, or the slot is taken. ``ranked``: ``therapists_rank``'s answer, when the
    caller has it already."""
    query = _slot_query(request)
    asked = request.therapist.pk if request.therapist else None
    if ranked is None:
        ranked = therapists_rank(request)
    if asked is not None:
        keep = [asked, *keep]
    ranked = [t for t in ranked if t.pk in keep] + [t for t in ranked if t.pk not in keep]
    chosen = _therapists_pick(request, query, ranked, needed=request.service.therapists_needed)
    if not chosen or (asked is not None and all(t.pk != asked for t in chosen)):
        raise slot_taken(request)
    return chosen


def therapist_choose_free(request: SlotRequest, *, exclude: Collection[int]) -> Therapist | None:
    """The best free therapist (the engine's assignment order, travel included) who is not in
    ``exclude``, locked and re-checked, or None. For moving a job that is already booked, so
    the clients' notice period doesn't apply."""
    query = _slot_query(request, not_before=timezone.now())
    ranked = [t for t in _ranked(query, _calendars_read(request), request) if t.pk not in exclude]
    chosen = _therapists_pick(request, query, ranked, needed=1)
    return chosen[0] if chosen else None


def therapist_check_free(request: SlotRequest, *, therapist: Therapist) -> None:
    """Staff handing a booking to ``therapist``: refuse, saying why, unless the engine agrees
    they can take it. Staff may do this inside the clients' notice period."""
    _lock_timeout_set()
    try:
        # Not bookable that day: nothing read, nothing locked, and refused below.
        calendars = _calendars_read(request, therapist_ids=[therapist.pk], lock=True)
    except OperationalError as error:
        if not _lock_not_granted(error):
            raise
        # The transaction is aborted, so no alternatives can be read: the client tries again.
        raise SlotTaken([], BUSY_MESSAGE) from error
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
    """Update the saved appointment rows, in order, then insert the new ones in one query; an
    overlap the database catches is a lost race, raised as ``on_overlap()``.

    The inserts send no ``post_save``: every caller saves the booking or one of these rows in
    the same transaction, which bumps the cached availability's version."""
    try:
        with transaction.atomic():
            for appointment in appointments:
                if appointment.pk is not None:
                    appointment.save()
            Appointment.objects.bulk_create([a for a in appointments if a.pk is None])
    except IntegrityError:
        raise on_overlap() from None


def slot_taken(request: SlotRequest) -> SlotTaken:
    return SlotTaken(alternatives_list(request))
