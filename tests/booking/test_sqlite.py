"""The embedded default: with no services configured the app runs on SQLite and takes bookings."""

import re

from tests.test_foundation import manage

# Runs inside ``manage.py shell``: one booking, then six clients at once for a time when two
# therapists are free.
BOOK = """
import threading
from collections import Counter
from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from booking.models import Appointment, Service, ServiceDuration
from booking.assignment import SlotTaken
from booking.services import booking_create
from therapists.models import Modality, Therapist, WorkingHours

swedish = Modality.objects.create(name="Swedish", slug="swedish")
service = Service.objects.create(name="Swedish massage", slug="swedish-massage", modality=swedish)
ServiceDuration.objects.create(service=service, minutes=60, price="120.00")
today = timezone.localdate()
year_ago, year_on = today - timedelta(days=365), today + timedelta(days=365)
for name in ("Maya", "Tess"):
    therapist = Therapist.objects.create(
        first_name=name, last_name="Brooks", display_name=name, slug=name.lower(),
        email=f"{name.lower()}@example.com", phone="+14045550111", gender="female",
        home_zip="30303", travel_radius_miles=25, status="active", vetted_on=year_ago,
        licence_expires_on=year_on, insurance_expires_on=year_on,
        background_check_valid_until=year_on,
    )
    therapist.modalities.add(swedish)
    WorkingHours.objects.bulk_create(
        WorkingHours(therapist=therapist, weekday=day, starts_at=time(9), ends_at=time(17))
        for day in range(7)
    )
day = today + timedelta(days=2)


def book(hour, email):
    return booking_create(
        service=service, minutes=60,
        starts_at=datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone()),
        client_name="Ada Lovelace", client_email=email, client_phone="404-555-0123",
        address_line1="100 Peachtree St NW", city="Atlanta", zip_code="30303", consent=True,
    )


booking = book(10, "ada@example.com")
assert Appointment.objects.filter(booking=booking, is_active=True).count() == 1
print("booked", booking.reference)

barrier, outcomes = threading.Barrier(6), []


def race(n):
    try:
        barrier.wait()
        book(14, f"client{n}@example.com")
        outcomes.append("booked")
    except SlotTaken:
        outcomes.append("taken")
    except Exception as exc:
        outcomes.append(type(exc).__name__)
    finally:
        connection.close()


threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("race", dict(sorted(Counter(outcomes).items())))
"""


def test_the_embedded_sqlite_default_migrates_and_takes_bookings(tmp_path):
    database = f"sqlite:///{tmp_path / 'spatheory.db'}"

    migrated = manage("migrate", "--no-input", DATABASE_URL=database)
    assert migrated.returncode == 0, migrated.stderr

    booked = manage("shell", "--no-imports", "-c", BOOK, DATABASE_URL=database)
    assert booked.returncode == 0, booked.stderr
    assert re.search(r"^booked [3-9A-Y]{7}$", booked.stdout, re.MULTILINE), booked.stdout
    # Concurrent clients queue for the database instead of failing with "database is locked".
    assert "race {'booked': 2, 'taken': 4}" in booked.stdout.splitlines(), booked.stdout
