"""Reads for the journal."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from booking.models import ServiceDuration

from .models import Article, ArticleSlugRedirect, Category

SEARCH_MAX_LENGTH = 200
RELATED_ARTICLES = 3
# Control characters (NUL breaks PostgreSQL queries) are never part of a real search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def article_list_published() -> QuerySet[Article]:
    return Article.objects.published().select_related("category", "author")


def category_list_in_use() -> QuerySet[Category]:
    """Categories with something to read in them."""
    return Category.objects.filter(articles__in=Article.objects.published()).distinct()


def search_terms_clean(raw: str) -> str:
    """What a reader typed, made safe to search for: capped, without control characters."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", raw[:SEARCH_MAX_LENGTH]).split())


def article_search(*, queryset: QuerySet[Article], terms: str) -> QuerySet[Article]:
    """Best matches first: full-text ranking on PostgreSQL (title over summary over body),
    a plain substring match elsewhere."""
    if connection.vendor != "postgresql":
        return queryset.filter(
            Q(title__icontains=terms) | Q(summary__icontains=terms) | Q(body__icontains=terms)
        )
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    query = SearchQuery(terms, config="english", search_type="websearch")
    return (
        queryset.annotate(search=vector, rank=SearchRank(vector, query))
        .filter(search=query)
        .order_by("-rank", "-published_at", "-id")
    )


def article_get_redirect(*, old_slug: str) -> Article | None:
    """The published article that used to live at ``old_slug``, if any."""
    redirect = (
        ArticleSlugRedirect.objects.filter(
            old_slug=old_slug, article__in=Article.objects.published()
        )
        .select_related("article")
        .first()
    )
    return redirect.article if redirect else None


@dataclass
class ServiceOffer:
    """A related service as the booking invitation shows it."""

    name: str
    booking_url: str
    detail_url: str
    is_couples: bool
    prices: list[Decimal] = field(default_factory=list)

    @property
    def lowest_price(self) -> Decimal:
        return min(self.prices)


@dataclass
class ArticleContext:
    """Everything around an article's text, with a version that changes whenever any of it
    does, so the rendered page can be cached under it."""

    previous: Article | None
    next: Article | None
    related: list[Article]
    offers: list[ServiceOffer]
    version: str


def _neighbours(article: Article) -> tuple[Article | None, Article | None]:
    """The published articles just before and just after ``article`` (ties broken by id)."""
    neighbours = Article.objects.published().only(
        "id", "title", "slug", "updated_at", "published_at"
    )
    same_moment = Q(published_at=article.published_at)
    previous = (
        neighbours.filter(
            Q(published_at__lt=article.published_at) | same_moment & Q(id__lt=article.id)
        )
        .order_by("-published_at", "-id")
        .first()
    )
    following = (
        neighbours.filter(
            Q(published_at__gt=article.published_at) | same_moment & Q(id__gt=article.id)
        )
        .order_by("published_at", "id")
        .first()
    )
    return previous, following


def _offers(article: Article) -> tuple[list[ServiceOffer], list]:
    """The article's active services with their prices, and what they add to the version."""
    durations = (
        ServiceDuration.objects.filter(service__articles=article, service__is_active=True)
        .select_related("service")
        .order_by("service__order", "service__name", "minutes")
    )
    offers: dict[int, ServiceOffer] = {}
    version_parts = []
    for duration in durations:
        service = duration.service
        offer = offers.setdefault(
            service.id,
            ServiceOffer(
                name=service.name,
                booking_url=service.get_booking_url(),
                detail_url=service.get_absolute_url(),
                is_couples=service.is_couples,
            ),
        )
        offer.prices.append(duration.price)
        version_parts += [service.id, service.updated_at.isoformat(), duration.id, duration.price]
    return list(offers.values()), version_parts


def article_context(*, article: Article) -> ArticleContext:
    """Four queries, however many articles and services there are."""
    previous, following = _neighbours(article)
    related = list(
        article_list_published()
        .filter(category_id=article.category_id)
        .exclude(id=article.id)[:RELATED_ARTICLES]
    )
    offers, offer_parts = _offers(article)
    version_parts = [
        article.id,
        article.updated_at.isoformat(),
        article.category.name,
        article.author_name,
    ]
    for neighbour in [previous, following, *related]:
        version_parts += [neighbour.id, neighbour.updated_at.isoformat()] if neighbour else [None]
    return ArticleContext(
        previous=previous,
        next=following,
        related=related,
        offers=offers,
        version=":".join(str(part) for part in version_parts + offer_parts),
    )
