"""Reads for clients' accounts: whose session it is, and the bookings made with its email."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from booking.models import Appointment, Booking
from booking.selectors import booking_list_upcoming

from .models import ClientAccount, SavedAddress


def client_for_user(*, user) -> ClientAccount | None:
    """The signed-in client's account, or None for anyone else (anonymous, staff, therapist)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ClientAccount.objects.filter(user=user, verified_at__isnull=False).first()


def booking_list_for_client(*, account: ClientAccount) -> QuerySet[Booking]:
    """Every booking made with the account's email, compared exactly in its normalised form (a
    look-alike address is another account), latest first."""
    return (
        Booking.objects.filter(client_email=account.email)
        .select_related("service")
        .order_by("-starts_at", "-pk")
    )


@dataclass(frozen=True)
class ClientBookings:
    upcoming: list[Booking]
    past: list[Booking]


def client_bookings(*, account: ClientAccount) -> ClientBookings:
    """The client's confirmed bookings still to come (soonest first) and all the others
    (latest first), each with its therapists: a fixed number of queries, whatever the count."""
    therapists = Prefetch(
        "appointments",
        queryset=Appointment.objects.active().select_related("therapist").order_by("pk"),
        to_attr="active_appointments",
    )
    upcoming = booking_list_upcoming(email=account.email).select_related("service")
    past = booking_list_for_client(account=account).exclude(pk__in=upcoming.values("pk"))
    return ClientBookings(
        upcoming=list(upcoming.prefetch_related(therapists)),
        past=list(past.prefetch_related(therapists)),
    )


def saved_address_list(*, account: ClientAccount) -> QuerySet[SavedAddress]:
    """The client's own saved addresses, oldest first; the only way any page reaches one."""
    return SavedAddress.objects.filter(account=account)
