"""Replies to our texts: STOP and its synonyms stop every text to that number, START (or
UNSTOP) lets them go again. The words are Twilio's standard opt-out and opt-in keywords; a
reply is one of them when it is that word alone, in any case."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from therapists.validators import phone_to_e164

from ..models import TextOptOut

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})


def text_opt_out(*, phone: str) -> TextOptOut:
    """``phone`` (E.164) gets no more texts, pending ones included, until it opts in again."""
    opt_out, _ = TextOptOut.objects.update_or_create(
        phone=phone, defaults={"opted_out_at": timezone.now()}
    )
    return opt_out


def text_opt_in(*, phone: str) -> TextOptOut | None:
    """``phone`` may be texted again (a number that never opted out is left alone)."""
    updated = TextOptOut.objects.filter(phone=phone).update(
        opted_out_at=None, opted_in_at=timezone.now()
    )
    return TextOptOut.objects.get(phone=phone) if updated else None


def text_reply_handle(*, sender: str, body: str) -> str | None:
    """Act on a reply from ``sender``: "opted_out", "opted_in", or None for anything else
    (a reply that is not a keyword, a sender that is not a phone number)."""
    try:
        phone = phone_to_e164(sender)
    except ValidationError:
        return None
    word = " ".join(body.split()).upper()
    if word in OPT_OUT_WORDS:
        text_opt_out(phone=phone)
        return "opted_out"
    if word in OPT_IN_WORDS:
        text_opt_in(phone=phone)
        return "opted_in"
    return None
