import math
import random
from datetime import date, timedelta

import pytest

from tests.factories import ModalityFactory, TherapistFactory
from therapists.eligibility import therapist_is_bookable
from therapists.geo import distance_miles
from therapists.models import Therapist

# Therapists are built on the day checked, so their credentials run from years before it to
# years after, whatever day the suite runs on.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_15_noon")]

DAY = date(2026, 6, 15)


def bookable(therapist, modality, *, on=DAY, zip_code="30303"):
    therapist = Therapist.objects.prefetch_related("modalities").get(pk=therapist.pk)
    return therapist_is_bookable(therapist, on=on, modality_id=modality.id, zip_code=zip_code)


def test_a_vetted_active_therapist_with_valid_credentials_is_bookable(swedish):
    therapist = TherapistFactory(modalities=[swedish.modality])

    assert bookable(therapist, swedish.modality)
    assert therapist_is_bookable(
        therapist, on=DAY, modality_id=swedish.modality_id, zip_code="30303"
    )


@pytest.mark.parametrize(
    "field", ["licence_expires_on", "insurance_expires_on", "background_check_valid_until"]
)
def test_a_credential_expiring_on_the_day_is_valid_that_day_and_not_the_next(swedish, field):
    therapist = TherapistFactory(modalities=[swedish.modality], **{field: DAY})

    assert bookable(therapist, swedish.modality, on=DAY)
    assert not bookable(therapist, swedish.modality, on=DAY + timedelta(days=1))


@pytest.mark.parametrize(
    "field", ["licence_expires_on", "insurance_expires_on", "background_check_valid_until"]
)
def test_a_missing_credential_makes_the_therapist_unbookable(swedish, field):
    therapist = TherapistFactory(modalities=[swedish.modality], **{field: None})

    assert not bookable(therapist, swedish.modality)


def test_insurance_starting_later_only_counts_from_its_start_day(swedish):
    therapist = TherapistFactory(modalities=[swedish.modality], insurance_starts_on=DAY)

    assert not bookable(therapist, swedish.modality, on=DAY - timedelta(days=1))
    assert bookable(therapist, swedish.modality, on=DAY)


def test_a_licence_issued_later_only_counts_from_its_issue_day(swedish):
    # Vetted beforehand, so that on the day before only the licence stands in the way.
    therapist = TherapistFactory(
        modalities=[swedish.modality], licence_issued_on=DAY, vetted_on=DAY - timedelta(days=30)
    )

    assert not bookable(therapist, swedish.modality, on=DAY - timedelta(days=1))
    assert bookable(therapist, swedish.modality, on=DAY)


@pytest.mark.parametrize(
    "status",
    [Therapist.Status.PAUSED, Therapist.Status.APPLICANT, Therapist.Status.OFFBOARDED],
)
def test_only_active_therapists_are_bookable(swedish, status):
    therapist = TherapistFactory(modalities=[swedish.modality], status=status)

    assert not bookable(therapist, swedish.modality)


def test_a_therapist_not_vetted_yet_is_not_bookable(swedish):
    not_vetted = TherapistFactory(modalities=[swedish.modality], vetted_on=None)
    vetted_later = TherapistFactory(
        modalities=[swedish.modality], vetted_on=DAY + timedelta(days=1)
    )

    assert not bookable(not_vetted, swedish.modality)
    assert not bookable(vetted_later, swedish.modality)
    assert bookable(vetted_later, swedish.modality, on=DAY + timedelta(days=1))


def test_a_therapist_who_does_not_offer_the_modality_is_not_bookable_for_it(swedish):
    sports = ModalityFactory(name="Sports", slug="sports")
    therapist = TherapistFactory(modalities=[sports])

    assert not bookable(therapist, swedish.modality)
    assert bookable(therapist, sports)


def test_the_travel_radius_boundary_between_two_real_zips(swedish):
    miles = distance_miles("30303", "30309")
    assert 3 < miles < 4 and miles != math.ceil(miles)
    just_inside = TherapistFactory(
        modalities=[swedish.modality], home_zip="30303", travel_radius_miles=math.ceil(miles)
    )
    just_outside = TherapistFactory(
        modalities=[swedish.modality], home_zip="30303", travel_radius_miles=math.floor(miles)
    )

    assert bookable(just_inside, swedish.modality, zip_code="30309")
    assert not bookable(just_outside, swedish.modality, zip_code="30309")


@pytest.mark.parametrize("zip_code", ["00000", "99999", "3030", "abcde", ""])
def test_an_unknown_or_malformed_zip_is_never_served(swedish, zip_code):
    therapist = TherapistFactory(modalities=[swedish.modality], travel_radius_miles=3000)

    assert not bookable(therapist, swedish.modality, zip_code=zip_code)


def random_roster():
    """80 therapists with random statuses, credentials near the days checked, homes, radii
    and modalities; returns the modalities, the days checked and the therapists."""
    rng = random.Random(20260615)
    modalities = [ModalityFactory(name=name, slug=name.lower()) for name in ("A", "B", "C")]
    days = [DAY + timedelta(days=offset) for offset in (-1, 0, 1, 2)]

    def around(valid):
        """A date near the days checked, or (often) one that is safely valid for all of them."""
        edges = [None, DAY - timedelta(days=2), *days]
        return rng.choice(edges) if rng.random() < 0.3 else valid

    long_ago, far_ahead = DAY - timedelta(days=400), DAY + timedelta(days=400)

    for _ in range(80):
        TherapistFactory(
            status=rng.choice([Therapist.Status.ACTIVE] * 3 + Therapist.Status.values),
            vetted_on=around(long_ago),
            licence_issued_on=around(long_ago),
            licence_expires_on=around(far_ahead),
            insurance_starts_on=around(long_ago),
            insurance_expires_on=around(far_ahead),
            background_check_valid_until=around(far_ahead),
            home_zip=rng.choice(["30303", "30309", "30060", "30024"]),
            travel_radius_miles=rng.choice([0, 5, 15, 30]),
            modalities=rng.sample(modalities, rng.randint(0, 3)),
        )
    return modalities, days, list(Therapist.objects.prefetch_related("modalities"))


def test_the_sql_prefilter_never_disagrees_with_the_predicate():
    modalities, days, everyone = random_roster()
    zips = ["30303", "30309", "30060", "30024", "30144"]

    checked = 0
    for day in days:
        for modality in modalities:
            prefiltered = set(
                Therapist.objects.bookable_on(day, modality_id=modality.id).values_list(
                    "pk", flat=True
                )
            )
            for therapist in everyone:
                for zip_code in zips:
                    if therapist_is_bookable(
                        therapist, on=day, modality_id=modality.id, zip_code=zip_code
                    ):
                        checked += 1
                        assert therapist.pk in prefiltered
                # At their own home zip the radius always holds, so there the two must agree.
                at_home = therapist_is_bookable(
                    therapist, on=day, modality_id=modality.id, zip_code=therapist.home_zip
                )
                assert at_home == (therapist.pk in prefiltered), (therapist.pk, day)
    assert checked > 20


def test_the_sql_prefilter_over_a_range_keeps_everyone_bookable_on_some_day_of_it():
    """What the availability engine loads: never a therapist missing who could take a job on
    one of the days."""
    modalities, days, everyone = random_roster()
    kept = 0
    for modality in modalities:
        prefiltered = set(
            Therapist.objects.bookable_between(
                days[0], days[-1], modality_id=modality.id
            ).values_list("pk", flat=True)
        )
        for therapist in everyone:
            if any(
                therapist_is_bookable(
                    therapist, on=day, modality_id=modality.id, zip_code=therapist.home_zip
                )
                for day in days
            ):
                kept += 1
                assert therapist.pk in prefiltered, therapist.pk
    assert kept > 20
