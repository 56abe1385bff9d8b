"""The services we offer, each with its lengths and prices."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from spatheory.page_cache import public_page

from ..selectors import service_list_active


@require_GET
@public_page
def service_list(request):
    return render(request, "booking/service_list.html", {"services": service_list_active()})


@require_GET
@public_page
def service_detail(request, slug):
    service = get_object_or_404(service_list_active(), slug=slug)
    return render(request, "booking/service_detail.html", {"service": service})
