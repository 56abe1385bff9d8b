"""Clients who come back. Booking needs no account: an account is only a verified email, and the
bookings it sees are those made with that (normalised) email, as a guest or signed in."""

from django.conf import settings
from django.db import models


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
