"""Status changes for therapists. Admin actions call these; each save is recorded in history."""

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .credentials import CREDENTIALS
from .models import Therapist, new_calendar_token


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


def therapist_activation_validate(*, therapist: Therapist, status_before: str) -> None:
    """The one rule for making a therapist active, whichever way staff do it (the Activate
    action, or the status field on the admin form): every credential complete and valid today,
    and not offboarded (``status_before`` is the status they had until now). Raises
    ``ValidationError`` naming the therapist and the problem."""
    problems = therapist_credential_problems(therapist=therapist, on=timezone.localdate())
    if problems:
        raise ValidationError(
            f"{therapist} can't be activated: {'; '.join(problems)}.", code="credentials"
        )
    if status_before == Therapist.Status.OFFBOARDED:
        raise ValidationError(
            f"{therapist} has been offboarded; add them again as a new applicant.",
            code="offboarded",
        )


@transaction.atomic
def therapist_activate(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Make a therapist bookable, if ``therapist_activation_validate`` allows it.

    Activating is the vetting decision: when the therapist has not been vetted yet, the staff
    member activating them is recorded as the vetter, today.
    """
    therapist_activation_validate(therapist=therapist, status_before=therapist.status)
    therapist.status = Therapist.Status.ACTIVE
    fields = ["status", *therapist_vetting_record(therapist=therapist, by=by)]
    _save_status(therapist=therapist, by=by, fields=fields)
    return therapist


def therapist_vetting_record(*, therapist: Therapist, by: AbstractBaseUser) -> list[str]:
    """Record ``by`` as the vetter, today, of a therapist being activated whom nobody has vetted
    yet. Returns the fields it set, for the caller to save."""
    today = timezone.localdate()
    if therapist.vetted_on is not None and therapist.vetted_on <= today:
        return []
    therapist.vetted_on = today
    therapist.vetted_by = by
    return ["vetted_on", "vetted_by"]


@transaction.atomic
def therapist_pause(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Stop offering an active therapist to clients for now. Appointments already booked stay
    with them, listed to staff as at risk until reassigned or the therapist is active again."""
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


@transaction.atomic
def therapist_calendar_token_rotate(*, therapist: Therapist, by: AbstractBaseUser) -> Therapist:
    """Give the therapist a new calendar feed URL; the old one stops working at once."""
    therapist.calendar_token = new_calendar_token()
    _save_status(therapist=therapist, by=by, fields=["calendar_token"])
    return therapist
