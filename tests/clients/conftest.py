from datetime import timedelta

import pytest
from django.utils import timezone

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
def ada(client):
    """A client signed in as ada@example.com by the emailed code."""
    client_sign_in(client, "ada@example.com")
    return client


def a_booking(days: int, **fields):
    """A 60-minute booking ``days`` from the test's clock (negative: in the past)."""
    starts_at = timezone.now() + timedelta(days=days)
    return BookingFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **fields)
