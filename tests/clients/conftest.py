from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from clients.models import ClientAccount, SavedAddress
from tests.booking.conftest import booking, client_details
from tests.factories import BookingFactory
from tests.pro.conftest import code_from_outbox
from therapists.validators import email_normalise


def ask_for_code(client, email):
    return client.post("/account/sign-in/", {"email": email}, follow=True)


def client_sign_in(client, email: str):
    """Sign ``client`` in at /account/ with the code emailed to ``email``; the landing page."""
    ask_for_code(client, email)
    code = code_from_outbox(email_normalise(email))
    response = client.post("/account/sign-in/code/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/account/", response
    return client.get("/account/")


@pytest.fixture
def ada_by_code(client):
    """A client signed in as ada@example.com by the emailed code."""
    client_sign_in(client, "ada@example.com")
    return client


def a_booking(days: int, **fields):
    """A 60-minute booking ``days`` from the test's clock (negative: in the past)."""
    starts_at = timezone.now() + timedelta(days=days)
    return BookingFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **fields)


__all__ = ["booking", "client_details"]


def make_client_account(email: str) -> ClientAccount:
    user = get_user_model().objects.create_user(email, email=email)
    return ClientAccount.objects.create(user=user, email=email, verified_at=timezone.now())


def make_address(account: ClientAccount, label: str = "Home", **fields) -> SavedAddress:
    return SavedAddress.objects.create(
        account=account,
        label=label,
        **{
            "address_line1": "12 Juniper St NE",
            "address_line2": "Apt 4",
            "city": "Atlanta",
            "zip_code": "30309",
            "access_notes": "Gate code 1234",
            **fields,
        },
    )


@pytest.fixture
def ada():
    """Ada's client account (ada@example.com), signed in to nothing yet."""
    return make_client_account("ada@example.com")


@pytest.fixture
def ada_in(client, ada):
    """The test client, signed in as Ada."""
    client.force_login(ada.user)
    return client


@pytest.fixture
def bea():
    """Another client, Bea, with a saved address of her own."""
    account = make_client_account("bea@example.com")
    make_address(account, "Bea's flat", address_line1="9 Other Rd", address_line2="")
    return account


def browser_sign_in(page, account: ClientAccount, base_url: str) -> None:
    """Sign ``account`` in for a Playwright page: a session made by Django's test client, its
    cookie copied into the page's browser context."""
    signed_in = Client()
    signed_in.force_login(account.user)
    cookie = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": base_url, "httpOnly": True}]
    )
