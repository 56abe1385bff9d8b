"""The one rule for "can this therapist take this appointment?".

The availability engine and the booking services call ``therapist_is_bookable``;
``TherapistQuerySet.bookable_on`` only narrows the rows loaded first and is tested never to
disagree with it.
"""

from datetime import date

from .credentials import CREDENTIALS
from .geo import distance_miles


def _valid_on(day: date, *, expires_on: date | None, starts_on: date | None = None) -> bool:
    if expires_on is None or expires_on < day:
        return False
    return starts_on is None or starts_on <= day


def therapist_is_bookable(
    therapist, *, on: date, modality_id: int, zip_code: str, modality_ids=None
) -> bool:
    """Active, vetted, offers the modality, serves the zip, and every credential valid on ``on``.

    Reads only attributes already loaded (modalities through a prefetch, or ``modality_ids``
    when the caller loaded them as ids), so it is pure and safe to call in a loop over
    preloaded therapists.
    """
    if therapist.status != "active":
        return False
    if therapist.vetted_on is None or therapist.vetted_on > on:
        return False
    for credential in CREDENTIALS:
        expires_on = getattr(therapist, credential.expires)
        starts_on = getattr(therapist, credential.starts) if credential.starts_validity else None
        if not _valid_on(on, expires_on=expires_on, starts_on=starts_on):
            return False
    if modality_ids is None:
        modality_ids = {modality.id for modality in therapist.modalities.all()}
    if modality_id not in modality_ids:
        return False
    return therapist_serves_zip(therapist, zip_code)


def therapist_serves_zip(therapist, zip_code: str) -> bool:
    """The zip's centroid lies within the therapist's travel radius of their home zip."""
    miles = distance_miles(therapist.home_zip, zip_code)
    return miles is not None and miles <= therapist.travel_radius_miles
