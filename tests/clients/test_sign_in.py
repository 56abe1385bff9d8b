"""Clients sign in at /account/ with a code emailed to them: an account is only a verified
email; every address gets the same answer; therapists and staff never get in from here; and
the therapists' sign-in at /pro/ is untouched."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from clients.models import ClientAccount
from pro.models import TherapistAccount
from tests.booking.helpers import page_of
from tests.factories import StaffUserFactory, TherapistFactory
from tests.pro.conftest import code_from_outbox, sign_in

from .conftest import ask_for_code, client_sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


def test_a_client_signs_in_with_the_code_emailed_to_them(client):
    page = ask_for_code(client, "  Ada@EXAMPLE.com ")
    assert page.redirect_chain == [("/account/sign-in/code/", 302)]
    text = page.content.decode()
    assert "Enter your code" in text
    assert "A sign-in code is on its way to ada@example.com" in text
    [email] = mail.outbox
    assert email.to == ["ada@example.com"]
    assert "see your Spa Theory bookings" in email.body
    assert "therapists" not in email.body
    account = ClientAccount.objects.get()
    assert account.email == "ada@example.com" and account.verified_at is None

    response = client.post(
        "/account/sign-in/code/", {"code": code_from_outbox("ada@example.com")}, follow=True
    )

    assert response.redirect_chain[-1] == ("/account/", 302)
    assert "Your bookings" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    account.refresh_from_db()
    assert account.verified_at is not None
    user = account.user
    assert not user.has_usable_password() and not user.is_staff and user.email == ""


def test_signed_out_the_bookings_page_leads_to_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/account/sign-in/"
    assert client.get("/account/data/")["Location"] == "/account/sign-in/?next=%2Faccount%2Fdata%2F"
    assert client.get("/account/delete/")["Location"].startswith("/account/sign-in/?next=")


def test_a_wrong_code_is_refused_and_three_end_the_attempt(client):
    ask_for_code(client, "ada@example.com")
    code = code_from_outbox("ada@example.com")
    wrong = "000000" if code != "000000" else "111111"

    first = client.post("/account/sign-in/code/", {"code": wrong})
    assert first.status_code == 200 and "Error:" in first.content.decode()
    client.post("/account/sign-in/code/", {"code": wrong})
    third = client.post("/account/sign-in/code/", {"code": wrong})
    assert third["Location"] == "/account/sign-in/"

    late = client.post("/account/sign-in/code/", {"code": code})
    assert late["Location"] == "/account/sign-in/"
    assert client.get("/account/")["Location"] == "/account/sign-in/"
    assert ClientAccount.objects.get().verified_at is None


def answer_to(client, email) -> tuple:
    client.cookies.clear()
    page = ask_for_code(client, email)
    text = page.content.decode().replace(email, "EMAIL")
    return page.status_code, page.redirect_chain, text


def test_every_address_gets_the_same_answer(client):
    tess = TherapistFactory(email="tess@example.com")
    StaffUserFactory(username="boss", email="boss@spatheory.com")
    new = answer_to(client, "new@example.com")
    for email in (tess.email, "boss@spatheory.com", "new@example.com"):
        assert answer_to(client, email)[:2] == new[:2]
        assert "A sign-in code is on its way to EMAIL" in answer_to(client, email)[2]


def test_a_therapists_address_signs_in_to_a_client_account_of_its_own(client):
    tess = TherapistFactory(first_name="Tess", email="tess@example.com", hours="all")
    sign_in(client, tess.email)
    client.post("/pro/sign-out/")
    mail.outbox.clear()

    client_sign_in(client, tess.email)

    therapist_user = TherapistAccount.objects.get(therapist=tess).user
    client_user = ClientAccount.objects.get(email=tess.email).user
    assert client_user != therapist_user
    assert int(client.session["_auth_user_id"]) == client_user.pk
    assert client.get("/pro/").status_code == 403


def test_a_client_account_made_staff_gets_no_code_and_never_signs_in(client):
    client_sign_in(client, "ada@example.com")
    client.post("/account/sign-out/")
    get_user_model().objects.filter(client_account__email="ada@example.com").update(is_staff=True)
    mail.outbox.clear()

    page = ask_for_code(client, "ada@example.com")

    assert page.redirect_chain == [("/account/sign-in/code/", 302)]
    assert mail.outbox == []
    assert client.get("/account/")["Location"] == "/account/sign-in/"


def test_a_therapists_code_never_signs_in_at_the_client_page(client):
    tess = TherapistFactory(email="tess@example.com", hours="all")
    client.post("/pro/sign-in/", {"email": tess.email})

    page = client.get("/account/sign-in/code/")

    assert page["Location"] == "/account/sign-in/"
    response = client.post("/account/sign-in/code/", {"code": code_from_outbox(tess.email)})
    assert response["Location"] == "/account/sign-in/"
    assert "_auth_user_id" not in client.session


def test_a_signed_in_therapist_is_told_the_page_is_for_clients(client):
    tess = TherapistFactory(first_name="Tess", email="tess@example.com", hours="all")
    sign_in(client, tess.email)
    assert client.get("/account/sign-in/")["Location"] == "/account/"
    response = client.get("/account/")
    assert response.status_code == 403
    assert "These pages are for clients" in response.content.decode()
    assert client.get("/pro/").status_code == 200


def test_signing_out_ends_the_session(ada_by_code):
    response = ada_by_code.post("/account/sign-out/", follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "signed out" in response.content.decode()
    assert ada_by_code.get("/account/")["Location"] == "/account/sign-in/"


def test_asking_for_codes_is_rate_limited_per_address(client):
    for _ in range(3):
        client.cookies.clear()
        ask_for_code(client, "ada@example.com")
    assert len(mail.outbox) == 3

    client.cookies.clear()
    refused = ask_for_code(client, "ADA@example.com")

    assert refused.redirect_chain == []
    assert "You've asked for several codes" in page_of(refused)
    assert len(mail.outbox) == 3
    client.cookies.clear()
    ask_for_code(client, "bea@example.com")
    assert len(mail.outbox) == 4


def test_asking_for_codes_is_rate_limited_per_address_on_its_own_setting(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "client_request_login_code": "2/m/ip",
    }
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        client.cookies.clear()
        ask_for_code(client, email)
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]]


def test_a_bad_address_is_refused_next_to_the_field(client):
    page = client.post("/account/sign-in/", {"email": "not an address"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Error:" in text and "Enter an email address, like name@example.com." in text
    assert not ClientAccount.objects.exists()


def test_a_clients_code_never_signs_in_at_the_therapists_page(client):
    ask_for_code(client, "ada@example.com")
    code = code_from_outbox("ada@example.com")

    response = client.post("/pro/sign-in/code/", {"code": code}, follow=True)

    assert "_auth_user_id" not in client.session
    assert "This account can't sign in here." in page_of(response)
    assert ClientAccount.objects.get().verified_at is None
