from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html

from therapists.validators import validate_phone, validate_zip_code

from .models import Booking, Service, ServiceDuration
from .selectors import lengths_offered_message
from .validation import (
    REFERRAL_FIELDS,
    SECOND_PERSON_FIELDS,
    referral_covers,
    referral_expired_message,
)
from .wording import SPACE_NEEDED

# Free-text answers are kept to a size a person writes; anything longer is refused, not cut.
NOTES_MAX_LENGTH = 2000


def errors_onto_form(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: each message next to its field when the form has
    it, else at the top."""
    fields = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, field_messages in fields.items():
        form.add_error(field if field in form.fields else None, field_messages)


def max_length(field_name: str) -> int:
    return Booking._meta.get_field(field_name).max_length


class StepForm(forms.Form):
    """Labels above fields, hints under labels, errors next to fields (GOV.UK pattern),
    rendered through crispy with one field template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}_hint"

    @property
    def helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(*self.layout_fields())
        return helper

    def layout_fields(self) -> list:
        return [Field(name, template="booking/_field.html") for name in self.fields]


SECOND_PERSON_HEADING = (
    '<h2 class="h4 mt-4">The second person</h2>'
    "<p>Each of you chooses your own pressure and tells the therapist about your own health.</p>"
)

ZIP_ANSWER = '<div id="zip-answer" class="zip-answer mb-4" aria-live="polite"></div>'


def _duration_choices() -> list[tuple[int, str]]:
    minutes = ServiceDuration.objects.values_list("minutes", flat=True).distinct()
    return [(value, f"{value} minutes") for value in sorted(set(minutes))]


def _duration_label(service: Service, duration: ServiceDuration) -> str:
    each = " each" if service.is_couples else ""
    for_whom = " for the two of you" if service.is_couples else ""
    return f"{duration.minutes} minutes{each} · ${duration.price}{for_whom}"


class ServiceRadioSelect(forms.RadioSelect):
    """Service radios that carry each service's lengths and prices, shown under its label so
    they are right with JavaScript off too (the length radios can't follow a radio change)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        service = getattr(value, "instance", None)
        if service is not None:
            option["lengths"] = [
                _duration_label(service, duration) for duration in service.durations.all()
            ]
            if option["attrs"].get("id"):
                option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_lengths"
        return option


class ServiceStepForm(StepForm):
    service = forms.ModelChoiceField(
        queryset=Service.objects.active().prefetch_related(
            Prefetch("durations", queryset=ServiceDuration.objects.order_by("minutes"))
        ),
        to_field_name="slug",
        empty_label=None,
        widget=ServiceRadioSelect,
        label="Which massage would you like?",
        error_messages={"required": "Choose a massage.", "invalid_choice": "Choose a massage."},
    )
    minutes = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="How long?",
        help_text="For couples, this is the time each of you is on the table.",
        error_messages={"required": "Choose how long.", "invalid_choice": "Choose how long."},
    )
    zip_code = forms.CharField(
        label="Your zip code",
        help_text="Where we'll come to you, like 30309.",
        max_length=5,
        validators=[validate_zip_code],
        error_messages={"required": "Enter your zip code, like 30309."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": 5}
        ),
    )
    gender_preference = forms.ChoiceField(
        choices=Booking.GenderPreference.choices,
        initial=Booking.GenderPreference.ANY,
        required=False,
        widget=forms.RadioSelect,
        label="Do you prefer a female or male therapist?",
        help_text="A preference can mean fewer times to choose from.",
        error_messages={"invalid_choice": "Choose a preference, or no preference."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.get("service") if self.is_bound else self.initial.get("service")
        service = next((s for s in self.fields["service"].queryset if s.slug == chosen), None)
        if service is None:
            self.fields["minutes"].choices = _duration_choices()
        else:
            # Once the massage is known, offer only its lengths, with their prices.
            self.fields["minutes"].choices = [
                (duration.minutes, _duration_label(service, duration))
                for duration in service.durations.all()
            ]
            self.fields["minutes"].error_messages["invalid_choice"] = lengths_offered_message(
                service
            )
        # With JavaScript on, choosing a massage swaps in its own lengths and prices.
        self.fields["service"].widget.attrs.update(
            {
                "hx-get": reverse("booking:book_lengths"),
                "hx-trigger": "change",
                "hx-target": "#id_minutes_group",
                "hx-swap": "outerHTML",
                "hx-include": "[name='minutes']",
            }
        )
        # With JavaScript on, the answer to "do you come to me?" appears as the zip is typed.
        self.fields["zip_code"].widget.attrs.update(
            {
                "hx-post": reverse("booking:book_zip_check"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#zip-answer",
                "hx-include": "closest form",
            }
        )

    def layout_fields(self) -> list:
        fields = super().layout_fields()
        fields[0] = Field("service", template="booking/_service_field.html")
        zip_index = list(self.fields).index("zip_code")
        fields.insert(zip_index + 1, HTML(ZIP_ANSWER))
        return fields

    def clean_gender_preference(self):
        return self.cleaned_data["gender_preference"] or Booking.GenderPreference.ANY

    def clean(self):
        cleaned = super().clean()
        service, minutes = cleaned.get("service"), cleaned.get("minutes")
        if service and minutes and service.duration_for(minutes) is None:
            self.add_error("minutes", lengths_offered_message(service))
        return cleaned


class TimeStepForm(StepForm):
    """The chosen start, one of the open slots offered on the page (sent as ISO 8601).

    The page draws its own radio buttons for the chosen day only, so the fortnight's slots are
    matched against the one value sent, not turned into a choice list on every page view."""

    start = forms.CharField(
        label="Choose a time",
        strip=False,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a time.",
            "invalid_choice": "That time is no longer open. Choose another time.",
        },
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._slots = slots

    def clean_start(self):
        sent = self.cleaned_data["start"]
        for slot in self._slots:
            if slot.starts_at.isoformat() == sent:
                return slot.starts_at
        raise forms.ValidationError(
            self.fields["start"].error_messages["invalid_choice"], code="invalid_choice"
        )


class DetailsForm(StepForm):
    client_name = forms.CharField(
        label="Your full name",
        max_length=max_length("client_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    client_email = forms.EmailField(
        label="Email address",
        help_text="We'll send your confirmation and calendar invite here.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )
    client_phone = forms.CharField(
        label="Mobile phone number",
        help_text="So your therapist can reach you on the day.",
        max_length=30,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": "Enter your phone number, like (404) 555-0123."},
    )
    text_consent = forms.BooleanField(
        label="Text me about this booking: reminders, changes and when my therapist is on the way",
        help_text="Only about this booking, to the mobile number above. Reply STOP to any text "
        "and we'll send no more. Message and data rates may apply.",
        required=False,
    )
    address_line1 = forms.CharField(
        label="Street address",
        max_length=max_length("address_line1"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
        error_messages={"required": "Enter your street address."},
    )
    address_line2 = forms.CharField(
        label="Apartment, suite or unit (optional)",
        max_length=max_length("address_line2"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label="City",
        max_length=max_length("city"),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": "Enter your city."},
    )
    access_notes = forms.CharField(
        label="Getting in and parking (optional)",
        help_text="Gate codes, stairs, pets, where to park. We'll bring the table, sheets and "
        f"oils. {SPACE_NEEDED}",
        max_length=NOTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pressure = forms.ChoiceField(
        label="What pressure do you like?",
        choices=Booking.Pressure.choices,
        initial=Booking.Pressure.MEDIUM,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a pressure."},
    )
    health_notes = forms.CharField(
        label="Anything your therapist should know about your health? (optional)",
        help_text="Injuries, surgery, pregnancy, allergies to oils. Only your therapist and our "
        "booking team see this, so they can keep your massage safe. We never email it.",
        max_length=NOTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    second_person_name = forms.CharField(
        label="The second person's full name",
        help_text="Who is having a massage with you.",
        max_length=max_length("second_person_name"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Enter the full name of the person having a massage with you."},
    )
    second_person_pressure = forms.ChoiceField(
        label="What pressure do they like?",
        choices=Booking.Pressure.choices,
        initial=Booking.Pressure.MEDIUM,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a pressure for the second person."},
    )
    second_person_health_notes = forms.CharField(
        label="Anything their therapist should know about their health? (optional)",
        help_text="Injuries, surgery, pregnancy, allergies to oils. Only their therapist and our "
        "booking team see this. We never email it.",
        max_length=NOTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    prescriber_name = forms.CharField(
        label="Prescriber's name",
        help_text="The doctor or physiotherapist who prescribed medical massage.",
        max_length=max_length("prescriber_name"),
        error_messages={"required": "Enter the name of the doctor or physiotherapist."},
    )
    prescriber_practice = forms.CharField(
        label="Their practice or clinic",
        max_length=max_length("prescriber_practice"),
        error_messages={"required": "Enter the practice or clinic."},
    )
    prescriber_phone = forms.CharField(
        label="Their phone number",
        max_length=30,
        validators=[validate_phone],
        error_messages={"required": "Enter the practice's phone number."},
    )
    prescribed_on = forms.DateField(
        label="Date of the prescription",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date of the prescription.",
            "invalid": "Enter a real date, like 2026-11-20.",
        },
    )
    consent = forms.BooleanField(
        label="I agree to the booking terms and to my therapist reading my health notes",
        help_text="Your notes are used only to plan a safe massage.",
        error_messages={"required": "Tick the box to agree before you continue."},
    )

    def __init__(self, *args, service: Service | None, day: date | None = None, **kwargs):
        """``day``: the massage's day, when known, for the referral's validity."""
        super().__init__(*args, **kwargs)
        self.day = day
        self.fields["consent"].help_text = format_html(
            "Read the {} and our {} first. Your notes are used only to plan a safe massage.",
            _new_tab_link("terms", "booking terms"),
            _new_tab_link("privacy", "privacy notice"),
        )
        if service is None:
            # The service is chosen on the same form: booking_create decides about the referral.
            for name in (*REFERRAL_FIELDS, *SECOND_PERSON_FIELDS):
                self.fields[name].required = False
            return
        if not service.requires_referral:
            for name in REFERRAL_FIELDS:
                del self.fields[name]
        if not service.is_couples:
            for name in SECOND_PERSON_FIELDS:
                del self.fields[name]

    def clean_prescribed_on(self):
        prescribed_on = self.cleaned_data["prescribed_on"]
        day = self.day
        if (
            prescribed_on
            and day
            and prescribed_on <= day
            and not referral_covers(prescribed_on, day=day)
        ):
            raise ValidationError(referral_expired_message())
        return prescribed_on

    def layout_fields(self) -> list:
        fields = super().layout_fields()
        if "second_person_name" in self.fields:
            index = list(self.fields).index("second_person_name")
            fields.insert(index, HTML(SECOND_PERSON_HEADING))
        return fields


def _new_tab_link(url_name: str, text: str) -> str:
    """A link that opens beside the form, so reading it never loses what was typed."""
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{} (opens in a new tab)</a>',
        reverse(url_name),
        text,
    )


class LostLinkForm(StepForm):
    email = forms.EmailField(
        label="Email address",
        help_text="The address you booked with.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )


class PhoneBookingForm(DetailsForm):
    """Staff booking a client over the phone: the whole booking on one admin form, checked by
    the same booking_create as the online flow."""

    service = forms.ModelChoiceField(queryset=Service.objects.active(), empty_label=None)
    minutes = forms.TypedChoiceField(coerce=int, label="Minutes (per person for couples)")
    starts_at = forms.DateTimeField(
        label="Start (Atlanta time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    zip_code = forms.CharField(label="Zip code", max_length=5, validators=[validate_zip_code])
    gender_preference = forms.ChoiceField(
        label="Therapist preference",
        choices=Booking.GenderPreference.choices,
        initial=Booking.GenderPreference.ANY,
    )

    field_order = ["service", "minutes", "starts_at", "zip_code", "gender_preference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, service=None, **kwargs)
        self.fields["minutes"].choices = _duration_choices()
        self.fields["consent"].label = (
            "The client agrees to the booking terms and to their therapist reading their "
            "health notes"
        )
        self.fields["text_consent"].label = "The client asks for texts about this booking"
        self.fields["consent"].help_text = format_html(
            "Read the client the {} and tell them who sees their health notes ({}).",
            _new_tab_link("terms", "booking terms"),
            _new_tab_link("privacy", "privacy notice"),
        )
