"""The booking details step for a signed-in client: their saved addresses to choose from, and
a new address saved when they ask. Guests get the step exactly as it is without an account."""

from django.core.exceptions import ValidationError

from booking.draft import BookingDraft
from booking.forms import DetailsForm

from .forms import ADDRESS_FIELDS, NEW_ADDRESS, ClientDetailsForm
from .models import ClientAccount, SavedAddress
from .selectors import client_for_user, saved_address_list
from .services import saved_address_create


def _same_place(address: SavedAddress, details: dict, zip_code: str) -> bool:
    return address.zip_code == zip_code and all(
        getattr(address, name) == (details.get(name) or "") for name in ADDRESS_FIELDS
    )


def _initial(addresses: list[SavedAddress], draft: BookingDraft) -> dict:
    """The answers given before; the saved address they came from, if any, chosen again."""
    initial = dict(draft.details)
    if not addresses:
        return initial
    same = next((a for a in addresses if _same_place(a, initial, draft.zip_code)), None)
    if same is not None:
        initial["saved_address"] = str(same.key)
        for name in ADDRESS_FIELDS:
            initial.pop(name, None)
    elif initial.get("address_line1"):
        initial["saved_address"] = NEW_ADDRESS
    else:
        here = next((a for a in addresses if a.zip_code == draft.zip_code), None)
        initial["saved_address"] = str(here.key) if here else NEW_ADDRESS
    return initial


def details_form(request, *, draft: BookingDraft, service, data=None, day=None) -> DetailsForm:
    account = client_for_user(user=request.user)
    if account is None:
        return DetailsForm(data, initial=draft.details, service=service, day=day)
    addresses = list(saved_address_list(account=account))
    return ClientDetailsForm(
        data,
        initial=_initial(addresses, draft) if data is None else None,
        service=service,
        day=day,
        addresses=addresses,
        zip_code=draft.zip_code,
    )


def details_answers(request, form: DetailsForm, *, draft: BookingDraft) -> dict:
    """The valid form's answers as the draft keeps them (``booking_create``'s names). A new
    address the client asked to save is saved now; raises ValidationError if it can't be."""
    if not isinstance(form, ClientDetailsForm):
        return dict(form.cleaned_data)
    label = form.cleaned_data.get("save_as")
    if label:
        account: ClientAccount = client_for_user(user=request.user)
        try:
            saved_address_create(
                account=account,
                label=label,
                zip_code=draft.zip_code,
                **{name: form.cleaned_data[name] for name in ADDRESS_FIELDS},
            )
        except ValidationError as error:
            # Only the label can be wrong here: the address passed the form's own checks.
            messages = error.message_dict.get("label") or error.messages
            raise ValidationError({"save_as": messages}) from None
    return form.booking_details()
