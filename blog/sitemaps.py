"""What search engines should find: public pages only. Nothing under /booking/, no drafts,
no scheduled articles, no therapist who can't be booked today."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from booking.models import Service
from therapists.models import Therapist

from .models import Article, Category


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on ``SITE_URL``, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class StaticPageSitemap(SiteUrlSitemap):
    priority = 0.8
    changefreq = "weekly"

    def items(self):
        return [
            "home",
            "booking:service_list",
            "therapists:list",
            "blog:index",
            "terms",
            "privacy",
        ]

    def location(self, item):
        return reverse(item)


class ArticleSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Article.objects.published().only("slug", "updated_at")

    def lastmod(self, item):
        return item.updated_at


class CategorySitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        published = Q(
            articles__status=Article.Status.PUBLISHED,
            articles__published_at__lte=timezone.now(),
        )
        return (
            Category.objects.annotate(
                last_article_change=Max("articles__updated_at", filter=published)
            )
            .filter(last_article_change__isnull=False)
            .order_by("order", "name")
        )

    def lastmod(self, item):
        return max(item.updated_at, item.last_article_change)


class ServiceSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Service.objects.active().only("slug", "updated_at")

    def lastmod(self, item):
        return item.updated_at


class TherapistSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Therapist.objects.bookable_on(timezone.localdate()).only("slug", "updated_at")

    def lastmod(self, item):
        return item.updated_at


sitemaps = {
    "pages": StaticPageSitemap,
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "services": ServiceSitemap,
    "therapists": TherapistSitemap,
}
