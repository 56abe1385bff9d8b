"""The public service pages, the home page's prices and the demo catalogue."""

import re

import pytest

from booking import demo
from booking.models import Service, ServiceDuration
from tests.booking.helpers import page_of
from tests.factories import ModalityFactory, ServiceFactory

pytestmark = pytest.mark.django_db

MODALITY_SLUGS = ["swedish", "deep-tissue", "sleep", "orthopedic", "medical", "prenatal", "sports"]


@pytest.fixture
def swedish():
    service = ServiceFactory(
        name="Swedish massage", slug="swedish", prices={60: "125.00", 90: "170.00"}
    )
    service.what_to_expect = "Your therapist arrives ten minutes early to set up."
    service.save()
    return service


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
    page = page_of(client.get("/services/swedish/"))

    assert "<h1>Swedish massage</h1>" in page
    assert "60 minutes · <strong>$125.00</strong>" in page
    assert "Your therapist arrives ten minutes early to set up." in page
    assert 'href="/book/?service=swedish"' in page


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
    assert 'href="/book/?service=swedish"' in sticky[: sticky.index("</div>")]


def test_the_demo_catalogue_is_complete_and_idempotent():
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
    assert services["swedish"].name == "Swedish massage"
    assert sorted(d.minutes for d in services["swedish"].durations.all()) == [60, 90, 120]
    assert services["sleep"].earliest_start.hour == 18
    assert services["sleep"].latest_start.hour == 21
    assert services["medical"].requires_referral is True
    assert services["couples-side-by-side"].therapists_needed == 2
    assert services["couples-side-by-side"].modality.slug == "swedish"
    assert services["couples-back-to-back"].kind == "couples_back_to_back"
    assert all(service.what_to_expect and service.summary for service in services.values())
