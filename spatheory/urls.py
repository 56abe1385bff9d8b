from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "Spa Theory staff"
admin.site.site_title = "Spa Theory staff"
admin.site.index_title = "Run the day"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("therapists/", include("therapists.urls")),
    path("blog/", include("blog.urls")),
    path("", include("booking.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
