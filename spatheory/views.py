from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import FileResponse, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_safe

from blog.selectors import article_list_published
from blog.seo import business_json_ld
from booking.selectors import service_list_active
from payments.selectors import payment_terms

from .context_processors import site
from .page_cache import public_page

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.ico"


@require_safe
@public_page
def home(request):
    return render(
        request,
        "home.html",
        {
            "services": service_list_active(),
            "articles": article_list_published()[:3],
            "jsonld": business_json_ld(),
        },
    )


@require_GET
def terms(request):
    """The booking terms a client agrees to on the details step."""
    return render(request, "terms.html", payment_terms())


@require_GET
def privacy(request):
    """What we keep about a client, for how long, and who sees it."""
    return render(
        request,
        "privacy.html",
        {
            "retention_months": settings.BOOKING_RETENTION_MONTHS,
            "visible_before": settings.JOB_DETAILS_VISIBLE_HOURS_BEFORE,
            "visible_after": settings.JOB_DETAILS_VISIBLE_HOURS_AFTER,
        },
    )


@require_GET
def robots_txt(request):
    # Booking pages stay crawlable on purpose: they answer with X-Robots-Tag: noindex, which a
    # crawler can only see if robots.txt lets it fetch them.
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@cache_control(public=True, max_age=60 * 60 * 24)
@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links to, so it is answered at that path.
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@requires_csrf_token
def server_error(request):
    """The 500 page, with the site's details from settings only: the request's other context
    (the session, the signed-in user) may be what failed."""
    return HttpResponseServerError(render_to_string("500.html", site(request)))
