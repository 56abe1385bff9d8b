"""Benchmark: booking confirmations through the outbox, a real worker and an SMTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spatheory \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 python bench/notifications.py

Builds a throwaway database next to the one DATABASE_URL names (``<name>_bench_notifications``)
with 500 bookings, starts an SMTP sink on loopback and one worker the way ``make worker`` does
(``celery -A spatheory worker --beat``, on a queue of its own, ``EMAIL_URL`` pointing at the
sink, production settings: DEBUG off), then writes one confirmation per booking through the
outbox, each in its own transaction as a booking would. It times from the first enqueue to the
500th message accepted by the sink. Then, as the ceiling in the same run, it renders the same
500 messages and sends them straight to the same sink over one reused SMTP connection, timed from
the first send to the last accept, and prints the outbox's rate as a % of it. Stops by itself
after TIMEOUT seconds, kills the worker, deletes its queue and drops the database. The last line
is ``emails_per_second=<decimal>``.
"""

import logging
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
# The repository instead of this folder, where bench/http.py would hide the standard library's.
sys.path[0] = str(BASE_DIR)

COUNT = int(os.environ.get("BENCH_COUNT", "500"))
WARM_UP = 4
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "180"))
QUEUE = f"bench-notifications-{uuid.uuid4().hex[:10]}"

for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
    if not os.environ.get(name):
        sys.exit(f"Set {name} (see the docstring at the top of {Path(__file__).name}).")
if urlsplit(os.environ["DATABASE_URL"]).scheme not in {"postgres", "postgresql", "pgsql"}:
    sys.exit("DATABASE_URL must be a PostgreSQL URL: the worker needs a database it can share.")

# The app's production settings, for this process (the bookings' side) and the worker.
os.environ.update(
    {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": f"bench-{uuid.uuid4().hex}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1:8000",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
)
os.environ["DJANGO_SETTINGS_MODULE"] = "spatheory.settings"

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.core.mail import get_connection  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from booking.models import Booking, Notification, Service  # noqa: E402
from booking.notifications.messages import notification_message  # noqa: E402
from booking.notifications.outbox import notification_enqueue  # noqa: E402
from spatheory.celery import app  # noqa: E402
from therapists.models import Modality  # noqa: E402

NOTIFICATION_HEADER = re.compile(rb"^X-Spa-Theory-Notification: *(\d+)", re.MULTILINE)
# The ceiling's copies carry ids past any row's, so the sink tells them apart.
CEILING_IDS = 10**9


class SinkHandler:
    """The SMTP server's side (in its own process, so it never waits on the producer): accept
    everything and report which notification arrived when."""

    def __init__(self, arrivals: multiprocessing.Queue):
        self.arrivals = arrivals

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()  # system-wide, so comparable across processes
        match = NOTIFICATION_HEADER.search(envelope.content)
        self.arrivals.put((int(match.group(1)) if match else 0, now))
        return "250 Message accepted"


def sink_serve(port: int, arrivals: multiprocessing.Queue, ready, stop) -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(SinkHandler(arrivals), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    """Starts the SMTP sink process and collects its arrival reports."""

    def __init__(self, port: int):
        context = multiprocessing.get_context("fork")
        self.reports = context.Queue()
        self.stop = context.Event()
        ready = context.Event()
        self.process = context.Process(
            target=sink_serve, args=(port, self.reports, ready, self.stop), daemon=True
        )
        self.process.start()
        if not ready.wait(15):
            raise RuntimeError("the SMTP sink did not start")
        self.lock = threading.Lock()
        self.arrivals: dict[int, float] = {}
        self.duplicates = 0
        self.done = threading.Event()
        self.expected: set[int] = set()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        while True:
            notification_id, at = self.reports.get()
            with self.lock:
                if notification_id in self.arrivals:
                    self.duplicates += 1
                else:
                    self.arrivals[notification_id] = at
                if self.expected and self.expected <= self.arrivals.keys():
                    self.done.set()

    def wait_for(self, ids: set[int], timeout: float) -> bool:
        with self.lock:
            self.expected = set(ids)
            self.done.clear()
            if self.expected <= self.arrivals.keys():
                return True
        return self.done.wait(timeout)

    def close(self) -> None:
        self.stop.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def build_bookings() -> list[Booking]:
    modality = Modality.objects.create(name="Swedish", slug="bench-swedish")
    service = Service.objects.create(
        name="Swedish massage", slug="bench-swedish", modality=modality
    )
    start = timezone.now() + timedelta(days=3)
    return Booking.objects.bulk_create(
        Booking(
            service=service,
            minutes=60,
            price=Decimal("120.00"),
            starts_at=start + timedelta(minutes=90 * n),
            ends_at=start + timedelta(minutes=90 * n + 60),
            client_name=f"Client {n}",
            client_email=f"client{n}@example.com",
            client_phone="+14045550123",
            address_line1=f"{100 + n} Peachtree St NW",
            city="Atlanta",
            zip_code="30303",
            consent_given_at=timezone.now(),
        )
        for n in range(COUNT + WARM_UP)
    )


def confirm(booking: Booking) -> int:
    """What a booking does: write the confirmation in its transaction, publish on commit."""
    with transaction.atomic():
        [row] = notification_enqueue(
            rows=[
                Notification(
                    booking=booking,
                    kind=Notification.Kind.CLIENT_CONFIRMATION,
                    recipient=booking.client_email,
                )
            ]
        )
    return row.pk


def start_worker(db_name: str, smtp_port: int, workdir: str) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database_url(db_name),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "spatheory",
        "worker",
        "--beat",
        f"--schedule={workdir}/celerybeat-schedule",
        "--loglevel=WARNING",
        f"--hostname={QUEUE}@%h",
    ]
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=open(Path(workdir) / "worker.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_worker(worker: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with code {worker.returncode}")
        if app.control.ping(destination=[f"{QUEUE}@{socket.gethostname()}"], timeout=0.5):
            return
    raise TimeoutError("the worker did not start in time")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=5)


def delete_queue() -> None:
    with app.connection_for_write() as conn:
        # Declared again on this channel so kombu knows its bindings and removes them too.
        queue = app.amqp.queues[QUEUE].bind(conn.default_channel)
        queue.declare()
        queue.delete()


def measure(sink: Sink, bookings, deadline: float) -> tuple[bool, dict]:
    """Enqueue a confirmation for each booking and time them to the sink; whether all arrived
    in time, and the figures."""
    enqueued: dict[int, float] = {}
    started = time.monotonic()
    for booking in bookings:
        enqueued[confirm(booking)] = time.monotonic()
    enqueue_seconds = time.monotonic() - started
    complete = sink.wait_for(set(enqueued), timeout=max(1.0, deadline - time.monotonic()))
    if complete:  # the worker marks each row sent just after the sink accepts it
        settle = time.monotonic() + 5
        while time.monotonic() < settle and (
            Notification.objects.filter(pk__in=enqueued, status="sending").exists()
        ):
            time.sleep(0.05)
    with sink.lock:
        arrivals = {pk: sink.arrivals[pk] for pk in enqueued if pk in sink.arrivals}
        duplicates = sink.duplicates
    elapsed = (max(arrivals.values()) if arrivals else time.monotonic()) - started
    statuses = dict(
        Notification.objects.filter(pk__in=enqueued).values_list("status").annotate(n=Count("pk"))
    )
    return complete, {
        "ids": list(enqueued),
        "received": len(arrivals),
        "duplicates": duplicates,
        "sent": statuses.get("sent", 0),
        "enqueue_seconds": enqueue_seconds,
        "elapsed": elapsed,
        "latencies": sorted(arrivals[pk] - enqueued[pk] for pk in arrivals),
        "rate": len(arrivals) / elapsed if elapsed > 0 else 0.0,
    }


def measure_ceiling(sink: Sink, smtp_port: int, ids, deadline: float) -> tuple[bool, dict]:
    """The same messages straight to the same sink over one reused SMTP connection, rendered
    before the clock starts: what the mail server alone allows."""
    rows = Notification.objects.select_related("booking__service").filter(pk__in=ids)
    messages = []
    for n, row in enumerate(rows.order_by("pk")):
        message = notification_message(row)
        message.extra_headers["X-Spa-Theory-Notification"] = str(CEILING_IDS + n)
        messages.append(message)
    expected = {CEILING_IDS + n for n in range(len(messages))}
    backend = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host="127.0.0.1",
        port=smtp_port,
        username="",
        password="",
        use_tls=False,
        use_ssl=False,
        timeout=10,
        fail_silently=False,
    )
    started = time.monotonic()
    with backend:
        backend.send_messages(messages)
    complete = sink.wait_for(expected, timeout=max(1.0, deadline - time.monotonic()))
    with sink.lock:
        arrivals = [sink.arrivals[pk] for pk in expected if pk in sink.arrivals]
    elapsed = (max(arrivals) if arrivals else time.monotonic()) - started
    return complete, {
        "received": len(arrivals),
        "elapsed": elapsed,
        "rate": len(arrivals) / elapsed if elapsed > 0 else 0.0,
    }


def report(result: dict) -> None:
    print(f"{'confirmations enqueued':<34}{COUNT:>10}")
    print(f"{'accepted by the SMTP sink':<34}{result['received']:>10}")
    print(f"{'duplicates at the sink':<34}{result['duplicates']:>10}")
    print(f"{'rows marked sent':<34}{result['sent']:>10}")
    print(f"{'enqueue time (s)':<34}{result['enqueue_seconds']:>10.2f}")
    print(f"{'first enqueue to last accept (s)':<34}{result['elapsed']:>10.2f}")
    latencies = result["latencies"]
    if latencies:
        print(f"{'latency p50 (ms)':<34}{statistics.median(latencies) * 1000:>10.0f}")
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        print(f"{'latency p95 (ms)':<34}{p95 * 1000:>10.0f}")


def main() -> int:
    deadline = time.monotonic() + TIMEOUT
    smtp_port = free_port()
    sink = Sink(smtp_port)  # forked first, before this process opens any connection
    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"] = {
        **connection.settings_dict.get("TEST", {}),
        "NAME": f"{original_name}_bench_notifications",
    }
    workdir = tempfile.mkdtemp(prefix="bench-notifications-")
    db_name = worker = None
    try:
        db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        bookings = build_bookings()
        worker = start_worker(db_name, smtp_port, workdir)
        wait_for_worker(worker, deadline)
        warm = {confirm(booking) for booking in bookings[:WARM_UP]}
        if not sink.wait_for(warm, timeout=max(1.0, deadline - time.monotonic())):
            raise TimeoutError("the warm-up messages never arrived")

        complete, result = measure(sink, bookings[WARM_UP:], deadline)
        report(result)
        if not complete:
            print(f"timed out after {TIMEOUT:.0f} s with {result['received']} of {COUNT} accepted")
        ceiling_complete, ceiling = measure_ceiling(sink, smtp_port, result["ids"], deadline)
        share = 100 * result["rate"] / ceiling["rate"] if ceiling["rate"] else 0.0
        print(f"{'direct SMTP, one connection (s)':<34}{ceiling['elapsed']:>10.2f}")
        print(f"{'ceiling (emails/s)':<34}{ceiling['rate']:>10.1f}")
        print(f"{'outbox, % of the ceiling':<34}{share:>10.1f}")
        print(f"emails_per_second={result['rate']:.1f}")
        return 0 if complete and ceiling_complete and not result["duplicates"] else 1
    finally:
        if worker is not None:
            stop_worker(worker)
        sink.close()
        delete_queue()
        if db_name:
            connection.creation.destroy_test_db(original_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
