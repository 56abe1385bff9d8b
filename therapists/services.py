"""Status changes for therapists. Admin actions call these; each save is recorded in history."""

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .credentials import CREDENTIALS
from .models import Therapist


def therapist_credential_problems(*, therapist: Therapist, on: date) -> list[str]:
    """What stops the therapist's credentials being valid on ``on``, in plain words."""
    problems = []
    for credential in CREDENTIALS:
        missing = [
            field for field in credential.required if getattr(therapist, field) in (None, "")
        ]
        starts_on = getattr(therapist, credential.starts)
        expires_on = getattr(therapist, credential.expires)
        if missing:
            problems.append(f"{credential.name} details are missing")
        elif expires_on < on:
            problems.append(f"{credential.name} expired on {expires_on:%b %-d, %Y}")
        elif starts_on and starts_on > on:
            problems.append(f"{credential.name} only starts on {starts_on:%b %-d, %Y}")
    return problems


def _save_status(*, therapist: Therapist, by: AbstractBaseUser, fields: list[str]) -> None:
    therapist._history_user = by
    therapist.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def therapist_activate(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Make a therapist bookable. Refused unless every credential is complete and valid today.

    Activating is the vetting decision: when the therapist has not been vetted yet, the staff
    member activating them is recorded as the vetter, today.
    """
    today = timezone.localdate()
    problems = therapist_credential_problems(therapist=therapist, on=today)
    if problems:
        raise ValidationError(
            f"{therapist} can't be activated: {'; '.join(problems)}.", code="credentials"
        )
    if therapist.status == Therapist.Status.OFFBOARDED:
        raise ValidationError(
            f"{therapist} has been offboarded; add them again as a new applicant.",
            code="offboarded",
        )
    fields = ["status"]
    therapist.status = Therapist.Status.ACTIVE
    if therapist.vetted_on is None or therapist.vetted_on > today:
        therapist.vetted_on = today
        therapist.vetted_by = by
        fields += ["vetted_on", "vetted_by"]
    _save_status(therapist=therapist, by=by, fields=fields)
    return therapist


@transaction.atomic
def therapist_pause(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Stop offering an active therapist to clients for now; appointments already booked stay."""
    if therapist.status != Therapist.Status.ACTIVE:
        raise ValidationError(
            f"{therapist} is {therapist.get_status_display().lower()}; only active therapists "
            "can be paused.",
            code="not_active",
        )
    therapist.status = Therapist.Status.PAUSED
    _save_status(therapist=therapist, by=by, fields=["status"])
    return therapist


@transaction.atomic
def therapist_offboard(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Part ways with a therapist for good. Their history and past appointments are kept."""
    if therapist.status == Therapist.Status.OFFBOARDED:
        raise ValidationError(f"{therapist} is already offboarded.", code="offboarded")
    therapist.status = Therapist.Status.OFFBOARDED
    _save_status(therapist=therapist, by=by, fields=["status"])
    return therapist
