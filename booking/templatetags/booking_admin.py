"""Admin-only tags: the banners about messages that could not be sent and about appointments
nobody will work."""

from datetime import timedelta
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from booking.models import Notification
from booking.selectors import appointment_list_at_risk, notification_failed_count

register = template.Library()

# The banner counts failures over the admin's "Past 7 days" date filter, which it links to, so
# a message staff have dealt with another way stops showing after a week.
FAILED_BANNER_DAYS = 7


def _admin_request(context, *, perm: str):
    """The request, on admin pages for staff with ``perm``; None elsewhere."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "admin" or not request.user.has_perm(perm):
        return None
    return request


@register.inclusion_tag("booking/admin/_failed_notifications.html", takes_context=True)
def failed_notifications_banner(context) -> dict:
    """How many messages failed for good lately, on admin pages, for staff who may see
    notifications."""
    if _admin_request(context, perm="booking.view_notification") is None:
        return {}
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = today - timedelta(days=FAILED_BANNER_DAYS), today + timedelta(days=1)
    query = urlencode(
        {
            "status__exact": Notification.Status.FAILED,
            "failed_at__gte": str(since),
            "failed_at__lt": str(until),
        }
    )
    return {
        "count": notification_failed_count(since=since, until=until),
        "days": FAILED_BANNER_DAYS,
        "url": f"{reverse('admin:booking_notification_changelist')}?{query}",
    }


@register.inclusion_tag("booking/admin/_at_risk.html", takes_context=True)
def at_risk_banner(context) -> dict:
    """How many future appointments nobody will work unless staff act, on admin pages, for
    staff who may see bookings."""
    if _admin_request(context, perm="booking.view_booking") is None:
        return {}
    return {
        "count": appointment_list_at_risk().count(),
        "url": f"{reverse('admin:booking_booking_changelist')}?staffing=at_risk",
    }
