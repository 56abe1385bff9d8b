"""Sending one outbox row: claim it, render it, hand it to the mail server (or Twilio, for a
text), record the outcome.

A row is claimed with a conditional UPDATE (pending and due -> sending), so a redelivered or
duplicated task, or two workers racing, find nothing to claim and send nothing. A transient
mail-server error puts the row back to pending with its next try stored on it
(``next_attempt_at``): the backoff doubles from 2 seconds up to
``NOTIFICATION_RETRY_MAX_SECONDS``, and the tries go on until ``NOTIFICATION_RETRY_WINDOW_HOURS``
after the row was written, the last one at the end of that window. Permanent errors, and a
transient one once the window has closed, mark the row failed for staff to see and retry.
Texts follow the same rules (Twilio's 5xx and 429 are transient, its 4xx permanent); a text to
a number that replied STOP is not sent, however long it waited.
"""

import logging
import math
import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Notification
from ..selectors import text_opted_out
from .messages import ACTIVE_APPOINTMENTS, notification_message, notification_text
from .optouts import text_opt_out
from .texting import TextRefused, text_send

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


OPTED_OUT = "Not sent: the number replied STOP."


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, TextRefused):
        return exc.transient
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Anything else at the socket level (DNS, TLS, unreachable) is worth another try.
    return isinstance(exc, OSError)


def _backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed try: 2, 4, 8 ... up to the cap."""
    return min(2 ** min(attempts, 32), settings.NOTIFICATION_RETRY_MAX_SECONDS)


def _retry_at(notification: Notification, now: datetime) -> datetime | None:
    """When to try again after a transient failure: after the backoff, but no later than the
    end of the row's retry window, so one last try falls on it; None once it has passed."""
    window_ends = notification.created_at + timedelta(
        hours=settings.NOTIFICATION_RETRY_WINDOW_HOURS
    )
    if now >= window_ends:
        return None
    return min(now + timedelta(seconds=_backoff(notification.attempts)), window_ends)


# A worker's clock may run a little behind the clock of the web process that wrote a row: it
# claims a row this much before its next try, so a new row is never left for the sweep.
CLOCK_TOLERANCE = timedelta(seconds=1)

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
    same row: only the call that claims it sends, and only once its next try is due."""
    return notification_send_batch(notification_id=notification_id, limit=1)[notification_id]


NOT_CLAIMED = SendOutcome(status="not_claimed")
RELEASED = SendOutcome(status=Status.PENDING, retry_in=0)
# A batch stops taking its next row after this long, well inside
# NOTIFICATION_STALE_SENDING_MINUTES, so the sweep never takes a claimed row for abandoned.
BATCH_SECONDS = 60


def notification_send_batch(*, notification_id: int, limit: int) -> dict[int, SendOutcome]:
    """Claim ``notification_id`` and, once it is claimed, up to ``limit - 1`` other rows that
    are due, then send them one after another over the kept mail connection. Returns each
    claimed row's outcome (``notification_id``'s is ``not_claimed`` when another call has it).

    The other rows are locked with ``SKIP LOCKED`` while they are claimed, so workers draining
    the outbox side by side never wait on each other nor claim one row twice; the tasks
    published for rows a batch took find nothing left to claim. Each row keeps its own outcome:
    one that fails goes back to pending with its own next try (or fails for good), and the
    rest are marked sent as each is accepted."""
    now = timezone.now()
    due = Notification.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now + CLOCK_TOLERANCE
    )
    claim = {"status": Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if not due.filter(pk=notification_id).update(**claim):
        return {notification_id: NOT_CLAIMED}
    ids = [notification_id]
    if limit > 1:
        with transaction.atomic():
            others = list(
                due.exclude(pk=notification_id)
                .order_by("next_attempt_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: limit - 1]
            )
            if others:
                Notification.objects.filter(pk__in=others, status=Status.PENDING).update(**claim)
        ids += others
    rows = {
        row.pk: row
        for row in Notification.objects.select_related("booking__service", "appointment__therapist")
        .prefetch_related(ACTIVE_APPOINTMENTS)
        .filter(pk__in=ids, status=Status.SENDING)
    }
    outcomes: dict[int, SendOutcome] = {}
    started = time.monotonic()
    try:
        for pk in ids:
            if pk in rows:
                outcomes[pk] = _deliver(rows[pk])
            if time.monotonic() - started > BATCH_SECONDS:
                break  # a slow mail server: leave the rest to other tasks
    finally:
        # The rows not tried go back to pending, due at once, as if they had not been claimed
        # (they are published again); on an unexpected error (the database gone) the sweep has
        # them.
        untried = [pk for pk in ids if pk not in outcomes and pk in rows]
        if untried:
            Notification.objects.filter(pk__in=untried, status=Status.SENDING).update(
                status=Status.PENDING, attempts=F("attempts") - 1, next_attempt_at=now
            )
            outcomes |= dict.fromkeys(untried, RELEASED)
    outcomes.setdefault(notification_id, NOT_CLAIMED)
    return outcomes


def _deliver(notification: Notification) -> SendOutcome:
    """Render and send one claimed row, and record the outcome on it."""
    notification_id = notification.pk
    mine = Notification.objects.filter(pk=notification_id, status=Status.SENDING)
    by_text = notification.channel == Notification.Channel.SMS
    if by_text and text_opted_out(phone=notification.recipient):
        mine.update(status=Status.SKIPPED, last_error=OPTED_OUT)
        return SendOutcome(status=Status.SKIPPED)

    try:
        render = notification_text if by_text else notification_message
        message = render(notification)
    except Exception as exc:
        logger.exception("Could not render notification %s", notification_id)
        mine.update(
            status=Status.FAILED,
            failed_at=timezone.now(),
            last_error=f"Could not render: {exc!r}"[:2000],
        )
        return SendOutcome(status=Status.FAILED)
    if message is None:
        mine.update(status=Status.SKIPPED, last_error="")
        return SendOutcome(status=Status.SKIPPED)

    provider_id = ""
    try:
        if by_text:
            provider_id = text_send(to=notification.recipient, body=message)
        else:
            _mail_send(message)
    except TextRefused as exc:
        if not exc.unsubscribed:
            return _attempt_failed(notification, exc)
        # The number told Twilio STOP before it told us: remember it, as if it had told us.
        text_opt_out(phone=notification.recipient)
        mine.update(status=Status.SKIPPED, last_error=OPTED_OUT)
        return SendOutcome(status=Status.SKIPPED)
    except Exception as exc:
        return _attempt_failed(notification, exc)

    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="", provider_id=provider_id)
    return SendOutcome(status=Status.SENT)


def _attempt_failed(notification: Notification, exc: Exception) -> SendOutcome:
    """Put a claimed row back to pending with its next try, or mark it failed for good."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    mine = Notification.objects.filter(pk=notification.pk, status=Status.SENDING)
    retry_at = _retry_at(notification, now) if _is_transient(exc) else None
    if retry_at is not None:
        mine.update(status=Status.PENDING, last_error=error, next_attempt_at=retry_at)
        logger.warning(
            "Notification %s: attempt %s failed, next try at %s: %s",
            notification.pk,
            notification.attempts,
            retry_at.isoformat(),
            error,
        )
        return SendOutcome(
            status=Status.PENDING, retry_in=max(1, math.ceil((retry_at - now).total_seconds()))
        )
    mine.update(status=Status.FAILED, last_error=error, failed_at=now)
    logger.error(
        "Notification %s failed after %s attempts: %s",
        notification.pk,
        notification.attempts,
        error,
    )
    return SendOutcome(status=Status.FAILED)
