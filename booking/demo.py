"""Demo data for this app, loaded by ``manage.py seed_demo`` after the therapists' demo data
(which creates the modalities). A run creates the services that are missing, with their
durations and prices, and leaves existing ones, however staff have changed them, alone."""

from datetime import time
from decimal import Decimal

from therapists.models import Modality

from .models import Service, ServiceDuration
from .wording import SPACE_NEEDED

SERVICES = [
    {
        "slug": "swedish",
        "name": "Swedish massage",
        "modality": "swedish",
        "summary": "Long, flowing strokes that ease tension and leave you deeply relaxed.",
        "description": (
            "Our most booked massage. Your therapist uses long gliding strokes, kneading and "
            "gentle circular pressure to warm the muscles, settle the nervous system and "
            "improve circulation.\n\n"
            "It's a good first massage and a good hundredth one. Tell your therapist how much "
            "pressure you like and which areas need attention; they'll adjust as they go."
        ),
        "what_to_expect": (
            "We'll bring the table, sheets, pillows and unscented oil. Your therapist arrives "
            f"about ten minutes early to set up. {SPACE_NEEDED}\n\n"
            "You undress to your comfort level and stay covered by a sheet the whole time, "
            "with only the area being worked on uncovered."
        ),
        "prices": {60: "125.00", 90: "170.00", 120: "215.00"},
        "order": 10,
    },
    {
        "slug": "deep-tissue",
        "name": "Deep tissue massage",
        "modality": "deep-tissue",
        "summary": "Slow, firm pressure for stubborn knots and chronic tightness.",
        "description": (
            "Deep tissue massage works the deeper layers of muscle and fascia with slow "
            "strokes and sustained pressure. It suits people with long-standing tightness in "
            "the neck, shoulders, back or hips, and those who train hard.\n\n"
            "It should feel intense but never sharp. Your therapist checks in on pressure "
            "throughout; say so at any moment and they'll ease off."
        ),
        "what_to_expect": (
            "Expect some tenderness for a day or two, much like after a workout. Drink water "
            "and move gently afterwards. We'll bring the table, sheets and oils."
        ),
        "prices": {60: "140.00", 90: "190.00", 120: "240.00"},
        "order": 20,
    },
    {
        "slug": "sleep",
        "name": "Sleep massage",
        "modality": "sleep",
        "summary": "A slow, quiet evening massage designed to help you fall asleep.",
        "description": (
            "A sleep massage is slow, rhythmic and quiet, timed for the end of your day. Your "
            "therapist uses light, repetitive strokes, gentle scalp and foot work and dim "
            "light to help your body switch off.\n\n"
            "We offer it only in the evening, with start times from 6 pm to 9 pm, so you can "
            "go straight to bed when it ends."
        ),
        "what_to_expect": (
            "Set up in or next to your bedroom if you can. Your therapist works quietly and "
            "lets themselves out when you're done; there's nothing for you to do afterwards."
        ),
        "prices": {60: "135.00", 90: "180.00"},
        "earliest_start": time(18),
        "latest_start": time(21),
        "order": 30,
    },
    {
        "slug": "orthopedic",
        "name": "Orthopedic massage",
        "modality": "orthopedic",
        "summary": "Targeted work for joint pain, injuries and recovery after surgery.",
        "description": (
            "Orthopedic massage treats the musculoskeletal system: stiff joints, recovery "
            "after surgery, carpal tunnel, tendonitis, plantar fasciitis and similar "
            "problems. Your therapist assesses how you move, then uses set techniques such "
            "as positional release, nerve mobilization and myofascial release.\n\n"
            "It's focused work rather than a full-body relaxation massage, and it pairs well "
            "with physical therapy."
        ),
        "what_to_expect": (
            "Wear or have nearby loose clothing you can move in: your therapist may ask you to "
            "move the joint being treated. Bring any notes from your doctor or physical "
            "therapist if you have them."
        ),
        "prices": {60: "150.00", 90: "205.00"},
        "order": 40,
    },
    {
        "slug": "medical",
        "name": "Medical massage",
        "modality": "medical",
        "summary": "Outcome-based treatment prescribed by your doctor or physiotherapist.",
        "description": (
            "Medical massage is treatment for a specific condition diagnosed by a doctor or "
            "physiotherapist, with a goal you and your therapist work towards over one or "
            "more sessions.\n\n"
            "Because it is prescribed, we ask for your prescriber's name, practice, phone "
            "number and the date of the prescription when you book."
        ),
        "what_to_expect": (
            "Your therapist reads your prescription details before arriving and may contact "
            "your prescriber if something is unclear. Keep any paperwork you received handy."
        ),
        "prices": {60: "160.00", 90: "220.00"},
        "requires_referral": True,
        "order": 50,
    },
    {
        "slug": "prenatal",
        "name": "Prenatal massage",
        "modality": "prenatal",
        "summary": "Gentle, supported massage for the second and third trimesters.",
        "description": (
            "Prenatal massage eases the aches of pregnancy: lower back, hips, legs and feet. "
            "You lie on your side, supported by pillows, and your therapist uses gentle, "
            "safe techniques for each stage of pregnancy.\n\n"
            "Check with your midwife or doctor first if your pregnancy is high risk."
        ),
        "what_to_expect": (
            "We'll bring extra pillows and bolsters for side-lying. Tell us in your health "
            "notes how many weeks along you are."
        ),
        "prices": {60: "135.00", 90: "180.00"},
        "order": 60,
    },
    {
        "slug": "couples-side-by-side",
        "name": "Couples massage, side by side",
        "modality": "swedish",
        "kind": Service.Kind.COUPLES_SIDE_BY_SIDE,
        "summary": "Two therapists, two tables, one relaxing hour together at home.",
        "description": (
            "Two therapists arrive together and you're both massaged at the same time, side "
            "by side. Each of you chooses your own pressure. It's a Swedish massage by "
            "default; tell your therapists if either of you wants deeper work.\n\n"
            "The price is for the two of you; the length is per person."
        ),
        "what_to_expect": (
            "You'll need room for two tables side by side, about 10 by 10 feet. We'll bring "
            "both tables, the sheets and the oils."
        ),
        "prices": {60: "250.00", 90: "340.00"},
        "order": 70,
    },
    {
        "slug": "couples-back-to-back",
        "name": "Couples massage, back to back",
        "modality": "swedish",
        "kind": Service.Kind.COUPLES_BACK_TO_BACK,
        "summary": "One therapist massages you one after the other. Needs space for one table.",
        "description": (
            "One therapist, one table: you're massaged one after the other with a short "
            "changeover in between, so it fits smaller homes. The price is for the two of "
            "you; the length is per person."
        ),
        "what_to_expect": (
            "While one of you is on the table the other can relax nearby. Allow a little "
            "over twice the session length in total."
        ),
        "prices": {60: "230.00", 90: "320.00"},
        "order": 80,
    },
]


def seed() -> None:
    modalities = {modality.slug: modality for modality in Modality.objects.all()}
    for entry in SERVICES:
        entry = dict(entry)
        prices = entry.pop("prices")
        slug = entry.pop("slug")
        entry["modality"] = modalities[entry["modality"]]
        service, created = Service.objects.get_or_create(slug=slug, defaults=entry)
        if created:
            ServiceDuration.objects.bulk_create(
                ServiceDuration(service=service, minutes=minutes, price=Decimal(price))
                for minutes, price in prices.items()
            )
