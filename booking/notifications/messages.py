"""What each kind of notification means, and how an outbox row becomes an email.

``KINDS`` is the one table of kinds: who a message is for, the booking change that sends it,
its subject and templates (``booking/templates/booking/email/<template>.txt`` and ``.html``),
and whether a calendar invite goes with it. Adding a kind is a row here, a choice on
``Notification.Kind`` and its templates.

Health notes never appear here: the therapist reads them on the private job page.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from payments.gateway import payments_enabled
from payments.selectors import payment_email_context
from therapists.credentials import CREDENTIALS
from therapists.selectors import credential_expiry_list

from ..calendar import booking_ics
from ..formatting import local_time, local_when
from ..models import Booking, Notification
from ..selectors import (
    booking_list_upcoming,
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


def _about(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix}: {context['service']}, {context['when']}"


def _job(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix}: {context['when']}, {context['area']}"


def _staff(prefix: str) -> Callable[[dict], str]:
    return lambda context: f"{prefix} {context['booking'].reference}: {context['when']}"


KINDS: dict[str, KindSpec] = {
    Kind.CLIENT_CONFIRMATION: KindSpec(
        Audience.CLIENT, "client_booking", _about("You're booked"), Change.CREATED, "REQUEST"
    ),
    Kind.CLIENT_RESCHEDULED: KindSpec(
        Audience.CLIENT, "client_booking", _about("Your new time"), Change.RESCHEDULED, "REQUEST"
    ),
    Kind.CLIENT_CANCELLED: KindSpec(
        Audience.CLIENT, "client_booking", _about("Cancelled"), Change.CANCELLED, "CANCEL"
    ),
    Kind.CLIENT_REMINDER: KindSpec(
        Audience.CLIENT, "client_booking", _about("See you soon"), calendar="REQUEST"
    ),
    Kind.THERAPIST_ASSIGNED: KindSpec(Audience.THERAPIST, "therapist_job", _job("New job")),
    Kind.THERAPIST_RESCHEDULED: KindSpec(Audience.THERAPIST, "therapist_job", _job("Job moved")),
    Kind.THERAPIST_CANCELLED: KindSpec(Audience.THERAPIST, "therapist_job", _job("Job cancelled")),
    Kind.STAFF_BOOKING_CREATED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("New booking"), Change.CREATED
    ),
    Kind.STAFF_BOOKING_RESCHEDULED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Rescheduled"), Change.RESCHEDULED
    ),
    Kind.STAFF_BOOKING_CANCELLED: KindSpec(
        Audience.STAFF, "staff_booking", _staff("Cancelled"), Change.CANCELLED
    ),
    Kind.MANAGE_LINKS: KindSpec(
        Audience.LINKS, "manage_links", lambda context: "Your Spa Theory booking links"
    ),
    Kind.CREDENTIAL_DIGEST: KindSpec(
        Audience.DIGEST,
        "credential_digest",
        lambda context: f"Therapist credentials to renew: {len(context['rows'])}",
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


# Context builders: one per audience; None when the message is no longer needed.


def _client_context(notification: Notification) -> dict | None:
    booking = notification.booking
    if notification.kind == Kind.CLIENT_REMINDER and (
        booking.status != Booking.Status.CONFIRMED or booking.starts_at <= timezone.now()
    ):
        return None
    active = booking.appointments.filter(is_active=True).select_related("therapist")
    return (
        _booking_context(booking)
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
    active = booking.appointments.filter(is_active=True).select_related("therapist")
    return _booking_context(booking) | {
        "therapists": [appointment.therapist for appointment in active],
        "admin_url": _admin_url(booking),
    }


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
    if not rows:
        return None
    return {"rows": rows, "warning_days": warning_days, "today": today}


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
