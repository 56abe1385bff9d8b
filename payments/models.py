"""Money: Stripe customers, the card each booking is secured with, every charge and refund,
and the webhook events already handled. Amounts are integer cents (US dollars)."""

from django.db import models
from django.db.models import Q

from booking.models import Booking
from therapists.models import Therapist


class Customer(models.Model):
    """The Stripe customer for one client, by normalised email."""

    email = models.EmailField(unique=True)
    stripe_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.stripe_id


class CardOnFile(models.Model):
    """The card that secures one booking: the SetupIntent the client confirmed and the payment
    method it saved. Replaced when the client gives a new card after a decline."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="card")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cards")
    setup_intent_id = models.CharField(max_length=64, unique=True)
    payment_method_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "card on file"
        verbose_name_plural = "cards on file"

    def __str__(self):
        return f"Card for {self.booking}"


class PaymentQuerySet(models.QuerySet):
    def due(self):
        return self.filter(status=Payment.Status.FAILED)

    def succeeded(self):
        return self.filter(status=Payment.Status.SUCCEEDED)


class Payment(models.Model):
    """One charge to the client's card, made once: its idempotency key (the booking and the
    purpose) is unique here and sent to Stripe with every attempt."""

    class Purpose(models.TextChoices):
        CHARGE = "charge", "Massage"
        TIP = "tip", "Tip"
        LATE_FEE = "late_fee", "Late cancellation fee"
        NO_SHOW_FEE = "no_show_fee", "No-show fee"

    class Status(models.TextChoices):
        PENDING = "pending", "To charge"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Payment due"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=80, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    payment_intent_id = models.CharField(max_length=64, blank=True, db_index=True)
    charge_id = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["failed_at"], name="payment_due_idx", condition=Q(status="failed"))
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} · {self.booking}"

    @property
    def refunded_cents(self) -> int:
        return sum(refund.amount_cents for refund in self.refunds.all())


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    stripe_id = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return self.stripe_id


class StripeEvent(models.Model):
    """A webhook event we have handled; a redelivery finds its id here and changes nothing."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} {self.event_id}"


class TherapistShare(models.Model):
    """A therapist's own share of the price, where it differs from THERAPIST_SHARE_PERCENT."""

    therapist = models.OneToOneField(Therapist, on_delete=models.CASCADE, related_name="share")
    percent = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="therapist_share_percent"),
        ]

    def __str__(self):
        return f"{self.therapist}: {self.percent}%"
