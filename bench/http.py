"""Benchmark: the site over HTTP with production settings, against a bare-Django ceiling.

    make bench-http        # or: .venv/bin/python bench/http.py [--duration 8] [--bookings 400]

Builds its own PostgreSQL database (``spatheory_bench_http_<pid>``, or the name in
BENCH_HTTP_DATABASE, on the server DATABASE_URL names, ``postgres@127.0.0.1:5432`` by default)
with the demo data (``seed_demo``) plus a realistic load (50 therapists, four bookings a day
each for 14 days), collects the static files, then serves the app with gunicorn
(``gunicorn.conf.py``, 2 sync workers, DEBUG off, the Redis cache at CACHE_URL, tasks published
to a queue of the run's own on CELERY_BROKER_URL) and the bare-Django ceiling
(``bench/ceiling.py``, same flags) on free loopback ports.

Each page is loaded from a second process: ``wrk -t2 -c16`` when wrk is installed, otherwise a
Python load generator with the same 16 connections. It prints req/s, p50/p95/p99 and the share
of the ceiling measured in the same run, then books distinct free slots through the API with 16
concurrent clients twice: as fast as they can, then with the bookings due at ``--booking-rate``
a second (60 by default), each timed from when it was due (bookings/s, p50, p95, errors). It
checks in SQL that no therapist has two overlapping appointments or a gap shorter than the
travel rule, reports the workers' memory, stops the servers, deletes the queue and drops the
database.
"""

import sys
from pathlib import Path

# The repository instead of this folder, where this file would hide the standard library's http.
BASE_DIR = Path(__file__).resolve().parent.parent
sys.path[0] = str(BASE_DIR)

import argparse  # noqa: E402
import http.client  # noqa: E402
import http.cookiejar  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

CONNECTIONS = 16
THERAPISTS = 50
DAYS = 14
CLIENT_ZIP = "30309"
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
# A given name must not exist yet: the run creates the database and drops it at the end.
DB_NAME = os.environ.get("BENCH_HTTP_DATABASE") or f"spatheory_bench_http_{RUN_ID}"
QUEUE = f"bench-http-{RUN_ID}"
# What every browser sends with a page request: the pages are loaded as browsers ask for them,
# and the public pages a second time without it, as wrk asks by default.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("DATABASE_URL must be a PostgreSQL URL: the benchmark measures PostgreSQL.")
    return url


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(_server_url())._replace(path=f"/{name}"))


# The app's production settings, for this process (which builds the data) and the servers.
APP_ENV = {
    "DATABASE_URL": database_url(DB_NAME),
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": f"bench-{uuid.uuid4().hex}",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SITE_URL": "http://127.0.0.1:8000",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "CACHE_URL": os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/1",
    "CACHE_KEY_PREFIX": f"bench-http-{RUN_ID}",
    "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0",
    "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
    "CELERY_TASK_ALWAYS_EAGER": "0",
    # The benchmark's clients all book from one address.
    "BOOKING_RATE_LIMIT": "0",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(APP_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "spatheory.settings"


def free_port(candidates: range | None = None, taken: set[int] = frozenset()) -> int:
    """A loopback port nobody listens on: from ``candidates`` (``--ports``) or any the system
    offers."""
    for port in candidates or [0]:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {candidates}")


def port_range(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


# The load generators -----------------------------------------------------------------------


def python_load(url: str, headers: dict, duration: float, connections: int) -> dict:
    """What wrk measures, from threads in this process: requests per second and latencies
    (gunicorn's sync workers close every connection, so each request connects afresh)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.monotonic() + duration

    def client(n: int) -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status >= 400:
                    errors[n] += 1
            except OSError:
                errors[n] += 1
            latencies[n].append(time.perf_counter() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    flat = sorted(latency for per_client in latencies for latency in per_client)
    return {
        "rps": len(flat) / elapsed,
        "p50": percentile(flat, 0.50) * 1000,
        "p95": percentile(flat, 0.95) * 1000,
        "p99": percentile(flat, 0.99) * 1000,
        "errors": sum(errors),
    }


def load(url: str, *, headers: dict, duration: float, workdir: str) -> dict:
    """Load ``url`` from a second process: wrk when installed, else this script's own."""
    wrk = shutil.which("wrk")
    if wrk:
        script = Path(workdir) / "report.lua"
        script.write_text(WRK_REPORT)
        command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{duration:.0f}s", "-s", str(script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        requests, micros, p50, p95, p99, errors = (int(value) for value in line.split()[1:])
        return {
            "rps": requests / (micros / 1e6),
            "p50": p50 / 1000,
            "p95": p95 / 1000,
            "p99": p99 / 1000,
            "errors": errors,
        }
    command = [
        sys.executable,
        __file__,
        "--generate",
        json.dumps({"url": url, "headers": headers, "duration": duration}),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.splitlines()[-1])


def booking_clients(base: str, starts: list[str], connections: int, rate: float = 0) -> dict:
    """``connections`` clients booking the given starts through the API, one each in turn.

    Without ``rate`` each client books again as soon as its last booking returns: the most the
    server can take, and each booking waits behind the other clients' (with N clients, the
    mean time of a booking is N divided by the rate). With ``rate`` the bookings are due at
    that many a second between them, the k-th at k / rate seconds from the start, taken in
    turn by whichever client is free, and a booking's time counts from when it was due: a
    server that falls behind shows as longer times, not as a lower rate asked for."""
    pending = list(reversed(list(enumerate(starts))))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    parts = urlsplit(base)
    began = time.perf_counter()

    def client(n: int) -> None:
        while True:
            with lock:
                if not pending:
                    return
                index, start = pending.pop()
            due = began + index / rate if rate else None
            if due is not None and (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            body = json.dumps(
                {
                    "service": "swedish",
                    "minutes": 60,
                    "start": start,
                    "client": {
                        "name": f"Load Client {n}",
                        "email": f"load{n}@example.com",
                        "phone": "+14045550123",
                    },
                    "address": {"line1": "1 Peachtree St", "city": "Atlanta", "zip": CLIENT_ZIP},
                    "consent": True,
                }
            )
            started = due if due is not None else time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                conn.request(
                    "POST", "/api/bookings", body, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError:
                status = 0
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "created": statuses.get(201, 0),
        # 409: the time was taken (or a lock not granted in time) between listing and booking.
        "lost": statuses.get(409, 0),
        "errors": sum(count for status, count in statuses.items() if status not in (201, 409)),
        "statuses": statuses,
    }


# The database and the servers --------------------------------------------------------------


def database_create() -> None:
    import psycopg2

    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
    admin.close()


def database_drop() -> None:
    import psycopg2

    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin.close()


def data_build() -> dict:
    """Migrate, seed the demo and add the load; what the pages need to be addressed."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.data import therapists_build, visits_build
    from blog.models import Article
    from booking.models import Service
    from therapists.models import Modality

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    service = Service.objects.get(slug="swedish")
    therapists = therapists_build(THERAPISTS, list(Modality.objects.all()))
    first_day = timezone.localdate() + timedelta(days=1)
    bookings = visits_build(service=service, therapists=therapists, days=DAYS, first_day=first_day)
    # As autovacuum would soon after: the planner gets the tables' statistics, and no
    # autovacuum starts on them while the pages are loaded.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    article = Article.objects.published().order_by("-published_at").first()
    return {
        "bookings": bookings,
        "first_day": first_day,
        "article": article.get_absolute_url(),
        "profile": f"/therapists/{therapists[0].slug}/",
    }


def gunicorn_start(app: str, port: int, workdir: str, name: str) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    log = open(Path(workdir) / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
    )


def wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in time")


def gunicorn_stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def workers_memory_mb(server: subprocess.Popen) -> list[tuple[float, float]]:
    """Each gunicorn worker's (the master's children) resident memory and its proportional
    share, in MB: RSS counts every page the worker maps, those it shares with the master and
    the other workers included; PSS divides each shared page among the processes sharing it."""
    output = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True
    ).stdout
    figures = []
    for pid in output.split():
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        kilobytes = dict(re.findall(r"^(Rss|Pss):\s+(\d+) kB", rollup, re.MULTILINE))
        figures.append((int(kilobytes["Rss"]) / 1024, int(kilobytes["Pss"]) / 1024))
    return figures


def memory_report(figures: list[tuple[float, float]]) -> str:
    rss = ", ".join(f"{rss:.0f}" for rss, _ in figures)
    pss = ", ".join(f"{pss:.0f}" for _, pss in figures)
    return f"RSS {rss} MB, PSS {pss} MB"


def draft_cookie(base: str) -> str:
    """A session holding a booking draft at step 2 (Swedish, 60 minutes, CLIENT_ZIP), as the
    Cookie header a browser would send to /book/time/."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/book/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "service": "swedish",
            "minutes": "60",
            "zip_code": CLIENT_ZIP,
            "gender_preference": "any",
        }
    ).encode()
    response = opener.open(urllib.request.Request(f"{base}/book/", data=form))
    if not response.geturl().endswith("/book/time/"):
        raise RuntimeError("step 1 of the booking flow did not lead to /book/time/")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def free_starts(base: str, first_day, count: int) -> list[str]:
    """``count`` open start times from ``first_day`` on, each free whatever the others book:
    on one day they lie at least a session plus the travel rule apart (all at CLIENT_ZIP), so
    a booking can only block another time of the run by a lost race, never by the choice of
    times. Interleaved across days so concurrent clients book different days and therapists."""
    from django.conf import settings

    from booking.availability import required_gap

    spacing = timedelta(
        minutes=60
        + required_gap(CLIENT_ZIP, CLIENT_ZIP, buffer_minutes=settings.BOOKING_MIN_BUFFER_MINUTES)
    )
    by_day: list[list[str]] = []
    day = first_day
    last_day = first_day + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    while sum(len(starts) for starts in by_day) < count:
        if day > last_day:
            raise RuntimeError("not enough open start times for the booking run")
        query = urllib.parse.urlencode(
            {"service": "swedish", "minutes": 60, "zip": CLIENT_ZIP, "date": day, "days": 1}
        )
        with urllib.request.urlopen(f"{base}/api/availability?{query}") as response:
            slots = json.load(response)["slots"]
        chosen, last = [], None
        for slot in slots:
            start = datetime.fromisoformat(slot["start"])
            if last is None or start - last >= spacing:
                chosen.append(slot["start"])
                last = start
        by_day.append(chosen)
        day += timedelta(days=1)
    interleaved = [
        starts[n] for n in range(max(map(len, by_day))) for starts in by_day if n < len(starts)
    ]
    return interleaved[:count]


def schedule_problems() -> tuple[int, int]:
    """Overlapping active appointments of one therapist, and back-to-back pairs closer than
    the travel rule (``required_gap`` between their zips), counted over every row."""
    from django.conf import settings
    from django.db import connection

    from booking.availability import required_gap

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM booking_appointment a
            JOIN booking_appointment b ON a.therapist_id = b.therapist_id AND a.id < b.id
            WHERE a.is_active AND b.is_active
              AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
            """
        )
        [overlaps] = cursor.fetchone()
        cursor.execute(
            """
            SELECT zip_before, zip_code, EXTRACT(EPOCH FROM starts_at - ended_before) / 60
            FROM (
              SELECT zip_code, starts_at,
                lag(ends_at) OVER (PARTITION BY therapist_id ORDER BY starts_at) AS ended_before,
                lag(zip_code) OVER (PARTITION BY therapist_id ORDER BY starts_at) AS zip_before
              FROM booking_appointment WHERE is_active
            ) AS consecutive
            WHERE ended_before IS NOT NULL
              AND ended_before::date >= starts_at::date - 1
            """
        )
        short = sum(
            1
            for zip_before, zip_code, gap in cursor.fetchall()
            if gap
            < required_gap(zip_before, zip_code, buffer_minutes=settings.BOOKING_MIN_BUFFER_MINUTES)
        )
    return overlaps, short


def queue_delete() -> None:
    from spatheory.celery import app

    with app.connection_for_write() as conn:
        queue = app.amqp.queues[QUEUE].bind(conn.default_channel)
        queue.declare()
        queue.delete()


# The run -----------------------------------------------------------------------------------


def page_rows(data: dict, draft: str) -> list[tuple[str, str, dict]]:
    """Each page to load: its label, its address and the headers sent with it."""
    first_day = data["first_day"]
    availability = urllib.parse.urlencode(
        {"service": "swedish", "minutes": 60, "zip": CLIENT_ZIP, "date": first_day, "days": 14}
    )
    public = [
        ("/", "/"),
        ("/services/", "/services/"),
        ("a service page", "/services/swedish/"),
        ("/blog/", "/blog/"),
        ("an article", data["article"]),
        ("/therapists/", "/therapists/"),
        ("a profile", data["profile"]),
    ]
    return [
        *((label, path, BROWSER_HEADERS) for label, path in public),
        ("/api/availability (14 days)", f"/api/availability?{availability}", BROWSER_HEADERS),
        ("/book/time/", "/book/time/", {**BROWSER_HEADERS, "Cookie": draft}),
        (
            "/book/time/ partial (htmx)",
            f"/book/time/?day={first_day + timedelta(days=1)}",
            {**BROWSER_HEADERS, "Cookie": draft, "HX-Request": "true"},
        ),
        *((f"{label}, no gzip asked", path, {}) for label, path in public),
    ]


def report_pages(results: list[tuple[str, dict]], ceilings: list[dict]) -> None:
    """Each page's figures, as a share of the higher of the two ceiling runs (before and after
    the pages): the machine's state drifts, and the higher one is the harder reference."""
    ceiling = max(ceilings, key=lambda result: result["rps"])
    print(
        f"{'page':<36}{'req/s':>9}{'% ceiling':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}"
    )
    labelled = [
        *((f"bare Django (ceiling, run {n})", result) for n, result in enumerate(ceilings, 1)),
        *results,
    ]
    for label, result in labelled:
        share = 100 * result["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
        print(
            f"{label:<36}{result['rps']:>9.0f}{share:>11.1f}{result['p50']:>9.1f}"
            f"{result['p95']:>9.1f}{result['p99']:>9.1f}{result['errors']:>8}"
        )


def run(arguments, workdir: str) -> int:
    database_create()
    servers: list[subprocess.Popen] = []
    try:
        data = data_build()
        print(
            f"database {DB_NAME}: demo data, {THERAPISTS} more therapists, "
            f"{data['bookings']} bookings over {DAYS} days; "
            f"load from {'wrk' if shutil.which('wrk') else 'Python'}, {CONNECTIONS} connections, "
            f"{arguments.duration:.0f} s a page"
        )
        app_port = free_port(arguments.ports)
        ceiling_port = free_port(arguments.ports, taken={app_port})
        app = gunicorn_start("spatheory.wsgi", app_port, workdir, "app")
        ceiling_server = gunicorn_start("bench.ceiling:application", ceiling_port, workdir, "bare")
        servers += [app, ceiling_server]
        base, ceiling_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{ceiling_port}"
        wait_until_serving(f"{base}/healthz", app)
        wait_until_serving(f"{ceiling_base}/", ceiling_server)
        draft = draft_cookie(base)

        ceilings = [
            load(
                f"{ceiling_base}/",
                headers=BROWSER_HEADERS,
                duration=arguments.duration,
                workdir=workdir,
            )
        ]
        print(f"app workers' memory at start: {memory_report(workers_memory_mb(app))}")
        results = []
        rows = [] if arguments.bookings_only else page_rows(data, draft)
        for label, path, headers in rows:
            request = urllib.request.Request(f"{base}{path}", headers=headers)
            with urllib.request.urlopen(request) as response:
                response.read()
            results.append(
                (
                    label,
                    load(
                        base + path, headers=headers, duration=arguments.duration, workdir=workdir
                    ),
                )
            )
        if rows:
            ceilings.append(
                load(
                    f"{ceiling_base}/",
                    headers=BROWSER_HEADERS,
                    duration=arguments.duration,
                    workdir=workdir,
                )
            )
        gunicorn_stop(ceiling_server)
        report_pages(results, ceilings)
        ceiling = max(ceilings, key=lambda result: result["rps"])

        # From the first loaded day: the run's bookings land between the loaded visits, so the
        # travel rule is checked against other addresses, not only the run's own.
        # Two runs: as fast as the clients can book, then at the rate asked for
        # (``--booking-rate``), each on slots free when it starts.
        runs = []
        for pace, rate in (
            ("as fast as they can", 0),
            (f"{arguments.booking_rate:g} a second between them", arguments.booking_rate),
        ):
            starts = free_starts(base, data["first_day"], arguments.bookings)
            runs.append((pace, booking_clients(base, starts, CONNECTIONS, rate=rate)))
        overlaps, short_gaps = schedule_problems()
        for pace, booked in runs:
            share = 100 * booked["rate"] / ceiling["rps"] if ceiling["rps"] else 0.0
            print(
                f"booking API, {CONNECTIONS} clients, {arguments.bookings} distinct free slots, "
                f"{pace}: {booked['rate']:.1f} bookings/s ({share:.2f}% of the ceiling), "
                f"p50 {booked['p50']:.0f} ms, p95 {booked['p95']:.0f} ms, "
                f"p99 {booked['p99']:.0f} ms, {booked['created']} created, "
                f"{booked['lost']} lost races (409), {booked['errors']} errors {booked['statuses']}"
            )
        print(
            f"checked in SQL: {overlaps} overlapping appointments, "
            f"{short_gaps} gaps shorter than the travel rule"
        )
        print(f"app workers' memory after the run: {memory_report(workers_memory_mb(app))}")
        ok = all(booked["errors"] == 0 for _, booked in runs) and overlaps == short_gaps == 0
        return 0 if ok else 1
    finally:
        for server in servers:
            gunicorn_stop(server)
        from django.db import connections

        connections.close_all()
        database_drop()
        queue_delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load a page")
    parser.add_argument("--bookings", type=int, default=400, help="bookings made in each run")
    parser.add_argument(
        "--booking-rate",
        type=float,
        default=60.0,
        help="bookings a second asked for in the second booking run",
    )
    parser.add_argument(
        "--bookings-only", action="store_true", help="the ceiling and the booking run, no pages"
    )
    parser.add_argument(
        "--ports",
        type=port_range,
        help="loopback ports to serve on, e.g. 8500-8599 (default: any free ones)",
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.generate:  # the Python load generator's own process
        job = json.loads(arguments.generate)
        print(json.dumps(python_load(job["url"], job["headers"], job["duration"], CONNECTIONS)))
        return 0
    workdir = tempfile.mkdtemp(prefix="bench-http-")
    try:
        return run(arguments, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
