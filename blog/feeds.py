from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .selectors import article_list_published

FEED_ITEMS = 20


class LatestArticlesFeed(Feed):
    title = "Spa Theory journal"
    description = "Plain-spoken articles about massage, at-home care and recovery, from Atlanta."

    def link(self):
        return f"{settings.SITE_URL}{reverse('blog:index')}"

    def feed_url(self):
        return f"{settings.SITE_URL}{reverse('blog:feed')}"

    def items(self):
        return article_list_published()[:FEED_ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return f"{settings.SITE_URL}{item.get_absolute_url()}"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author_name

    def item_categories(self, item):
        return [item.category.name]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description

    def feed_url(self):
        return f"{settings.SITE_URL}{reverse('blog:feed_atom')}"
