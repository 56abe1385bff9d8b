"""Texts through Twilio's official library when ``TWILIO_*`` is set, or to the log otherwise
(the embedded default), and the check that an inbound request really comes from Twilio.

Nothing outside this module knows the provider: a refused text is a ``TextRefused`` saying
whether to try again. The library is imported by the first text or inbound check, not with the
module: a web worker that never sends one doesn't hold it.
"""

import logging
import threading
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# Seconds to wait for Twilio before the try counts as failed for now.
TEXT_TIMEOUT = 10
# Twilio's error for a number that replied STOP to our sending number: it blocks the text.
UNSUBSCRIBED_RECIPIENT = 21610


class TextRefused(Exception):
    """Twilio refused a text: ``transient`` when a later try may succeed (its servers, too
    many requests), else for good (an invalid or unreachable number, a bad account)."""

    def __init__(self, message: str, *, status: int, code: int | None):
        super().__init__(message)
        self.status, self.code = status, code

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def unsubscribed(self) -> bool:
        return self.code == UNSUBSCRIBED_RECIPIENT


def texts_enabled() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID)


def phone_masked(phone: str) -> str:
    """``+1*******0123``: enough to tell two numbers apart in a log, not enough to call."""
    return f"{phone[:2]}{'*' * max(len(phone) - 6, 0)}{phone[-4:]}"


@cache
def _api_base_http_client_class():
    from twilio.http.http_client import TwilioHttpClient

    class ApiBaseHttpClient(TwilioHttpClient):
        """Twilio's own HTTP client, sending to ``base`` instead of Twilio's hosts: the library
        builds each URL from a fixed host, and the client is where it lets us step in."""

        def __init__(self, *, base: str, timeout: float):
            super().__init__(timeout=timeout)
            self.base = urlsplit(base)

        def request(self, method, url, *args, **kwargs):
            moved = urlsplit(url)._replace(scheme=self.base.scheme, netloc=self.base.netloc)
            return super().request(method, moved.geturl(), *args, **kwargs)

    return ApiBaseHttpClient


@dataclass(frozen=True)
class _Config:
    account_sid: str
    auth_token: str
    api_base: str


# One client per worker thread (and configuration): it keeps its HTTPS connections open.
_twilio = threading.local()


def _client():
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    config = _Config(
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE
    )
    if getattr(_twilio, "config", None) != config:
        http_client = (
            _api_base_http_client_class()(base=config.api_base, timeout=TEXT_TIMEOUT)
            if config.api_base
            else TwilioHttpClient(timeout=TEXT_TIMEOUT)
        )
        _twilio.client = Client(config.account_sid, config.auth_token, http_client=http_client)
        _twilio.config = config
    return _twilio.client


def text_send(*, to: str, body: str) -> str:
    """Send ``body`` to ``to`` (E.164); returns the text's id at Twilio ("" when texts are
    off and it only goes to the log). Raises ``TextRefused`` when Twilio answers with an
    error, and ``OSError`` (the requests library's errors among them) when it can't be
    reached."""
    if not texts_enabled():
        logger.info("Text to %s (texts are off, not sent): %s", phone_masked(to), body)
        return ""
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException

    try:
        message = _client().messages.create(to=to, from_=settings.TWILIO_FROM_NUMBER, body=body)
    except (TwilioRestException, TwilioServiceException) as exc:
        # Twilio's own message names the number: the row's error, the log and the staff alert
        # show it masked.
        detail = str(getattr(exc, "msg", "") or getattr(exc, "detail", "") or "")
        detail = detail.replace(to, phone_masked(to))
        raise TextRefused(
            f"Twilio answered HTTP {exc.status}, error {exc.code}: {detail}",
            status=int(exc.status),
            code=exc.code,
        ) from None
    return message.sid or ""


def inbound_is_from_twilio(*, url: str, params, signature: str) -> bool:
    """Whether a request Twilio would have sent to ``url`` with ``params`` carries its
    signature (``X-Twilio-Signature``, made with our auth token). Always False with texts off:
    there is no token to check it with."""
    if not (texts_enabled() and signature):
        return False
    from twilio.request_validator import RequestValidator

    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)
