from collections import defaultdict
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join

from payments.admin import PaymentDueFilter, PaymentInline
from therapists.geo import distance_miles
from therapists.validators import phone_to_e164

from .assignment import SlotTaken
from .availability import required_gap
from .formatting import local_time, local_when
from .forms import PhoneBookingForm, errors_onto_form
from .models import Appointment, Booking, Notification, Service, ServiceDuration, TextOptOut
from .notifications.outbox import notification_retry
from .selectors import appointment_list_at_risk, appointment_risk_reason, business_timezone
from .services import (
    Placement,
    appointment_list_reassign_best,
    booking_cancel,
    booking_complete,
    booking_create,
    booking_mark_no_show,
    booking_reassign,
)


class ServiceDurationInline(admin.TabularInline):
    model = ServiceDuration
    extra = 1
    min_num = 1


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "modality", "prices", "requires_referral", "is_active", "order"]
    list_filter = ["is_active", "kind", "modality", "requires_referral"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceDurationInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "modality", "kind", "is_active", "order"]}),
        ("Copy", {"fields": ["summary", "description", "what_to_expect"]}),
        ("Rules", {"fields": ["earliest_start", "latest_start", "requires_referral"]}),
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("modality").prefetch_related("durations")
        )

    @admin.display(description="lengths and prices")
    def prices(self, obj):
        return ", ".join(f"{d.minutes} min ${d.price}" for d in obj.durations.all())


class WhenFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("today", "Today"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=now).order_by("starts_at")
        if self.value() == "today":
            start, end = _local_day_bounds(timezone.localdate())
            return queryset.filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at")
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class StaffingFilter(admin.SimpleListFilter):
    title = "staffing"
    parameter_name = "staffing"

    def lookups(self, request, model_admin):
        return [("at_risk", "At risk: nobody will work it")]

    def queryset(self, request, queryset):
        if self.value() == "at_risk":
            at_risk = appointment_list_at_risk().values("booking_id")
            return queryset.filter(pk__in=at_risk).order_by("starts_at")
        return queryset


def _booking_link(appointment: Appointment):
    booking = appointment.booking
    url = reverse("admin:booking_booking_change", args=[booking.pk])
    when = local_when(booking.starts_at)
    return format_html('<a href="{}">{}</a> {}', url, booking.reference, when)


def at_risk_html(appointments):
    """Appointments at risk as links to their bookings, each with why it is at risk."""
    return format_html_join(
        "; ", "{} ({})", ((_booking_link(a), appointment_risk_reason(a)) for a in appointments)
    )


def placements_report(request, placements: list[Placement]) -> None:
    """Tell staff, in the admin's messages, what was moved to whom and what could not be."""
    placed = [p for p in placements if p.therapist]
    unplaced = [p for p in placements if not p.therapist]
    if placed:
        moved = format_html_join(
            "; ", "{} now has {}", ((p.therapist, _booking_link(p.appointment)) for p in placed)
        )
        messages.success(request, format_html("Reassigned {}: {}.", len(placed), moved))
    if unplaced:
        left = format_html_join(
            "; ",
            "{} stays with {}: {}",
            ((_booking_link(p.appointment), p.appointment.therapist, p.refusal) for p in unplaced),
        )
        messages.error(
            request,
            format_html(
                "Could not place {}: {}. Choose a therapist on each booking, or call the client.",
                len(unplaced),
                left,
            ),
        )
    if not placements:
        messages.info(request, "Nothing to reassign.")


def _local_day_bounds(day) -> tuple[datetime, datetime]:
    tz = business_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


class AppointmentInline(admin.TabularInline):
    """Appointments are written by the booking services; only the therapist can be changed
    here, and that goes through ``booking_reassign`` (see ``BookingAdmin.save_formset``)."""

    model = Appointment
    fields = [
        "therapist",
        "person",
        "local_start",
        "local_end",
        "zip_code",
        "is_active",
        "job_page",
    ]
    readonly_fields = ["person", "local_start", "local_end", "zip_code", "is_active", "job_page"]
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("therapist")

    @admin.display(description="starts")
    def local_start(self, obj):
        return local_when(obj.starts_at)

    @admin.display(description="ends")
    def local_end(self, obj):
        return local_time(obj.ends_at)

    @admin.display(description="therapist's page")
    def job_page(self, obj):
        return format_html('<a href="{}">Open</a>', obj.get_absolute_url())


class ReassignmentRefused(Exception):
    """Aborts the whole booking change form when the engine refuses a new therapist."""


# Fields staff may correct without going through a service: nothing here moves the booking in
# time or space, changes what is booked, or changes its status.
BOOKING_EDITABLE_FIELDS = [
    "client_name",
    "client_email",
    "client_phone",
    "access_notes",
    "pressure",
    "health_notes",
    "second_person_name",
    "second_person_pressure",
    "second_person_health_notes",
]


def staff_cancel(*, booking: Booking) -> Booking:
    """Our cancellation: never late, no fee."""
    return booking_cancel(booking=booking, by_staff=True)


class BookingAdminForm(forms.ModelForm):
    class Meta:
        model = Booking
        fields = BOOKING_EDITABLE_FIELDS

    def clean_client_phone(self):
        return phone_to_e164(self.cleaned_data["client_phone"])


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    form = BookingAdminForm
    list_display = [
        "reference",
        "local_start",
        "service",
        "client_name",
        "zip_code",
        "therapist_names",
        "status",
    ]
    list_filter = [
        "status",
        WhenFilter,
        StaffingFilter,
        PaymentDueFilter,
        "service",
        "appointments__therapist",
    ]
    list_select_related = ["service"]
    date_hierarchy = "starts_at"
    search_fields = ["reference", "client_name", "client_email", "client_phone"]
    actions = ["mark_completed", "mark_no_show", "cancel", "reassign_at_risk"]
    inlines = [AppointmentInline]
    change_list_template = "booking/admin/booking_change_list.html"
    fieldsets = [
        (None, {"fields": ["reference", "status", "late_cancellation", "manage_links"]}),
        ("What and when", {"fields": ["service", "minutes", "price", "local_start", "local_end"]}),
        ("Client", {"fields": ["client_name", "client_email", "client_phone", "text_consent_at"]}),
        (
            "Address",
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    "city",
                    "state",
                    "zip_code",
                    "access_notes",
                ]
            },
        ),
        (
            "Massage",
            {"fields": ["gender_preference", "pressure", "health_notes", "consent_given_at"]},
        ),
        (
            "Second person (couples)",
            {
                "fields": [
                    "second_person_name",
                    "second_person_pressure",
                    "second_person_health_notes",
                ]
            },
        ),
        (
            "Referral",
            {
                "fields": [
                    "prescriber_name",
                    "prescriber_practice",
                    "prescriber_phone",
                    "prescribed_on",
                ],
                "classes": ["collapse"],
            },
        ),
        (
            "History",
            {
                "fields": [
                    "created_at",
                    "updated_at",
                    "cancelled_at",
                    "completed_at",
                    "no_show_at",
                    "anonymised_at",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]
        if obj is not None and obj.anonymised_at:
            # Past the retention period: nobody types a client's details back in.
            return fields
        return [name for name in fields if name not in BOOKING_EDITABLE_FIELDS]

    def get_queryset(self, request):
        active = Appointment.objects.active().select_related("therapist")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("appointments", queryset=active, to_attr="active_appointments")
            )
        )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Phones are stored in E.164; staff type them the way people say them.
        try:
            phone = phone_to_e164(search_term)
        except ValidationError:
            return results, may_have_duplicates
        return results | queryset.filter(client_phone=phone), may_have_duplicates

    def has_add_permission(self, request):
        # New bookings go through booking_create: "Book by phone" in the booking list.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="starts (Atlanta)", ordering="starts_at")
    def local_start(self, obj):
        return local_when(obj.starts_at)

    @admin.display(description="ends")
    def local_end(self, obj):
        return local_time(obj.ends_at)

    @admin.display(description="therapists")
    def therapist_names(self, obj):
        return ", ".join(str(a.therapist) for a in obj.active_appointments) or "—"

    @admin.display(description="client's pages")
    def manage_links(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Booking page</a> · '
            '<a href="{}" target="_blank" rel="noopener">Reschedule</a> · '
            '<a href="{}" target="_blank" rel="noopener">Cancel</a>',
            obj.get_absolute_url(),
            reverse("booking:reschedule", kwargs={"token": obj.token}),
            reverse("booking:cancel", kwargs={"token": obj.token}),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Appointment:
            return super().save_formset(request, form, formset, change)
        # Never formset.save(): a new therapist is given the appointment by booking_reassign.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for appointment_form in formset.forms:
            if "therapist" not in appointment_form.changed_data:
                continue
            appointment = Appointment.objects.get(pk=appointment_form.instance.pk)
            therapist = appointment_form.cleaned_data["therapist"]
            try:
                appointment = booking_reassign(appointment=appointment, therapist=therapist)
            except ValidationError as error:
                messages.error(request, f"{therapist} was not assigned: {' '.join(error.messages)}")
                raise ReassignmentRefused from error
            formset.changed_objects.append((appointment, ["therapist"]))
            messages.success(request, f"{therapist} now has this appointment.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ReassignmentRefused:
            # The admin's transaction has rolled back every change made on this form.
            return redirect(request.path)

    def get_inlines(self, request, obj):
        if obj is not None and obj.payments.exists():
            return [*self.inlines, PaymentInline]
        return self.inlines

    def _run_service(self, request, queryset, service, done: str):
        succeeded = 0
        for booking in queryset:
            try:
                service(booking=booking)
            except ValidationError as error:
                messages.error(request, f"{booking.reference}: {' '.join(error.messages)}")
            else:
                succeeded += 1
        if succeeded:
            messages.success(request, f"{succeeded} booking{'s' if succeeded != 1 else ''} {done}.")

    @admin.action(description="Mark selected bookings completed")
    def mark_completed(self, request, queryset):
        self._run_service(request, queryset, booking_complete, "marked completed")

    @admin.action(description="Mark selected bookings as no-shows")
    def mark_no_show(self, request, queryset):
        self._run_service(request, queryset, booking_mark_no_show, "marked as no-shows")

    @admin.action(description="Cancel selected bookings (the client and therapists are emailed)")
    def cancel(self, request, queryset):
        self._run_service(request, queryset, staff_cancel, "cancelled")

    @admin.action(
        description="Reassign at-risk appointments to the best free therapist",
        permissions=["change"],
    )
    def reassign_at_risk(self, request, queryset):
        at_risk = appointment_list_at_risk().filter(booking__in=queryset.values("pk"))
        placements_report(request, appointment_list_reassign_best(appointments=list(at_risk)))

    def get_urls(self):
        return [
            path(
                "schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="booking_booking_schedule",
            ),
            path(
                "book-by-phone/",
                self.admin_site.admin_view(self.phone_booking_view),
                name="booking_booking_phone",
            ),
            *super().get_urls(),
        ]

    def schedule_view(self, request):
        """Each therapist's day on one screen, with the travel between consecutive visits."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = _schedule_day(request.GET.get("date")) or timezone.localdate()
        start, end = _local_day_bounds(day)
        appointments = (
            Appointment.objects.active()
            .filter(starts_at__gte=start, starts_at__lt=end)
            .exclude(booking__status=Booking.Status.CANCELLED)
            .select_related("therapist", "booking__service")
            .order_by("therapist__display_name", "therapist_id", "starts_at")
        )
        by_therapist = defaultdict(list)
        for appointment in appointments:
            visits = by_therapist[appointment.therapist]
            previous = visits[-1]["appointment"] if visits else None
            visits.append({"appointment": appointment, "travel": _travel(previous, appointment)})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Schedule for {day:%A, %B} {day.day}",
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": timezone.localdate(),
            "schedule": list(by_therapist.items()),
        }
        return TemplateResponse(request, "booking/admin/schedule.html", context)

    def phone_booking_view(self, request):
        """Book for a client on the phone through booking_create, so every rule applies."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = PhoneBookingForm(request.POST or None)
        booking = _phone_book(form) if request.method == "POST" and form.is_valid() else None
        if booking is not None:
            messages.success(request, f"Booked {booking.reference} for {booking.client_name}.")
            return redirect("admin:booking_booking_change", booking.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Book by phone",
            "form": form,
        }
        return TemplateResponse(request, "booking/admin/phone_booking.html", context)


def _phone_book(form: PhoneBookingForm) -> Booking | None:
    """The booking, or None with the refusal on the form."""
    try:
        return booking_create(**form.cleaned_data)
    except SlotTaken as taken:
        times = ", ".join(local_when(slot.starts_at) for slot in taken.alternatives)
        form.add_error("starts_at", f"{taken.message} {times}".strip())
    except ValidationError as error:
        errors_onto_form(form, error)
    return None


def _schedule_day(value: str | None):
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _travel(previous: Appointment | None, appointment: Appointment) -> dict | None:
    if previous is None:
        return None
    miles = distance_miles(previous.zip_code, appointment.zip_code)
    needed = required_gap(
        previous.zip_code, appointment.zip_code, buffer_minutes=settings.BOOKING_MIN_BUFFER_MINUTES
    )
    gap = int((appointment.starts_at - previous.ends_at).total_seconds() // 60)
    return {"miles": miles, "minutes": needed, "gap": gap, "tight": gap < needed}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "channel",
        "recipient",
        "booking_reference",
        "status",
        "attempts",
        "last_error_short",
        "created_at",
        "next_try",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind", "failed_at"]
    search_fields = ["recipient", "booking__reference"]
    list_select_related = ["booking"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = [
        "kind",
        "channel",
        "recipient",
        "booking",
        "appointment",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "failed_at",
        "provider_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="booking", ordering="booking__reference")
    def booking_reference(self, obj):
        return obj.booking.reference if obj.booking else "—"

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return obj.last_error[:80]

    @admin.display(description="next try", ordering="next_attempt_at")
    def next_try(self, obj):
        return local_when(obj.next_attempt_at) if obj.status == Notification.Status.PENDING else "—"

    @admin.action(description="Retry sending the selected failed messages")
    def retry(self, request, queryset):
        failed = list(queryset.filter(status=Notification.Status.FAILED))
        count = notification_retry(notifications=failed)
        skipped = queryset.count() - count
        self.message_user(
            request, f"{count} message{'s' if count != 1 else ''} queued to send again."
        )
        if skipped == 1:
            self.message_user(
                request, "1 message hadn't failed, so it was left alone.", messages.WARNING
            )
        elif skipped:
            self.message_user(
                request,
                f"{skipped} messages hadn't failed, so they were left alone.",
                messages.WARNING,
            )


@admin.register(TextOptOut)
class TextOptOutAdmin(admin.ModelAdmin):
    """Numbers that replied STOP: only their own START opts them back in."""

    list_display = ["phone", "opted_out_at", "opted_in_at"]
    list_filter = [("opted_out_at", admin.EmptyFieldListFilter)]
    search_fields = ["phone"]
    readonly_fields = ["phone", "opted_out_at", "opted_in_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
