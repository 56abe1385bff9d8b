"""Who hears about a change to a booking: the client, staff, and each therapist who is or was
on it, with the kind of message each one needs; and who also gets it by text."""

from django.conf import settings
from django.core.exceptions import ValidationError

from therapists.validators import phone_to_e164

from ..models import Appointment, Booking, Notification
from .messages import KINDS, Audience, Change, kind_for

Kind = Notification.Kind

# A therapist who has had one of these is on the job, as far as they know.
THERAPIST_TOLD = {Kind.THERAPIST_ASSIGNED, Kind.THERAPIST_RESCHEDULED}


def _therapist_row(appointment: Appointment, kind: str) -> Notification:
    return Notification(
        booking_id=appointment.booking_id,
        appointment=appointment,
        kind=kind,
        recipient=appointment.therapist.email,
    )


def _therapist_kind(appointment: Appointment, last_notice: str | None, change: Change):
    """What a therapist needs to hear of ``change``, judged from their appointment and the last
    notice they were sent about it: a therapist new to the job gets the job, one taken off it
    (or on a cancelled booking) gets a cancellation, one kept on a moved booking the new time."""
    told = last_notice in THERAPIST_TOLD
    if change == Change.CANCELLED:
        return None if last_notice == Kind.THERAPIST_CANCELLED else Kind.THERAPIST_CANCELLED
    if not appointment.is_active:
        return Kind.THERAPIST_CANCELLED if told else None
    if told:
        return Kind.THERAPIST_RESCHEDULED if change == Change.RESCHEDULED else None
    return Kind.THERAPIST_ASSIGNED


def therapist_rows(
    booking: Booking, *, change: Change, created: list[Appointment] | None = None
) -> list[Notification]:
    """One notice per therapist who needs one (their latest appointment on the booking wins).
    Two queries, however many therapists; none for a booking just ``created`` with these
    appointments (with their therapists), about which nobody has been told anything yet."""
    if created is not None:
        appointments, last_notice = created, {}
    else:
        appointments = list(booking.appointments.select_related("therapist").order_by("id"))
        therapist_kinds = [k for k, spec in KINDS.items() if spec.audience is Audience.THERAPIST]
        last_notice = dict(
            Notification.objects.filter(appointment__in=appointments, kind__in=therapist_kinds)
            .order_by("appointment_id", "id")
            .values_list("appointment_id", "kind")
        )
    rows = {}
    for appointment in appointments:
        kind = _therapist_kind(appointment, last_notice.get(appointment.pk), change)
        if kind:
            rows[appointment.therapist_id] = _therapist_row(appointment, kind)
    return list(rows.values())


def change_rows(
    booking: Booking, *, change: Change, created: list[Appointment] | None = None
) -> list[Notification]:
    """Every message ``change`` to ``booking`` sends: client, therapists, staff
    (``created``: as ``therapist_rows``)."""
    rows = therapist_rows(booking, change=change, created=created)
    client_kind = kind_for(audience=Audience.CLIENT, change=change)
    staff_kind = kind_for(audience=Audience.STAFF, change=change)
    if client_kind:
        rows.insert(0, client_row(booking, client_kind))
    if staff_kind:
        rows.append(
            Notification(booking=booking, kind=staff_kind, recipient=settings.STAFF_ALERT_EMAIL)
        )
    return rows


def client_row(booking: Booking, kind: str, *, dedupe_key: str | None = None) -> Notification:
    return Notification(
        booking=booking, kind=kind, recipient=booking.client_email, dedupe_key=dedupe_key
    )


def _text_phone(row: Notification, audience: Audience) -> str | None:
    """Where the text of ``row`` goes: the client's phone if they agreed to texts when they
    booked, the therapist's phone; None for anyone else."""
    if audience is Audience.CLIENT:
        booking = row.booking
        raw = booking.client_phone if booking.text_consent_at is not None else ""
    elif audience is Audience.THERAPIST:
        raw = row.appointment.therapist.phone
    else:
        return None
    try:
        return phone_to_e164(raw) if raw else None
    except ValidationError:
        return None


def text_rows(rows: list[Notification]) -> list[Notification]:
    """The texts that go with these emails: one for each whose kind has a text and whose
    person can be texted, with the email's dedupe key (keys are unique per channel). Whether
    the number has replied STOP is asked when each is sent."""
    texts = []
    for row in rows:
        spec = KINDS.get(row.kind)
        if row.channel != Notification.Channel.EMAIL or spec is None or spec.text is None:
            continue
        if phone := _text_phone(row, spec.audience):
            texts.append(
                Notification(
                    booking_id=row.booking_id,
                    appointment=row.appointment,
                    kind=row.kind,
                    channel=Notification.Channel.SMS,
                    recipient=phone,
                    dedupe_key=row.dedupe_key,
                )
            )
    return texts
