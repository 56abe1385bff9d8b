"""Texts through a real Celery worker on the real Redis broker, to a fake of Twilio's Messages
API on loopback: only Twilio and the mail server are faked."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from booking.models import Notification
from booking.notifications.delivery import notification_send_now
from booking.notifications.outbox import notification_sweep_run
from booking.tasks import notification_send
from tests.booking.helpers import (
    broker_unreachable,
    in_days,
    make_booking,
    wait_for,
    wait_for_outbox_drained,
)
from tests.booking.twilio_fake import inbound

pytestmark = pytest.mark.django_db(transaction=True)

Kind = Notification.Kind
Status = Notification.Status
ADA = "+14045550123"


def book_with_texts(swedish):
    return make_booking(swedish, in_days(1, 14), text_consent=True)


def client_text(booking) -> Notification:
    return Notification.objects.get(
        booking=booking, kind=Kind.CLIENT_CONFIRMATION, channel=Notification.Channel.SMS
    )


def status_of(row) -> str:
    return Notification.objects.values_list("status", flat=True).get(pk=row.pk)


def test_a_text_delivered_three_times_to_the_worker_is_sent_once(
    celery_worker, task_runs, twilio, swedish, maya
):
    with transaction.atomic():
        booking = book_with_texts(swedish)
        row = client_text(booking)
    # The after-commit publish plus two duplicates of the same task.
    notification_send.delay(row.pk)
    notification_send.delay(row.pk)
    wait_for(lambda: task_runs.count(row.pk) == 3, what="all three runs of the task")

    assert len(twilio.to(ADA)) == 1
    assert [m["To"] for m in twilio.received].count(ADA) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    wait_for(lambda: len(twilio.to(maya.phone)) == 1, what="the therapist's text")


def test_two_workers_racing_for_one_text_send_it_once(celery_worker, twilio, swedish, maya):
    booking = book_with_texts(swedish)
    row = client_text(booking)
    wait_for(lambda: status_of(row) == Status.SENT, what="the first send")
    wait_for_outbox_drained(booking)
    Notification.objects.filter(pk=row.pk).update(status=Status.PENDING)
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
    assert len(twilio.to(ADA)) == 2  # the first send and the one winner


def test_a_transient_twilio_error_is_retried_by_the_worker_then_sent_once(
    celery_worker, task_runs, twilio, settings, swedish, maya
):
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1  # keep the real backoff short in tests
    twilio.fail(ADA, 503, 20500, "Service unavailable")
    twilio.fail(ADA, 429, 20429, "Too Many Requests")
    booking = book_with_texts(swedish)
    row = client_text(booking)

    wait_for(lambda: status_of(row) == Status.SENT, timeout=20, what="the text after two failures")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 3, "")
    assert [m["To"] for m in twilio.received].count(ADA) == 3
    assert len(twilio.to(ADA)) == 1
    wait_for(lambda: task_runs.count(row.pk) == 3, what="three runs of the task")


def test_an_invalid_number_fails_for_good_and_the_staff_alert_goes_out(
    celery_worker, twilio, swedish, maya
):
    twilio.fail(ADA, 400, 21211, f"The 'To' number {ADA} is not a valid phone number.")
    booking = book_with_texts(swedish)
    row = client_text(booking)

    wait_for(lambda: status_of(row) == Status.FAILED, what="the failed text")
    row.refresh_from_db()
    assert row.attempts == 1
    assert "error 21211" in row.last_error
    assert [m["To"] for m in twilio.received].count(ADA) == 1

    notification_sweep_run()
    wait_for(
        lambda: any("could not be sent" in m.subject for m in mail.outbox), what="the staff alert"
    )
    [alert] = [m for m in mail.outbox if "could not be sent" in m.subject]
    assert "Client: booking confirmed (text) to +14045550123" in alert.body


def test_a_stop_that_arrives_while_texts_wait_for_the_worker_keeps_them_from_going(
    celery_worker, task_runs, twilio, client, settings, swedish, maya
):
    with broker_unreachable():
        booking = book_with_texts(swedish)
    rows = Notification.objects.filter(booking=booking)
    assert set(rows.values_list("status", flat=True)) == {Status.PENDING}

    assert inbound(client, settings, "STOP", sender=ADA).status_code == 200
    rows.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert notification_sweep_run() == 5  # three emails, two texts
    wait_for(lambda: len(set(task_runs)) == 5, what="every row's run")

    row = client_text(booking)
    assert row.status == Status.SKIPPED
    assert twilio.to(ADA) == []
    assert len(twilio.to(maya.phone)) == 1
    assert [m.to for m in mail.outbox if m.to == ["ada@example.com"]] == [["ada@example.com"]]
