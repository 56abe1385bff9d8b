from functools import lru_cache

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed


class PermissionsPolicyMiddleware:
    """Sends ``settings.PERMISSIONS_POLICY`` (feature name to allowed origins, an empty list
    denying the feature everywhere) as the ``Permissions-Policy`` header of every response.

    The site uses none of the browser's powerful features, so a script that got onto a page
    still can't turn on the camera or ask for the visitor's location."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", permissions_policy_header())
        return response


@lru_cache(maxsize=1)
def permissions_policy_header() -> str:
    """The header, built once from the settings (again when a test changes them)."""
    return ", ".join(
        f"{feature}=({' '.join(allowed)})"
        for feature, allowed in settings.PERMISSIONS_POLICY.items()
    )


_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@lru_cache(maxsize=1)
def _site_policy() -> tuple[str, str]:
    """The Content-Security-Policy and report-only headers every page without a nonce or a
    policy of its own sends, built once from the settings."""
    return build_policy(), build_policy(report_only=True)


def _policy_changed(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policy.cache_clear()
    if setting == "PERMISSIONS_POLICY":
        permissions_policy_header.cache_clear()


setting_changed.connect(_policy_changed, dispatch_uid="spatheory.middleware.csp")


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's, building the site-wide header once instead of on every response. A
    response that used the nonce or changed its policy (``payments.csp``) is handled by
    django-csp as before."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_RESPONSE_POLICY
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        enforced, report_only = _site_policy()
        for header, policy, exempt, setting in (
            (HEADER, enforced, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(tuple(prefixes))
            ):
                response[header] = policy
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


class PublicPageCacheMiddleware:
    """Serves a public page that ``page_cache.public_page`` stored, before the session, CSRF,
    authentication and messages middleware run: an anonymous GET or HEAD whose address has a
    copy under the current ``CONTENT`` version gets it at once, with the one header the
    middleware it skips would have added (X-Frame-Options). Anything else goes on as before
    (and the view's decorator reuses the cache read made here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .page_cache import cached_page

        response = cached_page(request)
        if response is None:
            return self.get_response(request)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
