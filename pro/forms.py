from datetime import datetime, time, timedelta

from allauth.account.forms import ConfirmLoginCodeForm, RequestLoginCodeForm
from django import forms
from django.utils import timezone

from booking.job_actions import LATE_MINUTES
from booking.selectors import business_timezone

from .services import Window, therapist_account_for_sign_in


class SignInCodeRequestForm(RequestLoginCodeForm):
    """allauth's form, finding the account only through a therapist's record: a staff account
    or an unknown address gets the same answer as a therapist, and no code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "Your email address"
        field.widget.attrs.update({"autocomplete": "email", "placeholder": ""})

    def clean_email(self):
        email = super().clean_email()
        if email:
            self._user = therapist_account_for_sign_in(email=email)
        return email


class RunningLateForm(forms.Form):
    minutes = forms.TypedChoiceField(
        choices=[(m, f"+{m} min") for m in LATE_MINUTES], coerce=int, label="How much later?"
    )
    key = forms.CharField(max_length=32)


def _time_field(label):
    return forms.TimeField(
        label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class DayHoursForm(forms.Form):
    """One weekday (its place in the formset, Monday first): off, or working from a start to
    an end (Atlanta time), with an optional second stretch for a split day."""

    works = forms.BooleanField(required=False, label="Working")
    starts_at = _time_field("From")
    ends_at = _time_field("Until")
    later_starts_at = _time_field("Then from (optional)")
    later_ends_at = _time_field("Until")

    def clean(self):
        data = super().clean()
        if not data.get("works"):
            return data
        self._check_stretch(data, "starts_at", "ends_at", required=True)
        self._check_stretch(data, "later_starts_at", "later_ends_at", required=False)
        ends, later = data.get("ends_at"), data.get("later_starts_at")
        if ends and later and later < ends:
            self.add_error("later_starts_at", "The second stretch must start after the first ends.")
        return data

    def _check_stretch(self, data, start_name, end_name, *, required):
        starts, ends = data.get(start_name), data.get(end_name)
        if not required and starts is None and ends is None:
            return
        if starts is None:
            self.add_error(start_name, "Enter a start time, like 09:00.")
        if ends is None:
            self.add_error(end_name, "Enter an end time, like 17:00.")
        if starts and ends and ends <= starts:
            self.add_error(end_name, "The end time must be after the start time.")

    def windows(self, weekday: int) -> list[Window]:
        data = self.cleaned_data
        if not data.get("works"):
            return []
        stretches = [(data["starts_at"], data["ends_at"])]
        if data.get("later_starts_at"):
            stretches.append((data["later_starts_at"], data["later_ends_at"]))
        return [Window(weekday, starts, ends) for starts, ends in stretches]


DayHoursFormSet = forms.formset_factory(
    DayHoursForm, extra=0, min_num=7, max_num=7, validate_min=True, validate_max=True
)


class TimeOffForm(forms.Form):
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(
        label="Until (the last day off)", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label="Note (optional)", max_length=200, required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day off can't be before the first.")
        if last and last < timezone.localdate():
            self.add_error("last_day", "Choose a day from today on.")
        return data

    def period(self) -> tuple[datetime, datetime]:
        """Whole days off in Atlanta: from the first day's midnight to the one after the last."""
        tz = business_timezone()
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        starts = datetime.combine(first, time.min, tzinfo=tz)
        return starts, datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)


class SignInCodeForm(ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = "Your 6-digit code"
        field.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": ""}
        )
