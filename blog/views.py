from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, ListView

from .models import Category
from .selectors import (
    article_context,
    article_get_redirect,
    article_list_published,
    article_search,
    category_list_in_use,
    search_terms_clean,
)
from .seo import article_json_ld

ARTICLE_CACHE_SECONDS = 60 * 60 * 24


class JournalListMixin:
    """Newest first, ten to a page, with the search box. A page number that is junk or out of
    range shows the first or last page rather than an error."""

    paginate_by = 10
    context_object_name = "articles"
    template_name = "blog/article_list.html"

    def get_queryset(self):
        self.terms = search_terms_clean(self.request.GET.get("q", ""))
        queryset = article_list_published()
        if self.terms:
            queryset = article_search(queryset=queryset, terms=self.terms)
        return queryset

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        return super().get_context_data(q=self.terms, categories=category_list_in_use(), **kwargs)


class ArticleIndexView(JournalListMixin, ListView):
    pass


class CategoryView(JournalListMixin, ListView):
    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class ArticleDetailView(DetailView):
    def get(self, request, *args, **kwargs):
        self.object = article_list_published().filter(slug=kwargs["slug"]).first()
        if self.object is None:
            moved = article_get_redirect(old_slug=kwargs["slug"])
            if moved is None:
                raise Http404("No published article has this address.")
            return redirect(moved, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            surroundings=article_context(article=self.object),
            jsonld=article_json_ld(self.object),
            canonical_url=f"{settings.SITE_URL}{self.object.get_absolute_url()}",
            cache_seconds=ARTICLE_CACHE_SECONDS,
            **kwargs,
        )
