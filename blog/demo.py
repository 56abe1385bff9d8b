"""Demo data for this app, loaded by ``manage.py seed_demo`` after the booking demo data.

The articles are Markdown files in ``demo_articles/``, one per article. Each opens with front
matter, ``key: value`` lines between two ``---`` lines, naming the article's title, slug,
summary, category, related services (comma separated) and publication time (ISO 8601 with an
offset); the rest of the file is the body, as staff would type it in the admin.

A run creates what is missing and leaves every existing row alone, so whatever staff have
changed since stays changed. An article whose slug staff have moved is not created again.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model

from booking.models import Service

from .models import Article, ArticleSlugRedirect, Category

ARTICLES_DIR = Path(__file__).resolve().parent / "demo_articles"
FRONT_MATTER_KEYS = {"title", "slug", "summary", "category", "related_services", "published_at"}

AUTHOR = {
    "username": "journal",
    "first_name": "Dana",
    "last_name": "Whitfield",
    "email": "journal@spatheory.com",
}

CATEGORIES = [
    {
        "slug": "massage-know-how",
        "name": "Massage know-how",
        "description": "What each kind of massage is, who it suits, and how to choose.",
        "order": 10,
    },
    {
        "slug": "at-home-massage",
        "name": "At-home massage",
        "description": "Getting ready for your therapist, and what happens when they arrive.",
        "order": 20,
    },
    {
        "slug": "recovery-and-health",
        "name": "Recovery and health",
        "description": "Massage around injuries, soreness and surgery: what helps and when.",
        "order": 30,
    },
]


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    title: str
    summary: str
    category: str
    related_services: list[str]
    published_at: datetime
    body: str


def demo_article_list() -> list[DemoArticle]:
    return [_demo_article_read(path) for path in sorted(ARTICLES_DIR.glob("*.md"))]


def _demo_article_read(path: Path) -> DemoArticle:
    text = path.read_text(encoding="utf-8")
    front_matter, closing, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not closing:
        raise ValueError(f"{path.name}: expected front matter between two '---' lines")
    fields = {}
    for line in front_matter.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{path.name}: front matter line {line!r} is not 'key: value'")
        fields[key.strip()] = value.strip()
    if set(fields) != FRONT_MATTER_KEYS:
        raise ValueError(
            f"{path.name}: front matter needs exactly {sorted(FRONT_MATTER_KEYS)}, "
            f"has {sorted(fields)}"
        )
    published_at = datetime.fromisoformat(fields["published_at"])
    if published_at.tzinfo is None:
        raise ValueError(f"{path.name}: published_at needs a UTC offset, such as Z")
    return DemoArticle(
        slug=fields["slug"],
        title=fields["title"],
        summary=fields["summary"],
        category=fields["category"],
        related_services=[slug.strip() for slug in fields["related_services"].split(",")],
        published_at=published_at,
        body=body.strip() + "\n",
    )


def seed() -> None:
    author = _author()
    categories = {
        entry["slug"]: Category.objects.get_or_create(
            slug=entry["slug"],
            defaults={name: value for name, value in entry.items() if name != "slug"},
        )[0]
        for entry in CATEGORIES
    }
    moved_slugs = set(ArticleSlugRedirect.objects.values_list("old_slug", flat=True))
    for entry in demo_article_list():
        if entry.slug not in moved_slugs:
            _article(entry, author=author, category=categories[entry.category])


def _author():
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=AUTHOR["username"], defaults={**AUTHOR, "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _article(entry: DemoArticle, *, author, category: Category) -> None:
    article, created = Article.objects.get_or_create(
        slug=entry.slug,
        defaults={
            "title": entry.title,
            "summary": entry.summary,
            "body": entry.body,
            "category": category,
            "author": author,
            "status": Article.Status.PUBLISHED,
            "published_at": entry.published_at,
        },
    )
    if not created:
        return
    # Backdated demo articles read as untouched since they went out, not "updated today".
    Article.objects.filter(pk=article.pk).update(updated_at=entry.published_at)
    # Whichever services the booking demo has created; missing ones are skipped.
    article.related_services.set(Service.objects.filter(slug__in=entry.related_services))
