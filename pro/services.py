"""Writes for the therapists' portal: the sign-in account, weekly hours and time off.

Hours and time off are changed under the therapist's row lock, the lock a booking takes before
it re-reads the therapist's calendar, so a booking and a change never pass each other: a
change that would leave a confirmed appointment outside the therapist's hours, or inside their
time off, is refused with the list of those appointments, and anything else shows in the
public availability at once (nothing caches it).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.formatting import local_time, local_when
from booking.models import Appointment
from spatheory.page_cache import AVAILABILITY, CONTENT, version_bump
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.validators import email_normalise

from .models import TherapistAccount
from .selectors import SIGN_IN_STATUSES, appointment_list_upcoming_confirmed


def _account_user(therapist: Therapist) -> AbstractBaseUser:
    account = TherapistAccount.objects.select_related("user").filter(therapist=therapist).first()
    if account is not None:
        return account.user
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=f"therapist-{secrets.token_hex(8)}", email=therapist.email
            )
            TherapistAccount.objects.create(therapist=therapist, user=user)
    except IntegrityError:
        # A second request for the same therapist created the account first.
        return TherapistAccount.objects.select_related("user").get(therapist=therapist).user
    return user


def therapist_account_for_sign_in(*, email: str) -> AbstractBaseUser | None:
    """The account a sign-in code for ``email`` goes to: that of the active or paused
    therapist with this address (compared normalised), created on first use, with no
    password. None for any other address, and for an account staff have made staff: staff sign
    in to admin, with a password."""
    therapist = Therapist.objects.filter(
        email=email_normalise(email), status__in=SIGN_IN_STATUSES
    ).first()
    if therapist is None:
        return None
    user = _account_user(therapist)
    if not user.is_active or user.is_staff or user.is_superuser:
        return None
    return user


@dataclass(frozen=True)
class Window:
    weekday: int
    starts_at: time
    ends_at: time


def _stranded_message(intro: str, appointments: list[Appointment]) -> ValidationError:
    listed = [
        f"{local_when(a.starts_at)} to {local_time(a.ends_at)}, {a.booking.service.name} "
        f"({a.booking.reference})"
        for a in appointments
    ]
    return ValidationError([intro, *listed], code="stranded")


def _fits(appointment: Appointment, windows: list[Window]) -> bool:
    """Whether the appointment lies inside the day's hours, touching windows joined (9-1 and
    1-5 is 9-5), as the availability engine joins them."""
    starts = timezone.localtime(appointment.starts_at)
    ends = timezone.localtime(appointment.ends_at)
    if ends.date() != starts.date():
        return False
    stretches: list[list[time]] = []
    for window in sorted(
        (w for w in windows if w.weekday == starts.weekday()), key=lambda w: w.starts_at
    ):
        if stretches and window.starts_at <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], window.ends_at)
        else:
            stretches.append([window.starts_at, window.ends_at])
    return any(start <= starts.time() and ends.time() <= end for start, end in stretches)


def _windows_validate(windows: list[Window]) -> None:
    for window in windows:
        if window.ends_at <= window.starts_at:
            day = WorkingHours.Weekday(window.weekday).label
            raise ValidationError(f"{day}: the end time must be after the start time.")


def _therapist_lock(therapist: Therapist) -> Therapist:
    return Therapist.objects.select_for_update().get(pk=therapist.pk)


def working_hours_replace(*, therapist: Therapist, windows: list[Window]) -> list[WorkingHours]:
    """Make ``windows`` the therapist's weekly hours, unless a confirmed appointment still to
    come that lies inside the current hours would fall outside them."""
    _windows_validate(windows)
    with transaction.atomic():
        therapist = _therapist_lock(therapist)
        current = [
            Window(w.weekday, w.starts_at, w.ends_at)
            for w in WorkingHours.objects.filter(therapist=therapist)
        ]
        # One already outside the current hours (booked by the office) isn't this change's doing.
        stranded = [
            appointment
            for appointment in appointment_list_upcoming_confirmed(therapist=therapist)
            if _fits(appointment, current) and not _fits(appointment, windows)
        ]
        if stranded:
            raise _stranded_message(
                "These hours would leave booked appointments outside them. Keep the hours "
                "that cover them, or ask the office to move them first:",
                stranded,
            )
        WorkingHours.objects.filter(therapist=therapist).delete()
        # bulk_create sends no signal, and a therapist with no hours yet deletes nothing.
        version_bump(CONTENT, AVAILABILITY)
        return WorkingHours.objects.bulk_create(
            WorkingHours(
                therapist=therapist,
                weekday=window.weekday,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
            )
            for window in windows
        )


def time_off_add(
    *, therapist: Therapist, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> TimeOff:
    """Add time off from ``starts_at`` to ``ends_at``, unless a confirmed appointment falls in
    it; it must end in the future."""
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "Time off must end after it starts."})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": "Time off must end in the future."})
    with transaction.atomic():
        therapist = _therapist_lock(therapist)
        stranded = [
            appointment
            for appointment in appointment_list_upcoming_confirmed(therapist=therapist)
            if appointment.starts_at < ends_at and starts_at < appointment.ends_at
        ]
        if stranded:
            raise _stranded_message(
                "You have booked appointments in that time. Choose other dates, or ask the "
                "office to move them first:",
                stranded,
            )
        return TimeOff.objects.create(
            therapist=therapist, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()
        )
