"""Admin-only tags: the banner about messages that could not be sent."""

from datetime import timedelta
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from booking.models import Notification
from booking.selectors import notification_failed_count

register = template.Library()

# The banner counts failures over the admin's "Past 7 days" date filter, which it links to, so
# a message staff have dealt with another way stops showing after a week.
FAILED_BANNER_DAYS = 7


@register.inclusion_tag("booking/admin/_failed_notifications.html", takes_context=True)
def failed_notifications_banner(context) -> dict:
    """How many messages failed for good lately, on admin pages, for staff who may see
    notifications."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "admin":
        return {}
    if not request.user.has_perm("booking.view_notification"):
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
