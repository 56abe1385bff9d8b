"""Staff second factor: a TOTP authenticator app per staff member (django-otp).

A confirmed device is the second factor. Staff without one enrol at their first sign-in (an
unconfirmed device whose secret they add to their app, confirmed by the first code it shows) or
from the command line (``manage.py staff_totp_enrol``). Codes are checked by django-otp, which
refuses a code used before and slows down repeated wrong codes (1, 2, 4, 8 ... seconds).
"""

import math
from base64 import b32encode
from datetime import datetime

import django_otp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from booking.formatting import local_when

DEVICE_NAME = "Authenticator app"
WRONG_CODE = (
    "That code didn't match. Enter the 6-digit code your authenticator app shows now "
    "(check that your phone's clock is set automatically)."
)


def totp_secret(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed in: base32, no padding."""
    return b32encode(device.bin_key).decode().rstrip("=")


def staff_has_second_factor(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_device_create(*, user, replace: bool = False) -> TOTPDevice:
    """A confirmed device for ``user``, for enrolment from the command line. Refused when the
    user already has one, unless ``replace`` (a lost phone), which removes the old ones."""
    with transaction.atomic():
        existing = TOTPDevice.objects.devices_for_user(user, confirmed=None)
        if not replace and existing.filter(confirmed=True).exists():
            raise ValidationError(
                f"{user.get_username()} already has an authenticator app; "
                "use --replace to replace it (the old one stops working)."
            )
        existing.delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def totp_device_pending(*, user) -> TOTPDevice:
    """The unconfirmed device a staff member without a second factor is enrolling, created on
    first use so the secret shown stays the same until they confirm it."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> None:
    """Confirm ``device`` with the first code the app shows and count this session as
    verified with it."""
    device = _verify(device, token)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    django_otp.login(request, device)


def staff_second_factor_verify(*, request, token: str) -> None:
    """Mark this session verified when ``token`` matches one of the user's devices."""
    refusal = ValidationError(WRONG_CODE)
    for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
        try:
            verified = _verify(device, token)
        except ValidationError as error:
            refusal = error
        else:
            django_otp.login(request, verified)
            return
    raise refusal


def _verify(device: TOTPDevice, token: str) -> TOTPDevice:
    """The device, fresh, once ``token`` matches it. A refusal is raised after the transaction
    so the failure django-otp counts (its throttle) is kept."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = locked.verify_is_allowed()
        if allowed and locked.verify_token(token):
            return locked
    if not allowed:
        raise ValidationError(_throttled(details["locked_until"]))
    raise ValidationError(WRONG_CODE)


def _throttled(locked_until: datetime) -> str:
    seconds = math.ceil((locked_until - timezone.now()).total_seconds())
    wait = (
        f"{seconds} second{'s' if seconds != 1 else ''}"
        if seconds < 90
        else (f"until {local_when(locked_until)}")
    )
    return f"Too many wrong codes in a row. Wait {wait}, then enter the code your app shows."
