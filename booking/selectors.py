"""Reads for the booking app. Availability lives further down this module."""

from django.db.models import Prefetch, QuerySet

from .models import Service, ServiceDuration


def service_list_active() -> QuerySet[Service]:
    return (
        Service.objects.active()
        .select_related("modality")
        .prefetch_related(
            Prefetch("durations", queryset=ServiceDuration.objects.order_by("minutes"))
        )
    )
