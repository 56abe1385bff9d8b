"""Writes for the journal: saving, publishing and unpublishing articles."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Article, ArticleSlugRedirect


@transaction.atomic
def article_save(*, article: Article) -> Article:
    """Save an article; if a published article moves to a new slug, its old address keeps
    answering with a permanent redirect."""
    before = (
        Article.objects.filter(pk=article.pk).values("slug", "status").first()
        if article.pk
        else None
    )
    article.save()
    if before and before["slug"] != article.slug and before["status"] == Article.Status.PUBLISHED:
        ArticleSlugRedirect.objects.update_or_create(
            old_slug=before["slug"], defaults={"article": article}
        )
    # A slug taken back by a live article is its address again, not a redirect.
    ArticleSlugRedirect.objects.filter(old_slug=article.slug).delete()
    return article


def article_publish(*, article: Article, now: datetime | None = None) -> Article:
    """Make the article visible from now on. An article already out keeps its date."""
    now = now or timezone.now()
    if article.is_public:
        return article
    article.status = Article.Status.PUBLISHED
    article.published_at = now
    article.save()
    return article


def article_unpublish(*, article: Article) -> Article:
    article.status = Article.Status.DRAFT
    article.save()
    return article
