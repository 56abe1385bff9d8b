from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# The admin pages a staff member signed in with a password alone may still open.
OPEN_ADMIN_PAGES = {"login", "logout"}


class StaffTwoFactorMiddleware:
    """With ``STAFF_REQUIRE_TWO_FACTOR`` on, every admin page but login and logout sends a
    staff member whose session has no verified second factor to the code page (which sends
    those without an authenticator app on to set one up). Installed after django-otp's
    ``OTPMiddleware``, which says whether the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.STAFF_REQUIRE_TWO_FACTOR:
            return None
        match = request.resolver_match
        if "admin" not in match.namespaces or match.url_name in OPEN_ADMIN_PAGES:
            return None
        user = request.user
        if not (user.is_active and user.is_staff) or user.is_verified():
            # The admin itself sends anyone who isn't staff to its login page.
            return None
        url = reverse("staff:two_factor_verify")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
