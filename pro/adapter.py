"""How django-allauth signs therapists in: by a code sent to their email, never a password.

Signup is closed and no password page is routed (``pro/account_urls.py`` routes only the code
pages and sign-out). The code goes to the therapist found through their own record
(``pro.forms.SignInCodeRequestForm``); any other address gets the same answer and no email.
"""

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from booking.ratelimit import client_ip
from therapists.validators import email_normalise

from .selectors import therapist_for_user

logger = logging.getLogger(__name__)


class TherapistAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def clean_email(self, email):
        return email_normalise(super().clean_email(email))

    def get_client_ip(self, request):
        # The same client address as every other limit here (TRUSTED_PROXY_COUNT).
        return client_ip(request)

    def get_login_redirect_url(self, request):
        return reverse("pro:jobs")

    def get_logout_redirect_url(self, request):
        return reverse("account_login")

    def pre_login(self, request, user, **kwargs):
        # A code is only ever sent to a therapist's account; this holds if that changed since.
        if therapist_for_user(user=user) is None:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(request, "This account can't sign in here.")
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def send_mail(self, template_prefix, email, context):
        # A sign-in code is good for minutes, so it is sent now rather than through the outbox
        # (which retries for a day); if the mail server is down the therapist is told the same
        # as always and can ask again.
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.warning("Could not send a sign-in email", exc_info=True)
