import csv
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from therapists.models import Therapist

from .gateway import GatewayUnavailable
from .models import CardOnFile, Customer, Payment, Refund, StripeEvent, TherapistShare
from .money import cents, dollars
from .selectors import takings_by_day, therapist_earnings
from .services import payment_refund


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["amount", "reason", "stripe_id", "created_at"]
    readonly_fields = fields

    @admin.display(description="amount")
    def amount(self, refund):
        return dollars(refund.amount_cents)

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    """A booking's payments, on the booking's admin page."""

    model = Payment
    extra = 0
    can_delete = False
    fields = ["purpose", "amount", "status", "refunded", "last_error", "payment_intent_id"]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="amount")
    def amount(self, payment):
        return dollars(payment.amount_cents)

    @admin.display(description="refunded")
    def refunded(self, payment):
        return dollars(payment.refunded_cents)

    def has_add_permission(self, request, obj=None):
        return False


class RefundedFilter(admin.SimpleListFilter):
    title = "refunded"
    parameter_name = "refunded"

    def lookups(self, request, model_admin):
        return [("yes", "Refunded (in part or full)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(refunds__isnull=False).distinct()
        return queryset


class PaymentDueFilter(admin.SimpleListFilter):
    """On the bookings list: those with a declined charge still to collect, or a refund."""

    title = "payments"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("due", "Payment due"), ("refunded", "Refunded")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(payments__status=Payment.Status.FAILED).distinct()
        if self.value() == "refunded":
            return queryset.filter(payments__refunds__isnull=False).distinct()
        return queryset


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount to refund (USD)", min_value=0, decimal_places=2)
    reason = forms.CharField(max_length=200, required=False)


class EarningsForm(forms.Form):
    therapist = forms.ModelChoiceField(queryset=Therapist.objects.order_by("first_name"))
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["booking", "purpose", "amount", "status", "refunded", "created_at"]
    list_filter = ["status", "purpose", RefundedFilter]
    list_select_related = ["booking"]
    search_fields = ["booking__reference", "payment_intent_id"]
    readonly_fields = [
        "booking",
        "purpose",
        "amount_cents",
        "status",
        "idempotency_key",
        "attempts",
        "payment_intent_id",
        "charge_id",
        "last_error",
        "succeeded_at",
        "failed_at",
    ]
    inlines = [RefundInline]

    @admin.display(description="amount")
    def amount(self, payment):
        return dollars(payment.amount_cents)

    @admin.display(description="refunded")
    def refunded(self, payment):
        return dollars(sum(r.amount_cents for r in payment.refunds.all()))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("refunds")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/refund/", view(self.refund_view), name="payments_payment_refund"),
            path("takings/", view(self.takings_view), name="payments_payment_takings"),
            path("earnings/", view(self.earnings_view), name="payments_payment_earnings"),
            *super().get_urls(),
        ]

    def refund_view(self, request, pk):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        payment = get_object_or_404(Payment, pk=pk)
        left = payment.amount_cents - payment.refunded_cents
        form = RefundForm(request.POST or None, initial={"amount": f"{left / 100:.2f}"})
        if request.method == "POST" and form.is_valid():
            try:
                payment_refund(
                    payment=payment,
                    amount_cents=cents(form.cleaned_data["amount"]),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error("amount", error.messages)
            except GatewayUnavailable:
                form.add_error(None, "Stripe could not be reached; nothing was refunded.")
            else:
                messages.success(request, f"Refunded {payment}.")
                return redirect("admin:payments_payment_change", payment.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund {payment}",
            "payment": payment,
            "left": dollars(left),
            "form": form,
        }
        return render(request, "payments/admin/refund.html", context)

    def takings_view(self, request):
        end = timezone.localdate()
        start = end - timedelta(days=30)
        days = takings_by_day(start=start, end=end)
        context = {
            **self.admin_site.each_context(request),
            "title": "Daily takings (last 31 days)",
            "days": days,
        }
        return render(request, "payments/admin/takings.html", context)

    def earnings_view(self, request):
        form = EarningsForm(request.GET or None)
        lines = None
        if form.is_valid():
            data = form.cleaned_data
            lines = therapist_earnings(
                therapist=data["therapist"], start=data["start"], end=data["end"]
            )
            if request.GET.get("format") == "csv":
                return _earnings_csv(data["therapist"], data["start"], data["end"], lines)
        context = {
            **self.admin_site.each_context(request),
            "title": "Therapist earnings",
            "form": form,
            "lines": lines,
            "csv_url": f"{reverse('admin:payments_payment_earnings')}?{request.GET.urlencode()}"
            "&format=csv",
        }
        return render(request, "payments/admin/earnings.html", context)


def _earnings_csv(therapist, start: date, end: date, lines) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"earnings-{therapist.pk}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "booking", "service", "status", "price_share", "tips", "fees", "total"]
    )
    for line in lines:
        booking = line.appointment.booking
        writer.writerow(
            [
                timezone.localdate(line.appointment.starts_at).isoformat(),
                booking.reference,
                booking.service.name,
                booking.get_status_display(),
                f"{line.price_share / 100:.2f}",
                f"{line.tips / 100:.2f}",
                f"{line.fees / 100:.2f}",
                f"{line.total / 100:.2f}",
            ]
        )
    return response


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "stripe_id", "created_at"]
    search_fields = ["email"]
    readonly_fields = ["email", "stripe_id"]


@admin.register(CardOnFile)
class CardOnFileAdmin(admin.ModelAdmin):
    list_display = ["booking", "customer", "updated_at"]
    readonly_fields = ["booking", "customer", "setup_intent_id", "payment_method_id"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at"]
    readonly_fields = ["event_id", "type", "received_at"]


@admin.register(TherapistShare)
class TherapistShareAdmin(admin.ModelAdmin):
    list_display = ["therapist", "percent"]
