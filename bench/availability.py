"""Benchmark: availability for one service and zip, end to end and engine only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spatheory python bench/availability.py

Builds its own throwaway database next to the one DATABASE_URL names (``test_<name>``), fills it
with therapists who each hold four appointments a day, and times ``slot_list_available`` (the
selector loading from PostgreSQL plus the engine) and the engine alone over 20 runs after one
warm-up. Drops the database at the end. The last line is the median end-to-end time for 50
therapists over 14 days.
"""

import os
import statistics
import sys
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spatheory.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from booking.availability import open_slots  # noqa: E402
from booking.models import Appointment, Booking, Service, ServiceDuration  # noqa: E402
from booking.selectors import (  # noqa: E402
    business_timezone,
    calendars_load,
    slot_list_available,
    slot_query_build,
)
from therapists.models import Modality, Therapist, WorkingHours  # noqa: E402

RUNS = 20
SIZES = [(10, 14), (25, 14), (50, 7), (50, 14), (100, 14)]
CLIENT_ZIP = "30309"
HOME_ZIPS = ["30303", "30305", "30306", "30307", "30308", "30309", "30312", "30318", "30324"]
VISIT_ZIPS = ["30303", "30306", "30309", "30318", "30324", "30305"]
# Four one-hour visits a day, with room for travel between them.
VISITS = [time(9), time(11, 30), time(14), time(16, 30)]


def build(therapist_count: int, days: int, first_day: date) -> Service:
    """The benchmark's data, in bulk: therapists with hours, and their appointments. (One long
    straight-line script of bulk inserts: splitting it would only scatter the setup.)"""
    tz = business_timezone()
    modality = Modality.objects.create(name="Swedish", slug="swedish")
    service = Service.objects.create(name="Swedish massage", slug="swedish", modality=modality)
    ServiceDuration.objects.create(service=service, minutes=60, price=Decimal("120.00"))
    far = date(2099, 1, 1)
    therapists = Therapist.objects.bulk_create(
        Therapist(
            first_name=f"T{n}",
            last_name="Bench",
            display_name=f"T{n} B.",
            slug=f"bench-{n}",
            email=f"bench{n}@example.com",
            phone="+14045550100",
            gender="female" if n % 2 else "male",
            home_zip=HOME_ZIPS[n % len(HOME_ZIPS)],
            travel_radius_miles=30,
            status=Therapist.Status.ACTIVE,
            licence_expires_on=far,
            insurance_expires_on=far,
            background_check_valid_until=far,
            vetted_on=date(2020, 1, 1),
        )
        for n in range(therapist_count)
    )
    Therapist.modalities.through.objects.bulk_create(
        Therapist.modalities.through(therapist_id=t.pk, modality_id=modality.pk) for t in therapists
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(therapist=t, weekday=day, starts_at=time(8), ends_at=time(20))
        for t in therapists
        for day in range(7)
    )
    bookings, appointments = [], []
    for n, therapist in enumerate(therapists):
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for v, visit in enumerate(VISITS):
                starts_at = datetime.combine(day, visit, tzinfo=tz)
                zip_code = VISIT_ZIPS[(n + v) % len(VISIT_ZIPS)]
                booking = Booking(
                    service=service,
                    minutes=60,
                    price=Decimal("120.00"),
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    client_name="Bench Client",
                    client_email="client@example.com",
                    client_phone="+14045550123",
                    address_line1="1 Peachtree St",
                    city="Atlanta",
                    zip_code=zip_code,
                    consent_given_at=timezone.now(),
                )
                bookings.append(booking)
                appointments.append((booking, therapist))
    Booking.objects.bulk_create(bookings, batch_size=2000)
    Appointment.objects.bulk_create(
        (Appointment.for_booking(booking, therapist) for booking, therapist in appointments),
        batch_size=2000,
    )
    return service


def clear() -> None:
    Appointment.objects.all().delete()
    Booking.objects.all().delete()
    Service.objects.all().delete()
    Therapist.objects.all().delete()
    Modality.objects.all().delete()


def median_ms(function) -> float:
    function()
    timings = []
    for _ in range(RUNS):
        started = clock.perf_counter()
        function()
        timings.append((clock.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(therapist_count: int, days: int, first_day: date) -> tuple[float, float, int]:
    clear()
    build(therapist_count, days, first_day)

    def end_to_end():
        service = Service.objects.get(slug="swedish")
        return slot_list_available(
            service=service, minutes=60, zip_code=CLIENT_ZIP, start_date=first_day, days=days
        )

    service = Service.objects.get(slug="swedish")
    calendars = calendars_load(
        service=service,
        zip_code=CLIENT_ZIP,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
    )
    query = slot_query_build(
        service=service,
        minutes=60,
        zip_code=CLIENT_ZIP,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
    )
    slots = len(end_to_end().slots)
    return median_ms(end_to_end), median_ms(lambda: open_slots(query, calendars)), slots


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark measures PostgreSQL.")
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        first_day = timezone.localdate() + timedelta(days=1)
        print(f"database {test_db}, {RUNS} runs after one warm-up, medians")
        print(
            f"{'therapists':>10} {'days':>5} {'appts':>6} {'slots':>6} {'end-to-end ms':>14} "
            f"{'engine ms':>10}"
        )
        results = {}
        for therapist_count, days in SIZES:
            total, engine, slots = measure(therapist_count, days, first_day)
            results[(therapist_count, days)] = total
            appointments = therapist_count * days * len(VISITS)
            print(
                f"{therapist_count:>10} {days:>5} {appointments:>6} {slots:>6} "
                f"{total:>14.1f} {engine:>10.1f}"
            )
        clear()
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
    print(f"median_ms={results[(50, 14)]:.1f}")


if __name__ == "__main__":
    main()
