"""The benchmarks' load, in bulk: therapists with hours, each holding four visits a day.

Shared by ``bench/availability.py`` and ``bench/http.py``. Every booking gets a reference drawn
here and checked against the others and the database's, so a large build never trips
``booking_booking_reference_key`` the way independent random defaults eventually do."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from booking.models import Appointment, Booking, Service, new_reference
from booking.selectors import business_timezone
from therapists.models import Modality, Therapist, WorkingHours

HOME_ZIPS = ["30303", "30305", "30306", "30307", "30308", "30309", "30312", "30318", "30324"]
VISIT_ZIPS = ["30303", "30306", "30309", "30318", "30324", "30305"]
# Four one-hour visits a day, with room for travel between them.
VISITS = [time(9), time(11, 30), time(14), time(16, 30)]
FAR_FUTURE = date(2099, 1, 1)


def references_unique(count: int) -> list[str]:
    """``count`` booking references, distinct from each other and from every stored one."""
    taken = set(Booking.objects.values_list("reference", flat=True))
    fresh: list[str] = []
    while len(fresh) < count:
        reference = new_reference()
        if reference not in taken:
            taken.add(reference)
            fresh.append(reference)
    return fresh


def therapists_build(count: int, modalities: list[Modality]) -> list[Therapist]:
    """``count`` active, vetted therapists across intown Atlanta, working 8 am to 8 pm daily."""
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
            licence_expires_on=FAR_FUTURE,
            insurance_expires_on=FAR_FUTURE,
            background_check_valid_until=FAR_FUTURE,
            vetted_on=date(2020, 1, 1),
        )
        for n in range(count)
    )
    Therapist.modalities.through.objects.bulk_create(
        Therapist.modalities.through(therapist_id=t.pk, modality_id=modality.pk)
        for t in therapists
        for modality in modalities
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(therapist=t, weekday=day, starts_at=time(8), ends_at=time(20))
        for t in therapists
        for day in range(7)
    )
    return therapists


def visits_build(
    *, service: Service, therapists: list[Therapist], days: int, first_day: date
) -> int:
    """Four one-hour bookings a day for each therapist over ``days`` days; how many."""
    tz = business_timezone()
    slots = [
        (n, therapist, first_day + timedelta(days=offset), v, visit)
        for n, therapist in enumerate(therapists)
        for offset in range(days)
        for v, visit in enumerate(VISITS)
    ]
    references = iter(references_unique(len(slots)))
    bookings, appointments = [], []
    for n, therapist, day, v, visit in slots:
        starts_at = datetime.combine(day, visit, tzinfo=tz)
        booking = Booking(
            service=service,
            minutes=60,
            price=Decimal("120.00"),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            reference=next(references),
            client_name="Bench Client",
            client_email="client@example.com",
            client_phone="+14045550123",
            address_line1="1 Peachtree St",
            city="Atlanta",
            zip_code=VISIT_ZIPS[(n + v) % len(VISIT_ZIPS)],
            consent_given_at=timezone.now(),
        )
        bookings.append(booking)
        appointments.append((booking, therapist))
    Booking.objects.bulk_create(bookings, batch_size=2000)
    Appointment.objects.bulk_create(
        (Appointment.for_booking(booking, therapist) for booking, therapist in appointments),
        batch_size=2000,
    )
    return len(bookings)
