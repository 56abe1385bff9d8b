from django.conf import settings
from django.db import models

from therapists.models import Therapist


class TherapistAccount(models.Model):
    """The sign-in account of one therapist. The portal finds the therapist through this row
    only, never by matching addresses, so no other account (a staff member's) ever reaches it."""

    therapist = models.OneToOneField(Therapist, on_delete=models.CASCADE, related_name="account")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.therapist)
