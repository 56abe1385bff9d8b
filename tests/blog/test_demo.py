import re
from datetime import timedelta

import pytest

from blog import demo
from blog.models import Article, Category
from blog.services import article_save
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


def test_seed_links_new_articles_to_the_services_that_exist():
    ServiceFactory(name="Orthopedic massage", slug="orthopedic")

    demo.seed()

    article = Article.objects.get(slug="orthopedic-vs-medical-massage")
    assert [service.slug for service in article.related_services.all()] == ["orthopedic"]

    ServiceFactory(name="Medical massage", slug="medical")
    demo.seed()

    assert set(article.related_services.values_list("slug", flat=True)) == {"orthopedic"}


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


def pager_link(html: str, rel: str) -> str:
    """The text of the article page's previous or next link, tags and spacing removed."""
    link = re.search(rf'<a [^>]*rel="{rel}">(.*?)</a>', html, re.DOTALL)
    assert link, f"no {rel} link"
    return " ".join(re.sub(r"<[^>]+>", " ", link.group(1)).split())


def test_the_orthopedic_article_sits_between_the_strain_and_bruising_articles(client):
    demo.seed()

    html = client.get("/blog/orthopedic-vs-medical-massage/").content.decode()

    assert "<h1>Orthopedic Massage vs. Medical Massage: Main Differences</h1>" in html
    assert pager_link(html, "prev") == "Previous Massaging Strained Muscles: What You Need to Know"
    assert pager_link(html, "next") == "Next Bruising After Deep Tissue Massage: Is It Normal?"
    assert 'href="/blog/massage-for-strained-muscles/" rel="prev"' in html
    assert 'href="/blog/bruising-after-deep-tissue-massage/" rel="next"' in html


def test_seed_loads_every_markdown_file_in_the_demo_folder():
    files = sorted(demo.ARTICLES_DIR.glob("*.md"))

    demo.seed()

    assert len(files) >= 8
    assert Article.objects.published().count() == len(files)
    assert set(Article.objects.values_list("slug", flat=True)) == {path.stem for path in files}


def test_seed_on_a_later_day_leaves_an_article_staff_have_edited_as_it_is(_fixed_clock):
    ServiceFactory(name="Sleep massage", slug="sleep")
    demo.seed()
    article = Article.objects.get(slug="what-is-a-sleep-massage")
    article.title = "Sleep massage, explained"
    article.body += "\n## A note from our team\n\nEvening slots fill first; book ahead.\n"
    article_save(article=article)
    article.related_services.clear()
    edited = Article.objects.values().get(pk=article.pk)

    _fixed_clock.shift(timedelta(days=40))
    demo.seed()

    assert Article.objects.values().get(pk=article.pk) == edited
    assert not article.related_services.exists()


def test_seed_does_not_bring_back_an_article_staff_have_moved():
    demo.seed()
    article = Article.objects.get(slug="what-is-a-sleep-massage")
    article.slug = "sleep-massage"
    article_save(article=article)

    demo.seed()

    assert not Article.objects.filter(slug="what-is-a-sleep-massage").exists()
    assert Article.objects.count() == len(demo.demo_article_list())
