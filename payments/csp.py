"""The Content-Security-Policy additions a page with the card form needs: Stripe.js (its script
and its frames) and the Stripe API, at exactly the origins the settings name."""

from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe.js from Stripe itself shows 3-D Secure challenges in frames from this origin too.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_HOOKS_ORIGIN = "https://hooks.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_csp(response):
    js = _origin(settings.STRIPE_JS_URL)
    api = _origin(settings.STRIPE_API_BASE or DEFAULT_API_BASE)
    frames = [js, STRIPE_HOOKS_ORIGIN] if js == STRIPE_JS_ORIGIN else [js]
    response._csp_update = {"script-src": [js], "frame-src": frames, "connect-src": [api]}
    return response
