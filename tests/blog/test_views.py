import json
import re
from datetime import timedelta

import pytest
from django.db import connection

from blog.models import Article
from tests.blog.conftest import NOW
from tests.factories import ArticleFactory, CategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [article.title for article in response.context["articles"]]


def days_ago(days: float):
    return NOW - timedelta(days=days)


def test_index_lists_published_articles_newest_first_and_hides_drafts_and_scheduled(client):
    ArticleFactory(title="Older", published_at=days_ago(3))
    ArticleFactory(title="Newer", published_at=days_ago(1))
    ArticleFactory(title="Draft", status=Article.Status.DRAFT, published_at=days_ago(2))
    ArticleFactory(title="Scheduled", published_at=NOW + timedelta(hours=1))

    response = client.get("/blog/")

    assert response.status_code == 200
    assert titles(response) == ["Newer", "Older"]
    assert b"Draft" not in response.content and b"Scheduled" not in response.content


def test_scheduled_article_appears_on_its_date_without_any_job(client, _fixed_clock):
    ArticleFactory(title="Scheduled", slug="scheduled", published_at=NOW + timedelta(hours=1))

    assert client.get("/blog/scheduled/").status_code == 404

    _fixed_clock.shift(timedelta(hours=1))

    assert client.get("/blog/scheduled/").status_code == 200
    assert titles(client.get("/blog/")) == ["Scheduled"]


def test_draft_article_page_is_the_site_404(client):
    ArticleFactory(slug="draft", status=Article.Status.DRAFT)

    response = client.get("/blog/draft/")

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_unknown_article_and_category_give_the_site_404(client):
    for url in ("/blog/no-such-article/", "/blog/category/no-such-category/"):
        response = client.get(url)
        assert response.status_code == 404
        assert b"Page not found" in response.content


def test_index_paginates_by_ten_and_tolerates_any_page_value(client):
    for day in range(23):
        ArticleFactory(title=f"Day {day}", published_at=days_ago(day + 1))

    first = client.get("/blog/")
    assert titles(first) == [f"Day {day}" for day in range(10)]
    assert b"Page 1 of 3" in first.content
    assert titles(client.get("/blog/?page=3")) == ["Day 20", "Day 21", "Day 22"]

    for junk in ("abc", "", "0.5", "1e3", "%00", "9" * 5000):
        response = client.get("/blog/", {"page": junk})
        assert response.status_code == 200
        assert titles(response) == titles(first), junk
    for out_of_range in ("4", "0", "-1", "99999999999999999999"):
        response = client.get("/blog/", {"page": out_of_range})
        assert response.status_code == 200
        assert titles(response) == ["Day 20", "Day 21", "Day 22"], out_of_range


def test_category_page_lists_only_its_articles(client):
    home = CategoryFactory(name="At-home massage", description="Getting ready for your therapist.")
    recovery = CategoryFactory(name="Recovery")
    ArticleFactory(title="Set up the room", category=home)
    ArticleFactory(title="After surgery", category=recovery)

    response = client.get("/blog/category/at-home-massage/")

    assert response.status_code == 200
    assert titles(response) == ["Set up the room"]
    html = response.content.decode()
    assert "<h1>At-home massage</h1>" in html
    assert "Getting ready for your therapist." in html
    assert "<title>At-home massage · Journal · Spa Theory</title>" in html


def test_empty_category_invites_the_reader_to_the_services(client):
    CategoryFactory(name="Recovery")

    response = client.get("/blog/category/recovery/")

    assert response.status_code == 200
    assert b"No articles in Recovery yet" in response.content
    assert b'href="/services/"' in response.content


def test_search_finds_matching_articles(client):
    ArticleFactory(title="Massage after surgery", body="Wait for your surgeon's go-ahead.")
    ArticleFactory(title="Sleep massage", body="An evening massage that ends in bed.")

    response = client.get("/blog/", {"q": "surgery"})

    assert titles(response) == ["Massage after surgery"]
    assert "1 article matches “surgery”" in response.content.decode()


def test_search_with_no_results_helps_the_reader(client):
    ArticleFactory(title="Sleep massage")

    response = client.get("/blog/", {"q": "trampoline"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing matches “trampoline” yet" in html
    assert "(404) 555-0199" in html
    assert '<meta name="robots" content="noindex, follow">' in html


def test_search_on_postgresql_ranks_title_matches_first_and_understands_english():
    assert connection.vendor == "postgresql", "the suite runs on PostgreSQL"
    from blog.selectors import article_list_published, article_search

    ArticleFactory(
        title="Hydration", body="Bruises can follow deep pressure.", published_at=days_ago(1)
    )
    ArticleFactory(title="Is bruising normal?", body="Sometimes.", published_at=days_ago(5))
    ArticleFactory(title="Sleep", body="Nothing about it.", published_at=days_ago(2))

    results = article_search(queryset=article_list_published(), terms="bruise")

    assert [article.title for article in results] == ["Is bruising normal?", "Hydration"]
    excluded = article_search(queryset=article_list_published(), terms="bruise -hydration")
    assert [article.title for article in excluded] == ["Is bruising normal?"]


def test_search_falls_back_to_substring_matching_off_postgresql(monkeypatch):
    from blog import selectors

    ArticleFactory(title="Massage after surgery")
    ArticleFactory(title="Sleep massage")
    monkeypatch.setattr(selectors.connection, "vendor", "sqlite")

    results = selectors.article_search(queryset=selectors.article_list_published(), terms="SURGERY")

    assert [article.title for article in results] == ["Massage after surgery"]


@pytest.mark.parametrize(
    "q",
    ["x" * 100_000, "\x00\x01 surgery", "'); DROP TABLE blog_article; --", '"""', "!!!", "&|:*<>"],
)
def test_huge_or_malformed_search_never_errors(client, q):
    ArticleFactory(title="Massage after surgery")

    response = client.get("/blog/", {"q": q, "page": "junk"})

    assert response.status_code == 200
    assert len(response.context["q"]) <= 200


def test_article_page_shows_everything_a_reader_needs(client):
    article = ArticleFactory(
        title="Orthopedic vs. medical massage",
        slug="orthopedic-vs-medical",
        summary="Two massages that sound alike but are booked differently.",
        body=(
            "## Orthopedic massage\n\nJoints.\n\n### Techniques\n\nRelease.\n\n"
            "## Medical massage\n\nPrescribed."
        ),
        author__first_name="Maya",
        author__last_name="Brooks",
        published_at=days_ago(10),
    )
    Article.objects.filter(pk=article.pk).update(updated_at=days_ago(2))

    html = client.get("/blog/orthopedic-vs-medical/").content.decode()

    assert "<h1>Orthopedic vs. medical massage</h1>" in html
    assert "By Maya Brooks" in html
    assert "February 28, 2026" in html
    assert "Updated <time" in html and "March 8, 2026" in html
    assert "1 min read" in html
    toc = re.search(r'<nav class="article-toc.*?</nav>', html, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', toc) == [
        "orthopedic-massage",
        "techniques",
        "medical-massage",
    ]
    assert '<h2 id="orthopedic-massage">' in html and '<h3 id="techniques">' in html


def test_article_page_has_unique_seo_tags_and_blogposting_json_ld(client, settings):
    settings.SITE_URL = "https://spatheory.com"
    ArticleFactory(
        title='Bruising after "deep" tissue',
        slug="bruising",
        summary="Is it normal? </script><script>alert(1)</script>",
        author__first_name="Maya",
        author__last_name="Brooks",
        published_at=days_ago(3),
    )

    html = client.get("/blog/bruising/").content.decode()

    assert "<title>Bruising after &quot;deep&quot; tissue · Spa Theory journal</title>" in html
    assert '<link rel="canonical" href="https://spatheory.com/blog/bruising/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Bruising after &quot;deep&quot; tissue">' in html
    assert '<meta name="twitter:title" content="Bruising after &quot;deep&quot; tissue">' in html
    assert '<meta name="description" content="Is it normal? &lt;/script&gt;' in html
    assert html.count("<script>alert(1)") == 0
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == 'Bruising after "deep" tissue'
    assert data["description"] == "Is it normal? </script><script>alert(1)</script>"
    assert data["datePublished"].startswith("2026-03-07")
    assert data["dateModified"]
    assert data["author"] == {"@type": "Person", "name": "Maya Brooks"}
    assert data["mainEntityOfPage"]["@id"] == "https://spatheory.com/blog/bruising/"


@pytest.mark.parametrize(
    ("media_url", "src", "absolute"),
    [
        ("/media/", "/media/blog/hero.jpg", "https://spatheory.com/media/blog/hero.jpg"),
        (
            "https://media.spatheory.com/media/",
            "https://media.spatheory.com/media/blog/hero.jpg",
            "https://media.spatheory.com/media/blog/hero.jpg",
        ),
    ],
    ids=["on-the-site", "media-server"],
)
def test_the_hero_image_is_linked_where_media_are_served(
    client, settings, media_url, src, absolute
):
    settings.DEBUG = False
    settings.SITE_URL = "https://spatheory.com"
    settings.MEDIA_URL = media_url
    ArticleFactory(slug="calm", hero_image="blog/hero.jpg", hero_image_alt="A quiet room")

    html = client.get("/blog/calm/").content.decode()

    assert f'<img class="article-hero mb-4" src="{src}" alt="A quiet room">' in html
    assert f'<meta property="og:image" content="{absolute}">' in html
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(raw)["image"] == absolute


def test_previous_and_next_follow_publication_order_and_stop_at_the_ends(client):
    ArticleFactory(title="First", slug="first", published_at=days_ago(3))
    ArticleFactory(title="Second", slug="second", published_at=days_ago(2))
    ArticleFactory(title="Third", slug="third", published_at=days_ago(1))
    ArticleFactory(title="Not yet", slug="not-yet", published_at=NOW + timedelta(days=1))

    first = client.get("/blog/first/").context["surroundings"]
    second = client.get("/blog/second/").context["surroundings"]
    third = client.get("/blog/third/").context["surroundings"]

    assert (first.previous, first.next.title) == (None, "Second")
    assert (second.previous.title, second.next.title) == ("First", "Third")
    assert (third.previous.title, third.next) == ("Second", None)
    html = client.get("/blog/third/").content.decode()
    assert 'rel="prev"' in html and 'rel="next"' not in html and "Not yet" not in html


def test_articles_published_at_the_same_moment_still_have_an_order(client):
    moment = days_ago(1)
    first = ArticleFactory(title="A", slug="a", published_at=moment)
    ArticleFactory(title="B", slug="b", published_at=moment)

    surroundings = client.get("/blog/a/").context["surroundings"]

    assert surroundings.previous is None
    assert surroundings.next.title == "B"
    assert client.get("/blog/b/").context["surroundings"].previous == first


def test_related_articles_are_up_to_three_from_the_same_category(client):
    category = CategoryFactory(name="Recovery")
    ArticleFactory(slug="main", category=category, published_at=days_ago(10))
    for day in range(1, 5):
        ArticleFactory(title=f"Recovery {day}", category=category, published_at=days_ago(day))
    ArticleFactory(title="Elsewhere", published_at=days_ago(1))

    related = client.get("/blog/main/").context["surroundings"].related

    assert [article.title for article in related] == ["Recovery 1", "Recovery 2", "Recovery 3"]


def test_booking_invitation_names_related_services_with_prices_and_preselects_them(client):
    deep = ServiceFactory(
        name="Deep tissue", slug="deep-tissue", prices={60: "130.00", 90: "175.00"}
    )
    couples = ServiceFactory(
        name="Couples side by side",
        slug="couples-side-by-side",
        kind="couples_side_by_side",
        prices={60: "250.00"},
    )
    retired = ServiceFactory(name="Retired", slug="retired", is_active=False)
    ArticleFactory(slug="bruising", related_services=[deep, couples, retired])

    html = client.get("/blog/bruising/").content.decode()

    assert "Deep tissue</a>, from <strong>$130.00</strong>" in html
    assert "Couples side by side</a>, from <strong>$250.00</strong> for two" in html
    assert 'href="/book/?service=deep-tissue"' in html
    assert 'href="/book/?service=couples-side-by-side"' in html
    assert "Retired" not in html


def test_article_without_related_services_invites_to_the_services_page(client):
    ArticleFactory(slug="plain")

    html = client.get("/blog/plain/").content.decode()

    assert "See every massage we offer" in html
    assert 'href="/services/">See services and prices</a>' in html
    assert "/book/?service=" not in html


def test_index_has_its_own_seo_tags_and_feed_links(client, settings):
    settings.SITE_URL = "https://spatheory.com"
    for day in range(12):
        ArticleFactory(published_at=days_ago(day + 1))

    first = client.get("/blog/").content.decode()
    second = client.get("/blog/?page=2").content.decode()

    assert "<title>Journal · Spa Theory</title>" in first
    assert '<link rel="canonical" href="https://spatheory.com/blog/">' in first
    assert "<title>Journal, page 2 · Spa Theory</title>" in second
    assert '<link rel="canonical" href="https://spatheory.com/blog/?page=2">' in second
    assert 'type="application/rss+xml"' in first and 'type="application/atom+xml"' in first
    assert '<meta name="twitter:description"' in first


def test_home_page_shows_the_latest_three_articles_and_business_json_ld(client, settings):
    settings.SITE_URL = "https://spatheory.com"
    for day in range(4):
        ArticleFactory(title=f"Day {day}", published_at=days_ago(day + 1))
    ArticleFactory(title="Draft", status=Article.Status.DRAFT, published_at=days_ago(1))

    response = client.get("/")

    html = response.content.decode()
    assert "From the journal" in html
    assert [a.title for a in response.context["articles"]] == ["Day 0", "Day 1", "Day 2"]
    assert "Day 3" not in html and "Draft" not in html
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "HealthAndBeautyBusiness"
    assert data["name"] == "Spa Theory"
    assert data["telephone"] == "+14045550199"
    assert data["url"] == "https://spatheory.com/"
    assert "Atlanta" in data["areaServed"]["name"]


def test_home_page_without_articles_has_no_journal_section(client):
    assert b"From the journal" not in client.get("/").content
