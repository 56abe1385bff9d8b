"""One django-allauth adapter for both sign-ins by emailed code: therapists' at /pro/ (the
parent class, unchanged) and clients' at /account/ (``clients.views``).

allauth has one set of pages, routed under /pro/; clients' pages are subclasses of allauth's
own, served by this app. Which side a request is on is the app whose page serves it, and the
side decides the email and messages sent, who may finish signing in there (a client account's
user on the client pages, a therapist's on the portal's, never the other) and where each lands
afterwards. A user is on one side only: a client's user is found through its client account,
a therapist's through the therapist's record, and neither is ever the other's.
"""

from allauth.account.internal.stagekit import clear_login
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from pro.adapter import TherapistAccountAdapter

from .services import client_account_verify

TEMPLATES = {
    "account/email/login_code": "clients/email/login_code",
    "account/messages/login_code_sent.txt": "clients/messages/login_code_sent.txt",
}


def is_client_page(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.app_name == "clients"


def is_client_user(user) -> bool:
    return user is not None and hasattr(user, "client_account")


class AccountAdapter(TherapistAccountAdapter):
    def get_login_redirect_url(self, request):
        if is_client_page(request):
            return reverse("clients:bookings")
        return super().get_login_redirect_url(request)

    def get_logout_redirect_url(self, request):
        if is_client_page(request):
            return reverse("home")
        return super().get_logout_redirect_url(request)

    def pre_login(self, request, user, **kwargs):
        if not is_client_page(request):
            return super().pre_login(request, user, **kwargs)
        if not is_client_user(user) or user.is_staff or user.is_superuser:
            clear_login(request)
            messages.error(request, "This account can't sign in here.")
            return redirect("clients:sign_in")
        return super(TherapistAccountAdapter, self).pre_login(request, user, **kwargs)

    def login(self, request, user):
        super().login(request, user)
        if is_client_page(request):
            client_account_verify(user=user)

    def send_mail(self, template_prefix, email, context):
        if is_client_page(context.get("request")):
            template_prefix = TEMPLATES.get(template_prefix, template_prefix)
        super().send_mail(template_prefix, email, context)

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if is_client_page(request) and message_template:
            message_template = TEMPLATES.get(message_template, message_template)
        super().add_message(request, level, message_template, *args, **kwargs)
