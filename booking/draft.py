"""What a client has chosen so far in the booking flow, kept in their session between steps.

The flow keeps it in the session, never in the URL, so a refused step or a slot taken at the
last moment loses nothing. Values are converted at this one edge: the session holds JSON, the
rest of the code holds real types.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from therapists.models import Therapist
from therapists.selectors import therapist_get_bookable

from .models import Booking, Service
from .selectors import service_list_active
from .validation import REFERRAL_FIELDS, SECOND_PERSON_FIELDS

SESSION_KEY = "booking_draft"


@dataclass(frozen=True)
class SlotTakenNotice:
    """Shown on the time step after the chosen time went to someone else."""

    message: str
    alternatives: list[datetime]


@dataclass
class BookingDraft:
    service_slug: str = ""
    minutes: int | None = None
    zip_code: str = ""
    gender_preference: str = Booking.GenderPreference.ANY
    starts_at: datetime | None = None
    # The day the client last looked at on the time step.
    day: date | None = None
    # The details step's cleaned answers, keyed by ``booking_create`` argument names.
    details: dict = field(default_factory=dict)
    slot_taken: SlotTakenNotice | None = None
    # The therapist the client asked for ("Book with Maya"), by slug; empty for anyone free.
    therapist_slug: str = ""

    # Session edge ---------------------------------------------------------------------------

    @classmethod
    def load(cls, session) -> "BookingDraft":
        raw = session.get(SESSION_KEY)
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls._from_json(raw)
        except (TypeError, ValueError, KeyError):
            # A draft from an older shape of the flow, or tampered with: start again.
            return cls()

    def save(self, session) -> None:
        """Into the session, which is written back only when the draft changed."""
        saved = self._to_json()
        if session.get(SESSION_KEY) != saved:
            session[SESSION_KEY] = saved

    @staticmethod
    def clear(session) -> None:
        session.pop(SESSION_KEY, None)

    @classmethod
    def _from_json(cls, raw: dict) -> "BookingDraft":
        details = dict(raw.get("details") or {})
        if details.get("prescribed_on"):
            details["prescribed_on"] = date.fromisoformat(details["prescribed_on"])
        taken = raw.get("slot_taken")
        return cls(
            service_slug=str(raw.get("service_slug", "")),
            minutes=int(raw["minutes"]) if raw.get("minutes") is not None else None,
            zip_code=str(raw.get("zip_code", "")),
            gender_preference=str(raw.get("gender_preference") or Booking.GenderPreference.ANY),
            starts_at=_aware(raw.get("starts_at")),
            day=parse_date(raw["day"]) if raw.get("day") else None,
            details=details,
            slot_taken=SlotTakenNotice(
                message=taken["message"],
                alternatives=[_aware(value) for value in taken["alternatives"]],
            )
            if taken
            else None,
            therapist_slug=str(raw.get("therapist_slug") or ""),
        )

    def _to_json(self) -> dict:
        raw = dataclasses.asdict(self)
        raw["starts_at"] = self.starts_at.isoformat() if self.starts_at else None
        raw["day"] = self.day.isoformat() if self.day else None
        if isinstance(self.details.get("prescribed_on"), date):
            raw["details"]["prescribed_on"] = self.details["prescribed_on"].isoformat()
        if self.slot_taken:
            raw["slot_taken"]["alternatives"] = [
                moment.isoformat() for moment in self.slot_taken.alternatives
            ]
        return raw

    # What the steps ask of it ---------------------------------------------------------------

    def service(self) -> Service | None:
        if not self.service_slug:
            return None
        return service_list_active().filter(slug=self.service_slug).first()

    def therapist(self) -> Therapist | None:
        """The therapist asked for, while they can be booked; None for anyone free."""
        return therapist_get_bookable(slug=self.therapist_slug, day=timezone.localdate())

    def choose_therapist(self, slug: str) -> None:
        """Ask for a therapist by slug, or for anyone free with ``""``; a different choice
        drops the time chosen for the one before."""
        if slug != self.therapist_slug:
            self.starts_at = None
            self.slot_taken = None
        self.therapist_slug = slug

    def has(self, *steps: str) -> bool:
        """Whether the client has answered these steps: "service", "time", "details"."""
        answered = {
            "service": bool(self.service_slug and self.minutes and self.zip_code),
            "time": self.starts_at is not None,
            "details": bool(self.details),
        }
        return all(answered[step] for step in steps)

    def choose_service(self, *, service: Service, minutes: int, zip_code: str, gender: str):
        """Step 1's answer; a different choice from before drops the time chosen for it."""
        choice = (service.slug, minutes, zip_code, gender)
        if choice != (self.service_slug, self.minutes, self.zip_code, self.gender_preference):
            self.starts_at = None
        self.service_slug, self.minutes, self.zip_code, self.gender_preference = choice

    def booking_arguments(self, service: Service, therapist: Therapist | None = None) -> dict:
        """``booking_create``'s arguments for this draft."""
        # Referral and second-person answers typed for an earlier choice of massage don't
        # carry over to one that needs none.
        details = {
            name: value
            for name, value in self.details.items()
            if (service.requires_referral or name not in REFERRAL_FIELDS)
            and (service.is_couples or name not in SECOND_PERSON_FIELDS)
        }
        return {
            **details,
            "service": service,
            "minutes": self.minutes,
            "starts_at": self.starts_at,
            "zip_code": self.zip_code,
            "gender_preference": self.gender_preference,
            "therapist": therapist,
        }


def _aware(value) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and moment.utcoffset() is None:
        raise ValueError("A draft time without its offset.")
    return moment
