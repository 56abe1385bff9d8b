"""Turning an outbox row into an email: subject, plain text and HTML from templates in
``booking/templates/booking/email/``, and the calendar invite for client messages.

Health notes never appear here: the therapist reads them on the private job page."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .calendar import booking_ics
from .models import Booking, Notification

Kind = Notification.Kind

CLIENT_KINDS = {
    Kind.CLIENT_CONFIRMATION,
    Kind.CLIENT_RESCHEDULED,
    Kind.CLIENT_CANCELLED,
    Kind.CLIENT_REMINDER,
}
THERAPIST_KINDS = {Kind.THERAPIST_ASSIGNED, Kind.THERAPIST_RESCHEDULED, Kind.THERAPIST_CANCELLED}
STAFF_KINDS = {
    Kind.STAFF_BOOKING_CREATED,
    Kind.STAFF_BOOKING_RESCHEDULED,
    Kind.STAFF_BOOKING_CANCELLED,
}


def local_time(value) -> str:
    """``2:00 pm`` in Atlanta time."""
    local = timezone.localtime(value)
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local.hour % 12 or 12}:{local.minute:02d} {suffix}"


def local_when(value) -> str:
    """``Tue, Dec 1 · 2:00 pm`` in Atlanta time."""
    local = timezone.localtime(value)
    return f"{local:%a, %b} {local.day} · {local_time(value)}"


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + booking.get_absolute_url()


def _booking_context(booking: Booking) -> dict:
    return {
        "booking": booking,
        "first_name": booking.client_first_name,
        "when": local_when(booking.starts_at),
        "ends": local_time(booking.ends_at),
        "service": booking.service.name,
        "area": f"{booking.city} {booking.zip_code}",
        "manage_url": manage_url(booking),
    }


def _client(notification: Notification):
    booking = notification.booking
    if notification.kind == Kind.CLIENT_REMINDER and (
        booking.status != Booking.Status.CONFIRMED or booking.starts_at <= timezone.now()
    ):
        return None
    context = _booking_context(booking)
    subjects = {
        Kind.CLIENT_CONFIRMATION: f"You're booked: {context['service']}, {context['when']}",
        Kind.CLIENT_RESCHEDULED: f"Your new time: {context['service']}, {context['when']}",
        Kind.CLIENT_CANCELLED: f"Cancelled: {context['service']}, {context['when']}",
        Kind.CLIENT_REMINDER: f"See you soon: {context['service']}, {context['when']}",
    }
    method = "CANCEL" if notification.kind == Kind.CLIENT_CANCELLED else "REQUEST"
    ics = ("spa-theory-booking.ics", booking_ics(booking=booking, method=method), method)
    return subjects[notification.kind], "client_booking", context, ics


def _therapist(notification: Notification):
    appointment = notification.appointment
    booking = notification.booking
    if notification.kind == Kind.THERAPIST_ASSIGNED and (
        not appointment.is_active or booking.status != Booking.Status.CONFIRMED
    ):
        return None
    context = _booking_context(booking) | {
        "appointment": appointment,
        "therapist": appointment.therapist,
        "when": local_when(appointment.starts_at),
        "ends": local_time(appointment.ends_at),
        "job_url": settings.SITE_URL + appointment.get_absolute_url(),
    }
    del context["manage_url"], context["first_name"]
    subjects = {
        Kind.THERAPIST_ASSIGNED: "New job",
        Kind.THERAPIST_RESCHEDULED: "Job moved",
        Kind.THERAPIST_CANCELLED: "Job cancelled",
    }
    subject = f"{subjects[notification.kind]}: {context['when']}, {context['area']}"
    return subject, "therapist_job", context, None


def _staff(notification: Notification):
    booking = notification.booking
    context = _booking_context(booking) | {
        "therapists": [
            a.therapist
            for a in booking.appointments.filter(is_active=True).select_related("therapist")
        ],
        "admin_url": _admin_url(booking),
    }
    del context["manage_url"]
    subjects = {
        Kind.STAFF_BOOKING_CREATED: "New booking",
        Kind.STAFF_BOOKING_RESCHEDULED: "Rescheduled",
        Kind.STAFF_BOOKING_CANCELLED: "Cancelled",
    }
    subject = f"{subjects[notification.kind]} {booking.reference}: {context['when']}"
    return subject, "staff_booking", context, None


def _admin_url(booking: Booking) -> str:
    try:
        return settings.SITE_URL + reverse("admin:booking_booking_change", args=[booking.pk])
    except NoReverseMatch:
        return ""


def _manage_links(notification: Notification):
    from .notifications import upcoming_bookings_for

    bookings = list(upcoming_bookings_for(notification.recipient).select_related("service"))
    if not bookings:
        return None
    context = {
        "bookings": [
            {"booking": b, "when": local_when(b.starts_at), "manage_url": manage_url(b)}
            for b in bookings
        ]
    }
    return "Your Spa Theory booking links", "manage_links", context, None


def _credential_digest(notification: Notification):
    from therapists.models import CREDENTIAL_EXPIRY_FIELDS

    from .notifications import credential_expiry_list

    today = timezone.localdate()
    rows = []
    for therapist in credential_expiry_list():
        items = []
        for field, label in CREDENTIAL_EXPIRY_FIELDS.items():
            expires = getattr(therapist, field)
            if expires is None:
                continue
            days = (expires - today).days
            if days <= settings.CREDENTIAL_WARNING_DAYS:
                items.append({"label": label, "date": expires, "days": days})
        rows.append({"therapist": therapist, "items": items})
    if not rows:
        return None
    context = {"rows": rows, "warning_days": settings.CREDENTIAL_WARNING_DAYS, "today": today}
    subject = f"Therapist credentials to renew: {len(rows)}"
    return subject, "credential_digest", context, None


def notification_message(notification: Notification) -> EmailMultiAlternatives | None:
    """The email for ``notification``, or None when it is no longer needed (a reminder for a
    cancelled booking, a links email for someone with no upcoming bookings)."""
    if notification.kind in CLIENT_KINDS:
        built = _client(notification)
    elif notification.kind in THERAPIST_KINDS:
        built = _therapist(notification)
    elif notification.kind in STAFF_KINDS:
        built = _staff(notification)
    elif notification.kind == Kind.MANAGE_LINKS:
        built = _manage_links(notification)
    elif notification.kind == Kind.CREDENTIAL_DIGEST:
        built = _credential_digest(notification)
    else:
        raise ValueError(f"No email for notification kind {notification.kind!r}")
    if built is None:
        return None
    subject, template, context, ics = built
    context = context | {
        "kind": notification.kind,
        "site_url": settings.SITE_URL,
        "subject": subject,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"booking/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Spa-Theory-Notification": str(notification.pk)},
    )
    message.attach_alternative(
        render_to_string(f"booking/email/{template}.html", context), "text/html"
    )
    if ics:
        filename, content, method = ics
        message.attach(filename, content, f"text/calendar; charset=utf-8; method={method}")
    return message
