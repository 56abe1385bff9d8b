"""Sending one outbox row: claim it, render it, hand it to the mail server, record the outcome.

A row is claimed with a conditional UPDATE (pending -> sending), so a redelivered or duplicated
task, or two workers racing, find nothing to claim and send nothing. Transient mail-server
errors put the row back to pending with a backoff for the task to retry; permanent ones, and
the last attempt, mark it failed for staff to see and retry.
"""

import logging
import smtplib
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from ..models import Notification
from .messages import notification_message

logger = logging.getLogger(__name__)

Status = Notification.Status


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_in: int | None = None  # seconds until the task should try again


TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Anything else at the socket level (DNS, TLS, unreachable) is worth another try.
    return isinstance(exc, OSError)


def _backoff(attempts: int) -> int:
    return min(2**attempts, settings.NOTIFICATION_RETRY_MAX_SECONDS)


# One mail server connection per worker thread, reused while used in the last 20 seconds: a
# new one per message costs a TCP handshake and EHLO (and TLS in production) every time.
_mail = threading.local()
MAIL_CONNECTION_IDLE_SECONDS = 20


def _mail_close() -> None:
    connection, _mail.connection = getattr(_mail, "connection", None), None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)


def _mail_send(message) -> None:
    connection = getattr(_mail, "connection", None)
    reused = (
        connection is not None
        and _mail.backend == settings.EMAIL_BACKEND
        and time.monotonic() - _mail.used < MAIL_CONNECTION_IDLE_SECONDS
    )
    if not reused:
        _mail_close()
        connection = get_connection(fail_silently=False)
        _mail.connection, _mail.backend = connection, settings.EMAIL_BACKEND
    try:
        connection.open()
        message.connection = connection
        message.send(fail_silently=False)
    except smtplib.SMTPServerDisconnected:
        _mail_close()
        if not reused:
            raise
        # The server had dropped the idle connection we kept: try once on a fresh one.
        _mail_send(message)
    except Exception:
        _mail_close()
        raise
    _mail.used = time.monotonic()


def notification_send_now(*, notification_id: int) -> SendOutcome:
    """Claim, render and send one notification. Safe to call any number of times for the
    same row: only the call that claims it sends."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendOutcome(status="not_claimed")
    notification = Notification.objects.select_related(
        "booking__service", "appointment__therapist"
    ).get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, status=Status.SENDING)

    try:
        message = notification_message(notification)
    except Exception as exc:
        logger.exception("Could not render notification %s", notification_id)
        mine.update(status=Status.FAILED, last_error=f"Could not render: {exc!r}"[:2000])
        return SendOutcome(status=Status.FAILED)
    if message is None:
        mine.update(status=Status.SKIPPED, last_error="")
        return SendOutcome(status=Status.SKIPPED)

    try:
        _mail_send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = notification.attempts
        if _is_transient(exc) and attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            mine.update(status=Status.PENDING, last_error=error)
            logger.warning(
                "Notification %s: attempt %s failed: %s", notification_id, attempts, error
            )
            return SendOutcome(status=Status.PENDING, retry_in=_backoff(attempts))
        mine.update(status=Status.FAILED, last_error=error)
        logger.error(
            "Notification %s failed after %s attempts: %s", notification_id, attempts, error
        )
        return SendOutcome(status=Status.FAILED)

    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    return SendOutcome(status=Status.SENT)
