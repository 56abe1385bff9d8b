"""Validators shared by admin forms, the booking forms and the API."""

import contextlib
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError

from .geo import ZIP_PATTERN, is_known_zip


def phone_to_e164(raw: str) -> str:
    """Parse a US phone number as people type it and return it in E.164 (+14045550123)."""
    try:
        number = phonenumbers.parse(raw or "", "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "Enter a valid phone number, like (404) 555-0123.", code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(raw: str) -> str:
    """The one form in which email addresses are stored and compared.

    NFKC-normalised and trimmed; the local part lower-cased; the domain IDNA-encoded to ASCII
    (punycode) and lower-cased. Look-alike letters do not fold onto ASCII ones this way: the
    dotless ``ı`` of ``gmaıl.com`` gives ``xn--gmal-nza.com``, never ``gmail.com``. Compare
    these forms exactly, never with a Unicode case-insensitive SQL comparison."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    local, at, domain = value.rpartition("@")
    if not at:
        return value.lower()
    # A domain that is not valid stays as it is, and its field's check refuses the address.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local.lower()}@{domain.lower()}"


def validate_phone(value: str) -> None:
    phone_to_e164(value)


def validate_zip_code(value: str) -> None:
    if not ZIP_PATTERN.match(value or ""):
        raise ValidationError("Enter a 5-digit zip code, like 30309.", code="invalid_zip")
    if not is_known_zip(value):
        raise ValidationError(f"We don't recognise the zip code {value}.", code="unknown_zip")


# USPS codes of the states, DC and the territories with their own zip codes.
US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)


def validate_us_state(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(
            "Enter the two-letter code of a US state, like GA.", code="invalid_state"
        )
