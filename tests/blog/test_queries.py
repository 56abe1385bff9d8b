from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.blog.conftest import NOW
from tests.factories import ArticleFactory, CategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def build_journal(count: int, *, first: int = 0) -> None:
    categories = [CategoryFactory(name=f"Topic {n}") for n in range(3)]
    services = [ServiceFactory(name=f"Massage {n}") for n in range(3)]
    for n in range(first, first + count):
        ArticleFactory(
            title=f"Massage note {n}",
            slug=f"note-{n}",
            category=categories[n % 3],
            related_services=services[: 1 + n % 3],
            published_at=NOW - timedelta(days=n + 1),
        )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/blog/",
        "/blog/?page=2",
        "/blog/category/topic-1/",
        "/blog/?q=massage",
        "/blog/note-1/",
        "/blog/feed/",
        "/blog/feed/atom/",
        "/sitemap.xml",
        "/",
    ],
)
def test_journal_pages_run_the_same_number_of_queries_for_2_or_15_articles(
    client, django_assert_num_queries, url
):
    build_journal(2)
    with_two = queries_for(client, url)
    build_journal(13, first=2)

    with django_assert_num_queries(with_two):
        client.get(url)


def test_article_page_runs_few_queries(client, django_assert_max_num_queries):
    build_journal(15)

    # The article, previous, next, related articles, related services and their prices.
    with django_assert_max_num_queries(5):
        client.get("/blog/note-7/")
