from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from blog.sitemaps import sitemaps
from booking.api import api as booking_api
from booking.api import unknown_api_path

from . import views

admin.site.site_header = "Spa Theory staff"
admin.site.site_title = "Spa Theory staff"
admin.site.index_title = "Run the day"

handler500 = "spatheory.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/two-factor/", include("staff.urls")),
    path("admin/", admin.site.urls),
    path("therapists/", include("therapists.urls")),
    path("blog/", include("blog.urls")),
    path("payments/", include("payments.urls")),
    path("pro/", include("pro.account_urls")),
    path("pro/", include("pro.urls")),
    path("account/", include("clients.urls")),
    path("api/", booking_api.urls),
    re_path(r"^api/", unknown_api_path),
    path("", include("booking.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
