"""Benchmark: availability for one service and zip, end to end and engine only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spatheory python bench/availability.py
    ... python bench/availability.py --size 400x14      # one size (repeatable)
    ... python bench/availability.py --size all         # the scaling table

Builds its own throwaway database next to the one DATABASE_URL names (``<name>_bench``), fills
it with therapists who each hold four appointments a day (``bench/data.py``), vacuums and
analyzes it, and times ``slot_list_available`` uncached (the selector loading from PostgreSQL
plus the engine), the loading alone (``calendars_load``, as ``slot_list_available`` calls it)
and the engine alone over 20 runs after one warm-up, with the queries of one run and the time
the cyclic garbage collector took during the end-to-end runs. Drops the database at the end.
The last line is the median end-to-end time for 50 therapists over 14 days (when measured).
"""

import argparse
import gc
import os
import statistics
import sys
import time as clock
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

# The repository instead of this folder, where bench/http.py would hide the standard library's.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spatheory.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.data import VISITS, therapists_build, visits_build  # noqa: E402
from booking.availability import open_slots  # noqa: E402
from booking.models import Appointment, Booking, Service, ServiceDuration  # noqa: E402
from booking.selectors import calendars_load, slot_list_available, slot_query_build  # noqa: E402
from therapists.models import Modality, Therapist  # noqa: E402

RUNS = 20
SIZES = [(10, 14), (25, 14), (50, 7), (50, 14), (100, 14), (400, 14)]
SCALING = [(t, d) for t in (25, 50, 100, 200, 400) for d in (7, 14, 28, 60)]
CLIENT_ZIP = "30309"


class CollectorClock:
    """Time spent in the cyclic garbage collector while it is running."""

    def __init__(self):
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._started = clock.perf_counter()
        else:
            self.seconds += clock.perf_counter() - self._started


def build(therapist_count: int, days: int, first_day: date) -> Service:
    """The benchmark's data, in bulk: therapists with hours, and four visits a day each."""
    modality = Modality.objects.create(name="Swedish", slug="swedish")
    service = Service.objects.create(name="Swedish massage", slug="swedish", modality=modality)
    ServiceDuration.objects.create(service=service, minutes=60, price=Decimal("120.00"))
    therapists = therapists_build(therapist_count, [modality])
    visits_build(service=service, therapists=therapists, days=days, first_day=first_day)
    return service


def clear() -> None:
    Appointment.objects.all().delete()
    Booking.objects.all().delete()
    Service.objects.all().delete()
    Therapist.objects.all().delete()
    Modality.objects.all().delete()


def timed_runs(function) -> tuple[float, float, float]:
    """Median and slowest of RUNS runs after a warm-up, in ms, and the collector's ms."""
    function()
    collector = CollectorClock()
    gc.callbacks.append(collector)
    timings = []
    try:
        for _ in range(RUNS):
            started = clock.perf_counter()
            function()
            timings.append((clock.perf_counter() - started) * 1000)
    finally:
        gc.callbacks.remove(collector)
    return statistics.median(timings), max(timings), collector.seconds * 1000


def settle() -> None:
    """Vacuum and analyze what was just written, as autovacuum would soon after: the planner
    gets the tables' statistics, and no autovacuum starts on them while they are measured."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure(therapist_count: int, days: int, first_day: date) -> dict:
    clear()
    build(therapist_count, days, first_day)
    settle()
    last_day = first_day + timedelta(days=days - 1)

    def end_to_end():
        service = Service.objects.get(slug="swedish")
        return slot_list_available(
            service=service, minutes=60, zip_code=CLIENT_ZIP, start_date=first_day, days=days
        )

    service = Service.objects.get(slug="swedish")

    def load():
        return calendars_load(
            service=service,
            zip_code=CLIENT_ZIP,
            first_day=first_day,
            last_day=last_day,
            as_facts=True,
        )

    calendars = load()
    query = slot_query_build(
        service=service, minutes=60, zip_code=CLIENT_ZIP, first_day=first_day, last_day=last_day
    )
    # The log DEBUG keeps holds at most 9,000 queries, and building the data makes more: emptied
    # first, so the count below is this call's whole.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        slots = len(end_to_end().slots)
    # As gunicorn.conf.py does in every worker once the app is loaded.
    gc.freeze()
    total, slowest, collector = timed_runs(end_to_end)
    loading, _, _ = timed_runs(load)
    engine, _, _ = timed_runs(lambda: open_slots(query, calendars))
    return {
        "total": total,
        "slowest": slowest,
        "collector": collector,
        "load": loading,
        "engine": engine,
        "slots": slots,
        "queries": len(queries),
    }


def sizes_asked(values: list[str] | None) -> list[tuple[int, int]]:
    if not values:
        return SIZES
    if values == ["all"]:
        return SCALING
    sizes = []
    for value in values:
        therapists, _, days = value.partition("x")
        sizes.append((int(therapists), int(days)))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        action="append",
        help="THERAPISTSxDAYS, e.g. 400x14 (repeatable), or 'all' for the scaling table",
    )
    sizes = sizes_asked(parser.parse_args().size)
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark measures PostgreSQL.")
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        first_day = timezone.localdate() + timedelta(days=1)
        print(f"database {test_db}, {RUNS} runs after one warm-up, medians (uncached)")
        print(
            f"{'therapists':>10} {'days':>5} {'appts':>6} {'slots':>6} {'queries':>8} "
            f"{'end-to-end ms':>14} {'slowest ms':>11} {'gc ms':>6} {'load ms':>8} "
            f"{'engine ms':>10}"
        )
        results = {}
        for therapist_count, days in sizes:
            result = measure(therapist_count, days, first_day)
            results[(therapist_count, days)] = result["total"]
            appointments = therapist_count * days * len(VISITS)
            print(
                f"{therapist_count:>10} {days:>5} {appointments:>6} {result['slots']:>6} "
                f"{result['queries']:>8} {result['total']:>14.1f} {result['slowest']:>11.1f} "
                f"{result['collector']:>6.1f} {result['load']:>8.1f} {result['engine']:>10.1f}"
            )
        clear()
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
    if (50, 14) in results:
        print(f"median_ms={results[(50, 14)]:.1f}")


if __name__ == "__main__":
    main()
