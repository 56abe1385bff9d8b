"""The public service pages, the home page's prices and the demo catalogue."""

import re

import pytest

from booking import demo
from booking.models import Service, ServiceDuration
from tests.booking.helpers import page_of
from tests.factories import ModalityFactory, ServiceFactory

pytestmark = pytest.mark.django_db

MODALITY_SLUGS = ["swedish", "deep-tissue", "sleep", "orthopedic", "medical", "prenatal", "sports"]


def test_the_service_list_shows_prices_and_a_book_button(client, swedish):
    ServiceFactory(name="Retired massage", slug="retired")
    Service.objects.filter(slug="retired").update(is_active=False)

    page = page_of(client.get("/services/"))

    assert "Swedish massage" in page
    assert "60 min · <strong>$125.00</strong>" in page
    assert "90 min · <strong>$170.00</strong>" in page
    assert 'href="/book/?service=swedish"' in page
    assert "Retired massage" not in page


def test_a_service_page_says_what_to_expect(client, swedish):
    swedish.what_to_expect = "Your therapist arrives ten minutes early to set up."
    swedish.save()

    page = page_of(client.get("/services/swedish/"))

    assert "<h1>Swedish massage</h1>" in page
    assert "60 minutes · <strong>$125.00</strong>" in page
    assert "Your therapist arrives ten minutes early to set up." in page
    assert 'href="/book/?service=swedish"' in page


def test_a_service_page_lists_the_techniques_of_its_modality(client, swedish):
    orthopedic = ModalityFactory(
        name="Orthopedic",
        slug="orthopedic",
        techniques="Positional release\nNerve mobilization\n\nMyofascial release\n",
    )
    ServiceFactory(name="Orthopedic massage", slug="orthopedic", modality=orthopedic)

    page = page_of(client.get("/services/orthopedic/"))

    assert '<h2 class="h4">Techniques</h2>' in page
    for technique in ("Positional release", "Nerve mobilization", "Myofascial release"):
        assert f"<li>{technique}</li>" in page
    assert "<li></li>" not in page
    assert "Techniques" not in page_of(client.get("/services/swedish/"))


def test_couples_prices_are_for_two(client):
    ServiceFactory(
        name="Couples massage", slug="couples", kind="couples_side_by_side", prices={60: "250.00"}
    )

    page = page_of(client.get("/services/couples/"))

    assert "60 minutes each · <strong>$250.00</strong> for the two of you" in page
    assert "Two therapists arrive together" in page


def test_an_unknown_service_is_a_404(client):
    assert client.get("/services/no-such-massage/").status_code == 404


def test_the_home_page_lists_services_with_prices_from_the_database(client, swedish):
    ServiceDuration.objects.filter(service=swedish, minutes=60).update(price="130.00")

    page = page_of(client.get("/"))

    assert "Swedish massage" in page
    assert "$130.00" in page


def test_booking_from_a_service_page_preselects_it(client, swedish):
    page = page_of(client.get(swedish.get_booking_url()))

    assert re.search(r'<input type="radio" name="service" value="swedish"[^>]* checked', page)


def test_the_sticky_book_button_on_a_service_page_books_that_service(client, swedish):
    page = page_of(client.get("/services/swedish/"))

    sticky = page[page.index('class="sticky-book') :]
    assert 'href="/book/?service=swedish"' in sticky[: sticky.index("</aside>")]


def test_the_demo_catalogue_is_complete_and_keeps_what_staff_changed():
    for slug in MODALITY_SLUGS:
        ModalityFactory(name=slug.replace("-", " ").title(), slug=slug)

    demo.seed()
    Service.objects.filter(slug="swedish").update(name="Changed by staff")
    demo.seed()

    services = {service.slug: service for service in Service.objects.all()}
    assert set(services) == {
        "swedish",
        "deep-tissue",
        "sleep",
        "orthopedic",
        "medical",
        "prenatal",
        "couples-side-by-side",
        "couples-back-to-back",
    }
    assert ServiceDuration.objects.count() == sum(len(entry["prices"]) for entry in demo.SERVICES)
    # A second seed creates what is missing and leaves what staff changed alone.
    assert services["swedish"].name == "Changed by staff"
    assert sorted(d.minutes for d in services["swedish"].durations.all()) == [60, 90, 120]
    assert services["sleep"].earliest_start.hour == 18
    assert services["sleep"].latest_start.hour == 21
    assert services["medical"].requires_referral is True
    assert services["couples-side-by-side"].therapists_needed == 2
    assert services["couples-side-by-side"].modality.slug == "swedish"
    assert services["couples-back-to-back"].kind == "couples_back_to_back"
    assert all(service.what_to_expect and service.summary for service in services.values())
