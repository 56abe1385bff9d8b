"""Facts a client reads in more than one place (the booking form, the review page, the booking
page and the emails), written once so they never disagree."""

from django.conf import settings

# The table is about 7 by 3 feet; the therapist walks all the way around it.
SPACE_NEEDED = (
    "Clear a space about 7 by 10 feet: room for the table and for your therapist to walk all "
    "the way around it."
)


def late_cancellation_policy() -> str:
    hours = settings.BOOKING_LATE_CANCELLATION_HOURS
    return (
        f"You can reschedule or cancel for free up to {hours} hours before your massage. "
        "Cancelling later than that counts as a late cancellation, because your therapist has "
        "kept the time for you."
    )


def reschedule_closed() -> str:
    hours = settings.BOOKING_LATE_CANCELLATION_HOURS
    return (
        f"Your massage starts in less than {hours} hours, so it can no longer be moved online. "
        f"Call us on {settings.BUSINESS_PHONE} and we'll help."
    )
