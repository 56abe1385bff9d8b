from allauth.account.adapter import get_adapter
from allauth.account.forms import RequestLoginCodeForm
from allauth.core import context, ratelimit
from django import forms

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
