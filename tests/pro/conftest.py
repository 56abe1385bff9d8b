import re

import pytest
from django.core import mail

from tests.booking.conftest import booking  # noqa: F401
from tests.factories import TherapistFactory

CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def tess():
    """Tess Rivera, an active therapist, with no sign-in account yet."""
    return TherapistFactory(first_name="Tess", email="tess@example.com", hours="all")


def code_from_outbox(recipient: str) -> str:
    """The sign-in code in the latest email to ``recipient``."""
    sent = [m for m in mail.outbox if recipient in m.to]
    assert sent, f"no email to {recipient}"
    return CODE.search(sent[-1].body)[1]


def sign_in(client, email: str) -> None:
    client.post("/pro/sign-in/", {"email": email})
    response = client.post("/pro/sign-in/code/", {"code": code_from_outbox(email)})
    assert response.status_code == 302 and response["Location"] == "/pro/", response


@pytest.fixture
def signed_in(client, tess):
    """A client signed in as Tess, by the emailed code."""
    sign_in(client, tess.email)
    mail.outbox.clear()
    return client
