"""Moving a booked job to someone else: to the best free therapist, when a therapist declines,
and when staff must act because nobody will work it."""

import random
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from booking.models import Appointment, Notification, Service
from booking.notifications.delivery import notification_send_now
from booking.notifications.outbox import credential_digest_queue
from booking.selectors import (
    appointment_list_at_risk,
    appointment_risk_reason,
    therapist_decline_count,
)
from booking.services import (
    appointment_decline,
    appointment_list_reassign_best,
    appointment_reassign_best,
    booking_cancel,
)
from tests.booking.helpers import DAY, at, make_booking
from tests.conftest import ATLANTA
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory
from therapists.eligibility import therapist_is_bookable
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

Kind = Notification.Kind


def therapist_for(service, **fields):
    return TherapistFactory(modalities=[service.modality], hours="all", **fields)


def busy(therapist, service, hour: int, zip_code: str):
    """An hour-long job for ``therapist`` at ``hour`` on DAY in ``zip_code``."""
    booking = BookingFactory(service=service, starts_at=at(DAY, hour), zip_code=zip_code)
    return AppointmentFactory(booking=booking, therapist=therapist)


def held(booking) -> Appointment:
    [appointment] = Appointment.objects.active().filter(booking=booking)
    return appointment


def outbox_since(before: int) -> list[tuple[str, str]]:
    """The emails queued since ``before`` (each may have a text beside it)."""
    rows = Notification.objects.filter(pk__gt=before, channel=Notification.Channel.EMAIL)
    rows = rows.order_by("kind", "recipient")
    return list(rows.values_list("kind", "recipient"))


def last_id() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def send(kind: str):
    """Send the latest pending ``kind`` message and return the email."""
    pending = Notification.objects.filter(kind=kind, status=Notification.Status.PENDING)
    row = pending.filter(channel=Notification.Channel.EMAIL).latest("pk")
    notification_send_now(notification_id=row.pk)
    return mail.outbox[-1]


# Moving a job to the best free therapist ------------------------------------------------------


def test_the_job_goes_to_the_best_free_therapist_travel_included(swedish):
    holder = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))  # in 30309
    appointment = held(booking)
    # Everyone else has an hour booked that day, so the trip decides.
    tight = therapist_for(swedish)
    busy(tight, swedish, 12, "30024")  # 27 miles away: 100 minutes' drive, only 60 to spare
    far = therapist_for(swedish)
    busy(far, swedish, 10, "30097")  # free, but coming from 21 miles away
    near = therapist_for(swedish)
    busy(near, swedish, 10, "30305")  # free, 2 miles away
    before = last_id()

    assert appointment_reassign_best(appointment=appointment) == near

    assert held(booking).therapist == near
    assert not Appointment.objects.get(pk=appointment.pk).is_active
    assert outbox_since(before) == sorted(
        [
            (Kind.CLIENT_THERAPIST_CHANGED, booking.client_email),
            (Kind.THERAPIST_ASSIGNED, near.email),
            (Kind.THERAPIST_CANCELLED, holder.email),
        ]
    )
    client_email = send(Kind.CLIENT_THERAPIST_CHANGED)
    assert client_email.subject.startswith("Your new therapist: Swedish massage")
    assert f"Your therapist: {near.first_name}" in client_email.body
    assert "A different therapist will come to you" in client_email.body
    assert client_email.attachments == []


def test_when_nobody_else_is_free_nothing_changes(swedish):
    therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    other = therapist_for(swedish)
    busy(other, swedish, 14, "30309")
    before = last_id()

    assert appointment_reassign_best(appointment=appointment) is None

    assert held(booking) == appointment
    assert outbox_since(before) == []


def test_the_other_half_of_a_side_by_side_couple_keeps_their_therapist_and_is_not_chosen():
    couples = ServiceFactory(name="Couples", kind=Service.Kind.COUPLES_SIDE_BY_SIDE)
    first, second = therapist_for(couples), therapist_for(couples)
    booking = make_booking(couples, at(DAY, 14))
    leaving = Appointment.objects.get(booking=booking, therapist=first)

    assert appointment_reassign_best(appointment=leaving) is None  # only the partner is free

    cover = therapist_for(couples)
    assert appointment_reassign_best(appointment=leaving) == cover
    active = Appointment.objects.active().filter(booking=booking)
    assert sorted(a.therapist_id for a in active) == [second.pk, cover.pk]


def test_a_cancelled_booking_is_not_reassigned(swedish):
    therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    therapist_for(swedish)
    booking_cancel(booking=booking)

    with pytest.raises(ValidationError, match="cancelled"):
        appointment_reassign_best(appointment=appointment)


# Declining ------------------------------------------------------------------------------------


def test_a_declined_job_moves_to_the_best_free_therapist_who_is_told(swedish):
    holder = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    cover = therapist_for(swedish)
    before = last_id()

    assert appointment_decline(appointment=appointment, therapist=holder) == cover

    assert held(booking).therapist == cover
    assert therapist_decline_count(therapist=holder) == 1
    assert therapist_decline_count(therapist=cover) == 0
    assert (Kind.THERAPIST_ASSIGNED, cover.email) in outbox_since(before)
    assert (Kind.CLIENT_THERAPIST_CHANGED, booking.client_email) in outbox_since(before)
    assert not Notification.objects.filter(kind=Kind.STAFF_JOB_DECLINED).exists()
    assert list(appointment_list_at_risk()) == []
    job_email = send(Kind.THERAPIST_ASSIGNED)
    assert job_email.to == [cover.email]


def test_declining_too_close_to_the_start_is_refused_and_changes_nothing(
    swedish, settings, time_machine
):
    settings.DECLINE_NOTICE_HOURS = 24
    holder = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    therapist_for(swedish)
    time_machine.move_to(booking.starts_at - timedelta(hours=24), tick=False)
    before = last_id()

    with pytest.raises(ValidationError, match="only more than 24 hours before it starts"):
        appointment_decline(appointment=appointment, therapist=holder)

    assert held(booking) == appointment
    assert Appointment.objects.get(pk=appointment.pk).declined_at is None
    assert therapist_decline_count(therapist=holder) == 0
    assert outbox_since(before) == []

    # A minute earlier it would have gone through.
    time_machine.move_to(booking.starts_at - timedelta(hours=24, minutes=1), tick=False)
    assert appointment_decline(appointment=appointment, therapist=holder) is not None


def test_only_the_therapist_holding_the_job_can_decline_it_and_only_once(swedish):
    holder = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    stranger = therapist_for(swedish)
    busy(stranger, swedish, 14, "30309")

    with pytest.raises(ValidationError, match="isn't yours"):
        appointment_decline(appointment=appointment, therapist=stranger)
    assert appointment_decline(appointment=appointment, therapist=holder) is None
    with pytest.raises(ValidationError, match="declined this job already"):
        appointment_decline(appointment=appointment, therapist=holder)
    assert therapist_decline_count(therapist=holder) == 1


def test_declining_with_nobody_free_alerts_staff_and_tells_the_client_nothing(swedish, settings):
    settings.STAFF_ALERT_EMAIL = "desk@example.com"
    holder = therapist_for(swedish, first_name="Rhea")
    booking = make_booking(swedish, at(DAY, 14))
    appointment = held(booking)
    other = therapist_for(swedish)
    clash = busy(other, swedish, 14, "30309")
    before = last_id()

    assert appointment_decline(appointment=appointment, therapist=holder) is None

    # The job stays put, flagged for staff; only staff hear of it.
    assert held(booking) == appointment
    assert list(appointment_list_at_risk()) == [appointment]
    assert outbox_since(before) == [(Kind.STAFF_JOB_DECLINED, "desk@example.com")]
    alert = send(Kind.STAFF_JOB_DECLINED)
    assert alert.to == ["desk@example.com"]
    assert alert.subject.startswith(f"Declined, needs a therapist {booking.reference}")
    assert "Rhea R. declined this job and no other therapist is free then" in alert.body
    assert "The client hasn't been told" in alert.body

    # Staff free someone up and move it: now the client hears who is coming.
    clash.is_active = False
    clash.save()
    before = last_id()
    [placement] = appointment_list_reassign_best(appointments=[appointment])
    assert placement.therapist == other
    assert (Kind.CLIENT_THERAPIST_CHANGED, booking.client_email) in outbox_since(before)
    assert list(appointment_list_at_risk()) == []
    assert therapist_decline_count(therapist=holder) == 1


def test_a_therapist_who_declined_is_not_given_the_job_back(swedish):
    first = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    second = therapist_for(swedish)

    assert appointment_decline(appointment=held(booking), therapist=first) == second
    # The second declines too: the first, free again, is not asked.
    assert appointment_decline(appointment=held(booking), therapist=second) is None
    assert held(booking).therapist == second


# At risk --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": Therapist.Status.OFFBOARDED}, "is offboarded"),
        ({"status": Therapist.Status.PAUSED}, "is paused"),
        ({"insurance_expires_on": DAY - timedelta(days=1)}, "liability insurance"),
        ({"licence_expires_on": None}, "massage licence"),
        ({"background_check_valid_until": DAY - timedelta(days=1)}, "background check"),
    ],
)
def test_a_job_is_at_risk_when_its_therapist_cannot_work_that_day(swedish, change, reason):
    holder = therapist_for(swedish)
    booking = make_booking(swedish, at(DAY, 14))
    later = make_booking(swedish, at(DAY + timedelta(days=3), 14))
    assert list(appointment_list_at_risk()) == []

    Therapist.objects.filter(pk=holder.pk).update(**change)

    at_risk = list(appointment_list_at_risk())
    assert [a.booking for a in at_risk] == [booking, later]
    assert reason in appointment_risk_reason(at_risk[0])


def test_a_credential_lapsing_between_two_jobs_puts_only_the_later_one_at_risk(swedish):
    holder = therapist_for(swedish)
    make_booking(swedish, at(DAY, 14))
    later = make_booking(swedish, at(DAY + timedelta(days=3), 14))
    Therapist.objects.filter(pk=holder.pk).update(licence_expires_on=DAY + timedelta(days=1))

    assert [a.booking for a in appointment_list_at_risk()] == [later]


def test_past_and_cancelled_jobs_are_not_at_risk(swedish, time_machine):
    holder = therapist_for(swedish)
    cancelled = make_booking(swedish, at(DAY, 14))
    booking_cancel(booking=cancelled)
    make_booking(swedish, at(DAY, 17))
    Therapist.objects.filter(pk=holder.pk).update(status=Therapist.Status.PAUSED)
    time_machine.move_to(at(DAY, 18), tick=False)

    assert list(appointment_list_at_risk()) == []


def test_the_daily_digest_lists_the_appointments_at_risk(swedish, settings, time_machine):
    settings.STAFF_ALERT_EMAIL = "desk@example.com"
    holder = therapist_for(swedish, first_name="Ona")
    booking = make_booking(swedish, at(DAY, 14))
    make_booking(swedish, at(DAY, 17), client_email="other@example.com")
    assert credential_digest_queue() is None  # nothing to report
    Therapist.objects.filter(pk=holder.pk).update(status=Therapist.Status.OFFBOARDED)

    assert credential_digest_queue() is not None
    digest = send(Kind.CREDENTIAL_DIGEST)

    assert digest.to == ["desk@example.com"]
    assert digest.subject == "Appointments at risk: 2"
    assert f"{booking.reference}, Thu, Dec 3 · 2:00 pm, Swedish massage, 30309" in digest.body
    assert "Ona R. is offboarded" in digest.body
    assert "Ada Client" not in digest.body
    assert "credentials that have expired" not in digest.body
    html = digest.alternatives[0][0]
    assert f">{booking.reference}</a>" in html


def test_the_at_risk_list_never_disagrees_with_the_bookability_rule(swedish):
    """One rule from both sides: a job with no decline is at risk exactly when
    ``therapist_is_bookable`` refuses its therapist on its Atlanta day (modality and zip held
    fixed), late-evening starts included, whose UTC date is the next day."""
    rng = random.Random(20261201)
    days = [DAY + timedelta(days=offset) for offset in range(4)]

    def around(valid):
        return rng.choice([None, DAY - timedelta(days=1), *days]) if rng.random() < 0.3 else valid

    long_ago, far_ahead = DAY - timedelta(days=400), DAY + timedelta(days=400)
    for _ in range(60):
        therapist = TherapistFactory(
            modalities=[swedish.modality],
            status=rng.choice([Therapist.Status.ACTIVE] * 3 + Therapist.Status.values),
            vetted_on=around(long_ago),
            licence_issued_on=around(long_ago),
            licence_expires_on=around(far_ahead),
            insurance_starts_on=around(long_ago),
            insurance_expires_on=around(far_ahead),
            background_check_valid_until=around(far_ahead),
        )
        starts_at = at(rng.choice(days), rng.choice([9, 14, 22]), 30)
        booking = BookingFactory(service=swedish, starts_at=starts_at, zip_code="30303")
        AppointmentFactory(booking=booking, therapist=therapist)

    expected = {
        appointment.pk
        for appointment in Appointment.objects.prefetch_related("therapist__modalities")
        if not therapist_is_bookable(
            appointment.therapist,
            on=appointment.starts_at.astimezone(ATLANTA).date(),
            modality_id=swedish.modality_id,
            zip_code="30303",
        )
    }
    assert 10 < len(expected) < 50  # both sides well represented
    assert {appointment.pk for appointment in appointment_list_at_risk()} == expected
