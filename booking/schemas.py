"""The public API's request and response shapes (endpoints in ``booking.api``)."""

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StrictBool

from .forms import NOTES_MAX_LENGTH

MAX_DAYS = 31


def _printable(value: str) -> str:
    # PostgreSQL can store neither a NUL character nor half a UTF-16 pair, and no one types one.
    if "\x00" in value:
        raise ValueError("Remove the NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Use only characters that can be written in UTF-8.") from None
    return value


# Every string the API reads from a client.
Text = Annotated[str, AfterValidator(_printable)]


class Message(Schema):
    message: str


class ValidationFailed(Schema):
    message: str
    errors: dict[str, list[str]]


class DurationOut(Schema):
    minutes: int = Field(description="Per person for couples services.")
    price: str = Field(description="USD, for the couple on couples services.", examples=["120.00"])


class ServiceOut(Schema):
    slug: str
    name: str
    kind: Literal["single", "couples_side_by_side", "couples_back_to_back"]
    modality: str
    durations: list[DurationOut]
    requires_referral: bool


class SlotOut(Schema):
    start: datetime
    end: datetime = Field(description="End of the whole booking.")


class AvailabilityOut(Schema):
    served: bool
    slots: list[SlotOut]
    message: str | None = None


class SlotTakenOut(Schema):
    message: str
    alternatives: list[SlotOut]


class AvailabilityQuery(Schema):
    service: Text = Field(max_length=120)
    minutes: int = Field(gt=0, le=600)
    zip: Text = Field(pattern=r"^\d{5}$", description="5-digit zip code.")
    date: Date
    days: int = Field(1, ge=1, le=MAX_DAYS)
    gender: Literal["any", "female", "male"] = "any"


class ClientIn(Schema):
    name: Text
    email: Text
    phone: Text
    texts: StrictBool = Field(
        False,
        description="The client asks for texts about this booking (reminders, changes) to "
        "`phone`, as the booking form's unticked box does.",
    )


class AddressIn(Schema):
    line1: Text
    line2: Text = ""
    city: Text
    state: Text = "GA"
    zip: Text


class PreferencesIn(Schema):
    gender: Literal["any", "female", "male"] = "any"
    pressure: Literal["light", "medium", "firm", "deep"] = "medium"


class ReferralIn(Schema):
    prescriber_name: Text
    practice: Text
    phone: Text
    prescribed_on: Date


class SecondPersonIn(Schema):
    """Couples only: the person having a massage with the client."""

    name: Text = Field(max_length=120)
    pressure: Literal["light", "medium", "firm", "deep"] = "medium"
    health_notes: Text = Field("", max_length=NOTES_MAX_LENGTH)


class BookingIn(Schema):
    service: Text = Field(max_length=120)
    minutes: int = Field(gt=0, le=600)
    start: datetime = Field(description="With its UTC offset; a time without one is refused.")
    client: ClientIn
    address: AddressIn
    notes: Text = Field("", max_length=NOTES_MAX_LENGTH)
    health_notes: Text = Field("", max_length=NOTES_MAX_LENGTH)
    consent: StrictBool = Field(
        description="Agreement to the booking terms and to the therapist reading health notes."
    )
    preferences: PreferencesIn = PreferencesIn()
    referral: ReferralIn | None = None
    second_person: SecondPersonIn | None = Field(
        None, description="Couples only: the second person's name, pressure and health notes."
    )


class RescheduleIn(Schema):
    start: datetime


class AddressOut(Schema):
    line1: str
    line2: str
    city: str
    state: str
    zip: str


class BookingOut(Schema):
    reference: str
    token: str
    service: str
    minutes: int
    start: datetime
    end: datetime
    status: Literal["confirmed", "completed", "cancelled", "no_show"]
    late_cancellation: bool
    price: str
    therapists: list[str] = Field(description="First names.")
    address: AddressOut
