from django.conf import settings


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


def permissions_policy_header() -> str:
    return ", ".join(
        f"{feature}=({' '.join(allowed)})"
        for feature, allowed in settings.PERMISSIONS_POLICY.items()
    )
