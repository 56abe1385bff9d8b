from datetime import date

import pytest
from django.urls import reverse

from tests.factories import ModalityFactory, TherapistFactory
from therapists.models import Therapist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_15_noon")]

LIST = reverse("therapists:list")


@pytest.fixture
def maya_robinson():
    return TherapistFactory(
        first_name="Maya",
        last_name="Robinson",
        display_name="Maya R.",
        slug="maya-r",
        email="maya.private@example.com",
        phone="+14045550188",
        home_zip="30342",
        travel_radius_miles=17,
        licence_number="MT-PRIVATE-42",
        insurance_policy_number="POL-PRIVATE-77",
        years_experience=9,
        bio="Calm, unhurried Swedish and sleep sessions.",
        modalities=[
            ModalityFactory(name="Swedish", slug="swedish", description="Long flowing strokes."),
            ModalityFactory(name="Sleep", slug="sleep"),
        ],
    )


def test_directory_lists_bookable_therapists_with_what_clients_need(client, maya_robinson):
    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Our massage therapists in Atlanta · Spa Theory</title>" in html
    assert 'href="/therapists/maya-r/">Maya R.</a>' in html
    assert "9 years of experience" in html
    assert "<li>Swedish</li>" in html and "<li>Sleep</li>" in html
    assert "Licensed, insured, background-checked" in html
    assert '<span class="therapist-initials" aria-hidden="true">MR</span>' in html


def test_profile_shows_bio_modalities_and_the_vetted_badge(client, maya_robinson):
    response = client.get(maya_robinson.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Maya R., massage therapist in Atlanta · Spa Theory</title>" in html
    assert '<meta name="description" content="Calm, unhurried Swedish and sleep sessions.">' in html
    assert '<h1 class="mb-1">Maya R.</h1>' in html
    assert "Long flowing strokes." in html
    assert "Licensed, insured, background-checked" in html


def test_profile_photo_has_alt_text(client, maya_robinson):
    Therapist.objects.filter(pk=maya_robinson.pk).update(
        photo="therapists/maya.jpg", photo_alt="Maya smiling beside her massage table"
    )

    html = client.get(maya_robinson.get_absolute_url()).content.decode()

    assert 'src="/media/therapists/maya.jpg" alt="Maya smiling beside her massage table"' in html


def test_in_production_the_photo_is_linked_at_the_media_server(client, maya_robinson, settings):
    settings.DEBUG = False
    settings.MEDIA_URL = "http://127.0.0.1:8001/media/"
    Therapist.objects.filter(pk=maya_robinson.pk).update(
        photo="therapists/maya.jpg", photo_alt="Maya smiling beside her massage table"
    )

    html = client.get(maya_robinson.get_absolute_url()).content.decode()

    assert 'src="http://127.0.0.1:8001/media/therapists/maya.jpg"' in html


@pytest.mark.parametrize("url_of", [lambda t: LIST, lambda t: t.get_absolute_url()])
def test_public_pages_never_show_private_fields(client, maya_robinson, url_of):
    response = client.get(url_of(maya_robinson))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Maya R." in html
    for private in (
        "maya.private@example.com",
        "+14045550188",
        "555-0188",
        "30342",
        "17 mi",
        "MT-PRIVATE-42",
        "POL-PRIVATE-77",
        "Robinson",
    ):
        assert private not in html


@pytest.mark.parametrize(
    "unbookable",
    [
        {"status": Therapist.Status.PAUSED},
        {"status": Therapist.Status.APPLICANT},
        {"status": Therapist.Status.OFFBOARDED},
        {"vetted_on": None},
        {"licence_expires_on": date(2026, 6, 14)},
        {"insurance_expires_on": date(2026, 6, 14)},
        {"insurance_starts_on": date(2026, 6, 16)},
        {"background_check_valid_until": None},
    ],
)
def test_therapists_we_cannot_send_today_are_hidden_and_their_profile_is_404(client, unbookable):
    TherapistFactory(display_name="Hidden H.", slug="hidden-h", **unbookable)

    assert "Hidden H." not in client.get(LIST).content.decode()
    assert client.get(reverse("therapists:detail", args=["hidden-h"])).status_code == 404


def test_a_credential_expiring_today_still_shows_today(client):
    TherapistFactory(display_name="Last L.", slug="last-l", licence_expires_on=date(2026, 6, 15))

    assert "Last L." in client.get(LIST).content.decode()


def test_unknown_profile_is_404(client):
    assert client.get(reverse("therapists:detail", args=["nobody"])).status_code == 404


def test_empty_directory_still_invites_you_to_book(client):
    html = client.get(LIST).content.decode()

    assert 'href="/book/">book a massage</a>' in html


@pytest.mark.parametrize("how_many", [1, 10])
def test_directory_runs_two_queries_however_many_therapists(
    client, django_assert_num_queries, how_many
):
    modalities = [ModalityFactory(name=f"M{n}", slug=f"m{n}") for n in range(3)]
    TherapistFactory.create_batch(how_many, modalities=modalities)

    with django_assert_num_queries(2):
        response = client.get(LIST)

    assert response.content.decode().count('class="card h-100 therapist-card"') == how_many


@pytest.mark.parametrize("how_many", [1, 10])
def test_profile_runs_two_queries_however_many_therapists(
    client, django_assert_num_queries, how_many
):
    modalities = [ModalityFactory(name=f"M{n}", slug=f"m{n}") for n in range(3)]
    therapists = TherapistFactory.create_batch(how_many, modalities=modalities)

    with django_assert_num_queries(2):
        response = client.get(therapists[-1].get_absolute_url())

    assert response.status_code == 200
