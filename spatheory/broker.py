"""Queueing Celery tasks from the web without loading Celery.

The web only ever hands ids to the workers, after a commit. Celery and kombu (about 10 MB in
every web worker, and a Redis client built for every message) are loaded only by the workers:
on a Redis broker a task message is written here, in Celery's message protocol (version 2) as
kombu's Redis transport stores it, with redis-py, which the cache loads anyway. The workers
read it like any message Celery itself published (``tests/test_broker.py`` compares the two).

Elsewhere Celery publishes: inline when tasks run eagerly (no broker: the embedded default),
and on any other broker.
"""

import base64
import json
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings

# kombu's Redis transport keeps a queue as a list of this name; a key prefix would change it.
REDIS_SCHEMES = {"redis", "rediss"}


class BrokerUnreachable(OSError):
    """The broker could not be reached (on Redis: none of the messages was queued)."""


def tasks_publish(name: str, calls: Iterable[tuple], *, countdown: float | None = None) -> None:
    """Queue one run of task ``name`` for each tuple of arguments in ``calls`` (ids and other
    JSON values), in one round trip, to run ``countdown`` seconds from now if given. Inline
    when tasks run eagerly. Raises ``BrokerUnreachable`` when the broker can't be reached, at
    once, never after retries."""
    calls = [tuple(args) for args in calls]
    if not calls:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _run_inline(name, calls)
    elif _writes_directly():
        _redis_push(name, calls, countdown=countdown)
    else:
        _celery_publish(name, calls, countdown=countdown)


def _writes_directly() -> bool:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    return urlsplit(settings.CELERY_BROKER_URL).scheme in REDIS_SCHEMES and not options.get(
        "global_keyprefix"
    )


def task_message(name: str, args: tuple, *, countdown: float | None = None) -> bytes:
    """The message kombu's Redis transport stores for ``apply_async(args, countdown=...)`` of
    task ``name`` on the default queue, as JSON: Celery's protocol 2 headers and a base64 body
    of ``[args, kwargs, embed]``."""
    task_id = str(uuid.uuid4())
    eta = None
    if countdown:
        eta = (datetime.now(UTC) + timedelta(seconds=countdown)).isoformat()
    body = json.dumps(
        [list(args), {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    )
    return json.dumps(
        {
            "body": base64.b64encode(body.encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": name,
                "id": task_id,
                "shadow": None,
                "eta": eta,
                "expires": None,
                "group": None,
                "group_index": None,
                "retries": 0,
                "timelimit": [None, None],
                "root_id": task_id,
                "parent_id": None,
                "argsrepr": repr(args),
                "kwargsrepr": "{}",
                "origin": _origin(),
                "ignore_result": settings.CELERY_TASK_IGNORE_RESULT,
                "replaced_task_nesting": 0,
                "stamped_headers": None,
                "stamps": {},
            },
            "properties": {
                "correlation_id": task_id,
                "reply_to": "",
                "delivery_mode": 2,
                "delivery_info": {
                    "exchange": "",
                    "routing_key": settings.CELERY_TASK_DEFAULT_QUEUE,
                },
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    ).encode()


def _origin() -> str:
    # Who published it, as Celery names a publisher in its logs.
    return f"gen{os.getpid()}@{socket.gethostname()}"


@cache
def _redis(url: str):
    import redis

    # One client (and connection pool, which reconnects after a fork) per process. Publishing
    # after a commit waits at most a second on a broker that is down, as Celery's did.
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
    )


def _redis_push(name: str, calls: list[tuple], *, countdown: float | None) -> None:
    import redis

    messages = [task_message(name, args, countdown=countdown) for args in calls]
    try:
        # The workers take a queue's messages from the other end of the list: in this order.
        _redis(settings.CELERY_BROKER_URL).lpush(settings.CELERY_TASK_DEFAULT_QUEUE, *messages)
    except (redis.RedisError, OSError) as exc:
        raise BrokerUnreachable(f"The broker refused {len(messages)} message(s): {exc}") from exc


def _task(name: str):
    from spatheory.celery import app

    # The task's own module registers it; a worker imports every such module when it starts.
    import_module(name.rpartition(".")[0])
    return app.tasks[name]


def _run_inline(name: str, calls: list[tuple]) -> None:
    # Each call runs, whatever an earlier one raised; the first error is raised at the end.
    task = _task(name)
    error = None
    for args in calls:
        try:
            task.apply(args, throw=settings.CELERY_TASK_EAGER_PROPAGATES)
        except Exception as exc:
            error = error or exc
    if error is not None:
        raise error


def _celery_publish(name: str, calls: list[tuple], *, countdown: float | None) -> None:
    import kombu.exceptions

    task = _task(name)
    try:
        for args in calls:
            task.apply_async(args, countdown=countdown, retry=False)
    except (kombu.exceptions.OperationalError, OSError) as exc:
        raise BrokerUnreachable(str(exc)) from exc
