import re

import pytest

from blog import demo
from blog.models import Article, Category
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_seed_writes_eight_readable_articles_in_three_categories(client, _fixed_clock):
    _fixed_clock.move_to("2026-06-01T12:00:00Z")

    demo.seed()

    articles = Article.objects.published()
    assert articles.count() >= 8
    assert Category.objects.filter(articles__in=articles).distinct().count() == 3
    for article in articles:
        words = len(re.findall(r"\w+", article.body))
        assert 350 <= words <= 650, (article.slug, words)
        assert len([h for h in article.headings if h["level"] == 2]) >= 3, article.slug
        assert client.get(article.get_absolute_url()).status_code == 200
    assert articles.filter(author__first_name="Dana").count() == articles.count()


def test_seed_links_articles_to_the_services_that_exist():
    ServiceFactory(name="Orthopedic massage", slug="orthopedic")

    demo.seed()

    article = Article.objects.get(slug="orthopedic-vs-medical-massage")
    assert [service.slug for service in article.related_services.all()] == ["orthopedic"]

    ServiceFactory(name="Medical massage", slug="medical")
    demo.seed()

    assert set(article.related_services.values_list("slug", flat=True)) == {
        "orthopedic",
        "medical",
    }


def test_seed_twice_changes_nothing(_fixed_clock):
    demo.seed()
    before = list(Article.objects.values_list("slug", "updated_at", "published_at"))
    categories_before = list(Category.objects.values_list("slug", "updated_at"))

    _fixed_clock.shift(3600)
    demo.seed()

    assert list(Article.objects.values_list("slug", "updated_at", "published_at")) == before
    assert list(Category.objects.values_list("slug", "updated_at")) == categories_before


def test_seeded_articles_do_not_claim_a_recent_update(client, _fixed_clock):
    _fixed_clock.move_to("2026-06-01T12:00:00Z")
    demo.seed()

    html = client.get("/blog/what-is-a-sleep-massage/").content.decode()

    assert "October 15, 2025" in html
    assert "Updated" not in html
