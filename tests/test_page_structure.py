"""The page outline a screen-reader user navigates by: headings that never skip a level, every
piece of content inside a landmark, and the icon a browser asks for."""

from html.parser import HTMLParser
from itertools import pairwise

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LANDMARK_TAGS = {"main", "nav", "aside", "header", "footer"}
LANDMARK_ROLES = {
    "banner",
    "complementary",
    "contentinfo",
    "main",
    "navigation",
    "region",
    "search",
}
HEADINGS = {f"h{level}": level for level in range(1, 7)}


class Outline(HTMLParser):
    """The heading levels in document order, and for each element with a class the landmarks
    it sits in."""

    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.open: list[bool] = []
        self.landmarks_around: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in HEADINGS:
            self.headings.append(HEADINGS[tag])
        is_landmark = tag in LANDMARK_TAGS or attributes.get("role") in LANDMARK_ROLES
        for name in (attributes.get("class") or "").split():
            self.landmarks_around.setdefault(name, sum(self.open) + is_landmark)
        if tag not in VOID:
            self.open.append(is_landmark)

    def handle_endtag(self, tag):
        if tag not in VOID and self.open:
            self.open.pop()


def outline(client, url: str) -> Outline:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


def assert_no_skipped_heading_levels(url: str, headings: list[int]) -> None:
    assert headings and headings[0] == 1, (url, headings)
    for previous, current in pairwise(headings):
        assert current <= previous + 1, (url, headings)


@pytest.fixture
def pages(swedish):
    article = ArticleFactory(title="How to sleep well after a massage")
    return [
        reverse("home"),
        reverse("booking:service_list"),
        swedish.get_absolute_url(),
        reverse("blog:index"),
        article.category.get_absolute_url(),
        article.get_absolute_url(),
    ]


def test_headings_never_skip_a_level(client, pages):
    for url in pages:
        assert_no_skipped_heading_levels(url, outline(client, url).headings)


def test_the_sticky_book_bar_sits_in_a_landmark(client, pages):
    for url in pages:
        assert outline(client, url).landmarks_around["sticky-book"] >= 1, url


def test_the_browser_gets_an_icon_at_favicon_ico(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")
    page = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in page
