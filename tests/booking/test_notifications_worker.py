"""Delivery through a real Celery worker on the real Redis broker (not eager mode). The worker
runs in a thread of this test process and consumes only this process's queue; mail goes to
Django's locmem outbox. Only the mail server is faked."""

import smtplib
import threading
import time
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.contrib.admin.sites import site
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from booking.models import Notification
from booking.notifications.delivery import notification_send_now
from booking.notifications.outbox import notification_sweep_run
from booking.services import booking_create
from booking.tasks import notification_send
from spatheory.celery import app
from tests.booking.helpers import broker_unreachable, in_days, wait_for, wait_for_outbox_drained
from tests.factories import ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db(transaction=True)

Kind = Notification.Kind
Status = Notification.Status


def book(**overrides):
    service = ServiceFactory(name="Swedish massage")
    TherapistFactory(modalities=[service.modality], hours="all", email="tess@example.com")
    fields = {
        "service": service,
        "minutes": 60,
        "starts_at": in_days(1, 14),
        "client_name": "Ada Lovelace",
        "client_email": "ada@example.com",
        "client_phone": "404-555-0123",
        "address_line1": "100 Peachtree St NW",
        "city": "Atlanta",
        "zip_code": "30303",
        "health_notes": "Recovering from a left rotator cuff tear",
        "consent": True,
    } | overrides
    return booking_create(**fields)


def row_status(row):
    return Notification.objects.values_list("status", flat=True).get(pk=row.pk)


def client_messages():
    return [m for m in mail.outbox if m.to == ["ada@example.com"]]


def test_a_booking_confirmation_arrives_within_seconds_with_its_calendar_invite(celery_worker):
    booking = book()
    wait_for(lambda: len(mail.outbox) == 3, what="three emails")

    [confirmation] = client_messages()
    assert "You're booked" in confirmation.subject
    [(_, content, mimetype)] = confirmation.attachments
    assert mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    assert calendar["method"] == "REQUEST"
    assert str(event["uid"]) == f"{booking.reference}@spatheory.com"
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event["dtstart"].dt == in_days(1, 14)
    assert event["dtend"].dt == in_days(1, 15)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]

    assert {m.to[0] for m in mail.outbox} == {
        "ada@example.com",
        "tess@example.com",
        "bookings@spatheory.com",
    }
    wait_for(
        lambda: set(Notification.objects.values_list("status", flat=True)) == {Status.SENT},
        what="every row marked sent",
    )


def test_a_booking_made_while_the_broker_is_down_succeeds_and_is_sent_by_the_sweep(
    celery_worker, task_runs
):
    with broker_unreachable():
        with transaction.atomic():
            booking = book()
            committing = time.monotonic()
        # What the broker can add to a booking is the commit, which runs the after-commit
        # publish: it fails fast and quietly. (The availability checks before it don't touch
        # the broker.) A broker retried with back-off would hold the client for several seconds;
        # one second leaves room for a loaded machine.
        publishing = time.monotonic() - committing
    assert publishing < 1.0, f"commit and publish took {publishing:.2f} s with the broker down"
    assert booking.pk is not None
    rows = Notification.objects.filter(booking=booking)
    assert set(rows.values_list("status", flat=True)) == {Status.PENDING}
    assert mail.outbox == []

    # The broker is back; a minute later the sweep runs (twice, as beat might).
    rows.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert notification_sweep_run() == 4  # three emails and the therapist's text
    second_sweep = notification_sweep_run()
    wait_for(lambda: len(task_runs) >= 4 + second_sweep, what="the swept tasks")
    wait_for(lambda: set(rows.values_list("status", flat=True)) == {Status.SENT}, what="rows sent")
    assert len(client_messages()) == 1
    assert len(mail.outbox) == 3


def test_the_send_task_delivered_twice_sends_one_email(celery_worker, task_runs):
    with transaction.atomic():
        booking = book()
        [row] = Notification.objects.filter(booking=booking, kind=Kind.CLIENT_CONFIRMATION)
    # The after-commit publish plus two duplicates of the same task.
    notification_send.delay(row.pk)
    notification_send.delay(row.pk)
    wait_for(lambda: task_runs.count(row.pk) == 3, what="all three runs of the task")
    assert len(client_messages()) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)


def test_two_workers_racing_for_one_row_send_it_once(celery_worker):
    booking = book()
    wait_for(lambda: len(mail.outbox) == 3, what="the first emails")
    wait_for_outbox_drained(booking)
    row = Notification.objects.get(booking=booking, kind=Kind.CLIENT_CONFIRMATION)
    Notification.objects.filter(pk=row.pk).update(status=Status.PENDING)
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    outcomes = []

    def race():
        try:
            barrier.wait()
            outcomes.append(notification_send_now(notification_id=row.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["not_claimed"] * 3 + [Status.SENT]
    assert len(mail.outbox) == 1


class FlakySMTPBackend(EmailBackend):
    """The mail server: fails with ``errors`` (one per send) before it accepts."""

    errors: list = []

    def send_messages(self, messages):
        if FlakySMTPBackend.errors:
            raise FlakySMTPBackend.errors.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def flaky_smtp(celery_worker, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTPBackend"
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1  # keep the real backoff short in tests
    FlakySMTPBackend.errors = []
    yield FlakySMTPBackend.errors
    FlakySMTPBackend.errors = []


def test_a_transient_smtp_failure_is_retried_then_sent_once(flaky_smtp, task_runs):
    flaky_smtp.extend(
        [
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            smtplib.SMTPDataError(421, b"Service not available, try again later"),
        ]
    )
    with transaction.atomic():
        booking = book()
        Notification.objects.filter(booking=booking).exclude(kind=Kind.CLIENT_CONFIRMATION).delete()
    row = Notification.objects.get(booking=booking)
    wait_for(lambda: len(mail.outbox) == 1, what="the confirmation after two failures")
    wait_for(lambda: row_status(row) == Status.SENT, what="the row marked sent")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 3)
    # The worker reports a run finished just after the run marks its row sent.
    wait_for(lambda: task_runs.count(row.pk) == 3, what="three runs of the task")
    assert len(client_messages()) == 1


def test_a_row_that_failed_in_another_rows_batch_is_retried_soon_and_sent_once(
    flaky_smtp, task_runs, settings
):
    # One task takes every row of the booking (the confirmation's publish comes first); the
    # staff email's server is busy once. Its own task then finds nothing to claim, and the
    # batch's countdown retry sends it, alone, a second later.
    settings.EMAIL_BACKEND = f"{__name__}.BusyForStaffBackend"
    BusyForStaffBackend.busy = True
    booking = book()
    staff = Notification.objects.get(booking=booking, kind=Kind.STAFF_BOOKING_CREATED)
    wait_for(lambda: row_status(staff) == Status.SENT, what="the staff email after its retry")
    wait_for(lambda: task_runs.count(staff.pk) == 2, what="its own task and the retry")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.com",
        "bookings@spatheory.com",
        "tess@example.com",
    ]
    attempts = dict(Notification.objects.filter(channel="email").values_list("kind", "attempts"))
    assert attempts == {
        Kind.CLIENT_CONFIRMATION: 1,
        Kind.THERAPIST_ASSIGNED: 1,
        Kind.STAFF_BOOKING_CREATED: 2,
    }


class BusyForStaffBackend(EmailBackend):
    """The mail server, asking to try the staff address again later, once."""

    busy = False

    def send_messages(self, messages):
        [message] = messages
        if BusyForStaffBackend.busy and message.to == ["bookings@spatheory.com"]:
            BusyForStaffBackend.busy = False
            raise smtplib.SMTPDataError(451, b"Try again later")
        return super().send_messages(messages)


def test_a_long_wait_is_kept_on_the_row_and_the_sweep_sends_it_when_due(
    flaky_smtp, task_runs, monkeypatch
):
    # Past the fast path's limit the task schedules no countdown retry: as after a worker
    # restart, only the row's next try remains, and the sweep acts on it.
    monkeypatch.setattr("booking.tasks.FAST_RETRY_MAX_SECONDS", 0)
    flaky_smtp.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    states = []
    record_state = lambda args=(), state=None, **kwargs: states.append((args[0], state))  # noqa: E731
    task_postrun.connect(record_state, sender=notification_send, weak=False)
    try:
        with transaction.atomic():
            booking = book()
            Notification.objects.filter(booking=booking).exclude(
                kind=Kind.CLIENT_CONFIRMATION
            ).delete()
        row = Notification.objects.get(booking=booking)
        wait_for(lambda: task_runs.count(row.pk) == 1, what="the first try")
    finally:
        task_postrun.disconnect(record_state, sender=notification_send)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.next_attempt_at > row.claimed_at
    # The run ended without scheduling a retry of itself (a run that publishes a countdown
    # retry ends in RETRY): nothing comes back by itself.
    assert [state for pk, state in states if pk == row.pk] == ["SUCCESS"]

    # Past its backoff the row is due, but for less than the sweep's minute.
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=30)
    )
    assert notification_sweep_run() == 0
    assert task_runs.count(row.pk) == 1
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert notification_sweep_run() == 1
    wait_for(lambda: row_status(row) == Status.SENT, what="the swept row sent")
    assert len(client_messages()) == 1
    wait_for(lambda: task_runs.count(row.pk) == 2, what="the swept run of the task")


def test_a_permanent_failure_is_failed_in_admin_and_staff_can_retry_it(
    flaky_smtp, task_runs, admin_client
):
    flaky_smtp.append(
        smtplib.SMTPRecipientsRefused({"ada@example.com": (550, b"Mailbox unavailable")})
    )
    with transaction.atomic():
        booking = book()
        Notification.objects.filter(booking=booking).exclude(kind=Kind.CLIENT_CONFIRMATION).delete()
    row = Notification.objects.get(booking=booking)
    wait_for(lambda: row_status(row) == Status.FAILED, what="the failed attempt")
    row.refresh_from_db()
    assert row.attempts == 1
    assert mail.outbox == []

    changelist = reverse("admin:booking_notification_changelist")
    page = admin_client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert booking.reference in page
    assert "SMTPRecipientsRefused" in page
    assert site._registry[Notification].has_add_permission(None) is False

    response = admin_client.post(
        changelist, {"action": "retry", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 message queued to send again." in response.content.decode()
    wait_for(lambda: len(mail.outbox) == 1, what="the retried email")
    wait_for(lambda: row_status(row) == Status.SENT, what="the row marked sent")
    assert len(client_messages()) == 1


def test_this_process_publishes_to_and_consumes_only_its_own_queue(
    celery_worker, celery_test_queue, worker_id
):
    assert celery_test_queue.startswith(f"test-{worker_id}-")
    assert app.conf.task_default_queue == celery_test_queue
    consumed = {queue.name for queue in celery_worker.consumer.task_consumer.queues}
    assert consumed == {celery_test_queue}
