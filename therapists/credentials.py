"""The credentials a therapist must hold, in one table.

The model (date order, expiry lookups, who may edit them), the admin (fieldsets, the expiry
column), activation, the bookability rule and the staff digest all read ``CREDENTIALS``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Credential:
    name: str
    """In messages and admin headings: "massage licence"."""
    short_name: str
    """In the admin's expiry column and the staff digest: "Licence"."""
    details: tuple[str, ...]
    """The fields that say what it is (number, carrier...); all required to activate."""
    starts: str
    """The date it was issued, starts or was passed; never after ``expires``."""
    expires: str
    """The last day it is valid; required to activate."""
    starts_validity: bool
    """True when ``starts`` is when the credential comes into force (a licence or a policy may
    begin after it is entered): optional, and the therapist is bookable only from it. False when
    it records when a check was passed: required to activate, and not part of the booking
    rule."""
    date_order_message: str
    """The error when ``expires`` is before ``starts``."""

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.details, self.starts, self.expires)

    @property
    def required(self) -> tuple[str, ...]:
        """What must be filled in before the therapist can be activated."""
        if self.starts_validity:
            return (*self.details, self.expires)
        return (*self.details, self.starts, self.expires)


CREDENTIALS = (
    Credential(
        name="massage licence",
        short_name="Licence",
        details=("licence_number", "licence_issuer"),
        starts="licence_issued_on",
        expires="licence_expires_on",
        starts_validity=True,
        date_order_message="The licence expiry date can't be before its issue date.",
    ),
    Credential(
        name="liability insurance",
        short_name="Insurance",
        details=("insurance_carrier", "insurance_policy_number", "insurance_coverage"),
        starts="insurance_starts_on",
        expires="insurance_expires_on",
        starts_validity=True,
        date_order_message="The insurance expiry date can't be before its start date.",
    ),
    Credential(
        name="background check",
        short_name="Background check",
        details=("background_check_provider",),
        starts="background_check_passed_on",
        expires="background_check_valid_until",
        starts_validity=False,
        date_order_message=(
            "The background check can't be valid until a date before it was passed."
        ),
    ),
)
