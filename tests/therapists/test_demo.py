from datetime import time, timedelta

import pytest
from django.utils import timezone

from therapists import demo
from therapists.eligibility import therapist_is_bookable
from therapists.models import Modality, Therapist, WorkingHours
from therapists.services import therapist_pause

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_15_noon")]

DEMO_MODALITIES = ["swedish", "deep-tissue", "sleep", "orthopedic", "medical", "prenatal", "sports"]


def snapshot():
    return {
        "modalities": list(Modality.objects.values()),
        "therapists": list(Therapist.objects.order_by("pk").values()),
        "history": Therapist.history.count(),
        "hours": list(WorkingHours.objects.order_by("pk").values()),
        "offers": list(Therapist.modalities.through.objects.order_by("pk").values()),
    }


def test_seed_twice_changes_nothing_the_second_time():
    demo.seed()
    first = snapshot()

    demo.seed()

    assert snapshot() == first


def test_seed_on_a_later_day_writes_nothing(time_machine):
    demo.seed()
    first = snapshot()

    time_machine.shift(timedelta(days=40))
    demo.seed()

    assert snapshot() == first


def test_seed_on_a_later_day_leaves_a_therapist_staff_have_paused_and_edited(
    staff_in, time_machine
):
    demo.seed()
    maya = Therapist.objects.get(slug="maya-r")
    therapist_pause(therapist=maya, by=staff_in("Vetting"))
    maya.working_hours.filter(weekday=5).delete()
    maya.modalities.remove(Modality.objects.get(slug="sleep"))
    edited = snapshot()

    time_machine.shift(timedelta(days=40))
    demo.seed()

    assert snapshot() == edited
    maya.refresh_from_db()
    assert maya.status == Therapist.Status.PAUSED
    assert not maya.working_hours.filter(weekday=5).exists()
    assert not maya.modalities.filter(slug="sleep").exists()


def test_demo_modalities_have_real_descriptions_and_techniques():
    demo.seed()

    modalities = {modality.slug: modality for modality in Modality.objects.all()}
    assert sorted(modalities) == sorted(DEMO_MODALITIES)
    assert modalities["deep-tissue"].name == "Deep tissue"
    assert {"Positional release", "Nerve mobilization", "Myofascial release"} <= set(
        modalities["orthopedic"].technique_list
    )
    assert "prescribed by a doctor or physiotherapist" in modalities["medical"].description
    assert all(len(modality.description) > 60 for modality in modalities.values())


def bookable_for(slug, zip_code):
    today = timezone.localdate()
    modality = Modality.objects.get(slug=slug)
    return [
        therapist
        for therapist in Therapist.objects.bookable_on(
            today, modality_id=modality.id
        ).prefetch_related("modalities")
        if therapist_is_bookable(therapist, on=today, modality_id=modality.id, zip_code=zip_code)
    ]


def test_demo_gives_every_modality_several_therapists_and_couples_slots_in_midtown():
    demo.seed()

    assert len(bookable_for("swedish", "30309")) >= 4
    for slug in DEMO_MODALITIES:
        assert len(bookable_for(slug, "30306")) >= 3, slug


def test_demo_sleep_therapists_work_evenings():
    demo.seed()

    late = {
        hours.therapist_id
        for hours in WorkingHours.objects.filter(
            therapist__modalities__slug="sleep", starts_at__lte=time(18), ends_at__gte=time(22)
        )
    }
    assert len(late) >= 3
    covered = set(WorkingHours.objects.values_list("weekday", flat=True))
    assert covered == set(range(7))


def test_demo_includes_the_edge_cases_staff_should_recognise():
    demo.seed()
    today = timezone.localdate()

    therapists = {therapist.slug: therapist for therapist in Therapist.objects.all()}
    assert len(therapists) == 12
    aisha, noah, tyler = therapists["aisha-g"], therapists["noah-f"], therapists["tyler-b"]
    assert aisha.status == Therapist.Status.ACTIVE
    assert 0 < (aisha.insurance_expires_on - today).days <= 30
    assert noah.status == Therapist.Status.ACTIVE and noah.licence_expires_on < today
    assert noah not in Therapist.objects.bookable_on(today)
    assert tyler.status == Therapist.Status.APPLICANT and tyler.vetted_on is None
    others = [t for slug, t in therapists.items() if slug not in {"noah-f", "tyler-b"}]
    assert set(Therapist.objects.bookable_on(today)) == set(others)
