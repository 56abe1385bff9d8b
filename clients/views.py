"""Clients' pages: sign in by an emailed code (allauth's own pages, with the client's form and
templates), their bookings, the download of their data, and deleting the account."""

import json
from functools import wraps
from urllib.parse import urlencode

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.account.stages import LoginByCodeStage, LoginStageController
from allauth.account.views import ConfirmLoginCodeView, LogoutView, RequestLoginCodeView
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from booking.forms import errors_onto_form
from booking.selectors import booking_list_upcoming
from payments.gateway import GatewayUnavailable, payments_enabled
from payments.selectors import saved_card_list
from payments.services import saved_card_remove
from pro.forms import SignInCodeForm

from .adapter import is_client_user
from .forms import ClientSignInCodeRequestForm, DeleteAccountForm, SavedAddressForm
from .selectors import client_bookings, client_for_user, saved_address_list
from .services import (
    client_account_delete,
    client_data_export,
    saved_address_create,
    saved_address_delete,
    saved_address_update,
)


def client_only(view):
    """``client_required``, handing the view the client's account."""

    @client_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, request.client_account, *args, **kwargs)

    return wrapper


def _pending_client_sign_in(request):
    """The client's sign-in waiting for its code, or None (none, or a therapist's). One for an
    address that got no code is shown like any other, so it tells nothing."""
    stage = LoginStageController.enter(request, LoginByCodeStage.key)
    if stage is None:
        return None
    user = stage.login.user
    return stage if user is None or is_client_user(user) else None


class ClientSignInView(RequestLoginCodeView):
    template_name = "clients/sign_in.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("clients:bookings")
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return ClientSignInCodeRequestForm

    def get_success_url(self):
        return self.passthrough_next_url(reverse("clients:sign_in_code"))

    def _redirect_to_pending_stage(self, request, stage):
        # A therapist's pending sign-in is not resumed here: asking again starts the client's.
        if _pending_client_sign_in(request) is None:
            return None
        return redirect("clients:sign_in_code")


class ClientSignInCodeView(ConfirmLoginCodeView):
    template_name = "clients/sign_in_code.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("clients:bookings")
        stage = _pending_client_sign_in(request)
        if stage is None or not LoginCodeVerificationProcess.resume(stage):
            return redirect("clients:sign_in")
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        if self._action == "resend":
            return super().get_form_class()
        return SignInCodeForm

    def _resend_form_valid(self, form):
        super()._resend_form_valid(form)
        return redirect(self.passthrough_next_url(reverse("clients:sign_in_code")))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if response.status_code == 302:
            # The last wrong code ended the attempt: start again with a new code.
            return redirect("clients:sign_in")
        return response


class ClientSignOutView(LogoutView):
    template_name = "clients/sign_out.html"


def client_required(view):
    """A signed-in client only: anyone signed out goes to sign in; a therapist's or staff
    session is told this page is for clients. Never cached, never indexed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        account = client_for_user(user=request.user)
        if account is not None:
            request.client_account = account
            response = view(request, *args, **kwargs)
        elif request.user.is_authenticated:
            response = render(request, "clients/not_a_client.html", status=403)
        else:
            sign_in = reverse("clients:sign_in")
            if request.path != reverse("clients:bookings"):
                sign_in += f"?{urlencode({'next': request.path})}"
            return redirect(sign_in)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


@require_GET
@client_required
def my_bookings(request):
    bookings = client_bookings(account=request.client_account)
    return render(
        request,
        "clients/bookings.html",
        {"account": request.client_account, "upcoming": bookings.upcoming, "past": bookings.past},
    )


@require_GET
@client_required
def my_data(request):
    data = client_data_export(account=request.client_account)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="spa-theory-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@client_required
def delete_account(request):
    account = request.client_account
    upcoming = list(booking_list_upcoming(email=account.email).select_related("service"))
    data = request.POST if request.method == "POST" else None
    form = DeleteAccountForm(data, upcoming=upcoming)
    if request.method == "POST" and form.is_valid():
        try:
            deleted = client_account_delete(account=account, keep=form.cleaned_data["keep"])
        except ValidationError as error:
            form.add_error("keep", error)
        else:
            logout(request)
            return render(request, "clients/account_deleted.html", {"deleted": deleted})
    return render(request, "clients/delete_account.html", {"form": form, "upcoming": upcoming})
    raise Http404


@client_only
@require_http_methods(["GET"])
def address_list(request, account):
    addresses = saved_address_list(account=account)
    context = {"addresses": addresses, "payments_on": payments_enabled()}
    return render(request, "clients/address_list.html", context)


def _address_form_page(request, form, address=None):
    return render(request, "clients/address_form.html", {"form": form, "address": address})


@client_only
@require_http_methods(["GET", "POST"])
def address_add(request, account):
    form = SavedAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = saved_address_create(account=account, **form.cleaned_data)
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, f"{address.label} is saved.")
            return redirect("clients:addresses")
    return _address_form_page(request, form)


@client_only
@require_http_methods(["GET", "POST"])
def address_edit(request, account, key):
    address = get_object_or_404(saved_address_list(account=account), key=key)
    initial = {name: getattr(address, name) for name in SavedAddressForm.base_fields}
    form = SavedAddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved_address_update(address=address, **form.cleaned_data)
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, f"{address.label} is updated.")
            return redirect("clients:addresses")
    return _address_form_page(request, form, address)


@client_only
@require_http_methods(["GET", "POST"])
def address_delete(request, account, key):
    address = get_object_or_404(saved_address_list(account=account), key=key)
    if request.method == "POST":
        saved_address_delete(address=address)
        messages.success(request, f"{address.label} is removed from your addresses.")
        return redirect("clients:addresses")
    return render(request, "clients/address_delete.html", {"address": address})


@client_only
@require_http_methods(["GET"])
def card_list(request, account):
    """The cards on the client's Stripe customer; with payments off, a page saying none are."""
    context = {"payments_on": payments_enabled(), "cards": [], "unavailable": False}
    if context["payments_on"]:
        try:
            context["cards"] = saved_card_list(email=account.email)
        except GatewayUnavailable:
            context["unavailable"] = True
    return render(request, "clients/card_list.html", context)


@client_only
@require_POST
def card_remove(request, account):
    if not payments_enabled():
        raise Http404("Payments are off.")
    try:
        card = saved_card_remove(email=account.email, payment_method_id=request.POST.get("card"))
    except LookupError:
        raise Http404("No such card.") from None
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    except GatewayUnavailable:
        messages.error(request, "We couldn't reach our card processor. Please try again soon.")
    else:
        messages.success(request, f"Your card ending {card.last4} is removed.")
    return redirect("clients:cards")
