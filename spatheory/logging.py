"""Log records without booking or job tokens.

A token in ``/booking/<token>/``, ``/jobs/<token>/`` or ``/api/bookings/<token>`` is the only key
to a client's booking or a therapist's job (address, phone, health notes), so a log line holding
one hands that key to anyone who can read the logs. Every handler in ``settings.LOGGING`` and
gunicorn's access and error logs (``gunicorn.conf.py``) pass their records through
``RedactTokens``, which replaces the token with ``<token>`` wherever such a path appears: the
request line, a Referer header, a "Not Found: ..." warning or a traceback.

This module is loaded while logging is configured, before Django's apps are ready, so it can't
import ``booking.models``; its pattern takes any run of ``TOKEN_PATTERN``'s characters at least as
long as the shortest token, so a token with characters added or cut off is hidden as well.
"""

import logging
import re

REDACTED = "<token>"

# The prefixes are the URL paths that take a token; a slash may also arrive percent-encoded
# (in a ``?next=`` parameter, for example).
SLASH = r"(?:/|%2[Ff])"
TOKEN_IN_PATH = re.compile(
    rf"({SLASH}(?:booking|jobs|api{SLASH}bookings){SLASH})[A-Za-z0-9_-]{{22,}}(?![A-Za-z0-9_-])"
)


def redact_tokens(text: str) -> str:
    """``text`` with the token of every booking or job path in it replaced by ``<token>``."""
    return TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """Formats the record's message once, then keeps only its redacted text; the traceback, if
    any, is formatted and redacted too, so no formatter ever sees the original."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A record whose arguments don't fit its format: the handler reports it as it is,
            # so each part is redacted where it stands.
            record.msg = redact_tokens(str(record.msg))
            record.args = _redacted_args(record.args)
        else:
            record.msg, record.args = redact_tokens(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_tokens(record.stack_info)
        return True


def _redacted_args(args):
    if isinstance(args, dict):
        return {key: _redacted_value(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(_redacted_value(value) for value in args)
    return args


def _redacted_value(value):
    return redact_tokens(value) if isinstance(value, str) else value
