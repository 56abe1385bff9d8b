"""Double booking is impossible: the service layer's locks under real concurrency, and the
PostgreSQL exclusion constraint behind them."""

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from booking import assignment
from booking.assignment import SlotTaken
from booking.availability import required_gap
from booking.models import Appointment, Booking, Notification, Service
from booking.services import (
    appointment_decline,
    appointment_reassign_best,
    booking_create,
    booking_reschedule,
)
from tests.booking.helpers import DAY, at
from tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ServiceFactory,
    TherapistFactory,
)
from therapists.models import Therapist

pytestmark = pytest.mark.usefixtures("tuesday_morning")


def race(calls) -> list:
    """Run every call at the same moment, each in its own thread and database connection, and
    return what each one returned or raised."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # whatever escapes is what the test inspects
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a booking never finished"
    return outcomes


def booking_call(service, starts_at, email, client_details):
    def call():
        return booking_create(
            service=service,
            minutes=60,
            starts_at=starts_at,
            **client_details | {"client_email": email},
        )

    return call


def active_at(starts_at) -> list[Appointment]:
    return list(Appointment.objects.active().filter(starts_at=starts_at))


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_the_last_free_therapist_get_one_booking(swedish, client_details):
    free = TherapistFactory(modalities=[swedish.modality], hours="all")
    already_busy = TherapistFactory(modalities=[swedish.modality], hours="all")
    earlier = AppointmentFactory(
        therapist=already_busy, booking=BookingFactory(service=swedish, starts_at=at(DAY, 10))
    )
    calls = [
        booking_call(swedish, at(DAY, 10), f"client{n}@example.com", client_details)
        for n in range(20)
    ]

    outcomes = race(calls)

    won = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, SlotTaken)]
    assert (len(won), len(lost)) == (1, 19), outcomes
    [winner] = won
    assert {(a.therapist_id, a.booking_id) for a in active_at(at(DAY, 10))} == {
        (already_busy.pk, earlier.booking_id),
        (free.pk, winner.pk),
    }
    assert Booking.objects.filter(client_email__startswith="client").count() == 1
    assert Appointment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_side_by_side_couple_is_never_half_booked_when_racing_single_clients(
    swedish, client_details
):
    couples = ServiceFactory(
        name="Couples", modality=swedish.modality, kind=Service.Kind.COUPLES_SIDE_BY_SIDE
    )
    therapists = {TherapistFactory(modalities=[swedish.modality], hours="all").pk for _ in range(2)}

    # Each round is a fresh race: which client gets the therapists' locks first varies.
    for hour in (10, 13, 16):
        starts_at = at(DAY, hour)
        couple = booking_call(couples, starts_at, f"couple{hour}@example.com", client_details)
        singles = [
            booking_call(swedish, starts_at, f"single{hour}-{n}@example.com", client_details)
            for n in range(4)
        ]

        couple_outcome, *single_outcomes = race([couple, *singles])

        assert all(isinstance(o, Booking | SlotTaken) for o in single_outcomes), single_outcomes
        couple_rows = Appointment.objects.filter(booking__client_email=f"couple{hour}@example.com")
        if isinstance(couple_outcome, Booking):
            assert couple_rows.filter(is_active=True).count() == 2
            assert {row.therapist_id for row in couple_rows.filter(is_active=True)} == therapists
        else:
            assert isinstance(couple_outcome, SlotTaken), couple_outcome
            assert not couple_rows.exists()
            assert not Booking.objects.filter(client_email=f"couple{hour}@example.com").exists()
        # Two therapists, enough demand: both end up booked, never more.
        assert sorted(a.therapist_id for a in active_at(starts_at)) == sorted(therapists)


def decline_call(job: Booking):
    appointment = Appointment.objects.get(booking=job)
    return lambda: appointment_decline(appointment=appointment, therapist=appointment.therapist)


@pytest.mark.django_db(transaction=True)
def test_two_declines_racing_for_the_one_free_therapist_never_double_book(swedish, client_details):
    for _ in range(2):
        TherapistFactory(modalities=[swedish.modality], hours="all")
    jobs = [
        booking_call(swedish, at(DAY, 10), f"client{n}@example.com", client_details)()
        for n in range(2)
    ]
    spare = TherapistFactory(modalities=[swedish.modality], hours="all")

    outcomes = race([decline_call(job) for job in jobs])

    # Whichever commits first takes the spare; the other may take the first decliner's freed
    # time, or find nobody and wait for staff. Never one therapist twice.
    assert spare in outcomes, outcomes
    assert all(isinstance(o, Therapist) or o is None for o in outcomes), outcomes
    active = active_at(at(DAY, 10))
    assert sorted(a.booking_id for a in active) == sorted(job.pk for job in jobs)
    assert len({a.therapist_id for a in active}) == 2
    alerts = Notification.objects.filter(kind=Notification.Kind.STAFF_JOB_DECLINED).count()
    assert alerts == outcomes.count(None)


@pytest.mark.django_db(transaction=True)
def test_a_move_racing_a_new_booking_for_the_last_free_therapist_gives_them_one_job(
    swedish, client_details
):
    holder = TherapistFactory(modalities=[swedish.modality], hours="all")
    job = booking_call(swedish, at(DAY, 10), "first@example.com", client_details)()
    Therapist.objects.filter(pk=holder.pk).update(status=Therapist.Status.PAUSED)
    spare = TherapistFactory(modalities=[swedish.modality], hours="all")
    appointment = Appointment.objects.get(booking=job)

    moved, booked = race(
        [
            lambda: appointment_reassign_best(appointment=appointment),
            booking_call(swedish, at(DAY, 10), "second@example.com", client_details),
        ]
    )

    if moved == spare:
        assert isinstance(booked, SlotTaken), booked
    else:
        assert moved is None, moved
        assert isinstance(booked, Booking), booked
    assert Appointment.objects.active().filter(therapist=spare).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_racing_a_new_booking_of_the_same_service_both_go_through(
    swedish, client_details
):
    for _ in range(2):
        TherapistFactory(modalities=[swedish.modality], hours="all")
    job = booking_call(swedish, at(DAY, 10), "first@example.com", client_details)()

    # Each round is a fresh race; a lock on the service row held by the reschedule used to
    # deadlock with the new booking's insert.
    for hour in (13, 16, 19):
        moved, booked = race(
            [
                lambda hour=hour: booking_reschedule(booking=job, starts_at=at(DAY, hour)),
                booking_call(swedish, at(DAY, hour), f"new{hour}@example.com", client_details),
            ]
        )
        assert isinstance(moved, Booking), moved
        assert isinstance(booked, Booking), booked
        assert len({a.therapist_id for a in active_at(at(DAY, hour))}) == 2


@pytest.mark.django_db(transaction=True)
def test_a_booking_gives_up_waiting_for_a_lock_held_too_long(swedish, client_details, settings):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                list(Therapist.objects.select_for_update().filter(pk=therapist.pk))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with pytest.raises(SlotTaken, match="try again in a moment"):
            booking_call(swedish, at(DAY, 10), "waiting@example.com", client_details)()
    finally:
        release.set()
        holder.join(timeout=30)

    assert not Booking.objects.filter(client_email="waiting@example.com").exists()
    assert isinstance(
        booking_call(swedish, at(DAY, 10), "later@example.com", client_details)(), Booking
    )


@pytest.mark.django_db
def test_a_stale_read_still_cannot_double_book(swedish, client_details, monkeypatch):
    therapist = TherapistFactory(modalities=[swedish.modality], hours="all")
    AppointmentFactory(
        therapist=therapist, booking=BookingFactory(service=swedish, starts_at=at(DAY, 10))
    )
    # As if another transaction committed between our re-check and our insert.
    monkeypatch.setattr("booking.services.therapists_assign", lambda *args, **kwargs: [therapist])

    with pytest.raises(SlotTaken):
        booking_call(swedish, at(DAY, 10, 30), "late@example.com", client_details)()

    assert not Booking.objects.filter(client_email="late@example.com").exists()
    assert Appointment.objects.count() == 1


# Locking only the therapist picked ---------------------------------------------------------

# 30 minutes from the end of a 10 am visit downtown (30303) to an 11:30 start in Sandy Springs
# (30328): the database's buffer allows it, the travel rule (55 minutes) doesn't.
FAR_ZIP = "30328"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"status": Therapist.Status.PAUSED},
        {"licence_expires_on": DAY - timedelta(days=1)},
    ],
    ids=["paused", "licence lapsed"],
)
def test_a_therapist_who_stops_being_bookable_after_the_shortlist_is_not_booked(
    swedish, client_details, monkeypatch, change
):
    first, second = (TherapistFactory(modalities=[swedish.modality], hours="all") for _ in "ab")
    rank = assignment.therapists_rank

    def rank_then_change(request):
        ranked = rank(request)
        # As if staff saved the therapist between the shortlist and the lock.
        Therapist.objects.filter(pk=ranked[0].pk).update(**change)
        return ranked

    monkeypatch.setattr("booking.services.therapists_rank", rank_then_change)

    booking = booking_call(swedish, at(DAY, 10), "ada@example.com", client_details)()
    changed = Therapist.objects.get(**change)
    [appointment] = booking.appointments.all()
    assert appointment.therapist == ({first, second} - {changed}).pop()


def short_gaps() -> list[tuple]:
    """Pairs of one therapist's active appointments closer than the travel rule (or
    overlapping), as (therapist, first start, second start)."""
    rows = list(Appointment.objects.active().order_by("therapist_id", "starts_at"))
    return [
        (a.therapist_id, a.starts_at, b.starts_at)
        for a, b in itertools.pairwise(rows)
        if a.therapist_id == b.therapist_id
        and b.starts_at - a.ends_at
        < timedelta(minutes=required_gap(a.zip_code, b.zip_code, buffer_minutes=30))
    ]


@pytest.mark.django_db(transaction=True)
def test_two_bookings_racing_for_one_therapist_through_slots_too_close_to_drive_get_one(
    swedish, client_details
):
    TherapistFactory(modalities=[swedish.modality], hours="all")

    # Each round is a fresh race on a fresh day: which booking locks the therapist first varies.
    for offset in range(3):
        day = DAY + timedelta(days=offset)
        downtown, uptown = race(
            [
                booking_call(swedish, at(day, 10), f"down{offset}@example.com", client_details),
                booking_call(
                    swedish,
                    at(day, 11, 30),
                    f"up{offset}@example.com",
                    client_details | {"zip_code": FAR_ZIP},
                ),
            ]
        )

        outcomes = sorted(type(outcome).__name__ for outcome in (downtown, uptown))
        assert outcomes == ["Booking", "SlotTaken"], (downtown, uptown)
    assert short_gaps() == []
    assert Appointment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_couple_racing_a_single_too_close_to_drive_never_shares_a_therapist(
    swedish, client_details
):
    couples = ServiceFactory(
        name="Couples", modality=swedish.modality, kind=Service.Kind.COUPLES_SIDE_BY_SIDE
    )
    therapists = {TherapistFactory(modalities=[swedish.modality], hours="all").pk for _ in range(2)}

    for offset in range(3):
        day = DAY + timedelta(days=offset)
        couple, single = race(
            [
                booking_call(couples, at(day, 10), f"couple{offset}@example.com", client_details),
                booking_call(
                    swedish,
                    at(day, 11, 30),
                    f"single{offset}@example.com",
                    client_details | {"zip_code": FAR_ZIP},
                ),
            ]
        )

        assert isinstance(couple, Booking | SlotTaken), couple
        assert isinstance(single, Booking | SlotTaken), single
        if isinstance(couple, Booking):
            # Both therapists are at the couple's until 11: neither can reach 30328 by 11:30.
            assert isinstance(single, SlotTaken), single
            assert {a.therapist_id for a in couple.appointments.active()} == therapists
        else:
            assert isinstance(single, Booking), single
            assert not Appointment.objects.filter(
                booking__client_email=f"couple{offset}@example.com"
            )
    assert short_gaps() == []


def stale_unlocked_reads(monkeypatch, stale: list) -> None:
    """Every unlocked calendar read answers with ``stale``, as if it ran just before other
    bookings committed; the reads under lock still see the database."""
    read = assignment._calendars_read

    def calendars_read(request, *, therapist_ids=None, lock=False):
        return read(request, therapist_ids=therapist_ids, lock=lock) if lock else stale

    monkeypatch.setattr(assignment, "_calendars_read", calendars_read)


def unlocked_calendars(service, starts_at, zip_code="30303"):
    request = assignment.SlotRequest(
        service=service, minutes=60, starts_at=starts_at, zip_code=zip_code, gender="any"
    )
    return assignment._calendars_read(request)


@pytest.mark.django_db
def test_the_recheck_under_lock_refuses_a_slot_too_close_to_drive_after_a_stale_read(
    swedish, client_details, monkeypatch
):
    TherapistFactory(modalities=[swedish.modality], hours="all")
    stale = unlocked_calendars(swedish, at(DAY, 10))
    booking_call(
        swedish, at(DAY, 11, 30), "up@example.com", client_details | {"zip_code": FAR_ZIP}
    )()
    stale_unlocked_reads(monkeypatch, stale)

    # The database's constraint allows a 30-minute gap: only the re-check can refuse it.
    with pytest.raises(SlotTaken):
        booking_call(swedish, at(DAY, 10), "down@example.com", client_details)()

    assert not Booking.objects.filter(client_email="down@example.com").exists()
    assert short_gaps() == []


@pytest.mark.django_db
def test_a_pick_taken_since_the_unlocked_read_falls_to_the_next_therapist(
    swedish, client_details, monkeypatch
):
    first, second = (TherapistFactory(modalities=[swedish.modality], hours="all") for _ in range(2))
    stale = unlocked_calendars(swedish, at(DAY, 10))
    taken = booking_call(swedish, at(DAY, 10), "first@example.com", client_details)()
    assert [a.therapist for a in taken.appointments.all()] == [first]
    stale_unlocked_reads(monkeypatch, stale)

    booking = booking_call(swedish, at(DAY, 10), "second@example.com", client_details)()

    assert [a.therapist for a in booking.appointments.all()] == [second]


@pytest.mark.django_db(transaction=True)
def test_a_booking_does_not_wait_for_a_therapist_locked_by_another_booking(
    swedish, client_details, settings
):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    busy, free = (TherapistFactory(modalities=[swedish.modality], hours="all") for _ in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                list(Therapist.objects.select_for_update().filter(pk=busy.pk))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        # ``busy`` ranks first (lowest id); their lock isn't granted, so the next one is tried.
        booking = booking_call(swedish, at(DAY, 10), "next@example.com", client_details)()
    finally:
        release.set()
        holder.join(timeout=30)

    assert [a.therapist for a in booking.appointments.all()] == [free]


@pytest.mark.django_db(transaction=True)
def test_couples_racing_for_overlapping_pairs_never_deadlock(swedish, client_details):
    couples = ServiceFactory(
        name="Couples", modality=swedish.modality, kind=Service.Kind.COUPLES_SIDE_BY_SIDE
    )
    for _ in range(3):
        TherapistFactory(modalities=[swedish.modality], hours="all")

    outcomes = race(
        [
            booking_call(couples, at(DAY, 10), f"couple{n}@example.com", client_details)
            for n in range(4)
        ]
    )

    # Three therapists make one couple; the rest are told the time was taken, not an error.
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "Booking",
        "SlotTaken",
        "SlotTaken",
        "SlotTaken",
    ], outcomes
    assert len(active_at(at(DAY, 10))) == 2


# The exclusion constraint, written to directly -----------------------------------------------


@pytest.fixture
def therapist():
    return TherapistFactory()


def appointment(therapist, starts_at, minutes=60, *, is_active=True) -> Appointment:
    return Appointment.objects.create(
        booking=BookingFactory(starts_at=starts_at),
        therapist=therapist,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        zip_code="30303",
        is_active=is_active,
    )


def assert_refused_by_the_database(therapist, starts_at) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment(therapist, starts_at)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "second_start",
    [at(DAY, 10), at(DAY, 10, 30), at(DAY, 9, 30), at(DAY, 11, 15), at(DAY, 8, 45)],
    ids=["same time", "overlapping", "ending inside", "15 min after", "15 min before"],
)
def test_the_database_refuses_overlaps_and_gaps_under_the_buffer(therapist, second_start):
    appointment(therapist, at(DAY, 10))

    assert_refused_by_the_database(therapist, second_start)

    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_the_database_allows_exactly_the_buffer_and_other_therapists(therapist):
    appointment(therapist, at(DAY, 10))

    appointment(therapist, at(DAY, 11, 30))
    appointment(therapist, at(DAY, 8, 30))
    appointment(TherapistFactory(), at(DAY, 10))

    assert Appointment.objects.filter(therapist=therapist).count() == 3


@pytest.mark.django_db
def test_an_inactive_appointment_never_conflicts(therapist):
    released = appointment(therapist, at(DAY, 10), is_active=False)

    appointment(therapist, at(DAY, 10))
    appointment(therapist, at(DAY, 10, 30), is_active=False)

    released.is_active = True
    with pytest.raises(IntegrityError), transaction.atomic():
        released.save(update_fields=["is_active"])
