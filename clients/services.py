"""Writes for clients' accounts: the account a sign-in code goes to, its verification, the
download of everything held about the client, deleting the account, and saved addresses."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking
from booking.retention import booking_anonymise
from booking.selectors import booking_list_upcoming
from therapists.validators import email_normalise

from .models import ClientAccount, SavedAddress
from .selectors import booking_list_for_client, saved_address_list


def _account_for_email(email: str) -> ClientAccount:
    account = ClientAccount.objects.select_related("user").filter(email=email).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=f"client-{secrets.token_hex(8)}")
            return ClientAccount.objects.create(user=user, email=email)
    except IntegrityError:
        # A second request for the same address created the account first.
        return ClientAccount.objects.select_related("user").get(email=email)


def client_account_for_sign_in(*, email: str) -> AbstractBaseUser | None:
    """The user a client's sign-in code for ``email`` goes to: that of the client account with
    exactly this normalised address, created (with no password) on first use. None when staff
    made that user staff or inactive, or it belongs to a therapist: they get the same answer as
    anyone, and no code. The account sees nothing until the code is entered."""
    account = _account_for_email(email_normalise(email))
    user = account.user
    if not user.is_active or user.is_staff or user.is_superuser:
        return None
    if hasattr(user, "therapist_account"):
        return None
    return user


def client_account_verify(*, user: AbstractBaseUser) -> None:
    """The first correct code proves the address: from then on the account sees its bookings."""
    ClientAccount.objects.filter(user=user, verified_at__isnull=True).update(
        verified_at=timezone.now()
    )


def _when(value):
    return value.isoformat() if value else None


def _booking_export(booking: Booking) -> dict:
    return {
        "reference": booking.reference,
        "status": booking.get_status_display(),
        "service": booking.service.name,
        "minutes": booking.minutes,
        "price": str(booking.price),
        "starts_at": _when(booking.starts_at),
        "ends_at": _when(booking.ends_at),
        "name": booking.client_name,
        "email": booking.client_email,
        "phone": booking.client_phone,
        "address": {
            "line1": booking.address_line1,
            "line2": booking.address_line2,
            "city": booking.city,
            "state": booking.state,
            "zip_code": booking.zip_code,
        },
        "access_notes": booking.access_notes,
        "preferences": {
            "therapist": booking.get_gender_preference_display(),
            "pressure": booking.get_pressure_display(),
        },
        "health_notes": booking.health_notes,
        "referral": {
            "prescriber_name": booking.prescriber_name,
            "prescriber_practice": booking.prescriber_practice,
            "prescriber_phone": booking.prescriber_phone,
            "prescribed_on": _when(booking.prescribed_on),
        },
        "late_cancellation": booking.late_cancellation,
        "consent_given_at": _when(booking.consent_given_at),
        "text_consent_at": _when(booking.text_consent_at),
        "booked_at": _when(booking.created_at),
        "cancelled_at": _when(booking.cancelled_at),
        "completed_at": _when(booking.completed_at),
        "payments": [
            {
                "purpose": payment.get_purpose_display(),
                "amount_cents": payment.amount_cents,
                "status": payment.get_status_display(),
                "created_at": _when(payment.created_at),
                "succeeded_at": _when(payment.succeeded_at),
            }
            for payment in booking.payments.all()
        ],
    }


def client_data_export(*, account: ClientAccount) -> dict:
    """Everything held about the client, as plain JSON-ready data: the account and every
    booking made with its email, and the saved addresses. New kinds of data add a key here."""
    bookings = booking_list_for_client(account=account).prefetch_related("payments")
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": account.email,
            "created_at": _when(account.created_at),
            "verified_at": _when(account.verified_at),
        },
        "bookings": [_booking_export(booking) for booking in bookings],
        "saved_addresses": [
            {name: getattr(address, name) for name in ADDRESS_FIELDS}
            for address in saved_address_list(account=account)
        ],
    }


@dataclass(frozen=True)
class AccountDeleted:
    anonymised: int
    kept: int


def client_account_delete(*, account: ClientAccount, keep: set[str]) -> AccountDeleted:
    """Delete the client's account and user, after anonymising their bookings as the retention
    run does. Every confirmed booking still to come must be named in ``keep`` (by reference):
    it stays booked, as a guest booking reached by its private link, with the details the
    therapist needs; nothing is cancelled here. Refused, changing nothing, while one is not."""
    with transaction.atomic():
        account = (
            ClientAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
        )
        upcoming = set(
            booking_list_upcoming(email=account.email).values_list("reference", flat=True)
        )
        if upcoming - keep:
            raise ValidationError(
                "Cancel each upcoming booking, or tick that you keep it.", code="upcoming"
            )
        past = booking_list_for_client(account=account).exclude(reference__in=upcoming)
        done = booking_anonymise(ids=list(past.values_list("pk", flat=True)), now=timezone.now())
        account.user.delete()
    return AccountDeleted(anonymised=done.bookings, kept=len(upcoming))


ADDRESS_FIELDS = (
    "label",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "access_notes",
)


def _label_taken(label: str) -> ValidationError:
    return ValidationError({"label": [f"You already have an address called {label}."]})


def _address_save(address: SavedAddress) -> SavedAddress:
    address.full_clean(exclude=["account"], validate_constraints=False)
    taken = SavedAddress.objects.filter(account=address.account, label__iexact=address.label)
    if taken.exclude(pk=address.pk).exists():
        raise _label_taken(address.label)
    try:
        with transaction.atomic():
            address.save()
    except IntegrityError:
        # The same label saved at the same moment from another tab.
        raise _label_taken(address.label) from None
    return address


def saved_address_create(*, account: ClientAccount, **fields) -> SavedAddress:
    """Save a place for the client to choose in the details step; raises ValidationError."""
    values = {name: fields[name] for name in ADDRESS_FIELDS if name in fields}
    return _address_save(SavedAddress(account=account, **values))


def saved_address_update(*, address: SavedAddress, **fields) -> SavedAddress:
    """Change a saved address. Bookings made with it keep the address they were made with."""
    for name in ADDRESS_FIELDS:
        if name in fields:
            setattr(address, name, fields[name])
    return _address_save(address)


def saved_address_delete(*, address: SavedAddress) -> None:
    address.delete()
