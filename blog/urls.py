from django.urls import path

from spatheory.page_cache import public_page

from . import feeds, views

app_name = "blog"

urlpatterns = [
    path("", public_page(views.ArticleIndexView.as_view(), query=("page",)), name="index"),
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    path("feed/atom/", feeds.LatestArticlesAtomFeed(), name="feed_atom"),
    path("category/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path("<slug:slug>/", public_page(views.ArticleDetailView.as_view()), name="detail"),
]
