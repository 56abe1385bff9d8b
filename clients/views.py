"""The signed-in client's own pages under /account/: saved addresses and saved cards."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from booking.forms import errors_onto_form
from payments.gateway import GatewayUnavailable, payments_enabled
from payments.selectors import saved_card_list
from payments.services import saved_card_remove

from .forms import SavedAddressForm
from .selectors import client_for_user, saved_address_list
from .services import saved_address_create, saved_address_delete, saved_address_update

SIGN_IN_PATH = "/account/sign-in/"


def client_only(view):
    """A page for a signed-in client: anyone else goes to the sign-in page, then back here. The
    view gets the client's account."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        account = client_for_user(user=request.user)
        if account is None:
            return redirect(f"{SIGN_IN_PATH}?{urlencode({'next': request.path})}")
        response = view(request, account, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapper


def my_bookings(request):
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
