from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from spatheory.page_cache import public_page

from .selectors import therapist_get_public, therapist_list_public


@require_GET
@public_page
def therapist_list(request):
    therapists = therapist_list_public(day=timezone.localdate())
    return render(request, "therapists/therapist_list.html", {"therapists": therapists})


@require_GET
@public_page
def therapist_detail(request, slug):
    therapist = therapist_get_public(slug=slug, day=timezone.localdate())
    return render(request, "therapists/therapist_detail.html", {"therapist": therapist})
