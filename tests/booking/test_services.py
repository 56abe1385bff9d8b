from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from booking.assignment import SlotTaken
from booking.models import Appointment, Booking, Notification, Service
from booking.selectors import slot_list_available
from booking.services import (
    booking_cancel,
    booking_cancellation_is_late,
    booking_complete,
    booking_create,
    booking_mark_no_show,
    booking_reassign,
    booking_reschedule,
)
from tests.booking.helpers import DAY, REFERRAL, TODAY, at
from tests.conftest import ATLANTA
from tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ServiceFactory,
    TherapistFactory,
)
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


@pytest.fixture
def book(client_details):
    def book(service, starts_at, **changes):
        arguments = {"service": service, "minutes": 60, "starts_at": starts_at}
        return booking_create(**arguments | client_details | changes)

    return book


def therapist_for(service, **fields):
    return TherapistFactory(modalities=[service.modality], hours="all", **fields)


def active_appointments(booking) -> list[Appointment]:
    return list(Appointment.objects.active().filter(booking=booking).order_by("therapist_id"))


def offered_at(service, moment: datetime) -> bool:
    day = moment.astimezone(ATLANTA).date()
    slots = slot_list_available(
        service=service, minutes=60, zip_code="30303", start_date=day, days=1
    ).slots
    return moment in {slot.starts_at for slot in slots}


def counts() -> tuple[int, int, int]:
    return Booking.objects.count(), Appointment.objects.count(), Notification.objects.count()


# Creating ---------------------------------------------------------------------------------------


def test_a_booking_reserves_a_therapist_and_records_what_the_client_gave(swedish, book):
    therapist = therapist_for(swedish)

    booking = book(swedish, at(DAY, 10), client_email=" Ada@Example.com ")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert (booking.starts_at, booking.ends_at) == (at(DAY, 10), at(DAY, 11))
    assert booking.price == Decimal("125.00")
    assert booking.client_phone == "+14045550123"
    assert booking.client_email == "ada@example.com"
    [appointment] = active_appointments(booking)
    assert appointment.therapist == therapist
    assert (appointment.starts_at, appointment.ends_at) == (at(DAY, 10), at(DAY, 11))
    assert appointment.zip_code == "30303"
    assert not offered_at(swedish, at(DAY, 10))


def test_a_taken_time_is_refused_with_nearby_alternatives_and_writes_nothing(swedish, book):
    therapist_for(swedish)
    book(swedish, at(DAY, 10))
    before = counts()

    with pytest.raises(SlotTaken) as taken:
        book(swedish, at(DAY, 10), client_email="bo@example.com")

    assert counts() == before
    assert "just taken" in taken.value.message
    # The nearest five still open, in order: the therapist is free again from 11:30.
    assert [slot.starts_at for slot in taken.value.alternatives] == [
        at(DAY, 11, 30),
        at(DAY, 12),
        at(DAY, 12, 30),
        at(DAY, 13),
        at(DAY, 13, 30),
    ]


# Assignment policy ------------------------------------------------------------------------------


def assignee(booking) -> Therapist:
    [appointment] = active_appointments(booking)
    return appointment.therapist


def test_a_gender_preference_is_a_hard_filter(swedish, book):
    male = therapist_for(swedish, gender=Therapist.Gender.MALE)
    female = therapist_for(swedish)

    assert assignee(book(swedish, at(DAY, 10))) == male
    assert assignee(book(swedish, at(DAY, 14), gender_preference="female")) == female
    with pytest.raises(SlotTaken):
        book(swedish, at(DAY, 14), gender_preference="female", client_email="bo@example.com")


def test_the_therapist_with_the_fewest_booked_minutes_that_day_is_chosen(swedish, book):
    busier = therapist_for(swedish)
    quieter = therapist_for(swedish)
    AppointmentFactory(
        therapist=busier, booking=BookingFactory(service=swedish, starts_at=at(DAY, 9))
    )

    assert assignee(book(swedish, at(DAY, 14))) == quieter


def test_with_equal_bookings_the_closest_therapist_is_chosen(swedish, book):
    therapist_for(swedish, home_zip="30097", travel_radius_miles=40)
    nearby = therapist_for(swedish, home_zip="30312")

    assert assignee(book(swedish, at(DAY, 14))) == nearby


def test_otherwise_the_lowest_id_is_chosen(swedish, book):
    first = therapist_for(swedish)
    therapist_for(swedish)

    assert assignee(book(swedish, at(DAY, 14))) == first


def test_side_by_side_couples_get_two_distinct_therapists_at_the_same_time(book):
    couples = ServiceFactory(name="Couples", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    first, second = therapist_for(couples), therapist_for(couples)

    booking = book(couples, at(DAY, 10))

    appointments = active_appointments(booking)
    assert [appointment.therapist for appointment in appointments] == [first, second]
    assert {(a.starts_at, a.ends_at) for a in appointments} == {(at(DAY, 10), at(DAY, 11))}


def test_side_by_side_couples_with_one_free_therapist_book_nothing(book):
    couples = ServiceFactory(name="Couples", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    therapist_for(couples)

    with pytest.raises(SlotTaken):
        book(couples, at(DAY, 10))

    assert counts() == (0, 0, 0)


def test_back_to_back_couples_keep_one_therapist_for_both_sessions_and_the_changeover(book):
    couples = ServiceFactory(name="Couples", kind=Service.Kind.COUPLES_BACK_TO_BACK)
    therapist_for(couples)
    therapist_for(couples)

    booking = book(couples, at(DAY, 10))

    [appointment] = active_appointments(booking)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=2 * 60 + 15)
    assert booking.ends_at == at(DAY, 12, 15)


# Rescheduling ---------------------------------------------------------------------------------


def test_rescheduling_keeps_the_therapist_when_they_are_free(swedish, book):
    therapist = therapist_for(swedish)
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    [original] = active_appointments(booking)

    # Half an hour later overlaps the booking's own current time, which must not count.
    moved = booking_reschedule(booking=booking, starts_at=at(DAY, 10, 30))

    [appointment] = active_appointments(booking)
    assert appointment.pk == original.pk
    assert appointment.therapist == therapist
    assert (appointment.starts_at, appointment.ends_at) == (at(DAY, 10, 30), at(DAY, 11, 30))
    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at, moved.sequence) == (
        at(DAY, 10, 30),
        at(DAY, 11, 30),
        1,
    )
    assert Appointment.objects.filter(booking=booking).count() == 1


def test_rescheduling_reassigns_when_the_therapist_is_busy_at_the_new_time(swedish, book):
    first = therapist_for(swedish)
    second = therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    AppointmentFactory(
        therapist=first, booking=BookingFactory(service=swedish, starts_at=at(DAY, 14))
    )

    booking_reschedule(booking=booking, starts_at=at(DAY, 14))

    booking.refresh_from_db()
    assert booking.sequence == 1
    old, new = Appointment.objects.filter(booking=booking).order_by("pk")
    assert (old.therapist, old.is_active, old.starts_at) == (first, False, at(DAY, 10))
    assert (new.therapist, new.is_active, new.starts_at) == (second, True, at(DAY, 14))
    assert offered_at(swedish, at(DAY, 10))


def test_rescheduling_a_couple_keeps_the_free_therapist_and_replaces_the_busy_one(book):
    couples = ServiceFactory(name="Couples", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    first, second, third = (therapist_for(couples) for _ in range(3))
    booking = book(couples, at(DAY, 10))
    AppointmentFactory(
        therapist=second, booking=BookingFactory(service=couples, starts_at=at(DAY, 14))
    )

    booking_reschedule(booking=booking, starts_at=at(DAY, 14))

    assert [a.therapist for a in active_appointments(booking)] == [first, third]
    assert Appointment.objects.get(booking=booking, therapist=second).is_active is False


def test_rescheduling_to_a_time_nobody_has_changes_nothing(swedish, book):
    therapist = therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    AppointmentFactory(
        therapist=therapist, booking=BookingFactory(service=swedish, starts_at=at(DAY, 14))
    )

    with pytest.raises(SlotTaken):
        booking_reschedule(booking=booking, starts_at=at(DAY, 14))

    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (at(DAY, 10), 0)
    [appointment] = active_appointments(booking)
    assert (appointment.therapist, appointment.starts_at) == (therapist, at(DAY, 10))


def test_rescheduling_to_a_time_off_the_grid_is_refused(swedish, book):
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))

    with pytest.raises(ValidationError) as error:
        booking_reschedule(booking=booking, starts_at=at(DAY, 14, 15))

    assert "starts_at" in error.value.message_dict
    booking.refresh_from_db()
    assert booking.starts_at == at(DAY, 10)


# Cancelling -----------------------------------------------------------------------------------


def test_cancelling_early_releases_the_therapist_without_a_late_fee(swedish, book):
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))

    booking_cancel(booking=booking)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.late_cancellation is False
    assert booking.cancelled_at == at(TODAY, 9)
    assert active_appointments(booking) == []
    assert offered_at(swedish, at(DAY, 10))


def test_cancelling_within_24_hours_is_marked_late(swedish, book, time_machine):
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    time_machine.move_to(at(DAY - timedelta(days=1), 10, 1), tick=False)

    booking_cancel(booking=booking)

    booking.refresh_from_db()
    assert booking.late_cancellation is True
    assert active_appointments(booking) == []


def test_the_late_cancellation_line_is_exactly_24_hours():
    booking = Booking(starts_at=at(DAY, 10))

    assert not booking_cancellation_is_late(booking=booking, now=at(DAY - timedelta(days=1), 10))
    assert booking_cancellation_is_late(booking=booking, now=at(DAY - timedelta(days=1), 10, 1))


# Invalid transitions ----------------------------------------------------------------------------


def assert_refused(action, booking, message: str) -> None:
    before = Booking.objects.get(pk=booking.pk)
    appointments_before = list(Appointment.objects.filter(booking=booking).values())

    with pytest.raises(ValidationError) as error:
        action()

    assert error.value.messages == [message]
    after = Booking.objects.get(pk=booking.pk)
    assert (after.status, after.starts_at, after.sequence, after.late_cancellation) == (
        before.status,
        before.starts_at,
        before.sequence,
        before.late_cancellation,
    )
    assert list(Appointment.objects.filter(booking=booking).values()) == appointments_before


def test_a_cancelled_booking_cannot_be_cancelled_or_rescheduled_again(swedish, book):
    therapist_for(swedish)
    booking = booking_cancel(booking=book(swedish, at(DAY, 10)))

    assert_refused(
        lambda: booking_cancel(booking=booking),
        booking,
        "This booking is cancelled, so it can't be cancelled.",
    )
    assert_refused(
        lambda: booking_reschedule(booking=booking, starts_at=at(DAY, 14)),
        booking,
        "This booking is cancelled, so it can't be rescheduled.",
    )


def test_nothing_changes_a_booking_once_it_has_started(swedish, book, time_machine):
    therapist_for(swedish)
    spare = therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    [appointment] = active_appointments(booking)
    time_machine.move_to(at(DAY, 10, 5), tick=False)

    for action, verb in [
        (lambda: booking_cancel(booking=booking), "cancelled"),
        (lambda: booking_reschedule(booking=booking, starts_at=at(DAY, 16)), "rescheduled"),
        (lambda: booking_reassign(appointment=appointment, therapist=spare), "reassigned"),
    ]:
        assert_refused(action, booking, f"This booking has already started, so it can't be {verb}.")


def test_a_completed_booking_cannot_be_cancelled(swedish, book, time_machine):
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    time_machine.move_to(at(DAY, 11, 30), tick=False)

    booking_complete(booking=booking)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.completed_at == at(DAY, 11, 30)
    assert_refused(
        lambda: booking_cancel(booking=booking),
        booking,
        "This booking is completed, so it can't be cancelled.",
    )
    assert_refused(
        lambda: booking_mark_no_show(booking=booking),
        booking,
        "This booking is completed, so it can't be marked no-show.",
    )


def test_a_booking_can_only_be_closed_once_it_has_started(swedish, book, time_machine):
    therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))

    assert_refused(
        lambda: booking_mark_no_show(booking=booking),
        booking,
        "This booking hasn't started yet, so it can't be marked no-show.",
    )

    time_machine.move_to(at(DAY, 10, 20), tick=False)
    booking_mark_no_show(booking=booking)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


# Reassigning -----------------------------------------------------------------------------------


@pytest.fixture
def assigned(swedish, book):
    """A booking at 10:00 on DAY held by the first therapist created."""
    holder = therapist_for(swedish)
    booking = book(swedish, at(DAY, 10))
    [appointment] = active_appointments(booking)
    assert appointment.therapist == holder
    return appointment


def test_staff_can_move_an_appointment_to_a_free_therapist(swedish, assigned):
    holder = assigned.therapist
    colleague = therapist_for(swedish)

    booking_reassign(appointment=assigned, therapist=colleague)

    assert [a.therapist for a in active_appointments(assigned.booking)] == [colleague]
    assert not Appointment.objects.active().filter(therapist=holder).exists()
    assert offered_at(swedish, at(DAY, 10))


@pytest.mark.parametrize(
    ("colleague_fields", "reason"),
    [
        ({"home_zip": "30024", "travel_radius_miles": 10}, "serve 30303"),
        ({"insurance_expires_on": DAY - timedelta(days=1)}, "insurance"),
        ({"status": Therapist.Status.PAUSED}, "active and vetted"),
    ],
)
def test_reassigning_to_a_therapist_who_cannot_take_the_job_is_refused(
    swedish, assigned, colleague_fields, reason
):
    colleague = therapist_for(swedish, **colleague_fields)

    with pytest.raises(ValidationError, match=reason):
        booking_reassign(appointment=assigned, therapist=colleague)

    assert Appointment.objects.get(pk=assigned.pk).therapist == assigned.therapist


def test_reassigning_to_a_busy_therapist_is_refused(swedish, assigned):
    colleague = therapist_for(swedish)
    AppointmentFactory(
        therapist=colleague, booking=BookingFactory(service=swedish, starts_at=at(DAY, 11))
    )

    with pytest.raises(ValidationError, match="isn't free then"):
        booking_reassign(appointment=assigned, therapist=colleague)

    assert Appointment.objects.get(pk=assigned.pk).therapist == assigned.therapist


def test_an_appointment_released_by_a_reschedule_cannot_be_reassigned(swedish, assigned):
    colleague = therapist_for(swedish)
    AppointmentFactory(
        therapist=assigned.therapist,
        booking=BookingFactory(service=swedish, starts_at=at(DAY, 14)),
    )
    booking_reschedule(booking=assigned.booking, starts_at=at(DAY, 14))

    with pytest.raises(ValidationError, match="released"):
        booking_reassign(appointment=assigned, therapist=colleague)

    [current] = active_appointments(assigned.booking)
    assert current.therapist == colleague
    assert Appointment.objects.get(pk=assigned.pk).is_active is False


def test_reassigning_against_the_clients_gender_preference_is_refused(swedish, book):
    female = therapist_for(swedish)
    male = therapist_for(swedish, gender=Therapist.Gender.MALE)
    booking = book(swedish, at(DAY, 10), gender_preference="female")
    [appointment] = active_appointments(booking)

    with pytest.raises(ValidationError, match="isn't a match"):
        booking_reassign(appointment=appointment, therapist=male)

    assert Appointment.objects.get(pk=appointment.pk).therapist == female


# Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 45}, "minutes"),
        ({"starts_at": at(DAY, 14, 15)}, "starts_at"),
        ({"starts_at": at(TODAY, 7)}, "starts_at"),
        ({"starts_at": at(TODAY, 10)}, "starts_at"),
        ({"starts_at": at(TODAY + timedelta(days=61), 10)}, "starts_at"),
        ({"starts_at": datetime(2026, 12, 3, 10)}, "starts_at"),
        ({"prescriber_name": "Dr. Okafor"}, "prescriber_name"),
        ({"zip_code": "3030"}, "zip_code"),
        ({"zip_code": "00000"}, "zip_code"),
        ({"client_phone": "555"}, "client_phone"),
        ({"client_email": "ada@"}, "client_email"),
        ({"consent": False}, "consent"),
        ({"client_name": "A" * 10_000}, "client_name"),
        ({"client_name": "   "}, "client_name"),
        ({"address_line1": ""}, "address_line1"),
    ],
)
def test_bad_input_changes_nothing_and_names_the_field(swedish, book, changes, field):
    therapist_for(swedish)

    with pytest.raises(ValidationError) as error:
        book(swedish, **{"starts_at": at(DAY, 10)} | changes)

    assert field in error.value.message_dict
    assert counts() == (0, 0, 0)


def deactivated(service: Service) -> Service:
    Service.objects.filter(pk=service.pk).update(is_active=False)
    service.refresh_from_db()
    return service


def deleted(service: Service) -> Service:
    service.delete()
    return service


@pytest.mark.parametrize("withdraw", [deactivated, deleted])
def test_a_service_no_longer_offered_cannot_be_booked(swedish, book, withdraw):
    therapist_for(swedish)

    with pytest.raises(ValidationError) as error:
        book(withdraw(swedish), at(DAY, 10))

    assert error.value.message_dict["service"] == ["That service is not available to book."]
    assert counts() == (0, 0, 0)


def test_medical_massage_needs_every_referral_detail(medical, book):
    with pytest.raises(ValidationError) as error:
        book(medical, at(DAY, 10))

    assert set(REFERRAL) <= set(error.value.message_dict)
    assert counts() == (0, 0, 0)

    booking = book(medical, at(DAY, 10), **REFERRAL)
    assert booking.prescriber_phone == "+14045550100"


def test_a_prescription_dated_tomorrow_is_refused_even_late_in_the_evening(
    medical, book, time_machine
):
    # 9 pm in Atlanta is already tomorrow in UTC; the rule is about the client's calendar.
    time_machine.move_to(at(TODAY, 21), tick=False)
    tomorrow = TODAY + timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        book(medical, at(DAY, 10), **REFERRAL | {"prescribed_on": tomorrow})

    assert "prescribed_on" in error.value.message_dict
    assert counts() == (0, 0, 0)
    assert book(medical, at(DAY, 10), **REFERRAL | {"prescribed_on": TODAY}).pk
