"""Every response tells the browser what the page may load and run (Content-Security-Policy)
and which of its powerful features the page may use (Permissions-Policy)."""

import base64
import hashlib
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/services/",
    "/book/",
    "/therapists/",
    "/blog/",
    "/blog/feed/",
    "/sitemap.xml",
    "/robots.txt",
    "/healthz",
    "/api/services",
    "/api/bookings/an-unknown-token-of-the-right-shape",
    "/booking/lost-link/",
    "/booking/an-unknown-token-of-the-right-shape/",
    "/no-such-page/",
    "/admin/login/",
]
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:")


def style_attribute_hash(style: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def features(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


def assert_locked_down(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy.pop("img-src") == ["'self'", "data:"]
    # Inline style attributes only as written on the admin's history page, none other.
    assert policy.pop("style-src-attr") == [
        "'unsafe-hashes'",
        style_attribute_hash("border-top: 0"),
    ]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for name, sources in policy.items():
        assert not set(sources) & set(UNSAFE_SOURCES), f"{name} allows {sources}"
    denied = features(response)
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert denied[feature] == "()", feature


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_both_policies(client, path):
    response = client.get(path)

    assert response.status_code < 500
    assert_locked_down(response)


def test_htmx_answers_an_article_and_the_server_error_page_carry_both_policies(client, monkeypatch):
    article = ArticleFactory()
    assert_locked_down(client.get(article.get_absolute_url()))
    assert_locked_down(
        client.post("/book/zip-check/", {"zip_code": "30309"}, headers={"HX-Request": "true"})
    )

    def broken_services():
        raise DatabaseError("connection refused")

    monkeypatch.setattr("spatheory.views.service_list_active", broken_services)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert_locked_down(response)


def test_staff_pages_carry_both_policies(client):
    client.force_login(get_user_model().objects.create_superuser("staffer", password="unused"))

    for path in (
        "/admin/",
        "/admin/booking/booking/",
        "/admin/booking/booking/schedule/",
        "/admin/booking/booking/book-by-phone/",
        "/admin/therapists/therapist/add/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_locked_down(response)


def test_no_page_or_admin_template_sets_inline_script_or_style():
    """What the browser tests prove for the pages they open, for every template at once:
    executable scripts come from files, styles from the stylesheets."""
    root = Path(__file__).resolve().parent.parent
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        if "/email/" in template.as_posix():
            continue  # email clients, not browsers loading the site, read these
        html = template.read_text()
        for marker in ("<style", "style=", " onclick=", " onload=", " onchange=", " onsubmit="):
            if marker in html:
                offenders.append(f"{template.relative_to(root)}: {marker}")
        if "<script>" in html or "<script >" in html:
            offenders.append(f"{template.relative_to(root)}: inline <script>")
    assert offenders == []
