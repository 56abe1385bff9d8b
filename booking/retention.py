"""Data retention: once a booking ended ``BOOKING_RETENTION_MONTHS`` ago, the client's personal
details go and the business figures stay.

Removed: the client's name, email, phone, street address (both lines), city, access notes,
health notes, the second person's name and health notes (couples) and the referral
(prescriber's name, practice, phone and date); the client's address on the messages about the
booking, and every error those messages recorded (a mail server's refusal quotes the address).
Kept: the service, minutes, price, times, status, late-cancellation flag, both people's
pressure and the therapist-gender preference, when consent was given, the therapists'
appointments, and the zip code: a metro-Atlanta zip holds tens of thousands of people, so with
the name, street and contact details gone it points at nobody, and it keeps the figures by
area and the therapists' travel history. The "lost your link?" emails (about no single
booking) lose their recipient after the same time.

Required fields get placeholders that still pass the model's checks, so an anonymised booking
reads plainly in admin ("Anonymised") and stays valid: an address on the reserved ``.invalid``
domain, which no mail server delivers to, and a number from the 555-0100 to 555-0199 range kept
for fiction. Bookings have no history table (``simple_history`` tracks therapists only), and
admin's change log records a booking's reference and the names of the fields changed, never
their values, so nothing else holds the details.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from .models import Booking, Notification
from .notifications.messages import KINDS, Audience
from .selectors import booking_list_to_anonymise

ANONYMISED = "Anonymised"
ANONYMISED_DOMAIN = "anonymised.invalid"
ANONYMISED_PHONE = "+14045550100"
BATCH_SIZE = 500

CLIENT_KINDS = [kind for kind, spec in KINDS.items() if spec.audience is Audience.CLIENT]


@dataclass(frozen=True)
class AnonymisedCount:
    bookings: int
    messages: int


def retention_cutoff(*, now: datetime, months: int) -> datetime:
    """``months`` calendar months before ``now``, in Atlanta wall time (from the 31st, the
    last day of a shorter month)."""
    local = timezone.localtime(now)
    year, month_index = divmod(local.year * 12 + local.month - 1 - months, 12)
    month = month_index + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def _anonymised_email(id_field: str, prefix: str = "anonymised-"):
    """``anonymised-<id>@anonymised.invalid``, built in SQL from each row's ``id_field``."""
    return Concat(
        Value(prefix),
        Cast(id_field, CharField()),
        Value(f"@{ANONYMISED_DOMAIN}"),
        output_field=CharField(),
    )


def booking_anonymise(*, ids: list[int], now: datetime) -> AnonymisedCount:
    """Remove the client's details from the bookings ``ids`` (and from the messages about
    them), in one transaction; a booking already anonymised is left as it is. The one way
    details go: the retention run below, and a client deleting their account."""
    with transaction.atomic():
        bookings = Booking.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(
            client_name=ANONYMISED,
            client_email=_anonymised_email("id"),
            client_phone=ANONYMISED_PHONE,
            address_line1=ANONYMISED,
            address_line2="",
            city=ANONYMISED,
            access_notes="",
            health_notes="",
            second_person_name="",
            second_person_health_notes="",
            prescriber_name="",
            prescriber_practice="",
            prescriber_phone="",
            prescribed_on=None,
            anonymised_at=now,
            updated_at=now,
        )
        messages = Notification.objects.filter(booking_id__in=ids)
        messages.exclude(last_error="").update(last_error="")
        to_client = messages.filter(kind__in=CLIENT_KINDS)
        readdressed = to_client.filter(channel=Notification.Channel.EMAIL).update(
            recipient=_anonymised_email("booking_id")
        ) + to_client.filter(channel=Notification.Channel.SMS).update(recipient=ANONYMISED_PHONE)
    return AnonymisedCount(bookings=bookings, messages=readdressed)


def _links_emails_anonymise(*, before: datetime) -> int:
    return (
        Notification.objects.filter(kind=Notification.Kind.MANAGE_LINKS, created_at__lt=before)
        .exclude(recipient__endswith=f"@{ANONYMISED_DOMAIN}")
        .update(recipient=_anonymised_email("id", "anonymised-message-"), last_error="")
    )


def booking_anonymise_ended(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> AnonymisedCount:
    """Anonymise every booking that ended before the retention cutoff and still holds the
    client's details, in batches of ``batch_size``, each its own transaction. A booking already
    anonymised (by an earlier run, or one running alongside) is left as it is, so a run can be
    stopped and started again and a second run changes nothing."""
    months = settings.BOOKING_RETENTION_MONTHS
    if months <= 0:
        return AnonymisedCount(bookings=0, messages=0)
    now = now or timezone.now()
    cutoff = retention_cutoff(now=now, months=months)
    due = booking_list_to_anonymise(ended_before=cutoff).order_by("pk")
    bookings = messages = 0
    while ids := list(due.values_list("pk", flat=True)[:batch_size]):
        done = booking_anonymise(ids=ids, now=now)
        bookings, messages = bookings + done.bookings, messages + done.messages
    messages += _links_emails_anonymise(before=cutoff)
    return AnonymisedCount(bookings=bookings, messages=messages)
