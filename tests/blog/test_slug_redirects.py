import pytest

from blog.models import Article, ArticleSlugRedirect
from blog.services import article_save
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def rename(article: Article, slug: str) -> Article:
    article.slug = slug
    return article_save(article=article)


def test_changing_a_published_slug_redirects_the_old_address_permanently(client):
    article = ArticleFactory(slug="bruising-after-massage")

    rename(article, "is-bruising-normal")

    response = client.get("/blog/bruising-after-massage/")
    assert response.status_code == 301
    assert response["Location"] == "/blog/is-bruising-normal/"
    assert client.get("/blog/is-bruising-normal/").status_code == 200


def test_every_old_address_leads_to_the_current_one(client):
    article = ArticleFactory(slug="first")
    rename(article, "second")
    rename(article, "third")

    for old in ("first", "second"):
        response = client.get(f"/blog/{old}/")
        assert response.status_code == 301
        assert response["Location"] == "/blog/third/"


def test_renaming_a_draft_leaves_no_redirect(client):
    article = ArticleFactory(slug="working-title", status=Article.Status.DRAFT)

    rename(article, "final-title")

    assert not ArticleSlugRedirect.objects.exists()
    assert client.get("/blog/working-title/").status_code == 404


def test_old_address_of_an_unpublished_article_is_a_404(client):
    article = ArticleFactory(slug="old")
    rename(article, "new")
    article.status = Article.Status.DRAFT
    article_save(article=article)

    assert client.get("/blog/old/").status_code == 404


def test_taking_an_old_slug_back_serves_the_article_again(client):
    article = ArticleFactory(slug="original")
    rename(article, "detour")
    rename(article, "original")

    assert client.get("/blog/original/").status_code == 200
    assert list(ArticleSlugRedirect.objects.values_list("old_slug", flat=True)) == ["detour"]
