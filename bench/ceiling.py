"""The bare-Django ceiling for ``bench/http.py``: one view, no middleware, no database.

    gunicorn -c gunicorn.conf.py bench.ceiling:application

What the same gunicorn, on the same machine, serves when Django does nothing but route a
request to a view and return a small page; the app's figures are read as a share of it."""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-ceiling-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def page(request):
    return HttpResponse("<!doctype html><title>Ceiling</title><p>Hello.</p>")


urlpatterns = [path("", page)]

application = get_wsgi_application()
