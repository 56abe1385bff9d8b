"""Booking and job tokens are keys to a client's booking: none may reach a log line, whether
gunicorn's access log, runserver's request lines or Django's warnings."""

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from booking.models import TOKEN_PATTERN, new_token
from spatheory.logging import RedactTokens
from tests.booking.helpers import wait_for

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30


def record(msg, args=(), **extra) -> logging.LogRecord:
    made = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    return made


def redacted(made: logging.LogRecord) -> str:
    assert RedactTokens().filter(made) is True
    return logging.Formatter().format(made)


@pytest.mark.parametrize(
    "path",
    [
        "/booking/{token}/",
        "/booking/{token}/cancel/",
        "/booking/{token}/calendar.ics",
        "/jobs/{token}/",
        "/api/bookings/{token}",
        "/api/bookings/{token}/reschedule",
        "/book/?next=%2Fbooking%2F{token}%2Freschedule%2F",
    ],
)
def test_a_token_in_the_message_or_its_arguments_becomes_a_placeholder(path):
    token = new_token()
    in_args = redacted(record("Not Found: %s", (path.format(token=token),)))
    in_message = redacted(record(f'"GET {path.format(token=token)} HTTP/1.1" 404 179'))

    for line in (in_args, in_message):
        assert token not in line
        assert path.format(token="<token>") in line


def test_every_token_the_urls_accept_is_redacted_and_other_paths_are_left_alone():
    accepted = ["A" * 22, "z9_-" * 16, new_token()]
    assert all(re.fullmatch(TOKEN_PATTERN, token) for token in accepted)
    # A token a mail client ran into the next word is still the token.
    for token in [*accepted, new_token() + "-and-more"]:
        line = redacted(record("Not Found: %s", (f"/booking/{token}/",)))
        assert line == "Not Found: /booking/<token>/"

    for path in ("/booking/lost-link/", "/book/time/", "/services/swedish/", "/jobs/"):
        assert redacted(record("Not Found: %s", (path,))) == f"Not Found: {path}"


def test_gunicorn_style_arguments_and_a_traceback_are_redacted_too():
    token = new_token()
    atoms = {"r": f"GET /jobs/{token}/ HTTP/1.1", "f": f"https://spatheory.com/booking/{token}/"}
    assert token not in redacted(record('"%(r)s" "%(f)s"', atoms))

    try:
        raise LookupError(f"no job at /jobs/{token}/")
    except LookupError:
        failed = record("Internal Server Error: %s", (f"/jobs/{token}/",), exc_info=sys.exc_info())
    line = redacted(failed)
    assert "LookupError: no job at /jobs/<token>/" in line
    assert token not in line


def test_every_configured_handler_redacts_tokens():
    handlers = settings.LOGGING["handlers"]

    assert {"console", "django.server"} <= handlers.keys()
    for name, handler in handlers.items():
        assert "redact_tokens" in handler.get("filters", []), name
    loggers = settings.LOGGING["loggers"]
    # Django's own handlers (which would print the same lines unfiltered) are replaced.
    assert loggers["django"].get("handlers", []) == []
    assert loggers["django.server"]["handlers"] == ["django.server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env() -> dict[str, str]:
    """The embedded default on this test's database, which has the tables."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "SITE_URL"))
    }
    return {
        **env,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "PYTHONUNBUFFERED": "1",
    }


def get(port: int, path: str, **headers: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    def serving() -> bool:
        assert server.poll() is None, server.communicate()
        try:
            get(port, "/healthz")
        except OSError:
            return False
        return True

    wait_for(serving, timeout=STARTUP_SECONDS, what="the server to start")


def requests_with_tokens(port: int) -> list[str]:
    tokens = [new_token() for _ in range(4)]
    booking, job, api, referer = tokens
    assert get(port, f"/booking/{booking}/cancel/") == 404
    assert get(port, f"/jobs/{job}/") == 404
    assert get(port, f"/api/bookings/{api}") == 404
    assert get(port, "/healthz", Referer=f"http://127.0.0.1:{port}/booking/{referer}/") == 200
    return tokens


def stop(server: subprocess.Popen) -> tuple[str, str]:
    server.send_signal(signal.SIGTERM)
    try:
        return server.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        return server.communicate()


def logs_of(command: list[str]) -> tuple[list[str], str, str, int]:
    """Start ``command`` (a server on a free loopback port), request token paths, stop it;
    the tokens sent and what it wrote to stdout and stderr."""
    port = free_port()
    server = subprocess.Popen(
        [arg.format(port=port) for arg in command],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(port, server)
        tokens = requests_with_tokens(port)
    finally:
        output, log = stop(server)
    return tokens, output, log, port


@pytest.mark.django_db
def test_gunicorn_with_the_project_config_logs_no_token():
    tokens, access_log, error_log, port = logs_of(
        [
            *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "spatheory.wsgi"),
            *("--bind", "127.0.0.1:{port}", "--workers", "1"),
        ]
    )

    for token in tokens:
        assert token not in access_log + error_log
    assert '"GET /booking/<token>/cancel/ HTTP/1.1" 404' in access_log
    assert '"GET /jobs/<token>/ HTTP/1.1" 404' in access_log
    assert '"GET /api/bookings/<token> HTTP/1.1" 404' in access_log
    assert f'"http://127.0.0.1:{port}/booking/<token>/"' in access_log
    assert "Not Found: /jobs/<token>/" in error_log


@pytest.mark.django_db
def test_runserver_logs_no_token():
    tokens, output, log, _ = logs_of(
        [sys.executable, "manage.py", "runserver", "127.0.0.1:{port}", "--noreload"]
    )

    for token in tokens:
        assert token not in output + log
    assert '"GET /booking/<token>/cancel/ HTTP/1.1" 404' in log
    assert "Not Found: /jobs/<token>/" in log
    assert '"GET /api/bookings/<token> HTTP/1.1" 404' in log
