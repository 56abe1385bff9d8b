"""A stand-in for Twilio's Messages API: a real HTTP server on loopback (pytest-httpserver)
answering ``POST /2010-04-01/Accounts/{sid}/Messages.json`` as Twilio does: form-encoded
``To``, ``From`` and ``Body`` under HTTP basic auth with the account SID and auth token,
``201`` with the message's ``sid`` and ``status`` as JSON, or Twilio's JSON error."""

import itertools
import json
import threading
from dataclasses import dataclass, field

from django.urls import reverse
from twilio.request_validator import RequestValidator
from werkzeug import Request, Response

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "test-auth-token-not-a-secret"
FROM_NUMBER = "+14045550199"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@dataclass
class FakeTwilio:
    """What the server received and accepted. Texts to a number given failures with ``fail``
    get those answers first, one a request, in order."""

    received: list[dict] = field(default_factory=list)
    failures: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[dict]:
        return [message for message in self.received if message["accepted"]]

    def fail(self, phone: str, status: int, code: int, message: str) -> None:
        """Answer the next text to ``phone`` with Twilio's error ``code`` and HTTP ``status``."""
        with self._lock:
            self.failures.setdefault(phone, []).append((status, code, message))

    def to(self, phone: str) -> list[str]:
        """The bodies of the texts accepted for ``phone``."""
        return [message["Body"] for message in self.accepted if message["To"] == phone]

    def handle(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (ACCOUNT_SID, AUTH_TOKEN):
            return _error(401, 20003, "Authenticate")
        form = request.form
        with self._lock:
            waiting = self.failures.get(form.get("To")) or []
            failure = waiting.pop(0) if waiting else None
            self.received.append(
                {
                    "To": form.get("To"),
                    "From": form.get("From"),
                    "Body": form.get("Body"),
                    "content_type": request.mimetype,
                    "accepted": failure is None,
                }
            )
            sid = f"SM{next(self._ids):032x}"
        if failure is not None:
            return _error(*failure)
        body = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "api_version": "2010-04-01",
            "uri": f"{MESSAGES_PATH.removesuffix('.json')}/{sid}.json",
        }
        return Response(json.dumps(body), status=201, content_type="application/json")


def _error(status: int, code: int, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, content_type="application/json")


def inbound(client, settings, body, *, sender, signature=None):
    """A reply to one of our texts, as Twilio posts it to the webhook, signed as Twilio signs."""
    path = reverse("booking:text_inbound")
    params = {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": sender,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(settings.SITE_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
