import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from PIL import Image

from blog.models import Article, ArticleSlugRedirect
from tests.blog.conftest import NOW
from tests.booking.helpers import page_of
from tests.factories import ArticleFactory, CategoryFactory, StaffUserFactory
from tests.images import TRAILING_HTML, image_upload, png_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser(
        "editor", "editor@spatheory.com", "pw", first_name="Ada", last_name="Writer"
    )
    client.force_login(user)
    client.user = user
    return client


def test_article_list_shows_status_category_and_date_with_filters_and_search(staff_client):
    ArticleFactory(title="Sleep massage explained", category__name="Massage know-how")
    ArticleFactory(title="Preparing your room", body="Clear some floor space.")

    response = staff_client.get("/admin/blog/article/")
    html = response.content.decode()
    assert response.status_code == 200
    for column in ("column-title", "column-status", "column-category", "column-published_at"):
        assert column in html
    assert "By status" in html and "By category" in html

    found = staff_client.get("/admin/blog/article/", {"q": "floor space"}).content.decode()
    assert "Preparing your room" in found and "Sleep massage explained" not in found


def test_add_form_prepopulates_the_slug_and_defaults_the_author(staff_client):
    html = staff_client.get("/admin/blog/article/add/").content.decode()

    assert "prepopulated_field" in html or "data-prepopulated-fields" in html
    assert f'<option value="{staff_client.user.pk}" selected>' in html


def test_change_form_previews_the_sanitized_article(staff_client):
    article = ArticleFactory(body="## Aftercare\n\nDrink water. <script>alert(1)</script>")

    html = staff_client.get(f"/admin/blog/article/{article.pk}/change/").content.decode()

    assert '<div class="article-preview"' in html
    assert '<h2 id="aftercare">Aftercare</h2>' in html
    assert "<script>alert(1)" not in html


def test_saving_a_new_slug_in_the_admin_keeps_the_old_address(staff_client, client):
    category = CategoryFactory()
    article = ArticleFactory(slug="old-slug", category=category, author=staff_client.user)

    response = staff_client.post(
        f"/admin/blog/article/{article.pk}/change/",
        {
            "title": article.title,
            "slug": "new-slug",
            "summary": article.summary,
            "category": category.pk,
            "author": staff_client.user.pk,
            "body": article.body,
            "hero_image_alt": "",
            "status": "published",
            "published_at_0": "2026-03-09",
            "published_at_1": "10:00:00",
            "slug_redirects-TOTAL_FORMS": "0",
            "slug_redirects-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert ArticleSlugRedirect.objects.get().old_slug == "old-slug"
    assert staff_client.get("/blog/old-slug/")["Location"] == "/blog/new-slug/"


def hero_image_post(client, article, image, **overrides):
    """The article's change form posted with ``image`` as its hero image."""
    return client.post(
        f"/admin/blog/article/{article.pk}/change/",
        {
            "title": article.title,
            "slug": article.slug,
            "summary": article.summary,
            "category": article.category_id,
            "author": article.author_id,
            "body": article.body,
            "hero_image": image,
            "hero_image_alt": "A massage table by a window",
            "status": "draft",
            "slug_redirects-TOTAL_FORMS": "0",
            "slug_redirects-INITIAL_FORMS": "0",
            **overrides,
        },
    )


def test_an_oversized_hero_image_is_refused_with_a_clear_message(staff_client, media_root):
    article = ArticleFactory(author=staff_client.user)
    huge = image_upload("wide.png", size=(8000, 4000), image_format="PNG", mode="L")

    response = hero_image_post(staff_client, article, huge)

    assert response.status_code == 200
    assert "This image is 8000 × 4000 pixels (32 megapixels)." in page_of(response)
    article.refresh_from_db()
    assert not article.hero_image
    assert not media_root.exists()


def test_a_hero_image_is_stored_re_encoded_without_its_text_or_what_was_appended(
    staff_client, media_root
):
    article = ArticleFactory(author=staff_client.user)
    polyglot = image_upload(
        "room.png",
        image_format="PNG",
        pnginfo=png_text(Comment="<b>hi</b>"),
        trailing=TRAILING_HTML,
    )

    assert hero_image_post(staff_client, article, polyglot).status_code == 302

    article.refresh_from_db()
    stored = (media_root / article.hero_image.name).read_bytes()
    assert b"<script" not in stored and b"<b>hi</b>" not in stored
    assert stored.endswith(b"IEND\xaeB`\x82")  # the PNG's closing chunk, then nothing
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size, image.text) == ("PNG", (64, 48), {})


def test_a_gif_hero_image_is_stored_as_a_png(staff_client, media_root):
    article = ArticleFactory(author=staff_client.user)
    gif = image_upload("calm.gif", image_format="GIF", mode="P", transparency=0)

    assert hero_image_post(staff_client, article, gif).status_code == 302

    article.refresh_from_db()
    assert article.hero_image.name.endswith(".png")
    with Image.open(media_root / article.hero_image.name) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")


def test_hero_image_needs_alt_text():
    article = ArticleFactory()
    article.hero_image = "blog/hero.jpg"

    with pytest.raises(ValidationError, match="alt text"):
        article.full_clean()


def test_publish_now_action_puts_drafts_live_and_keeps_published_dates(staff_client):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    scheduled = ArticleFactory(published_at=NOW + timedelta(days=3))
    live = ArticleFactory(published_at=NOW - timedelta(days=30))

    staff_client.post(
        "/admin/blog/article/",
        {"action": "publish_now", "_selected_action": [draft.pk, scheduled.pk, live.pk]},
    )

    for article in (draft, scheduled, live):
        article.refresh_from_db()
    assert draft.is_public and draft.published_at == NOW
    assert scheduled.is_public and scheduled.published_at == NOW
    assert live.published_at == NOW - timedelta(days=30)


def test_unpublish_action_takes_articles_off_the_site(staff_client, client):
    article = ArticleFactory(slug="going")

    staff_client.post(
        "/admin/blog/article/", {"action": "unpublish", "_selected_action": [article.pk]}
    )

    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    client.logout()
    assert client.get("/blog/going/").status_code == 404


def test_public_byline_never_shows_a_login_name(client):
    ArticleFactory(
        slug="team", author=StaffUserFactory(username="jdoe42", first_name="", last_name="")
    )

    html = client.get("/blog/team/").content.decode()

    assert "By The Spa Theory team" in html
    assert "jdoe42" not in html
