"""localstripe, a fake Stripe server, run as a process of its own on a free port of this
machine for the payments and browser tests; the product reaches it only through its settings.
Test files import the fixtures from here."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from payments.services import card_purpose, card_replace, card_setup_start

SECRET_KEY = "sk_test_spatheory"
PUBLISHABLE_KEY = "pk_test_spatheory"
WEBHOOK_SECRET = "whsec_spatheory_test"

# localstripe's test cards.
CARD_OK = "4242424242424242"
CARD_DECLINED_LATER = "4000000000000341"  # saves, then every charge is declined
CARD_DECLINED = "4000000000000002"  # refused when saved
CARD_3DS = "4000002500003155"  # asks for 3-D Secure when saved


@pytest.fixture(scope="session")
def localstripe_url():
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("localstripe_server.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def payments_on(settings, localstripe_url):
    """Payments on, against an empty localstripe."""
    requests.delete(f"{localstripe_url}/_config/data", timeout=5).raise_for_status()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    return localstripe_url


def confirm_card(
    base: str, client_secret: str, number: str, *, exp_month: str = "12", exp_year: str = "2034"
) -> dict:
    """What Stripe.js does when the client enters a card: confirm the SetupIntent with it."""
    setup_intent_id = client_secret.split("_secret_")[0]
    response = requests.post(
        f"{base}/v1/setup_intents/{setup_intent_id}/confirm",
        data=json.dumps(
            {
                "key": PUBLISHABLE_KEY,
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {
                        "number": number,
                        "exp_month": exp_month,
                        "exp_year": exp_year,
                        "cvc": "123",
                    },
                },
            }
        ),
        timeout=5,
    )
    return response.json()


def give_card(base: str, booking, number: str = CARD_OK):
    """The client saves ``number`` as the card for ``booking``, as on its private card page."""
    setup_intent_id, secret = card_setup_start(
        email=booking.client_email, purpose_key=card_purpose(booking)
    )
    confirm_card(base, secret, number)
    return card_replace(booking=booking, setup_intent_id=setup_intent_id)


def save_card(base: str, email: str, number: str = CARD_OK, **expiry: str) -> str:
    """The client saves ``number`` on their Stripe customer, as the card step does (a confirmed
    SetupIntent); returns the card's payment method id."""
    _, secret = card_setup_start(email=email, purpose_key=f"saved-{secrets.token_hex(4)}")
    return confirm_card(base, secret, number, **expiry)["payment_method"]


def stripe_charges(base: str) -> list[tuple[int, str]]:
    """Every PaymentIntent localstripe holds, as (amount in cents, status), oldest first."""
    response = requests.get(
        f"{base}/v1/payment_intents",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
        timeout=5,
    )
    intents = sorted(response.json()["data"], key=lambda intent: (intent["created"], intent["id"]))
    return [(intent["amount"], intent["status"]) for intent in intents]


def stripe_events(base: str, type_: str) -> list[dict]:
    response = requests.get(
        f"{base}/v1/events",
        params={"type": type_, "limit": 100},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
        timeout=5,
    )
    return response.json()["data"]
