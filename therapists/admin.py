import copy

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, construct_instance
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from booking.admin import at_risk_html, placements_report
from booking.selectors import (
    appointment_list_at_risk,
    appointment_list_future,
    therapist_decline_count,
)
from booking.services import appointment_list_reassign_best

from .credentials import CREDENTIALS, Credential
from .models import CREDENTIAL_FIELDS, Modality, Therapist, TimeOff, WorkingHours
from .services import (
    therapist_activate,
    therapist_activation_validate,
    therapist_calendar_token_rotate,
    therapist_offboard,
    therapist_pause,
    therapist_vetting_record,
)
from .validators import phone_to_e164


@admin.register(Modality)
class ModalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class WorkingHoursFormSet(BaseInlineFormSet):
    """Rejects two windows on the same weekday that overlap, across the whole inline."""

    def clean(self):
        super().clean()
        # Sorted by start, a window overlaps if it starts before the latest end seen so far
        # on its weekday.
        reaching_furthest = {}
        for weekday, starts_at, ends_at, form in sorted(self._windows(), key=lambda w: w[:2]):
            previous = reaching_furthest.get(weekday)
            if previous and starts_at < previous[1]:
                day = WorkingHours.Weekday(weekday).label
                form.add_error(
                    "starts_at",
                    f"This overlaps the other {day} window, "
                    f"{previous[0]:%H:%M}–{previous[1]:%H:%M}. "
                    "Change the times or merge the two windows.",
                )
            if not previous or ends_at > previous[1]:
                reaching_furthest[weekday] = (starts_at, ends_at)

    def _windows(self):
        """(weekday, start, end, form) of every complete window that stays."""
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            window = (data.get("weekday"), data.get("starts_at"), data.get("ends_at"))
            if None not in window:
                yield (*window, form)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


def _credential_fieldset(credential: Credential) -> tuple[str, dict]:
    """The credential's details two to a line, then its dates side by side."""
    details = credential.details
    lines = [details[i : i + 2] for i in range(0, len(details), 2)]
    lines = [line if len(line) == 2 else line[0] for line in lines]
    return capfirst(credential.name), {"fields": [*lines, (credential.starts, credential.expires)]}


class TherapistAdminForm(forms.ModelForm):
    """The add and change forms: saving the status Active passes the rule the Activate action
    applies, and a refusal gives its message next to the status field."""

    # What the rule reads: the name its message gives, and the credentials.
    ACTIVATION_FIELDS = [
        "display_name",
        *(field for credential in CREDENTIALS for field in credential.fields),
    ]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("status") != Therapist.Status.ACTIVE:
            return cleaned_data
        if any(name in self.errors for name in self.ACTIVATION_FIELDS):
            return cleaned_data  # judged once those fields are put right
        # The therapist as this form would save them; the instance itself is left alone.
        candidate = construct_instance(
            self, copy.copy(self.instance), fields=self.ACTIVATION_FIELDS
        )
        try:
            therapist_activation_validate(therapist=candidate, status_before=self.instance.status)
        except ValidationError as error:
            self.add_error("status", error)
        return cleaned_data


class CredentialExpiryFilter(admin.SimpleListFilter):
    title = "credentials"
    parameter_name = "credentials"

    def lookups(self, request, model_admin):
        return [
            ("expiring", "Expiring soon"),
            ("expired", "Expired"),
            ("missing", "Missing"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "expiring":
                return queryset.credentials_expiring(
                    today, within_days=settings.CREDENTIAL_WARNING_DAYS
                )
            case "expired":
                return queryset.credentials_expired(today)
            case "missing":
                return queryset.credentials_missing()
        return queryset


@admin.register(Therapist)
class TherapistAdmin(SimpleHistoryAdmin):
    form = TherapistAdminForm
    list_display = ["display_name", "status", "modality_list", "credential_expiry"]
    list_filter = ["status", "modalities", CredentialExpiryFilter]
    search_fields = [
        "display_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "licence_number",
    ]
    prepopulated_fields = {"slug": ["display_name"]}
    inlines = [WorkingHoursInline, TimeOffInline]
    actions = ["activate", "pause", "offboard", "reassign_future_jobs", "new_calendar_link"]
    filter_horizontal = ["modalities"]
    fieldsets = [
        (
            "Profile",
            {
                "fields": [
                    ("first_name", "last_name"),
                    ("display_name", "slug"),
                    ("email", "phone"),
                    "gender",
                    ("photo", "photo_alt"),
                    "bio",
                    "years_experience",
                    "modalities",
                ]
            },
        ),
        ("Service area", {"fields": ["home_zip", "travel_radius_miles"]}),
        ("Status and vetting", {"fields": ["status", ("vetted_by", "vetted_on")]}),
        *(_credential_fieldset(credential) for credential in CREDENTIALS),
    ]

    # On the change page only: what the therapist has booked, and their calendar feed.
    jobs_fieldset = ("Jobs", {"fields": ["jobs_at_risk", "declines", "calendar_feed"]})

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("modalities")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else [*fieldsets, self.jobs_fieldset]

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data and obj.status == Therapist.Status.ACTIVE:
            therapist_vetting_record(therapist=obj, by=request.user)
        super().save_model(request, obj, form, change)
        if change:
            self._warn_jobs_at_risk(request, [obj])

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), *self.jobs_fieldset[1]["fields"]]
        if not self.has_change_credentials_permission(request):
            readonly += CREDENTIAL_FIELDS
        return readonly

    def has_reassign_permission(self, request) -> bool:
        return request.user.has_perm("booking.change_booking")

    @admin.display(description="future jobs at risk")
    def jobs_at_risk(self, therapist):
        at_risk = appointment_list_at_risk(therapist=therapist)
        return at_risk_html(at_risk) or "None: every future job can be worked."

    @admin.display(description="jobs declined")
    def declines(self, therapist):
        return therapist_decline_count(therapist=therapist)

    @admin.display(description="calendar feed (private)")
    def calendar_feed(self, therapist):
        return format_html(
            "<code>{}{}</code><br>Give it to {} to subscribe to in their calendar app. "
            "“Issue a new calendar link” turns this one off.",
            settings.SITE_URL,
            therapist.get_calendar_url(),
            therapist.first_name,
        )

    def _warn_jobs_at_risk(self, request, therapists) -> None:
        """After a change, staff see every future job nobody will now work: nothing is left
        silently with a therapist who can't work it."""
        for therapist in therapists:
            at_risk = list(appointment_list_at_risk(therapist=therapist))
            if at_risk:
                self.message_user(
                    request,
                    format_html(
                        "{} has {} future job{} at risk: {}. Use “Reassign their future jobs” "
                        "or choose a therapist on each booking.",
                        therapist,
                        len(at_risk),
                        "s" if len(at_risk) != 1 else "",
                        at_risk_html(at_risk),
                    ),
                    messages.WARNING,
                )

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Phones are stored in E.164, so "(404) 555-0123" must also find "+14045550123".
        try:
            phone = phone_to_e164(search_term)
        except ValidationError:
            return found, may_have_duplicates
        return found | queryset.filter(phone=phone), may_have_duplicates

    def has_change_credentials_permission(self, request) -> bool:
        return request.user.has_perm("therapists.change_credentials")

    @admin.display(description="modalities")
    def modality_list(self, therapist):
        return ", ".join(modality.name for modality in therapist.modalities.all())

    @admin.display(description="first credential to expire")
    def credential_expiry(self, therapist):
        today = timezone.localdate()
        expiries = [
            (getattr(therapist, credential.expires), credential.short_name)
            for credential in CREDENTIALS
        ]
        missing = [label for expires_on, label in expiries if expires_on is None]
        if missing:
            return _warning(f"Missing: {', '.join(missing).lower()}")
        expires_on, label = min(expiries)
        if expires_on < today:
            return _warning(f"{label} expired {expires_on:%b %-d, %Y}")
        days_left = (expires_on - today).days
        if days_left <= settings.CREDENTIAL_WARNING_DAYS:
            return _warning(f"{label} expires {expires_on:%b %-d, %Y} (in {days_left} days)")
        return f"{label} · {expires_on:%b %-d, %Y}"

    @admin.action(description="Activate selected therapists", permissions=["change_credentials"])
    def activate(self, request, queryset):
        self._change_status(request, queryset, therapist_activate, "activated")

    @admin.action(description="Pause selected therapists", permissions=["change_credentials"])
    def pause(self, request, queryset):
        self._change_status(request, queryset, therapist_pause, "paused")

    @admin.action(description="Offboard selected therapists", permissions=["change_credentials"])
    def offboard(self, request, queryset):
        self._change_status(request, queryset, therapist_offboard, "offboarded")

    def _change_status(self, request, queryset, service, done):
        changed = []
        for therapist in queryset:
            try:
                service(therapist=therapist, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                changed.append(therapist)
        if changed:
            self.message_user(
                request, f"{', '.join(str(t) for t in changed)}: {done}.", messages.SUCCESS
            )
            self._warn_jobs_at_risk(request, changed)

    @admin.action(
        description="Reassign their future jobs to the best free therapists",
        permissions=["reassign"],
    )
    def reassign_future_jobs(self, request, queryset):
        appointments = [a for t in queryset for a in appointment_list_future(therapist=t)]
        placements_report(request, appointment_list_reassign_best(appointments=appointments))

    @admin.action(
        description="Issue a new calendar link (the old one stops working)",
        permissions=["change"],
    )
    def new_calendar_link(self, request, queryset):
        for therapist in queryset:
            therapist_calendar_token_rotate(therapist=therapist, by=request.user)
        self.message_user(
            request,
            f"New calendar links for {', '.join(str(t) for t in queryset)}; the old ones no "
            "longer work.",
            messages.SUCCESS,
        )


def _warning(text):
    return format_html('<strong class="admin-warning">⚠ {}</strong>', text)
