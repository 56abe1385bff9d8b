"""Therapists sign in to /pro/ with a code emailed to them: no password, no signup, no way to
tell a known address from an unknown one, and no way in for staff accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from pro.models import TherapistAccount
from tests.factories import StaffUserFactory, TherapistFactory
from tests.pro.conftest import code_from_outbox, sign_in
from therapists.models import Therapist

pytestmark = pytest.mark.django_db


def ask_for_code(client, email):
    return client.post("/pro/sign-in/", {"email": email}, follow=True)


def test_a_therapist_signs_in_with_the_code_emailed_to_them(client, tess):
    page = ask_for_code(client, "  Tess@EXAMPLE.com ")
    assert page.redirect_chain == [("/pro/sign-in/code/", 302)]
    assert "Enter your code" in page.content.decode()
    [email] = mail.outbox
    assert email.to == ["tess@example.com"]
    code = code_from_outbox("tess@example.com")
    assert code in email.subject

    response = client.post("/pro/sign-in/code/", {"code": code}, follow=True)

    assert response.redirect_chain[-1] == ("/pro/", 302)
    assert "Hi Tess" in response.content.decode()
    account = TherapistAccount.objects.get(therapist=tess)
    user = account.user
    assert not user.has_usable_password() and not user.is_staff
    assert response["Cache-Control"] == "private, no-store"


def test_the_code_works_once(client, tess):
    ask_for_code(client, tess.email)
    code = code_from_outbox(tess.email)
    client.post("/pro/sign-in/code/", {"code": code})
    client.post("/pro/sign-out/")
    assert client.get("/pro/").status_code == 302

    again = client.post("/pro/sign-in/code/", {"code": code})

    assert again["Location"] == "/pro/sign-in/"
    assert client.get("/pro/")["Location"].startswith("/pro/sign-in/")


def test_a_wrong_code_is_refused_and_three_end_the_attempt(client, tess):
    ask_for_code(client, tess.email)
    code = code_from_outbox(tess.email)
    wrong = "000000" if code != "000000" else "111111"

    first = client.post("/pro/sign-in/code/", {"code": wrong})
    assert first.status_code == 200
    assert "Error:" in first.content.decode()
    assert client.get("/pro/").status_code == 302
    client.post("/pro/sign-in/code/", {"code": wrong})
    third = client.post("/pro/sign-in/code/", {"code": wrong})
    assert third["Location"] == "/pro/sign-in/"

    late = client.post("/pro/sign-in/code/", {"code": code})
    assert late["Location"] == "/pro/sign-in/"
    assert client.get("/pro/").status_code == 302


def answer_to(client, email) -> tuple:
    client.cookies.clear()
    page = ask_for_code(client, email)
    text = page.content.decode().replace(email, "EMAIL")
    return page.status_code, page.redirect_chain, text


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, tess):
    known = answer_to(client, tess.email)
    mail.outbox.clear()
    unknown = answer_to(client, "nobody@example.com")

    assert unknown[:2] == known[:2]
    assert "a sign-in code is on its way" in unknown[2]
    assert mail.outbox == []


@pytest.mark.parametrize(
    "status", [Therapist.Status.APPLICANT, Therapist.Status.OFFBOARDED], ids=str
)
def test_only_active_and_paused_therapists_get_a_code(client, status):
    therapist = TherapistFactory(status=status)
    answer = ask_for_code(client, therapist.email)
    assert answer.redirect_chain == [("/pro/sign-in/code/", 302)]
    assert mail.outbox == []


def test_a_paused_therapist_still_signs_in_to_see_booked_jobs(client):
    therapist = TherapistFactory(status=Therapist.Status.PAUSED)
    sign_in(client, therapist.email)
    assert client.get("/pro/").status_code == 200


def test_a_staff_account_gets_no_code_even_with_a_therapists_address(client, tess):
    StaffUserFactory(username="boss", email="boss@spatheory.com")
    ask_for_code(client, "boss@spatheory.com")
    client.post("/pro/sign-out/")
    StaffUserFactory(username="twin", email=tess.email)
    sign_in(client, tess.email)
    assert client.get("/pro/").status_code == 200
    assert TherapistAccount.objects.get().user.username != "twin"
    assert [m.to for m in mail.outbox] == [[tess.email]]


def test_a_therapist_account_made_staff_gets_no_code(client, tess):
    sign_in(client, tess.email)
    client.post("/pro/sign-out/")
    get_user_model().objects.filter(therapist_account__therapist=tess).update(is_staff=True)
    mail.outbox.clear()
    ask_for_code(client, tess.email)
    assert mail.outbox == []


def test_a_staff_session_is_refused_in_the_portal(client, staff_in):
    client.force_login(staff_in("Front desk"))
    response = client.get("/pro/")
    assert response.status_code == 403
    assert "This portal is for therapists" in response.content.decode()
    assert client.get("/pro/hours/").status_code == 403


def test_a_signed_in_therapist_cannot_open_admin(signed_in):
    response = signed_in.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_offboarded_therapist_is_signed_out_of_the_portal(signed_in, tess):
    tess.status = Therapist.Status.OFFBOARDED
    tess.save()
    assert signed_in.get("/pro/").status_code == 403


def test_asking_for_codes_is_rate_limited_per_address(client, tess):
    # Each ask from a fresh session, as a script would send them.
    for _ in range(3):
        client.cookies.clear()
        ask_for_code(client, tess.email)
    assert len(mail.outbox) == 3

    client.cookies.clear()
    refused = ask_for_code(client, tess.email)

    assert refused.status_code == 200
    assert "Too many" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_another_address_can_be_tried_after_asking_for_a_code(client, tess):
    ask_for_code(client, "tess@exmaple.com")
    assert client.get("/pro/sign-in/")["Location"] == "/pro/sign-in/code/"
    client.post("/pro/sign-out/", {"next": "/pro/sign-in/"})
    sign_in(client, tess.email)


@pytest.mark.parametrize(
    "path",
    [
        "/pro/signup/",
        "/pro/password/reset/",
        "/pro/password/set/",
        "/pro/email/",
        "/accounts/login/",
        "/accounts/signup/",
    ],
)
def test_no_password_or_signup_page_exists(client, path):
    assert client.get(path).status_code == 404


def test_the_portal_sends_signed_out_visitors_to_sign_in(client):
    response = client.get("/pro/hours/")
    assert response.status_code == 302
    assert response["Location"] == "/pro/sign-in/?next=/pro/hours/"


def test_a_mail_server_outage_gives_the_same_answer_and_no_error(client, tess, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    page = ask_for_code(client, tess.email)
    assert page.redirect_chain == [("/pro/sign-in/code/", 302)]
    assert "a sign-in code is on its way" in page.content.decode()
