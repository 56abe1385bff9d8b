"""The webhook Stripe calls, and the client's private payment pages for one booking (reached by
its token): add a tip after the massage, give another card after a decline."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from booking.forms import errors_onto_form
from booking.views.common import private_page
from booking.views.manage import booking_or_404

from . import gateway
from .csp import stripe_csp
from .forms import TIP_PERCENTS, CardForm, TipForm
from .gateway import GatewayUnavailable
from .models import Payment
from .money import cents, percent_of
from .selectors import booking_amount_due_cents, booking_payment
from .services import (
    CardNotReady,
    card_purpose,
    card_replace,
    card_setup_start,
    stripe_event_process,
    tip_add,
    tip_window_closes,
)

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request):
    """Stripe's events, verified by their signature; each handled once."""
    try:
        event = gateway.webhook_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except ValueError:
        return HttpResponseBadRequest("Bad signature")
    stripe_event_process(event=event)
    return HttpResponse(status=200)


def _paying_booking(token: str):
    if not gateway.payments_enabled():
        raise Http404("Payments are off.")
    return booking_or_404(token)


@private_page
@require_http_methods(["GET", "POST"])
def tip(request, token):
    booking = _paying_booking(token)
    price = cents(booking.price)
    given = booking_payment(booking=booking, purpose=Payment.Purpose.TIP)
    closes = tip_window_closes(booking)
    form = TipForm(request.POST or None)
    if request.method == "POST" and given is None and form.is_valid():
        amount = form.cleaned_data["amount"]
        amount_cents = (
            cents(amount) if amount is not None else percent_of(price, form.cleaned_data["percent"])
        )
        try:
            given = tip_add(booking=booking, amount_cents=amount_cents)
        except ValidationError as error:
            errors_onto_form(form, error)
        except GatewayUnavailable:
            form.add_error(None, "We couldn't reach our card processor. Please try again soon.")
        else:
            if given.status == Payment.Status.SUCCEEDED:
                messages.success(request, "Thank you! Your tip goes to your therapist.")
            return redirect("payments:tip", token=booking.token)
    presets = [(p, percent_of(price, p)) for p in TIP_PERCENTS]
    context = {
        "booking": booking,
        "form": form,
        "given": given,
        "presets": presets,
        "open": closes is not None and timezone.now() <= closes,
        "tip_hours": settings.TIP_WINDOW_HOURS,
    }
    return render(request, "payments/tip.html", context)


@private_page
@require_http_methods(["GET", "POST"])
def card(request, token):
    """Give another card after a decline: confirmed in the browser, then what is due is charged
    again."""
    booking = _paying_booking(token)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card_replace(booking=booking, setup_intent_id=form.cleaned_data["setup_intent"])
        except CardNotReady as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Thank you: your card is saved and we're charging it now.")
            return redirect(booking)
    try:
        _, client_secret = card_setup_start(
            email=booking.client_email, purpose_key=card_purpose(booking)
        )
    except GatewayUnavailable:
        client_secret = ""
    context = {
        "booking": booking,
        "form": form,
        "due": booking_amount_due_cents(booking=booking),
        "client_secret": client_secret,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return stripe_csp(render(request, "payments/card.html", context))
