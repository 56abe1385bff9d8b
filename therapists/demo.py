"""Demo data for this app, loaded by ``manage.py seed_demo``.

A dozen therapists across metro Atlanta, all active and vetted except three edge cases staff
should recognise in the admin:

- Aisha G.: insurance expires in a few weeks (still active and bookable until then);
- Noah F.: licence expired ten days ago; left active on purpose, so the list shows the warning
  and the bookability rule keeps him off every slot and off the public directory;
- Tyler B.: an applicant, not vetted yet, background check not done.

Dates are relative to the day a therapist is created, so a fresh demo is meaningful whenever it
is loaded; a later run does not move them. A run creates what is missing and leaves existing
modalities and therapists (their hours and modalities included) alone: a therapist staff have
paused or edited stays that way, and a later run writes no history.
"""

from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone

from .models import Modality, Therapist, WorkingHours

MODALITIES = [
    {
        "slug": "swedish",
        "name": "Swedish",
        "description": (
            "The classic full-body massage: long, flowing strokes with light to medium "
            "pressure that ease everyday tension and help you unwind."
        ),
        "techniques": "Effleurage (long gliding strokes)\nPetrissage (kneading)\n"
        "Friction\nTapotement (rhythmic tapping)\nPassive stretching",
    },
    {
        "slug": "deep-tissue",
        "name": "Deep tissue",
        "description": (
            "Slow, firm pressure that works into the deeper layers of muscle and fascia, "
            "for stubborn knots and chronic tightness in the back, neck and shoulders."
        ),
        "techniques": "Stripping (slow pressure along the muscle)\nCross-fiber friction\n"
        "Trigger point therapy\nMyofascial release",
    },
    {
        "slug": "sleep",
        "name": "Sleep",
        "description": (
            "An unhurried evening massage with slow, rhythmic strokes in a dimmed room, "
            "timed so you can drift straight off to bed. Offered with evening starts only."
        ),
        "techniques": "Slow effleurage\nRocking and rhythmic compression\n"
        "Scalp and face massage\nFoot work",
    },
    {
        "slug": "orthopedic",
        "name": "Orthopedic",
        "description": (
            "Targeted work on the musculoskeletal system for joint pain, rehabilitation after "
            "surgery or injury, carpal tunnel, tendonitis and plantar fasciitis."
        ),
        "techniques": "Positional release\nNerve mobilization\nMyofascial release\n"
        "Muscle energy technique\nRange-of-motion assessment",
    },
    {
        "slug": "medical",
        "name": "Medical",
        "description": (
            "Outcome-based treatment prescribed by a doctor or physiotherapist for a specific "
            "condition, with a plan and progress you can share with them. Booking it asks for "
            "your prescriber's details."
        ),
        "techniques": "Assessment against the prescription\nMyofascial release\n"
        "Trigger point therapy\nLymphatic drainage\nProgress notes for your prescriber",
    },
    {
        "slug": "prenatal",
        "name": "Prenatal",
        "description": (
            "Gentle, supported massage for pregnancy after the first trimester, positioned on "
            "your side with pillows to ease back, hip and leg discomfort."
        ),
        "techniques": "Side-lying positioning\nGentle effleurage\nLower back and hip release\n"
        "Leg and foot work for swelling",
    },
    {
        "slug": "sports",
        "name": "Sports",
        "description": (
            "Massage for active bodies: preparing for a race or game, recovering after one, "
            "and keeping training niggles from becoming injuries."
        ),
        "techniques": "Compression\nAssisted stretching\nCross-fiber friction\n"
        "Trigger point therapy\nPre- and post-event work",
    },
]


def _days(weekdays, start, end):
    return [(day, time(start), time(end)) for day in weekdays]


WEEKDAYS = range(5)
THERAPISTS = [
    {
        "slug": "maya-r",
        "first_name": "Maya",
        "last_name": "Robinson",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30309",
        "travel_radius_miles": 15,
        "years_experience": 9,
        "modalities": ["swedish", "deep-tissue", "prenatal", "sleep"],
        "hours": _days(WEEKDAYS, 12, 22) + _days([5], 10, 18),
        "bio": "Maya trained in Atlanta and has spent nine years helping clients in Midtown "
        "and beyond slow down. Her Swedish and sleep sessions are calm and unhurried; her deep "
        "tissue work is firm but never rushed.",
    },
    {
        "slug": "jordan-e",
        "first_name": "Jordan",
        "last_name": "Ellis",
        "gender": Therapist.Gender.MALE,
        "home_zip": "30303",
        "travel_radius_miles": 20,
        "years_experience": 12,
        "modalities": ["swedish", "deep-tissue", "sports", "orthopedic"],
        "hours": _days(range(6), 8, 16),
        "bio": "A former collegiate runner, Jordan works with athletes and desk workers alike. "
        "He is known for careful assessment before he starts and clear stretches to keep "
        "you loose between sessions.",
    },
    {
        "slug": "priya-n",
        "first_name": "Priya",
        "last_name": "Natarajan",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30306",
        "travel_radius_miles": 15,
        "years_experience": 7,
        "modalities": ["swedish", "prenatal", "sleep", "medical"],
        "hours": _days(range(1, 7), 14, 23),
        "bio": "Priya specialises in prenatal and medical massage and works closely with "
        "clients' physiotherapists. In the evenings she brings a quiet, sleep-ready session "
        "to homes around Virginia-Highland.",
    },
    {
        "slug": "marcus-b",
        "first_name": "Marcus",
        "last_name": "Bell",
        "gender": Therapist.Gender.MALE,
        "home_zip": "30030",
        "travel_radius_miles": 18,
        "years_experience": 15,
        "modalities": ["deep-tissue", "sports", "orthopedic", "medical"],
        "hours": _days(WEEKDAYS, 7, 15) + _days([5], 8, 14),
        "bio": "Marcus has fifteen years of orthopedic and medical massage behind him, much "
        "of it alongside physical therapists in Decatur. Early starts are his speciality.",
    },
    {
        "slug": "elena-v",
        "first_name": "Elena",
        "last_name": "Vasquez",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30342",
        "travel_radius_miles": 15,
        "years_experience": 8,
        "modalities": ["swedish", "sleep", "prenatal"],
        "hours": _days(range(2, 7), 16, 23),
        "bio": "Elena's evening sessions are made for winding down: warm oil, slow strokes "
        "and a dimmed room. Clients in Buckhead and Sandy Springs book her for sleep massage "
        "again and again.",
    },
    {
        "slug": "sam-o",
        "first_name": "Sam",
        "last_name": "Okafor",
        "gender": Therapist.Gender.NONBINARY,
        "home_zip": "30328",
        "travel_radius_miles": 20,
        "years_experience": 10,
        "modalities": ["swedish", "orthopedic", "medical"],
        "hours": _days(WEEKDAYS, 10, 19),
        "bio": "Sam focuses on recovery after injury and surgery, using positional release "
        "and nerve mobilization to restore comfortable movement. Patient, precise and "
        "easy to talk to.",
    },
    {
        "slug": "grace-k",
        "first_name": "Grace",
        "last_name": "Kim",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30060",
        "travel_radius_miles": 25,
        "years_experience": 6,
        "modalities": ["swedish", "deep-tissue", "sleep", "sports"],
        "hours": _days(range(7), 17, 23),
        "bio": "Grace works evenings every day of the week across Cobb County, so she is "
        "often the one who arrives after a long day. Ask her for a sleep massage and lights out "
        "straight after.",
    },
    {
        "slug": "daniel-p",
        "first_name": "Daniel",
        "last_name": "Price",
        "gender": Therapist.Gender.MALE,
        "home_zip": "30080",
        "travel_radius_miles": 15,
        "years_experience": 5,
        "modalities": ["swedish", "deep-tissue", "sports", "orthopedic"],
        "hours": _days([5, 6], 9, 19) + _days(range(4), 17, 22),
        "bio": "Daniel keeps Smyrna's weekend warriors moving, with sports and orthopedic work "
        "before and after race day, and a relaxing Swedish session when you just need one.",
    },
    {
        "slug": "aisha-g",
        "first_name": "Aisha",
        "last_name": "Grant",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30024",
        "travel_radius_miles": 30,
        "years_experience": 11,
        "modalities": ["swedish", "prenatal", "medical"],
        "hours": _days(WEEKDAYS, 9, 17),
        "bio": "Aisha is a certified prenatal massage therapist who covers the north "
        "suburbs. Expecting parents love her side-lying sessions and thoughtful "
        "positioning.",
        "insurance_expires_in": 24,
    },
    {
        "slug": "noah-f",
        "first_name": "Noah",
        "last_name": "Fischer",
        "gender": Therapist.Gender.MALE,
        "home_zip": "30097",
        "travel_radius_miles": 25,
        "years_experience": 13,
        "modalities": ["deep-tissue", "orthopedic", "medical"],
        "hours": _days(WEEKDAYS, 9, 18),
        "bio": "Noah treats chronic back and neck pain with orthopedic and medical massage, "
        "working from prescriptions and referrals across Gwinnett.",
        "licence_expired": True,
    },
    {
        "slug": "lucia-m",
        "first_name": "Lucia",
        "last_name": "Moreno",
        "gender": Therapist.Gender.FEMALE,
        "home_zip": "30144",
        "travel_radius_miles": 25,
        "years_experience": 4,
        "modalities": ["swedish", "sleep", "prenatal"],
        "hours": _days([3, 4, 5, 6], 15, 22),
        "bio": "Lucia brings a gentle, grounding touch to Kennesaw and the northwest suburbs, "
        "Thursday to Sunday, with evening sleep sessions that end in time for bed.",
    },
    {
        "slug": "tyler-b",
        "first_name": "Tyler",
        "last_name": "Brooks",
        "gender": Therapist.Gender.MALE,
        "home_zip": "30319",
        "travel_radius_miles": 10,
        "years_experience": 2,
        "modalities": ["swedish", "sports"],
        "hours": _days(WEEKDAYS, 9, 17),
        "bio": "Tyler is joining our team of sports and Swedish therapists.",
        "applicant": True,
    },
]


def _therapist_values(index: int, spec: dict, today: date) -> dict:
    licence_expires_on = today + timedelta(days=400 + 30 * index)
    if spec.get("licence_expired"):
        licence_expires_on = today - timedelta(days=10)
    applicant = spec.get("applicant", False)
    insurance_days = spec.get("insurance_expires_in", 120 + 17 * index)
    return {
        "first_name": spec["first_name"],
        "last_name": spec["last_name"],
        "display_name": f"{spec['first_name']} {spec['last_name'][0]}.",
        "email": f"{spec['first_name'].lower()}.{spec['last_name'].lower()}@example.com",
        "phone": f"+1404555{index + 110:04d}",
        "gender": spec["gender"],
        "bio": spec["bio"],
        "years_experience": spec["years_experience"],
        "home_zip": spec["home_zip"],
        "travel_radius_miles": spec["travel_radius_miles"],
        "status": Therapist.Status.APPLICANT if applicant else Therapist.Status.ACTIVE,
        "licence_number": f"MT{8200 + index * 37:06d}",
        "licence_issuer": "Georgia Board of Massage Therapy",
        "licence_issued_on": licence_expires_on - timedelta(days=730),
        "licence_expires_on": licence_expires_on,
        "insurance_carrier": "Hartford Mutual" if index % 2 else "Peachtree Professional",
        "insurance_policy_number": f"GL-{240000 + index * 113}",
        "insurance_coverage": Decimal("2000000.00"),
        "insurance_starts_on": today - timedelta(days=200),
        "insurance_expires_on": today + timedelta(days=insurance_days),
        "background_check_provider": "" if applicant else "Sterling",
        "background_check_passed_on": None if applicant else today - timedelta(days=90),
        "background_check_valid_until": None if applicant else today + timedelta(days=275),
        "vetted_on": None if applicant else today - timedelta(days=80),
    }


def seed() -> None:
    modalities = {}
    for order, spec in enumerate(MODALITIES):
        values = {key: value for key, value in spec.items() if key != "slug"}
        modalities[spec["slug"]], _ = Modality.objects.get_or_create(
            slug=spec["slug"], defaults={**values, "order": order}
        )

    today = timezone.localdate()
    for index, spec in enumerate(THERAPISTS):
        therapist, created = Therapist.objects.get_or_create(
            slug=spec["slug"], defaults=_therapist_values(index, spec, today)
        )
        if not created:
            continue
        therapist.modalities.set([modalities[slug] for slug in spec["modalities"]])
        WorkingHours.objects.bulk_create(
            WorkingHours(therapist=therapist, weekday=day, starts_at=start, ends_at=end)
            for day, start, end in spec["hours"]
        )
