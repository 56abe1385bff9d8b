"""``manage.py seed_demo`` run again on a later day: it never undoes what staff have done."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from blog.models import Article
from blog.services import article_save
from booking.models import Service
from therapists.models import Therapist
from therapists.services import therapist_pause

pytestmark = pytest.mark.django_db


def every_row():
    """Every row of every model, history tables included, so a re-save counts as a change."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


@pytest.fixture
def seeded_a_while_ago(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    call_command("seed_demo")
    return time_machine


def test_seed_demo_on_a_later_day_writes_nothing(seeded_a_while_ago):
    first = every_row()

    seeded_a_while_ago.shift(timedelta(days=40))
    call_command("seed_demo")

    assert sum(len(rows) for rows in first.values()) > 100
    assert every_row() == first


def test_seed_demo_on_a_later_day_keeps_what_staff_changed(seeded_a_while_ago, staff_in):
    vetting = staff_in("Vetting")
    therapist_pause(therapist=Therapist.objects.get(slug="jordan-e"), by=vetting)
    article = Article.objects.get(slug="orthopedic-vs-medical-massage")
    article.summary = "How the two differ, and which one to book."
    article_save(article=article)
    Service.objects.filter(slug="swedish").update(name="Classic Swedish massage")
    edited = every_row()

    seeded_a_while_ago.shift(timedelta(days=40))
    call_command("seed_demo")

    assert every_row() == edited
    assert Therapist.objects.get(slug="jordan-e").status == Therapist.Status.PAUSED
    assert Therapist.history.filter(slug="jordan-e").count() == 2
    assert (
        Article.objects.get(pk=article.pk).summary == "How the two differ, and which one to book."
    )
    assert Service.objects.get(slug="swedish").name == "Classic Swedish massage"
