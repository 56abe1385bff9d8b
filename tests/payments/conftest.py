from tests.booking.conftest import booking
from tests.stripe_fake import localstripe_url, payments_on

# Fixtures of the booking tests and of the fake Stripe server, used here too.
__all__ = ["booking", "localstripe_url", "payments_on"]
