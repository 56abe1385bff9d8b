from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from blog.models import Article
from blog.services import article_publish, article_save, article_unpublish
from booking.models import ServiceDuration
from tests.blog.conftest import NOW
from tests.factories import ArticleFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def page(client, slug="main") -> str:
    response = client.get(f"/blog/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def main_article():
    return ArticleFactory(
        title="Main", slug="main", body="Original words.", published_at=NOW - timedelta(days=5)
    )


def test_article_page_is_served_from_the_cache(client, main_article):
    assert "Original words." in page(client)

    # A change that bypasses save() leaves the cached page as it was.
    Article.objects.filter(pk=main_article.pk).update(body_html="<p>Sneaky words.</p>")

    assert "Original words." in page(client)


def test_editing_the_article_refreshes_its_page(client, main_article, _fixed_clock):
    assert "Original words." in page(client)
    _fixed_clock.shift(timedelta(minutes=1))

    main_article.body = "Fresh words."
    article_save(article=main_article)

    html = page(client)
    assert "Fresh words." in html and "Original words." not in html


def test_publishing_a_next_article_refreshes_the_previous_one(client, main_article):
    follower = ArticleFactory(
        title="Follower", slug="follower", status=Article.Status.DRAFT, published_at=None
    )
    assert "Follower" not in page(client)

    article_publish(article=follower)

    assert "Follower" in page(client)

    article_unpublish(article=follower)

    assert "Follower" not in page(client)


def test_a_scheduled_neighbour_appears_when_its_time_comes(client, main_article, _fixed_clock):
    ArticleFactory(title="Tomorrow's piece", published_at=NOW + timedelta(days=1))
    assert "Tomorrow&#x27;s piece" not in page(client)

    _fixed_clock.shift(timedelta(days=1))

    assert "Tomorrow&#x27;s piece" in page(client)


def test_retitling_a_neighbour_refreshes_the_page(client, main_article, _fixed_clock):
    earlier = ArticleFactory(title="Earlier", published_at=NOW - timedelta(days=9))
    assert "Earlier" in page(client)
    _fixed_clock.shift(timedelta(minutes=1))

    earlier.title = "Earlier, renamed"
    article_save(article=earlier)

    assert "Earlier, renamed" in page(client)


def test_a_related_service_price_change_refreshes_the_page(client, main_article):
    service = ServiceFactory(name="Deep tissue", slug="deep-tissue", prices={60: "130.00"})
    main_article.related_services.set([service])
    assert "from <strong>$130.00</strong>" in page(client)

    # As staff change it in admin: the row is saved.
    duration = ServiceDuration.objects.get(service=service)
    duration.price = Decimal("140.00")
    duration.save()

    html = page(client)
    assert "from <strong>$140.00</strong>" in html and "$130.00" not in html


def test_a_new_cheaper_length_refreshes_the_page(client, main_article):
    service = ServiceFactory(name="Deep tissue", slug="deep-tissue", prices={60: "130.00"})
    main_article.related_services.set([service])
    assert "from <strong>$130.00</strong>" in page(client)

    ServiceDuration.objects.create(service=service, minutes=45, price=Decimal("99.00"))

    assert "from <strong>$99.00</strong>" in page(client)


def test_a_related_service_taken_off_sale_leaves_the_invitation(client, main_article):
    service = ServiceFactory(name="Deep tissue", slug="deep-tissue")
    main_article.related_services.set([service])
    assert "/book/?service=deep-tissue" in page(client)

    service.is_active = False
    service.save()

    assert "/book/?service=deep-tissue" not in page(client)


def test_page_still_renders_with_redis_down(client, main_article, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "spatheory.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05},
        }
    }
    cache.close()

    html = page(client)

    assert "Original words." in html
