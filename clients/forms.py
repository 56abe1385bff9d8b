import copy

from allauth.account.adapter import get_adapter
from allauth.account.forms import RequestLoginCodeForm
from allauth.core import context, ratelimit
from crispy_forms.layout import Div, Field
from django import forms

from booking.forms import DetailsForm, ServiceStepForm, StepForm

from .models import SavedAddress
from .services import client_account_for_sign_in

# The rate limit (ACCOUNT_RATE_LIMITS) on clients asking for codes, apart from therapists'.
REQUEST_CODE_ACTION = "client_request_login_code"


class ClientSignInCodeRequestForm(RequestLoginCodeForm):
    """allauth's form, finding the account only through a client account with exactly this
    normalised address: every address gets the same answer, and a staff or therapist user
    never gets a code from here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "Your email address"
        field.help_text = "The one you book with."
        field.error_messages["invalid"] = "Enter an email address, like name@example.com."
        field.error_messages["required"] = "Enter your email address."
        field.widget.attrs.update({"autocomplete": "email", "placeholder": ""})

    def clean_email(self):
        email = get_adapter().clean_email(self.cleaned_data["email"])
        if not ratelimit.consume(context.request, action=REQUEST_CODE_ACTION, key=email):
            raise forms.ValidationError(
                "You've asked for several codes in a short time. Wait a few minutes, then try "
                "again.",
                code="rate_limited",
            )
        self._user = client_account_for_sign_in(email=email)
        return email


class DeleteAccountForm(forms.Form):
    """Every upcoming confirmed booking ticked as kept; the service checks the same again."""

    keep = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, upcoming, **kwargs):
        super().__init__(*args, **kwargs)
        self.upcoming = upcoming
        self.fields["keep"].choices = [(b.reference, b.reference) for b in upcoming]

    def clean_keep(self):
        kept = set(self.cleaned_data["keep"])
        if any(b.reference not in kept for b in self.upcoming):
            raise forms.ValidationError("Cancel each upcoming booking, or tick that you keep it.")
        return kept


# The address fields the details step asks for, each with its own label, checks and messages.
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "access_notes")
NEW_ADDRESS = "new"


def _field(form_class, name: str, **changes) -> forms.Field:
    field = copy.deepcopy(form_class.base_fields[name])
    for attribute, value in changes.items():
        setattr(field, attribute, value)
    return field


def _label_field(**changes) -> forms.CharField:
    field = forms.CharField(
        label="What do you call this address?",
        help_text="Like Home, A hotel or Mum's house. Only you see it.",
        max_length=SavedAddress._meta.get_field("label").max_length,
        error_messages={"required": "Give the address a name, like Home."},
    )
    for attribute, value in changes.items():
        setattr(field, attribute, value)
    return field


class SavedAddressForm(StepForm):
    """A saved address, added or changed on the client's addresses page."""

    label = _label_field()
    address_line1 = _field(DetailsForm, "address_line1")
    address_line2 = _field(DetailsForm, "address_line2")
    city = _field(DetailsForm, "city")
    zip_code = _field(ServiceStepForm, "zip_code", label="Zip code", help_text="Like 30309.")
    access_notes = _field(DetailsForm, "access_notes")


class ClientDetailsForm(DetailsForm):
    """The details step for a signed-in client: choose one of their saved addresses or type a
    new one, which they may save. A chosen address fills the booking's address fields here, on
    the server, from the client's own addresses only."""

    def __init__(self, *args, addresses, zip_code: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = {str(address.key): address for address in addresses}
        self.zip_code = zip_code
        if self.addresses:
            self.fields["saved_address"] = forms.ChoiceField(
                label="Where shall we come?",
                choices=[
                    (key, f"{address.label}: {address.one_line}")
                    for key, address in self.addresses.items()
                ]
                + [(NEW_ADDRESS, "A new address")],
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "invalid_choice": "Choose one of your addresses, or a new address.",
                },
            )
        self.fields["save_as"] = _label_field(
            label="Save this address as… (optional)",
            help_text="Like Home or Mum's house, to choose it next time. Only you see it.",
            required=False,
        )
        self.fields["save_as"].widget.attrs.update(
            {"class": "form-control", "aria-describedby": "id_save_as_hint"}
        )
        if self.is_bound and self._chosen_address() is not None:
            for name in ADDRESS_FIELDS:
                self.fields[name].required = False

    def _chosen_address(self) -> SavedAddress | None:
        return self.addresses.get(self.data.get("saved_address", ""))

    def layout_fields(self) -> list:
        fields = [field for field in super().layout_fields() if field.fields[0] != "save_as"]
        names = [field.fields[0] for field in fields]
        first = names.index("address_line1")
        last = names.index("access_notes")
        new_address = Div(
            *fields[first : last + 1],
            Field("save_as", template="booking/_field.html"),
            css_class="new-address",
        )
        if "saved_address" in self.fields:
            fields = [field for field in fields if field.fields[0] != "saved_address"]
            choice = Field("saved_address", template="booking/_field.html")
            return [
                *fields[:first],
                Div(choice, css_class="address-choice"),
                new_address,
                *fields[last + 1 :],
            ]
        return [*fields[:first], new_address, *fields[last + 1 :]]

    def clean(self):
        cleaned = super().clean()
        address = self._chosen_address()
        if address is None:
            return cleaned
        if address.zip_code != self.zip_code:
            self.add_error(
                "saved_address",
                f"{address.label} is in {address.zip_code}, but the times you chose are for "
                f"{self.zip_code}. Choose another address, or change the zip code on step 1.",
            )
            return cleaned
        for name in ADDRESS_FIELDS:
            cleaned[name] = getattr(address, name)
        cleaned["save_as"] = ""
        return cleaned

    def booking_details(self) -> dict:
        """The cleaned answers as ``booking_create`` takes them."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("saved_address", "save_as")
        }
