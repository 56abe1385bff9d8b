"""Reads for the therapists' portal: whose session it is, and their jobs."""

from datetime import datetime, time

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from booking.models import Appointment, Booking, JobEvent
from booking.selectors import business_timezone
from therapists.models import Therapist, TimeOff

# Who may sign in: paused therapists still work the jobs already booked.
SIGN_IN_STATUSES = (Therapist.Status.ACTIVE, Therapist.Status.PAUSED)


def therapist_for_user(*, user: AbstractBaseUser) -> Therapist | None:
    """The therapist whose portal this signed-in user may see: through their own account row
    only, never for a staff account, and only while the therapist may sign in."""
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return None
    return Therapist.objects.filter(account__user=user, status__in=SIGN_IN_STATUSES).first()


def appointment_list_upcoming_confirmed(*, therapist: Therapist) -> QuerySet[Appointment]:
    """The therapist's appointments on confirmed bookings that have not ended yet."""
    return (
        Appointment.objects.active()
        .filter(
            therapist=therapist,
            booking__status=Booking.Status.CONFIRMED,
            ends_at__gt=timezone.now(),
        )
        .select_related("booking__service")
        .order_by("starts_at")
    )


def _jobs(therapist: Therapist) -> QuerySet[Appointment]:
    partners = Appointment.objects.active().select_related("therapist").order_by("pk")
    return (
        Appointment.objects.filter(therapist=therapist)
        .select_related("booking__service", "therapist")
        .prefetch_related(
            Prefetch("events", queryset=JobEvent.objects.order_by("created_at", "pk")),
            Prefetch("booking__appointments", queryset=partners, to_attr="active_appointments"),
        )
    )


def job_list_today_and_upcoming(*, therapist: Therapist, now: datetime) -> list[Appointment]:
    """The therapist's jobs from the start of today (Atlanta time) on, soonest first: those
    still theirs on bookings not cancelled. A fixed number of queries, whatever the count."""
    today = datetime.combine(now.astimezone(business_timezone()).date(), time.min)
    start_of_today = today.replace(tzinfo=business_timezone())
    return list(
        _jobs(therapist)
        .filter(is_active=True, ends_at__gte=start_of_today)
        .exclude(booking__status=Booking.Status.CANCELLED)
        .order_by("starts_at")
    )


def job_get(*, therapist: Therapist, pk: int) -> Appointment | None:
    """One of the therapist's own jobs (a cancelled or reassigned one included), or None."""
    return _jobs(therapist).filter(pk=pk).first()


def time_off_list_upcoming(*, therapist: Therapist) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(therapist=therapist, ends_at__gt=timezone.now()).order_by(
        "starts_at"
    )
