"""The outbox without a worker: what is written, what each message says, claiming, retries,
the sweep and the beat jobs. Tasks run inline here; tests with a real worker are in
test_notifications_worker.py."""

import re
import smtplib
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from booking.calendar import booking_ics
from booking.formatting import local_when
from booking.models import Booking, Notification
from booking.notifications import delivery, outbox
from booking.notifications.delivery import notification_send_now
from booking.notifications.messages import Change
from booking.notifications.outbox import (
    booking_change_notify,
    credential_digest_queue,
    manage_links_notify,
    notification_sweep_run,
    reminder_queue_due,
)
from spatheory.broker import BrokerUnreachable
from tests.booking.helpers import notifications_published, page_of
from tests.conftest import ATLANTA
from tests.factories import AppointmentFactory, BookingFactory, ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Status = Notification.Status
HEALTH = "Recovering from a left rotator cuff tear"


@pytest.fixture(autouse=True)
def _ten_days_before(time_machine):
    """Friday, Nov 20 2026 in the morning: before every booking made here, so each message that
    is only sent for a booking still to come is sent."""
    time_machine.move_to(datetime(2026, 11, 20, 9, 0, tzinfo=ATLANTA), tick=False)


def write_booking(therapist=None, **kwargs):
    """A confirmed booking on Tue, Dec 1 2026 at 2:00 pm Atlanta time with one therapist, written
    directly (unlike ``make_booking``), so no message is queued until a test asks for one."""
    starts_at = kwargs.pop("starts_at", datetime(2026, 12, 1, 14, 0, tzinfo=ATLANTA))
    booking = BookingFactory(
        service=kwargs.pop("service", None) or ServiceFactory(name="Swedish massage"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
        client_name="Ada Lovelace",
        client_email="ada@example.com",
        health_notes=HEALTH,
        access_notes="Gate code 4412",
        city="Decatur",
        zip_code="30030",
        **kwargs,
    )
    AppointmentFactory(booking=booking, therapist=therapist or TherapistFactory())
    return booking


def send_all():
    for pk in Notification.objects.filter(status=Status.PENDING).values_list("pk", flat=True):
        notification_send_now(notification_id=pk)


def emails(rows):
    return [row for row in rows if row.channel == Notification.Channel.EMAIL]


def messages_by_kind():
    by_id = {m.extra_headers["X-Spa-Theory-Notification"]: m for m in mail.outbox}
    return {n.kind: by_id[str(n.pk)] for n in Notification.objects.all() if str(n.pk) in by_id}


def ics_event(message):
    [(filename, content, mimetype)] = message.attachments
    assert filename.endswith(".ics")
    assert mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


@pytest.fixture
def booking():
    return write_booking(therapist=TherapistFactory(email="tess@example.com", phone="+14045550188"))


def test_a_new_booking_writes_one_row_per_message_in_the_callers_transaction(booking):
    with transaction.atomic():
        booking_change_notify(booking=booking, change=Change.CREATED)
        rows = {(n.kind, n.recipient, n.status) for n in Notification.objects.all()}
    assert rows == {
        (Kind.CLIENT_CONFIRMATION, "ada@example.com", Status.PENDING),
        (Kind.THERAPIST_ASSIGNED, "tess@example.com", Status.PENDING),
        (Kind.THERAPIST_ASSIGNED, "+14045550188", Status.PENDING),
        (Kind.STAFF_BOOKING_CREATED, "bookings@spatheory.com", Status.PENDING),
    }


def test_a_rolled_back_booking_change_leaves_no_message(booking):
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_change_notify(booking=booking, change=Change.CREATED)
        raise RuntimeError("the booking failed")
    assert not Notification.objects.exists()


def test_rows_are_published_only_after_commit(booking, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(outbox, "notification_publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        rows = booking_change_notify(booking=booking, change=Change.CREATED)
        publish.assert_not_called()
    publish.assert_called_once_with(ids=[row.pk for row in rows])


def test_the_confirmation_reads_well_in_atlanta_time_and_links_to_the_booking(booking, settings):
    booking_change_notify(booking=booking, change=Change.CREATED)
    send_all()
    message = messages_by_kind()[Kind.CLIENT_CONFIRMATION]
    html = message.alternatives[0][0]
    link = f"{settings.SITE_URL}/booking/{booking.token}/"
    assert message.to == ["ada@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Tue, Dec 1 · 2:00 pm" in message.subject
    for body in (message.body, html):
        assert "Hi Ada" in body
        assert "Tue, Dec 1 · 2:00 pm to 3:00 pm" in body
        assert link in body
        assert booking.reference in body
    assert html.lstrip().startswith("<!doctype html>")


def test_the_confirmation_invite_is_a_calendar_request_in_atlanta_time(booking):
    booking_change_notify(booking=booking, change=Change.CREATED)
    send_all()
    calendar, event = ics_event(messages_by_kind()[Kind.CLIENT_CONFIRMATION])
    assert calendar["method"] == "REQUEST"
    assert str(event["uid"]) == f"{booking.reference}@spatheory.com"
    assert event["sequence"] == 0
    assert event["status"] == "CONFIRMED"
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event["dtstart"].dt == datetime(2026, 12, 1, 14, 0, tzinfo=ATLANTA)
    assert event["dtend"].dt == datetime(2026, 12, 1, 15, 0, tzinfo=ATLANTA)
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert vtimezone["tzid"] == "America/New_York"


def test_a_reschedule_updates_the_same_calendar_entry_with_a_higher_sequence(booking):
    booking_change_notify(booking=booking, change=Change.CREATED)
    booking.starts_at += timedelta(days=1, hours=1)
    booking.ends_at += timedelta(days=1, hours=1)
    booking.sequence = 1
    booking.save()
    booking.appointments.update(starts_at=booking.starts_at, ends_at=booking.ends_at)
    booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    send_all()
    sent = messages_by_kind()
    calendar, event = ics_event(sent[Kind.CLIENT_RESCHEDULED])
    assert calendar["method"] == "REQUEST"
    assert str(event["uid"]) == f"{booking.reference}@spatheory.com"
    assert event["sequence"] == 1
    assert event["dtstart"].dt == datetime(2026, 12, 2, 15, 0, tzinfo=ATLANTA)
    assert "Wed, Dec 2 · 3:00 pm" in sent[Kind.CLIENT_RESCHEDULED].body
    assert "Wed, Dec 2 · 3:00 pm" in sent[Kind.THERAPIST_RESCHEDULED].body
    assert "Rescheduled" in sent[Kind.STAFF_BOOKING_RESCHEDULED].subject


def test_a_cancellation_removes_the_calendar_entry_and_tells_everyone(booking):
    booking.status = Booking.Status.CANCELLED
    booking.save()
    booking.appointments.update(is_active=False)
    booking_change_notify(booking=booking, change=Change.CANCELLED)
    send_all()
    sent = messages_by_kind()
    assert set(sent) == {
        Kind.CLIENT_CANCELLED,
        Kind.THERAPIST_CANCELLED,
        Kind.STAFF_BOOKING_CANCELLED,
    }
    calendar, event = ics_event(sent[Kind.CLIENT_CANCELLED])
    assert calendar["method"] == "CANCEL"
    assert event["status"] == "CANCELLED"
    assert str(event["uid"]) == f"{booking.reference}@spatheory.com"
    assert sent[Kind.THERAPIST_CANCELLED].to == ["tess@example.com"]
    assert "cancelled" in sent[Kind.THERAPIST_CANCELLED].body


def test_the_therapist_gets_time_area_service_and_a_private_job_link(booking, settings):
    booking_change_notify(booking=booking, change=Change.CREATED)
    send_all()
    message = messages_by_kind()[Kind.THERAPIST_ASSIGNED]
    appointment = booking.appointments.get()
    assert message.to == ["tess@example.com"]
    assert message.subject == "New job: Tue, Dec 1 · 2:00 pm, Decatur 30030"
    for body in (message.body, message.alternatives[0][0]):
        assert "Swedish massage" in body
        assert f"{settings.SITE_URL}/jobs/{appointment.job_token}/" in body
        assert "100 Peachtree" not in body  # the street address is on the job page only
        assert "Gate code" not in body
        assert booking.client_phone not in body  # the phone too, inside the window only
        assert booking.client_name.split()[-1] not in body
    assert not message.attachments


def test_staff_hear_of_every_new_booking_at_the_configured_address(booking, settings):
    settings.STAFF_ALERT_EMAIL = "desk@example.com"
    booking_change_notify(booking=booking, change=Change.CREATED)
    send_all()
    message = messages_by_kind()[Kind.STAFF_BOOKING_CREATED]
    assert message.to == ["desk@example.com"]
    assert message.subject == f"New booking {booking.reference}: Tue, Dec 1 · 2:00 pm"
    assert "Ada Lovelace" in message.body


def test_no_email_of_any_kind_carries_health_notes(booking):
    booking_change_notify(booking=booking, change=Change.CREATED)
    booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    with transaction.atomic():
        outbox.reminder_notify(booking=booking)
    manage_links_notify(email="ada@example.com")
    send_all()
    booking.status = Booking.Status.CANCELLED
    booking.save()
    booking_change_notify(booking=booking, change=Change.CANCELLED)
    send_all()
    assert len(mail.outbox) == 11
    for message in mail.outbox:
        parts = [message.body, *(body for body, _ in message.alternatives)]
        parts += [str(content) for _, content, _ in message.attachments]
        assert not any("rotator cuff" in part for part in parts), message.subject


def test_the_same_row_is_sent_once_however_often_the_task_runs(booking):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    outcomes = [notification_send_now(notification_id=row.pk).status for _ in range(3)]
    assert outcomes == [Status.SENT, "not_claimed", "not_claimed"]
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert row.sent_at is not None


class FailingBackend(EmailBackend):
    """Stands in for the SMTP server: raises the queued errors, then accepts."""

    errors: list = []

    def send_messages(self, messages):
        if FailingBackend.errors:
            raise FailingBackend.errors.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def smtp_errors(settings):
    settings.EMAIL_BACKEND = "tests.booking.test_notifications.FailingBackend"
    delivery._mail_close()  # start without a kept connection, as a fresh worker would
    FailingBackend.errors = []
    yield FailingBackend.errors
    FailingBackend.errors = []


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPConnectError(421, b"Too busy"),
        smtplib.SMTPDataError(451, b"Try again later"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
    ],
    ids=["disconnected", "connect-421", "data-451", "refused", "timeout"],
)
def test_a_transient_smtp_error_backs_off_and_then_sends_once(
    booking, smtp_errors, error, time_machine
):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    smtp_errors.extend([error, error])
    first = notification_send_now(notification_id=row.pk)
    early = notification_send_now(notification_id=row.pk)  # before its next try is due
    time_machine.shift(timedelta(seconds=2))
    second = notification_send_now(notification_id=row.pk)
    row.refresh_from_db()
    assert (first.status, first.retry_in) == (Status.PENDING, 2)
    assert early.status == "not_claimed"
    assert (second.status, second.retry_in) == (Status.PENDING, 4)
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=4)
    assert type(error).__name__ in row.last_error
    time_machine.shift(timedelta(seconds=4))
    assert notification_send_now(notification_id=row.pk).status == Status.SENT
    assert len(mail.outbox) == 1


def test_a_worker_whose_clock_is_a_little_behind_sends_a_new_row_at_once(booking):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    # Written by a web process whose clock is half a second ahead of this worker's.
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(milliseconds=500)
    )
    assert notification_send_now(notification_id=row.pk).status == Status.SENT


def test_a_kept_connection_the_server_dropped_is_replaced_at_once(booking, smtp_errors):
    first, second, *_ = booking_change_notify(booking=booking, change=Change.CREATED)
    assert notification_send_now(notification_id=first.pk).status == Status.SENT
    smtp_errors.append(smtplib.SMTPServerDisconnected("idle timeout"))
    outcome = notification_send_now(notification_id=second.pk)
    second.refresh_from_db()
    assert (outcome.status, second.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 2


class RefusingBackend(EmailBackend):
    """Stands in for the SMTP server: asks the addresses in ``busy`` to try again later once
    each, and accepts everything else."""

    busy: set = set()

    def send_messages(self, messages):
        [message] = messages
        if message.to[0] in RefusingBackend.busy:
            RefusingBackend.busy.discard(message.to[0])
            raise smtplib.SMTPDataError(451, b"Try again later")
        return super().send_messages(messages)


def test_a_batch_sends_each_due_row_once_and_retries_the_one_that_failed_alone(
    booking, settings, time_machine
):
    settings.EMAIL_BACKEND = "tests.booking.test_notifications.RefusingBackend"
    delivery._mail_close()
    RefusingBackend.busy = {"bookings@spatheory.com"}
    rows = emails(booking_change_notify(booking=booking, change=Change.CREATED))
    first, *others = rows
    staff = next(row for row in rows if row.recipient == "bookings@spatheory.com")

    outcomes = delivery.notification_send_batch(notification_id=first.pk, limit=50)
    assert {
        pk: outcome.status for pk, outcome in outcomes.items() if pk in {r.pk for r in rows}
    } == {row.pk: Status.PENDING if row == staff else Status.SENT for row in rows}
    assert outcomes[staff.pk].retry_in == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        row.recipient for row in rows if row != staff
    )
    # The tasks published for the rows the batch took find nothing to claim, the failed row's
    # own included, until its next try is due; then it alone goes out.
    for row in others:
        assert notification_send_now(notification_id=row.pk).status == "not_claimed"
    time_machine.shift(timedelta(seconds=2))
    again = delivery.notification_send_batch(notification_id=staff.pk, limit=50)
    assert {pk: outcome.status for pk, outcome in again.items()} == {staff.pk: Status.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(row.recipient for row in rows)
    attempts = dict(Notification.objects.filter(channel="email").values_list("pk", "attempts"))
    assert attempts == {row.pk: 2 if row == staff else 1 for row in rows}
    RefusingBackend.busy = set()


def test_a_batch_takes_no_row_before_its_next_try_nor_more_than_its_limit(booking):
    rows = emails(booking_change_notify(booking=booking, change=Change.CREATED))
    first, later, *_ = rows
    Notification.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    outcomes = delivery.notification_send_batch(notification_id=first.pk, limit=2)
    assert len(outcomes) == 2
    assert first.pk in outcomes and later.pk not in outcomes
    assert len(mail.outbox) == 2
    assert Notification.objects.get(pk=later.pk).status == Status.PENDING


def test_the_backoff_doubles_up_to_six_hours():
    assert [delivery._backoff(n) for n in (1, 2, 3, 10, 14, 15, 20, 500)] == [
        2,
        4,
        8,
        1024,
        16384,
        6 * 3600,
        6 * 3600,
        6 * 3600,
    ]


@pytest.mark.parametrize("cap", [6 * 3600, 600], ids=["default-6h", "10-minutes"])
def test_after_many_failures_the_next_try_waits_the_capped_backoff(
    booking, smtp_errors, settings, cap
):
    settings.NOTIFICATION_RETRY_MAX_SECONDS = cap
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    Notification.objects.filter(pk=row.pk).update(attempts=30)  # a long outage so far
    smtp_errors.append(smtplib.SMTPServerDisconnected("down"))
    outcome = notification_send_now(notification_id=row.pk)
    row.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == (Status.PENDING, cap)
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=cap)


def test_a_transient_error_at_the_end_of_the_retry_window_is_final(
    booking, smtp_errors, time_machine
):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    window_ends = row.created_at + timedelta(hours=24)
    Notification.objects.filter(pk=row.pk).update(attempts=30)
    smtp_errors.extend([smtplib.SMTPServerDisconnected("gone")] * 2)

    time_machine.move_to(window_ends - timedelta(hours=1), tick=False)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert notification_send_now(notification_id=row.pk).status == Status.PENDING
    row.refresh_from_db()
    assert row.next_attempt_at == window_ends  # the last try falls on the window's end

    time_machine.move_to(window_ends, tick=False)
    assert notification_send_now(notification_id=row.pk).status == Status.FAILED
    assert notification_send_now(notification_id=row.pk).status == "not_claimed"
    row.refresh_from_db()
    assert (row.status, row.failed_at) == (Status.FAILED, window_ends)
    assert row.last_error == "SMTPServerDisconnected: gone"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(554, b"Message rejected"),
        smtplib.SMTPRecipientsRefused({"ada@example.com": (550, b"No such user")}),
        smtplib.SMTPSenderRefused(553, b"Sender not allowed", "hello@spatheory.com"),
    ],
    ids=["data-554", "recipients-refused", "sender-553"],
)
def test_a_permanent_smtp_error_fails_at_once(booking, smtp_errors, error):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    smtp_errors.append(error)
    outcome = notification_send_now(notification_id=row.pk)
    row.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == (Status.FAILED, None)
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert type(error).__name__ in row.last_error


def test_the_sweep_republishes_rows_pending_for_over_a_minute(booking, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), tick=False)
    old = booking_change_notify(booking=booking, change=Change.CREATED)
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, 50, tzinfo=UTC), tick=False)
    fresh = booking_change_notify(booking=booking, change=Change.RESCHEDULED)
    time_machine.move_to(datetime(2026, 11, 20, 12, 1, 1, tzinfo=UTC), tick=False)
    with notifications_published() as published:
        assert notification_sweep_run() == 4  # three emails and the therapist's text
    assert published == [row.pk for row in old]
    assert not {row.pk for row in fresh} & set(published)


def test_the_sweep_returns_rows_a_dead_worker_left_sending(booking, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), tick=False)
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), attempts=1
    )
    time_machine.move_to(datetime(2026, 11, 20, 12, 4, tzinfo=UTC), tick=False)
    with notifications_published() as published:
        notification_sweep_run()
    assert row.pk not in published
    time_machine.move_to(datetime(2026, 11, 20, 12, 6, tzinfo=UTC), tick=False)
    notification_sweep_run()  # eager here: the republished row is sent at once
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len([m for m in mail.outbox if m.to == ["ada@example.com"]]) == 1


def test_a_publish_that_cannot_reach_the_broker_is_logged_not_raised(booking, caplog):
    rows = booking_change_notify(booking=booking, change=Change.CREATED)
    with notifications_published(side_effect=BrokerUnreachable("refused")) as published:
        assert outbox.notification_publish(ids=[r.pk for r in rows]) == 0
    assert published == []
    assert "the sweep will retry them" in caplog.text
    assert Notification.objects.filter(status=Status.PENDING).count() == 4


def run_reminders_every_15_minutes(time_machine, start, hours):
    moment = start
    while moment <= start + timedelta(hours=hours):
        time_machine.move_to(moment, tick=False)
        reminder_queue_due()
        moment += timedelta(minutes=15)


def test_each_eligible_booking_is_reminded_once_about_a_day_ahead(time_machine):
    start = datetime(2026, 11, 29, 9, 0, tzinfo=ATLANTA)
    time_machine.move_to(start - timedelta(days=5), tick=False)
    service = ServiceFactory()
    early = write_booking(service=service, starts_at=start + timedelta(hours=20))
    later = write_booking(service=service, starts_at=start + timedelta(hours=30))
    cancelled = write_booking(
        service=service, starts_at=start + timedelta(hours=26), status=Booking.Status.CANCELLED
    )
    time_machine.move_to(start + timedelta(hours=2), tick=False)
    last_minute = write_booking(service=service, starts_at=start + timedelta(hours=12))

    run_reminders_every_15_minutes(time_machine, start, hours=30)

    reminders = Notification.objects.filter(kind=Kind.CLIENT_REMINDER)
    assert sorted(r.booking_id for r in reminders) == sorted([early.pk, later.pk])
    for booking in (early, later, cancelled, last_minute):
        booking.refresh_from_db()
    # Each reminder went out between 24 and 23.75 hours ahead (the first run in the window).
    assert early.reminded_at == start  # already inside 24 h when the runs began
    assert later.starts_at - later.reminded_at <= timedelta(hours=24)
    assert later.starts_at - later.reminded_at > timedelta(hours=23, minutes=44)
    assert cancelled.reminded_at is None
    assert last_minute.reminded_at is None


def test_the_reminder_says_when_and_links_to_the_booking(booking, time_machine, settings):
    time_machine.move_to(booking.starts_at - timedelta(hours=24), tick=False)
    Booking.objects.filter(pk=booking.pk).update(created_at=booking.starts_at - timedelta(days=3))
    assert reminder_queue_due() == 1
    send_all()
    [message] = mail.outbox
    assert message.subject == "See you soon: Swedish massage, Tue, Dec 1 · 2:00 pm"
    assert f"{settings.SITE_URL}/booking/{booking.token}/" in message.body
    assert ics_event(message)[1]["dtstart"].dt == booking.starts_at


def test_a_reminder_for_a_booking_cancelled_meanwhile_is_not_sent(booking, time_machine):
    time_machine.move_to(booking.starts_at - timedelta(hours=24), tick=False)
    Booking.objects.filter(pk=booking.pk).update(created_at=booking.starts_at - timedelta(days=3))
    reminder_queue_due()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    send_all()
    assert mail.outbox == []
    assert Notification.objects.get().status == Status.SKIPPED


def test_the_credential_digest_lists_expiring_and_expired_therapists_once_a_day(
    time_machine, settings
):
    settings.STAFF_ALERT_EMAIL = "vetting@example.com"
    time_machine.move_to(datetime(2026, 11, 20, 7, 0, tzinfo=ATLANTA), tick=False)
    TherapistFactory(first_name="Fine", last_name="Valid")
    TherapistFactory(
        first_name="Soon",
        last_name="Expiring",
        insurance_expires_on=datetime(2026, 12, 10).date(),
    )
    TherapistFactory(
        first_name="Long",
        last_name="Expired",
        licence_expires_on=datetime(2026, 11, 1).date(),
    )
    assert credential_digest_queue() is not None
    assert credential_digest_queue() is None  # the same day again: nothing new
    send_all()
    [message] = mail.outbox
    assert message.to == ["vetting@example.com"]
    assert message.subject == "Therapist credentials to renew: 2"
    assert "Soon Expiring" in message.body
    assert "Insurance: expires Thu, Dec 10, 2026, in 20 days" in message.body
    assert "Licence: expired Sun, Nov 1, 2026" in message.body
    assert "Fine Valid" not in message.body

    time_machine.move_to(datetime(2026, 11, 21, 7, 0, tzinfo=ATLANTA), tick=False)
    assert credential_digest_queue() is not None
    send_all()
    assert len(mail.outbox) == 2


def test_no_digest_when_every_credential_is_in_date(time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 7, 0, tzinfo=ATLANTA), tick=False)
    TherapistFactory()
    assert credential_digest_queue() is None
    assert mail.outbox == []


def test_lost_links_arrive_in_one_email_listing_each_upcoming_booking(time_machine, settings):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=ATLANTA), tick=False)
    first = write_booking()
    second = write_booking(starts_at=datetime(2026, 12, 5, 10, 0, tzinfo=ATLANTA))
    write_booking(starts_at=datetime(2026, 11, 10, 10, 0, tzinfo=ATLANTA))  # past
    write_booking(status=Booking.Status.CANCELLED)
    BookingFactory(client_email="someone.else@example.com")

    assert manage_links_notify(email="ADA@example.com") is not None
    send_all()
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]  # the address on the bookings, never as typed
    for booking in (first, second):
        assert f"{settings.SITE_URL}/booking/{booking.token}/" in message.body
        assert local_when(booking.starts_at) in message.body
    assert message.body.count("/booking/") == 2


def test_no_links_email_when_there_is_nothing_upcoming():
    assert manage_links_notify(email="nobody@example.com") is None
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_ics_download_can_be_built_for_any_booking(booking):
    calendar = Calendar.from_ical(booking_ics(booking=booking))
    assert calendar["method"] == "REQUEST"
    with pytest.raises(ValueError):
        booking_ics(booking=booking, method="REPLY")


def test_with_tasks_inline_a_failing_mail_server_never_breaks_the_booking(
    booking, smtp_errors, django_capture_on_commit_callbacks
):
    smtp_errors.append(smtplib.SMTPServerDisconnected("down"))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = booking_change_notify(booking=booking, change=Change.CREATED)
    first, *others = [Notification.objects.get(pk=row.pk) for row in rows]
    # Inline, the failed message is not retried on the spot: it waits for its next try.
    assert (first.status, first.attempts) == (Status.PENDING, 1)
    assert first.next_attempt_at == timezone.now() + timedelta(seconds=2)
    # The therapist's and staff's emails, and the therapist's text.
    assert [row.status for row in others] == [Status.SENT, Status.SENT, Status.SENT]
    assert len(mail.outbox) == 2


def test_every_scheduled_beat_job_is_a_registered_task():
    from spatheory.celery import app

    # What a worker imports when it starts (autodiscovered task modules included).
    app.loader.import_default_modules()
    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "booking.tasks.notification_sweep",
        "booking.tasks.reminders_send",
        "booking.tasks.credential_expiry_digest_send",
    } <= names
    assert names <= set(app.tasks)


# Mail outages over hours, failures for good, and what staff are told -------------------------


class OutageBackend(EmailBackend):
    """The mail server: refuses connections until ``up_at`` on the test's clock, and refuses
    the addresses in ``unknown`` for good. ``offered`` records when each notification was
    offered to it."""

    up_at = None
    unknown: set = set()
    offered: dict = {}

    def send_messages(self, messages):
        [message] = messages
        pk = int(message.extra_headers["X-Spa-Theory-Notification"])
        OutageBackend.offered.setdefault(pk, []).append(timezone.now())
        if OutageBackend.up_at is None or timezone.now() < OutageBackend.up_at:
            raise ConnectionRefusedError(111, "Connection refused")
        if message.to[0] in OutageBackend.unknown:
            raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


@pytest.fixture
def mail_server(settings):
    settings.EMAIL_BACKEND = "tests.booking.test_notifications.OutageBackend"
    delivery._mail_close()
    OutageBackend.up_at, OutageBackend.unknown, OutageBackend.offered = None, set(), {}
    yield OutageBackend
    OutageBackend.up_at, OutageBackend.unknown, OutageBackend.offered = None, set(), {}
    delivery._mail_close()


def run_beat(time_machine, *, until, every=timedelta(minutes=1)):
    """Move the clock on ``every`` at a time until ``until``, running the sweep each time as
    beat does. Tasks run inline here, so each row the sweep publishes is tried at once; there
    is no countdown retry, as after a worker restart."""
    moment = timezone.now()
    while moment < until:
        moment += every
        time_machine.move_to(moment, tick=False)
        notification_sweep_run()


def alert_emails():
    return [m for m in mail.outbox if m.subject.startswith("Messages that could not be sent")]


def test_a_mail_server_down_for_two_hours_delivers_every_message_once_afterwards(
    booking, mail_server, time_machine, django_capture_on_commit_callbacks
):
    start = timezone.now()
    mail_server.up_at = start + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = emails(booking_change_notify(booking=booking, change=Change.CREATED))
    assert mail.outbox == []

    run_beat(time_machine, until=start + timedelta(hours=6))

    assert sorted(m.to[0] for m in mail.outbox) == sorted(row.recipient for row in rows)
    for row in rows:
        row.refresh_from_db()
        offered = mail_server.offered[row.pk]
        assert row.status == Status.SENT
        assert row.attempts == len(offered) > 10
        assert row.sent_at == offered[-1] >= mail_server.up_at
        assert offered[-2] < mail_server.up_at  # one try after the outage: sent once
        # The wait grew try by try (to over an hour): no burst of tries, and no giving up.
        waits = [later - earlier for earlier, later in pairwise(offered)]
        assert waits == sorted(waits)
        assert waits[-1] > timedelta(hours=1)
    assert alert_emails() == []


def test_the_sweep_publishes_a_row_when_its_next_try_is_due_not_before(booking, time_machine):
    [row, *others] = booking_change_notify(booking=booking, change=Change.CREATED)
    Notification.objects.filter(pk__in=[o.pk for o in others]).update(status=Status.SENT)
    Notification.objects.filter(pk=row.pk).update(
        attempts=12, next_attempt_at=timezone.now() + timedelta(hours=3)
    )
    with notifications_published() as published:
        time_machine.shift(timedelta(hours=1))
        assert notification_sweep_run() == 0
        time_machine.shift(timedelta(hours=2, minutes=1))
        assert notification_sweep_run() == 1
    assert published == [row.pk]


def test_a_row_a_dead_worker_left_sending_past_its_window_is_failed(booking, time_machine):
    [row, *_] = booking_change_notify(booking=booking, change=Change.CREATED)
    time_machine.shift(timedelta(hours=24))
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), attempts=20
    )
    time_machine.shift(timedelta(minutes=6))
    with notifications_published():
        notification_sweep_run()
    row.refresh_from_db()
    assert (row.status, row.failed_at) == (Status.FAILED, timezone.now())
    assert "retry from admin" in row.last_error


def test_messages_failing_for_a_day_fail_and_staff_get_one_alert_listing_them_all(
    booking, mail_server, time_machine, settings
):
    settings.STAFF_ALERT_EMAIL = "desk@example.com"
    start = timezone.now()
    mail_server.up_at = start + timedelta(hours=25)
    rows = emails(booking_change_notify(booking=booking, change=Change.CREATED))

    run_beat(
        time_machine, until=start + timedelta(hours=24, minutes=30), every=timedelta(minutes=10)
    )
    for row in rows:
        row.refresh_from_db()
        assert row.status == Status.FAILED
        assert (
            start + timedelta(hours=24) <= row.failed_at <= start + timedelta(hours=24, minutes=20)
        )
    # The alert waits for the mail server like any message, and only one is queued meanwhile.
    run_beat(time_machine, until=start + timedelta(hours=28), every=timedelta(minutes=10))

    [alert] = mail.outbox
    assert alert.to == ["desk@example.com"]
    assert alert.subject == "Messages that could not be sent: 3"
    for body in (alert.body, alert.alternatives[0][0]):
        for recipient in ("ada@example.com", "tess@example.com", "desk@example.com"):
            assert recipient in body
        assert booking.reference in body
        assert "ConnectionRefusedError" in body
        assert f"{settings.SITE_URL}/admin/booking/notification/?status__exact=failed" in body
    assert "rotator cuff" not in alert.body


def test_staff_hear_of_later_failures_in_the_next_alert_an_hour_on(
    booking, mail_server, time_machine, settings
):
    settings.STAFF_ALERT_EMAIL = "desk@example.com"
    mail_server.up_at = timezone.now()
    mail_server.unknown = {"gone@example.com", "left@example.com"}
    first = Notification.objects.create(
        booking=booking, kind=Kind.CLIENT_CONFIRMATION, recipient="gone@example.com"
    )
    run_beat(time_machine, until=timezone.now() + timedelta(minutes=3))
    [alert] = alert_emails()
    assert "gone@example.com" in alert.body

    time_machine.shift(timedelta(minutes=10))
    later = Notification.objects.create(
        booking=booking, kind=Kind.CLIENT_RESCHEDULED, recipient="left@example.com"
    )
    run_beat(time_machine, until=timezone.now() + timedelta(minutes=40))
    assert len(alert_emails()) == 1  # not within the hour
    run_beat(time_machine, until=timezone.now() + timedelta(minutes=30))

    assert Notification.objects.filter(status=Status.FAILED).count() == 2
    _, second = alert_emails()
    assert second.subject == "Messages that could not be sent: 1"
    assert "left@example.com" in second.body
    assert "gone@example.com" not in second.body
    alerts = Notification.objects.filter(kind=Kind.NOTIFICATION_FAILURES).order_by("created_at")
    assert alerts[1].created_at - alerts[0].created_at >= timedelta(hours=1)
    assert {first.pk, later.pk} == set(
        Notification.objects.filter(status=Status.FAILED).values_list("pk", flat=True)
    )


def test_failures_an_alert_could_not_deliver_are_listed_in_the_next(
    booking, mail_server, time_machine
):
    start = timezone.now()
    failed_row("first@example.com", start)
    Notification.objects.create(
        kind=Kind.NOTIFICATION_FAILURES,
        recipient="bookings@spatheory.com",
        status=Status.FAILED,
        created_at=start + timedelta(minutes=1),
        claimed_at=start + timedelta(hours=23),
        failed_at=start + timedelta(hours=23),
    )
    time_machine.move_to(start + timedelta(hours=25), tick=False)
    failed_row("second@example.com", timezone.now())
    mail_server.up_at = timezone.now()
    run_beat(time_machine, until=timezone.now() + timedelta(minutes=2))

    [alert] = alert_emails()
    assert alert.subject == "Messages that could not be sent: 2"
    assert "first@example.com" in alert.body
    assert "second@example.com" in alert.body


def failed_row(recipient, failed_at):
    return Notification.objects.create(
        kind=Kind.CLIENT_CONFIRMATION,
        booking=write_booking(),
        recipient=recipient,
        status=Status.FAILED,
        failed_at=failed_at,
        last_error="SMTPRecipientsRefused: no such user",
    )


def test_the_admin_tells_staff_how_many_messages_failed_and_links_to_them(admin_client):
    now = timezone.now()
    failed_row("today@example.com", now - timedelta(hours=1))
    failed_row("monday@example.com", now - timedelta(days=4))
    failed_row("long-ago@example.com", now - timedelta(days=10))
    Notification.objects.create(
        kind=Kind.MANAGE_LINKS, recipient="sent@example.com", status=Status.SENT
    )

    page = page_of(admin_client.get(reverse("admin:index")))
    assert "2 messages could not be sent in the past 7 days." in page
    [link] = re.findall(r'<a href="([^"]+)">See the failed messages</a>', page)
    listing = page_of(admin_client.get(link))
    assert "today@example.com" in listing
    assert "monday@example.com" in listing
    assert "long-ago@example.com" not in listing
    assert "sent@example.com" not in listing


def test_the_failed_messages_banner_shows_only_to_staff_who_see_notifications(
    client, staff_in, admin_client
):
    assert "could not be sent" not in page_of(admin_client.get(reverse("admin:index")))
    failed_row("today@example.com", timezone.now())
    client.force_login(staff_in("Front desk"))
    assert "1 message could not be sent" in page_of(client.get(reverse("admin:index")))
    client.force_login(staff_in("Vetting"))
    assert "could not be sent" not in page_of(client.get(reverse("admin:index")))
