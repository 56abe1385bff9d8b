"""The staff sign-in pages around the admin's own login: the second factor and the lockout."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from booking.formatting import local_when

from .forms import CodeForm
from .services import (
    staff_has_second_factor,
    staff_second_factor_verify,
    totp_device_confirm,
    totp_device_pending,
    totp_secret,
)


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def two_factor_verify(request):
    """The code from the staff member's authenticator app, once per sign-in."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not staff_has_second_factor(request.user):
        return redirect(_with_next(request, "staff:two_factor_enrol"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_second_factor_verify(request=request, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            return redirect(_next_url(request))
    return _page(request, "staff/two_factor_verify.html", "Enter your sign-in code", form=form)


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def two_factor_enrol(request):
    """Add an authenticator app to an account that has none yet. An account with one gets the
    code page instead: adding another takes an administrator (``staff_totp_enrol``)."""
    if staff_has_second_factor(request.user):
        return redirect(_with_next(request, "staff:two_factor_verify"))
    device = totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            totp_device_confirm(request=request, device=device, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, "Two-factor sign-in is on for your account.")
            return redirect(_next_url(request))
    secret = totp_secret(device)
    return _page(
        request,
        "staff/two_factor_enrol.html",
        "Set up two-factor sign-in",
        form=form,
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
        config_url=device.config_url,
    )


def locked_out(request, original_response=None, credentials=None):
    """The page a sign-in locked out after too many wrong passwords gets
    (``AXES_LOCKOUT_CALLABLE``). Each try while locked out starts the wait again."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in paused",
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": int(cool_off.total_seconds() // 60),
        "retry_at": local_when(timezone.now() + cool_off),
    }
    return render(request, "staff/locked_out.html", context, status=429)


def _page(request, template: str, title: str, **context):
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            "title": title,
            "next": _next_url(request),
            **context,
        },
    )


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def _with_next(request, name: str) -> str:
    return f"{reverse(name)}?{request.GET.urlencode()}" if request.GET else reverse(name)
