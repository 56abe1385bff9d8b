"""Clients who come back. Booking needs no account: an account is only a verified email, and the
bookings it sees are those made with that (normalised) email, as a guest or signed in."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from therapists.validators import validate_us_state, validate_zip_code


class ClientAccount(models.Model):
    """A client's sign-in account. Found through this row by its normalised email only, never
    through ``User.email``, so a staff or therapist account with the same address never
    becomes a client's, nor a client's theirs."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_account"
    )
    email = models.EmailField(unique=True, help_text="Normalised; the bookings it sees.")
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="The first time a code sent to the email was entered."
    )

    class Meta:
        verbose_name = "client account"

    def __str__(self):
        return self.email


class SavedAddress(models.Model):
    """A place a signed-in client has us come to (home, a hotel, a parent's house), chosen in the
    details step. A booking copies its fields, so editing or deleting it changes no booking."""

    account = models.ForeignKey(ClientAccount, on_delete=models.CASCADE, related_name="addresses")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    label = models.CharField(max_length=40, help_text='What the client calls it: "Home".')
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2, default="GA", validators=[validate_us_state])
    zip_code = models.CharField(max_length=5, validators=[validate_zip_code])
    access_notes = models.TextField(blank=True, help_text="Parking, stairs, pets, gate codes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "saved address"
        verbose_name_plural = "saved addresses"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("label"), name="saved_address_label_unique_per_account"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def one_line(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city]
        return f"{', '.join(part for part in parts if part)}, {self.state} {self.zip_code}"
