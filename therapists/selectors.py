"""Reads: the public directory and the credentials staff must renew."""

from datetime import date

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Therapist


def therapist_list_public(*, day: date) -> QuerySet[Therapist]:
    """Therapists we could send on ``day``: active, vetted and every credential valid.

    No zip code or modality applies to the directory, so the SQL prefilter
    ``bookable_on`` is the whole rule here (it is the predicate minus those two checks).
    Modalities are prefetched so the page costs two queries however long the list is.
    """
    return Therapist.objects.bookable_on(day).prefetch_related("modalities")


def therapist_get_public(*, slug: str, day: date) -> Therapist:
    """One therapist from the directory, or 404 when unknown or not bookable on ``day``."""
    return get_object_or_404(therapist_list_public(day=day), slug=slug)


def therapist_get_bookable(*, slug: str, day: date) -> Therapist | None:
    """The directory's therapist with this slug, or None when unknown or not bookable on
    ``day``: whom a client may ask for by name."""
    if not slug:
        return None
    return therapist_list_public(day=day).filter(slug=slug).first()


def therapist_get_by_calendar_token(*, token: str) -> Therapist | None:
    """The therapist whose calendar feed ``token`` opens; None once staff issued a new one or
    the therapist was offboarded."""
    return (
        Therapist.objects.exclude(status=Therapist.Status.OFFBOARDED)
        .filter(calendar_token=token)
        .first()
    )


def credential_expiry_list(*, day: date, within_days: int) -> QuerySet[Therapist]:
    """Working therapists (active or paused) whose licence, insurance or background check has
    expired by ``day`` or expires within ``within_days`` of it, by name."""
    return (
        Therapist.objects.filter(status__in=[Therapist.Status.ACTIVE, Therapist.Status.PAUSED])
        .credentials_need_attention(day, within_days=within_days)
        .order_by("last_name", "first_name")
    )
