"""Staff sign-in: wrong passwords lock a username out from one address for a while, and with
STAFF_REQUIRE_TWO_FACTOR on no admin page opens without a code from an authenticator app."""

import re
from base64 import b32encode
from datetime import datetime, timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.booking.helpers import page_of
from tests.conftest import ATLANTA
from tests.test_foundation import manage

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
BOOKINGS = "/admin/booking/booking/"
VERIFY = "/admin/two-factor/"
ENROL = "/admin/two-factor/enrol/"
PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.9"


@pytest.fixture
def two_pm(time_machine):
    """The clock stopped at 2:00 pm on Tuesday, December 1 2026 in Atlanta."""
    time_machine.move_to(datetime(2026, 12, 1, 14, 0, tzinfo=ATLANTA), tick=False)
    return time_machine


@pytest.fixture
def boss():
    return get_user_model().objects.create_superuser("boss", "boss@spatheory.com", PASSWORD)


def sign_in(client, password, username="boss", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# Lockout


@pytest.mark.usefixtures("two_pm")
def test_ten_wrong_passwords_lock_the_sign_in_out_even_for_the_right_password(client, boss):
    wrong = [sign_in(client, f"guess-{n}", REMOTE_ADDR=ATTACKER) for n in range(10)]
    right = sign_in(client, PASSWORD, REMOTE_ADDR=ATTACKER)

    assert [response.status_code for response in wrong[:9]] == [200] * 9
    assert wrong[9].status_code == 429
    assert right.status_code == 429
    assert not signed_in(client)
    page = page_of(right)
    assert "Spa Theory staff" in page
    assert "Too many wrong passwords for boss" in page
    assert "paused for 15 minutes" in page
    assert "try again from Tue, Dec 1 · 2:15 pm" in page


def test_the_lockout_ends_after_the_cool_off(client, boss, two_pm):
    for n in range(10):
        sign_in(client, f"guess-{n}", REMOTE_ADDR=ATTACKER)

    two_pm.shift(timedelta(minutes=14))
    assert sign_in(client, PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 429

    # That try started the wait again.
    two_pm.shift(timedelta(minutes=15, seconds=1))
    assert sign_in(client, PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 302
    assert signed_in(client)


def test_the_failure_limit_and_cool_off_are_settings(client, boss, settings, two_pm):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)

    responses = [sign_in(client, f"guess-{n}", REMOTE_ADDR=ATTACKER) for n in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 429]
    assert "try again from Tue, Dec 1 · 2:05 pm" in page_of(responses[2])


def test_a_lockout_is_for_one_username_from_one_address(client, boss):
    get_user_model().objects.create_user("desk", password=PASSWORD, is_staff=True)
    for n in range(10):
        sign_in(client, f"guess-{n}", REMOTE_ADDR=ATTACKER)

    assert sign_in(client, PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 429
    assert sign_in(client, PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, username="desk", REMOTE_ADDR=ATTACKER).status_code == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(client, boss, settings):
    """Faking X-Forwarded-For entries in front of the proxy's own doesn't reset the count."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        forwarded = f"10.0.0.{n}, {ATTACKER}"
        sign_in(client, f"guess-{n}", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded)

    locked = sign_in(
        client, PASSWORD, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}"
    )
    elsewhere = sign_in(
        client, PASSWORD, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.20"
    )

    assert locked.status_code == 429
    assert elsewhere.status_code == 302
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_staff_can_unlock_a_locked_out_sign_in_in_admin(client, boss, admin_client):
    for n in range(10):
        sign_in(client, f"guess-{n}", REMOTE_ADDR=ATTACKER)
    attempt = AccessAttempt.objects.get(username="boss")

    listed = admin_client.get("/admin/axes/accessattempt/?locked_out=yes")
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )

    assert ATTACKER in page_of(listed)
    assert "1 sign-in unlocked" in page_of(response)
    assert sign_in(client, PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 302


# Two-factor


@pytest.fixture
def two_factor_required(settings):
    settings.STAFF_REQUIRE_TWO_FACTOR = True


def code_for(device: TOTPDevice, *, drift: int = 0) -> str:
    """The code the staff member's authenticator app shows now, from the device's own key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + drift)
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    accepted = {code_for(device, drift=drift) for drift in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111") if code not in accepted)


def enrol(username: str, *options: str) -> str:
    out = StringIO()
    call_command("staff_totp_enrol", username, *options, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("two_factor_required")
def test_a_superuser_without_an_authenticator_app_reaches_no_admin_page(client, boss):
    client.force_login(boss)

    for url in (BOOKINGS, "/admin/", "/admin/booking/booking/schedule/", "/admin/auth/user/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(VERIFY), url
    sent_on = client.get(BOOKINGS, follow=True)

    assert sent_on.redirect_chain[-1][0].startswith(ENROL)
    assert "Set up two-factor sign-in" in page_of(sent_on)
    assert "Ada Client" not in page_of(sent_on)


@pytest.mark.usefixtures("two_factor_required", "two_pm")
def test_after_command_line_enrolment_the_right_code_opens_the_admin(client, boss):
    out = enrol("boss")
    device = TOTPDevice.objects.get(user=boss)
    client.force_login(boss)

    still_held = client.get(BOOKINGS)
    response = client.post(VERIFY, {"code": code_for(device), "next": BOOKINGS})

    assert device.confirmed
    secret = b32encode(device.bin_key).decode()
    assert f"setup key: {secret}" in out
    assert f"otpauth://totp/Spa%20Theory%3Aboss?secret={secret}" in out
    assert still_held.status_code == 302
    assert response.status_code == 302
    assert response.url == BOOKINGS
    assert client.get(BOOKINGS).status_code == 200


@pytest.mark.usefixtures("two_factor_required", "two_pm")
def test_a_wrong_code_is_refused(client, boss):
    enrol("boss")
    device = TOTPDevice.objects.get(user=boss)
    client.force_login(boss)

    response = client.post(VERIFY, {"code": wrong_code_for(device), "next": BOOKINGS})

    assert response.status_code == 200
    assert "That code didn&#x27;t match" in response.content.decode()
    assert client.get(BOOKINGS).status_code == 302


@pytest.mark.usefixtures("two_factor_required", "two_pm")
def test_wrong_codes_in_quick_succession_are_slowed_down(client, boss):
    enrol("boss")
    device = TOTPDevice.objects.get(user=boss)
    client.force_login(boss)
    client.post(VERIFY, {"code": wrong_code_for(device)})

    too_soon = client.post(VERIFY, {"code": code_for(device)})

    assert "Too many wrong codes in a row. Wait 1 second" in page_of(too_soon)
    assert client.get(BOOKINGS).status_code == 302


@pytest.mark.usefixtures("two_factor_required", "two_pm")
def test_staff_enrol_their_own_authenticator_app_at_first_sign_in(client, boss):
    client.force_login(boss)

    page = client.get(ENROL, {"next": BOOKINGS})
    device = TOTPDevice.objects.get(user=boss, confirmed=False)
    response = client.post(ENROL, {"code": code_for(device), "next": BOOKINGS})

    secret = b32encode(device.bin_key).decode()
    shown = re.search(r"<code>([A-Z2-7 ]+)</code>", page.content.decode()).group(1)
    assert shown.replace(" ", "") == secret
    assert response.status_code == 302
    assert response.url == BOOKINGS
    assert TOTPDevice.objects.get(user=boss).confirmed
    assert client.get(BOOKINGS).status_code == 200


@pytest.mark.usefixtures("two_factor_required")
def test_a_password_alone_cannot_replace_an_enrolled_authenticator_app(client, boss):
    enrol("boss")
    client.force_login(boss)

    response = client.get(ENROL)

    assert response.status_code == 302
    assert response.url == VERIFY
    assert TOTPDevice.objects.filter(user=boss).count() == 1


@pytest.mark.usefixtures("two_factor_required")
def test_logging_out_works_before_the_second_factor(client, boss):
    client.force_login(boss)
    assert client.get("/admin/").status_code == 302

    response = client.post("/admin/logout/")

    assert response.status_code == 200
    assert "Logged out" in page_of(response)
    assert not signed_in(client)


def test_two_factor_is_optional_when_the_setting_is_off(client, boss, settings):
    settings.STAFF_REQUIRE_TWO_FACTOR = False
    client.force_login(boss)

    assert client.get(BOOKINGS).status_code == 200


def test_the_enrol_command_replaces_an_app_only_when_asked(boss):
    enrol("boss")
    first = TOTPDevice.objects.get(user=boss)

    with pytest.raises(CommandError, match="already has an authenticator app"):
        enrol("boss")
    enrol("boss", "--replace")

    assert list(TOTPDevice.objects.filter(user=boss)) != [first]
    assert TOTPDevice.objects.filter(user=boss, confirmed=True).count() == 1


def test_the_enrol_command_refuses_unknown_and_non_staff_accounts():
    get_user_model().objects.create_user("client", password=PASSWORD)

    with pytest.raises(CommandError, match="No account 'nobody'"):
        enrol("nobody")
    with pytest.raises(CommandError, match="not staff"):
        enrol("client")


def test_two_factor_is_required_in_production_and_optional_in_debug():
    show = "from django.conf import settings; print(settings.STAFF_REQUIRE_TWO_FACTOR)"
    production = manage(
        "shell",
        "-c",
        show,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        SITE_URL="https://spatheory.com",
    )
    debug = manage("shell", "-c", show, DJANGO_DEBUG="1")

    assert production.stdout.split()[-1] == "True", production.stderr
    assert debug.stdout.split()[-1] == "False", debug.stderr
