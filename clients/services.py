"""Writes for clients' accounts: their saved addresses."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import ClientAccount, SavedAddress

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
