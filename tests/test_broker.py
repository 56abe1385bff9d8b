"""The web queues tasks without Celery: the messages it writes are the ones Celery writes, a
real worker runs them (tests/booking/test_notifications_worker.py), and a broker that is down
is reported at once."""

import base64
import json
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from spatheory.broker import BrokerUnreachable, tasks_publish
from spatheory.celery import app
from tests.test_web_worker import WORKER_LIBRARIES, fresh_interpreter

TASK = "booking.tasks.notification_send"

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs the Redis test broker"
)


@pytest.fixture
def queue():
    """A queue of the test's own on the test broker, emptied and removed afterwards."""
    name = f"test-broker-{uuid.uuid4().hex[:12]}"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    with override_settings(CELERY_TASK_DEFAULT_QUEUE=name, CELERY_TASK_ALWAYS_EAGER=False):
        yield broker, name
    broker.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


def taken(broker, name) -> list[dict]:
    """The queue's messages in the order a worker takes them (from the right)."""
    messages = []
    while (raw := broker.rpop(name)) is not None:
        messages.append(json.loads(raw))
    return messages


def celery_message(name: str, args: tuple, countdown=None) -> None:
    """What Celery itself publishes for the call, on the broker (the suite runs tasks inline
    elsewhere)."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        app.send_task(TASK, args, queue=name, routing_key=name, countdown=countdown, retry=False)
    finally:
        app.conf.task_always_eager = previous


def test_a_task_message_is_the_one_celery_writes_for_the_same_call(queue):
    broker, name = queue
    celery_message(name, (42,), countdown=30)
    tasks_publish(TASK, [(42,)], countdown=30)

    theirs, ours = taken(broker, name)

    assert ours.keys() == theirs.keys()
    assert ours["headers"].keys() == theirs["headers"].keys()
    assert ours["properties"].keys() == theirs["properties"].keys()
    assert base64.b64decode(ours["body"]) == base64.b64decode(theirs["body"])
    for part in ("content-encoding", "content-type"):
        assert ours[part] == theirs[part]
    fixed = ("lang", "task", "shadow", "expires", "group", "retries", "timelimit", "argsrepr")
    assert {k: ours["headers"][k] for k in fixed} == {k: theirs["headers"][k] for k in fixed}
    fixed = ("delivery_mode", "delivery_info", "priority", "body_encoding")
    assert {k: ours["properties"][k] for k in fixed} == {k: theirs["properties"][k] for k in fixed}
    headers = ours["headers"]
    assert headers["root_id"] == headers["id"] == ours["properties"]["correlation_id"]
    eta = datetime.fromisoformat(headers["eta"])
    their_eta = datetime.fromisoformat(theirs["headers"]["eta"])
    assert abs(eta - their_eta) < timedelta(seconds=5)
    assert eta - datetime.now(UTC) > timedelta(seconds=20)


def test_many_calls_go_in_one_push_and_are_taken_in_order(queue):
    broker, name = queue
    tasks_publish(TASK, [(1,), (2,), (3,)])

    messages = taken(broker, name)

    assert [json.loads(base64.b64decode(m["body"]))[0] for m in messages] == [[1], [2], [3]]
    assert len({m["headers"]["id"] for m in messages}) == 3
    assert all(m["headers"]["eta"] is None for m in messages)


def test_a_broker_that_is_down_is_reported_and_nothing_is_queued(queue):
    broker, name = queue
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with (
        override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"),
        pytest.raises(BrokerUnreachable),
    ):
        tasks_publish(TASK, [(1,)])

    assert broker.llen(name) == 0


def test_the_web_queues_a_task_without_loading_celery(queue):
    broker, name = queue
    loaded = fresh_interpreter(
        "import json, sys; import spatheory.wsgi, spatheory.urls; "
        "from spatheory.broker import tasks_publish; "
        f"tasks_publish({TASK!r}, [(7,)]); "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))",
        env={
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": name,
        },
    )

    assert WORKER_LIBRARIES.isdisjoint(loaded)
    [message] = taken(broker, name)
    assert message["headers"]["task"] == TASK
