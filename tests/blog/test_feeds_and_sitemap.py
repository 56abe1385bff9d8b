import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from blog.models import Article
from tests.blog.conftest import NOW
from tests.factories import ArticleFactory, CategoryFactory, ServiceFactory, TherapistFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def journal(settings):
    settings.SITE_URL = "https://spatheory.com"
    ArticleFactory(
        title="Older",
        slug="older",
        summary="Older summary.",
        category__name="Recovery",
        published_at=NOW - timedelta(days=2),
    )
    ArticleFactory(title="Newer", slug="newer", published_at=NOW - timedelta(days=1))
    ArticleFactory(title="Draft", slug="draft", status=Article.Status.DRAFT)
    ArticleFactory(title="Scheduled", slug="scheduled", published_at=NOW + timedelta(days=1))


def test_rss_feed_is_valid_rss_2_with_published_articles_only(client, journal):
    response = client.get("/blog/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == "https://spatheory.com/blog/"
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["Newer", "Older"]
    assert items[1].findtext("link") == "https://spatheory.com/blog/older/"
    assert items[1].findtext("description") == "Older summary."
    assert items[1].findtext("pubDate")


def test_atom_feed_is_valid_atom_with_published_articles_only(client, journal):
    response = client.get("/blog/feed/atom/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == "https://spatheory.com/blog/feed/atom/"
    entries = root.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Newer", "Older"]
    assert entries[0].find(f"{ATOM}link").get("href") == "https://spatheory.com/blog/newer/"
    assert entries[0].findtext(f"{ATOM}updated")
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == "Maya Brooks"


def sitemap_entries(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.findall(f"{SITEMAP}url")
    }


def test_sitemap_lists_public_pages_and_nothing_private(client, journal):
    CategoryFactory(name="Empty")
    ServiceFactory(name="Swedish", slug="swedish")
    ServiceFactory(name="Retired", slug="retired", is_active=False)
    TherapistFactory(slug="maya")
    TherapistFactory(slug="lapsed", licence_expires_on=date(2026, 3, 1))
    TherapistFactory(slug="applicant", status="applicant")

    entries = sitemap_entries(client)

    site = "https://spatheory.com"
    for path in (
        "/",
        "/services/",
        "/therapists/",
        "/blog/",
        "/blog/newer/",
        "/blog/older/",
        "/blog/category/recovery/",
        "/services/swedish/",
        "/therapists/maya/",
    ):
        assert f"{site}{path}" in entries, path
    assert entries[f"{site}/blog/older/"].startswith("2026-03-10")
    listed = " ".join(entries)
    for private in ("draft", "scheduled", "retired", "lapsed", "applicant", "/book", "empty"):
        assert private not in listed, private


def test_robots_txt_points_at_the_sitemap_and_lets_crawlers_see_booking_pages(client, settings):
    settings.SITE_URL = "https://spatheory.com"

    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: https://spatheory.com/sitemap.xml" in text.splitlines()
    assert "User-agent: *" in text
    assert "/book" not in text
