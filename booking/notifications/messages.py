"""What each kind of notification means, and how an outbox row becomes an email or a text.

``KINDS`` is the one table of kinds: who a message is for, the booking change that sends it,
its subject and templates (``booking/templates/booking/email/<template>.txt`` and ``.html``),
whether a calendar invite goes with it, and its text, if it also goes by text. Adding a kind is
a row here, a choice on ``Notification.Kind`` and its templates; ``text=`` on the row sends it
by text too (to clients who agreed to texts, and to therapists).

Health notes never appear here: the therapist reads them on the private job page. Texts carry
no service name for clients either (a lock screen shows them to anyone nearby): a time, the
business's name and a private link.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from payments.gateway import payments_enabled
from payments.selectors import payment_email_context
from therapists.credentials import CREDENTIALS
from therapists.selectors import credential_expiry_list

from ..calendar import booking_ics
from ..formatting import local_time, local_when, local_when_text
from ..models import Appointment, Booking, Notification
from ..selectors import (
    appointment_list_at_risk,
    appointment_risk_reason,
    booking_list_upcoming,
    job_event_latest_arrival,
    notification_failure_alert_latest,
    notification_failures_after,
)
from ..wording import SPACE_NEEDED, late_cancellation_policy

Kind = Notification.Kind


class Audience(enum.Enum):
    CLIENT = "client"
    THERAPIST = "therapist"
    STAFF = "staff"
    # Messages about no single booking.
    LINKS = "links"
    DIGEST = "digest"
    FAILURES = "failures"


class Change(enum.StrEnum):
    """A change to a booking that people must hear about."""

    CREATED = "created"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REASSIGNED = "reassigned"


@dataclass(frozen=True)
class KindSpec:
    audience: Audience
    template: str
    # The subject, from the message's context.
    subject: Callable[[dict], str]
    # The booking change that sends it to the client or staff (therapists' kinds are chosen
    # per therapist, in ``recipients``).
    change: Change | None = None
    # METHOD of the calendar invite attached, if any.
    calendar: str | None = None
    # The text, from the message's context (with ``text_when``), when it also goes by text.
    text: Callable[[dict], str] | None = None


def _about(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix}: {context['service']}, {context['when']}"


def _job(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix}: {context['when']}, {context['area']}"


def _staff(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix} {context['booking'].reference}: {context['when']}"


# Every text names us, so the person knows who writes; the client's say how to stop them.
TEXT_SIGNATURE = "Spa Theory: "
TEXT_STOP = " Reply STOP to end."


def _client_text(news: str) -> Callable[[dict], str]:
    """``news`` with ``{when}`` for the time, then the booking's private link."""
    return lambda context: (
        f"{TEXT_SIGNATURE}{news.format(when=context['text_when'])}"
        f" Details: {context['manage_url']}{TEXT_STOP}"
    )


def _job_text(news: str, *, link: bool = True) -> Callable[[dict], str]:
    def text(context: dict) -> str:
        job = f"{context['booking'].minutes} min {context['service']}, {context['area']}"
        details = f" Details: {context['job_url']}" if link else ""
        return f"{TEXT_SIGNATURE}{news} {context['text_when']}, {job}.{details}"

    return text


KINDS: dict[str, KindSpec] = {
    Kind.CLIENT_CONFIRMATION: KindSpec(
        Audience.CLIENT,
        "client_booking",
        _about("You're booked"),
        Change.CREATED,
        "REQUEST",
        text=_client_text("you're booked for {when}."),
    ),
    Kind.CLIENT_RESCHEDULED: KindSpec(
        Audience.CLIENT,
        "client_booking",
        _about("Your new time"),
        Change.RESCHEDULED,
        "REQUEST",
        text=_client_text("your massage has moved to {when}."),
    ),
    Kind.CLIENT_CANCELLED: KindSpec(
        Audience.CLIENT,
        "client_booking",
        _about("Cancelled"),
        Change.CANCELLED,
        "CANCEL",
        text=_client_text("your massage on {when} is cancelled."),
    ),
    Kind.CLIENT_REMINDER: KindSpec(
        Audience.CLIENT,
        "client_booking",
        _about("See you soon"),
        calendar="REQUEST",
        text=_client_text("see you soon! Your massage is {when}."),
    ),
    Kind.THERAPIST_ASSIGNED: KindSpec(
        Audience.THERAPIST, "therapist_job", _job("New job"), text=_job_text("new job")
    ),
    Kind.THERAPIST_RESCHEDULED: KindSpec(
        Audience.THERAPIST, "therapist_job", _job("Job moved"), text=_job_text("job moved to")
    ),
    Kind.THERAPIST_CANCELLED: KindSpec(
        Audience.THERAPIST,
        "therapist_job",
        _job("Job cancelled"),
        text=_job_text("job cancelled, you're no longer needed:", link=False),
    ),
    Kind.CLIENT_THERAPIST_CHANGED: KindSpec(
        Audience.CLIENT,
        "client_booking",
        _about("Your new therapist"),
        Change.REASSIGNED,
        text=_client_text("new therapist for {when}."),
    ),
    Kind.STAFF_BOOKING_CREATED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("New booking"), Change.CREATED
    ),
    Kind.STAFF_BOOKING_RESCHEDULED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Rescheduled"), Change.RESCHEDULED
    ),
    Kind.STAFF_BOOKING_CANCELLED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Cancelled"), Change.CANCELLED
    ),
    Kind.STAFF_JOB_DECLINED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Declined, needs a therapist")
    ),
    Kind.CLIENT_ON_MY_WAY: KindSpec(
        Audience.CLIENT,
        "client_job_update",
        lambda context: (
            f"{context['therapist_first_name']} is on the way, arriving {context['arrives']}"
        ),
        text=lambda context: (
            f"{TEXT_SIGNATURE}{context['therapist_first_name']} is on the way, arriving"
            f" {context['arrives']}.{TEXT_STOP}"
        ),
    ),
    Kind.CLIENT_RUNNING_LATE: KindSpec(
        Audience.CLIENT,
        "client_job_update",
        lambda context: (
            f"{context['therapist_first_name']} is running late, arriving {context['arrives']}"
        ),
        text=lambda context: (
            f"{TEXT_SIGNATURE}{context['therapist_first_name']} is running late, arriving"
            f" {context['arrives']}.{TEXT_STOP}"
        ),
    ),
    Kind.STAFF_RUNNING_LATE: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Therapist running late")
    ),
    Kind.MANAGE_LINKS: KindSpec(
        Audience.LINKS, "manage_links", lambda context: "Your Spa Theory booking links"
    ),
    Kind.CREDENTIAL_DIGEST: KindSpec(
        Audience.DIGEST,
        "credential_digest",
        lambda context: _digest_subject(context),
    ),
    Kind.CLIENT_RECEIPT: KindSpec(Audience.CLIENT, "client_receipt", _about("Your receipt")),
    Kind.CLIENT_PAYMENT_DUE: KindSpec(
        Audience.CLIENT, "client_payment_due", _about("Your card was declined")
    ),
    Kind.NOTIFICATION_FAILURES: KindSpec(
        Audience.FAILURES,
        "notification_failures",
        lambda context: f"Messages that could not be sent: {context['count']}",
    ),
}


def _digest_subject(context: dict) -> str:
    parts = []
    if context["at_risk"]:
        parts.append(f"Appointments at risk: {len(context['at_risk'])}")
    if context["rows"]:
        parts.append(f"Therapist credentials to renew: {len(context['rows'])}")
    return "; ".join(parts)


PAYMENT_KINDS = {Kind.CLIENT_RECEIPT, Kind.CLIENT_PAYMENT_DUE}


# The failures one staff alert lists; the count and the admin link cover the rest.
FAILURES_LISTED = 20


def kind_for(*, audience: Audience, change: Change) -> str | None:
    """The kind a booking ``change`` sends to ``audience`` (client or staff), if any."""
    return next(
        (
            kind
            for kind, spec in KINDS.items()
            if spec.audience is audience and spec.change == change
        ),
        None,
    )


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + booking.get_absolute_url()


def _admin_url(booking: Booking) -> str:
    try:
        return settings.SITE_URL + reverse("admin:booking_booking_change", args=[booking.pk])
    except NoReverseMatch:
        return ""


def _booking_context(booking: Booking) -> dict:
    return {
        "booking": booking,
        "when": local_when(booking.starts_at),
        "ends": local_time(booking.ends_at),
        "service": booking.service.name,
        "area": f"{booking.city} {booking.zip_code}",
    }


# Loads, with a batch of rows, the appointments the client and staff messages name.
ACTIVE_APPOINTMENTS = Prefetch(
    "booking__appointments",
    queryset=Appointment.objects.filter(is_active=True).select_related("therapist"),
    to_attr="active_appointments",
)


def _active_appointments(booking: Booking) -> list[Appointment]:
    prefetched = getattr(booking, "active_appointments", None)
    if prefetched is not None:
        return prefetched
    return list(booking.appointments.filter(is_active=True).select_related("therapist"))


# Context builders: one per audience; None when the message is no longer needed.

JOB_UPDATES = {Kind.CLIENT_ON_MY_WAY, Kind.CLIENT_RUNNING_LATE, Kind.STAFF_RUNNING_LATE}


def _job_update_context(notification: Notification) -> dict:
    """What a therapist said on the way to a job: who, and when they expect to arrive."""
    if notification.kind not in JOB_UPDATES:
        return {}
    event = job_event_latest_arrival(
        appointment_id=notification.appointment_id, before=notification.created_at
    )
    appointment = notification.appointment
    return {
        "therapist_first_name": appointment.therapist.first_name,
        "arrives": local_time(event.expected_at if event else appointment.starts_at),
        "minutes_late": event.minutes_late if event else None,
    }


def _client_context(notification: Notification) -> dict | None:
    booking = notification.booking
    if notification.kind == Kind.CLIENT_REMINDER and (
        booking.status != Booking.Status.CONFIRMED or booking.starts_at <= timezone.now()
    ):
        return None
    if notification.kind in JOB_UPDATES and booking.status != Booking.Status.CONFIRMED:
        return None
    active = _active_appointments(booking)
    return (
        _booking_context(booking)
        | _job_update_context(notification)
        | {
            "first_name": booking.client_first_name,
            "manage_url": manage_url(booking),
            "therapist_names": [appointment.therapist.first_name for appointment in active],
            "is_couples": booking.service.is_couples,
            "late_hours": settings.BOOKING_LATE_CANCELLATION_HOURS,
            "late_policy": late_cancellation_policy(),
            "space_needed": SPACE_NEEDED,
            "terms_url": settings.SITE_URL + reverse("terms"),
            "payments_on": payments_enabled(),
        }
        | (payment_email_context(booking=booking) if notification.kind in PAYMENT_KINDS else {})
    )


def _therapist_context(notification: Notification) -> dict | None:
    appointment, booking = notification.appointment, notification.booking
    if notification.kind == Kind.THERAPIST_ASSIGNED and (
        not appointment.is_active or booking.status != Booking.Status.CONFIRMED
    ):
        return None
    return _booking_context(booking) | {
        "appointment": appointment,
        "therapist": appointment.therapist,
        "when": local_when(appointment.starts_at),
        "ends": local_time(appointment.ends_at),
        "job_url": settings.SITE_URL + appointment.get_absolute_url(),
    }


def _staff_context(notification: Notification) -> dict:
    booking = notification.booking
    active = _active_appointments(booking)
    return (
        _booking_context(booking)
        | _job_update_context(notification)
        | {
            "therapists": [appointment.therapist for appointment in active],
            "admin_url": _admin_url(booking),
            "declined_by": (
                notification.appointment.therapist
                if notification.kind == Kind.STAFF_JOB_DECLINED
                else None
            ),
        }
    )


def _links_context(notification: Notification) -> dict | None:
    bookings = booking_list_upcoming(email=notification.recipient).select_related("service")
    entries = [
        {"booking": b, "when": local_when(b.starts_at), "manage_url": manage_url(b)}
        for b in bookings
    ]
    return {"bookings": entries} if entries else None


def _digest_context(notification: Notification) -> dict | None:
    today, warning_days = timezone.localdate(), settings.CREDENTIAL_WARNING_DAYS
    rows = []
    for therapist in credential_expiry_list(day=today, within_days=warning_days):
        items = []
        for credential in CREDENTIALS:
            expires = getattr(therapist, credential.expires)
            if expires is not None and (expires - today).days <= warning_days:
                days = (expires - today).days
                items.append({"label": credential.short_name, "date": expires, "days": days})
        rows.append({"therapist": therapist, "items": items})
    at_risk = [
        {
            "appointment": appointment,
            "when": local_when(appointment.starts_at),
            "reason": appointment_risk_reason(appointment),
            "admin_url": _admin_url(appointment.booking),
        }
        for appointment in appointment_list_at_risk()
    ]
    if not rows and not at_risk:
        return None
    return {"rows": rows, "at_risk": at_risk, "warning_days": warning_days, "today": today}


def _failures_context(notification: Notification) -> dict | None:
    previous = notification_failure_alert_latest(before=notification.created_at, sent=True)
    failures = notification_failures_after(alert=previous).select_related("booking")
    count = failures.count()
    if not count:
        return None
    rows = [
        {"notification": row, "when": local_when(row.failed_at)}
        for row in failures[:FAILURES_LISTED]
    ]
    return {"rows": rows, "count": count, "more": count - len(rows), "admin_url": _failed_url()}


def _failed_url() -> str:
    try:
        changelist = reverse("admin:booking_notification_changelist")
    except NoReverseMatch:
        return ""
    return f"{settings.SITE_URL}{changelist}?status__exact={Notification.Status.FAILED}"


CONTEXTS = {
    Audience.CLIENT: _client_context,
    Audience.THERAPIST: _therapist_context,
    Audience.STAFF: _staff_context,
    Audience.LINKS: _links_context,
    Audience.DIGEST: _digest_context,
    Audience.FAILURES: _failures_context,
}


def notification_message(notification: Notification) -> EmailMultiAlternatives | None:
    """The email for ``notification``, or None when it is no longer needed (a reminder for a
    cancelled booking, a links email for someone with no upcoming bookings)."""
    spec = KINDS.get(notification.kind)
    if spec is None:
        raise ValueError(f"No email for notification kind {notification.kind!r}")
    context = CONTEXTS[spec.audience](notification)
    if context is None:
        return None
    subject = spec.subject(context)
    context |= {"kind": notification.kind, "site_url": settings.SITE_URL, "subject": subject}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"booking/email/{spec.template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Spa-Theory-Notification": str(notification.pk)},
    )
    message.attach_alternative(
        render_to_string(f"booking/email/{spec.template}.html", context), "text/html"
    )
    if spec.calendar:
        invite = booking_ics(booking=notification.booking, method=spec.calendar)
        message.attach(
            "spa-theory-booking.ics",
            invite,
            f"text/calendar; charset=utf-8; method={spec.calendar}",
        )
    return message


def notification_text(notification: Notification) -> str | None:
    """The text for ``notification``, or None when it is no longer needed (as for email)."""
    spec = KINDS.get(notification.kind)
    if spec is None or spec.text is None:
        raise ValueError(f"No text for notification kind {notification.kind!r}")
    context = CONTEXTS[spec.audience](notification)
    if context is None:
        return None
    about = context.get("appointment") or context["booking"]
    return spec.text(context | {"text_when": local_when_text(about.starts_at)})
