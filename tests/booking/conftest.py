import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection

from booking.tasks import notification_send
from spatheory.celery import app
from tests.booking.helpers import TOMORROW, at, make_booking
from tests.booking.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    MESSAGES_PATH,
    FakeTwilio,
)


def _close_worker_connection(**kwargs):
    # The worker thread has its own database connection; closing it after each task leaves
    # nothing open when the test database is flushed or dropped.
    connection.close()


@pytest.fixture
def booking(swedish, maya):
    """Ada Client's Swedish massage with Maya, tomorrow (Wed, Dec 2) at 2:00 pm, booked through
    the service layer."""
    return make_booking(swedish, at(TOMORROW, 14))


@pytest.fixture
def celery_worker(transactional_db, settings, celery_test_queue):
    """A real Celery worker in a thread of this process, consuming this process's own queue on
    the test broker, with email going to Django's locmem outbox (``mail.outbox``)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(celery_test_queue)
    task_postrun.connect(_close_worker_connection, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            queues=[celery_test_queue],
            loglevel="WARNING",
            shutdown_timeout=15,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_worker_connection)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(celery_test_queue)


@pytest.fixture
def task_runs():
    """Notification ids of every notification_send run the worker finished, in order."""
    runs = []

    def record(sender=None, args=None, **kwargs):
        if sender is not None and sender.name == notification_send.name:
            runs.append(args[0])

    task_postrun.connect(record, weak=False)
    yield runs
    task_postrun.disconnect(record)


@pytest.fixture
def client_details():
    """Valid client arguments for ``booking_create`` (downtown Atlanta, consent given); tests
    override one at a time with ``client_details | {...}``."""
    return {
        "client_name": "Ada Lovelace",
        "client_email": "ada@example.com",
        "client_phone": "(404) 555-0123",
        "address_line1": "100 Peachtree St NW",
        "city": "Atlanta",
        "zip_code": "30303",
        "consent": True,
    }


@pytest.fixture
def twilio(httpserver_ipv4, settings):
    """Texts on, through Twilio's library, to a fake of its Messages API on loopback
    (``tests/booking/twilio_fake.py``); the fixture's value records what it received."""
    fake = FakeTwilio()
    httpserver_ipv4.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(fake.handle)
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE = httpserver_ipv4.url_for("/").rstrip("/")
    return fake
