"""Demo data for this app, loaded by ``manage.py seed_demo`` after the booking demo data.
Idempotent: a second run changes nothing, not even ``updated_at``."""

from datetime import UTC, datetime
from textwrap import dedent

from django.contrib.auth import get_user_model

from booking.models import Service
from spatheory.demo import upsert_by_slug

from .models import Article, Category

AUTHOR = {
    "username": "journal",
    "first_name": "Dana",
    "last_name": "Whitfield",
    "email": "journal@spatheory.com",
}

CATEGORIES = [
    {
        "slug": "massage-know-how",
        "name": "Massage know-how",
        "description": "What each kind of massage is, who it suits, and how to choose.",
        "order": 10,
    },
    {
        "slug": "at-home-massage",
        "name": "At-home massage",
        "description": "Getting ready for your therapist, and what happens when they arrive.",
        "order": 20,
    },
    {
        "slug": "recovery-and-health",
        "name": "Recovery and health",
        "description": "Massage around injuries, soreness and surgery: what helps and when.",
        "order": 30,
    },
]

ARTICLES = [
    {
        "slug": "orthopedic-vs-medical-massage",
        "title": "Orthopedic vs. medical massage: what's the difference?",
        "summary": (
            "They sound alike and both help with pain, but one treats your joints and muscles "
            "with set techniques and the other follows a doctor's prescription."
        ),
        "category": "massage-know-how",
        "services": ["orthopedic", "medical"],
        "published_at": datetime(2025, 9, 2, 14, 0, tzinfo=UTC),
        "body": """
            If you're living with pain, you've probably seen both names and wondered which one
            you need. They overlap, and a good therapist may use similar hands-on work in both,
            but they start from different places. Here's how to tell them apart.

            ## Orthopedic massage treats your musculoskeletal system

            Orthopedic massage focuses on your joints, muscles, tendons and the connective
            tissue around them. It's the massage people book for a stiff shoulder, a knee that
            is slow to recover after surgery, carpal tunnel symptoms in the wrist, tendonitis,
            or the heel pain of plantar fasciitis.

            Your therapist starts by asking what hurts, when, and which movements make it
            worse. They may check your range of motion before they begin. Then they work with
            a set of specific techniques:

            - **Positional release**: your therapist gently moves the painful area into a
              comfortable position and holds it, so a guarded muscle can let go.
            - **Nerve mobilization**: slow, careful movements that help a nerve glide freely
              through the tissue around it, useful when pain or tingling travels.
            - **Myofascial release**: sustained, gentle pressure that eases tight fascia, the
              connective tissue wrapped around your muscles.

            You don't need a referral to book it. It suits you if you know roughly where the
            problem is and want focused work on it.

            ## Medical massage starts with a prescription

            Medical massage is outcome based. A doctor or physiotherapist assesses you, decides
            what the massage should achieve (less swelling after an operation, better movement
            in a shoulder, relief from a specific pain) and prescribes it. Your therapist then
            works towards that goal and keeps to what was prescribed.

            Because it must be prescribed, we ask for your prescriber's name, practice and
            phone number when you book. Have them handy, along with the date of the
            prescription.

            ## Which one should you book?

            - Choose **orthopedic massage** if you have joint or muscle pain, are recovering
              from an injury, or your physiotherapist has suggested massage alongside your
              exercises.
            - Choose **medical massage** if your doctor or physiotherapist has prescribed
              massage for a condition, or you'd like your massage to be part of a treatment
              plan they are running.

            Not sure? Call us and describe what's going on. We'll help you pick, and we'll
            always tell you if something sounds like it needs a doctor first.

            ## Book the one that fits

            Both come to you: your therapist brings the table, sheets and oils, so you can rest
            at home straight afterwards instead of driving across Atlanta with a sore joint.
            Pick a time below and we'll match you with a licensed, insured therapist trained in
            the work you need.
        """,
    },
    {
        "slug": "massage-for-strained-muscles",
        "title": "Can massage help a strained muscle?",
        "summary": (
            "Yes, with the right timing. Here's when to wait, when massage starts to help, and "
            "the signs that mean you should see a doctor instead."
        ),
        "category": "recovery-and-health",
        "services": ["deep-tissue", "orthopedic", "swedish"],
        "published_at": datetime(2025, 9, 16, 14, 0, tzinfo=UTC),
        "body": """
            You lifted something awkwardly, sprinted for a ball, or slept on your neck the
            wrong way, and now a muscle hurts every time you move. Massage can help a strained
            muscle recover, but timing matters more than pressure.

            ## What a strain is

            A strain is an injury to a muscle or to the tendon that attaches it to bone. The
            fibres are overstretched or partly torn. Mild strains feel tight and sore; worse
            ones bring swelling, bruising and weakness. Your body responds with inflammation,
            which is the start of healing, and the muscles around the injury tighten to protect
            it.

            ## The first two or three days: let it settle

            In the first 48 to 72 hours the injured area is inflamed and fragile. This is not
            the time for a massage on the sore spot itself. Rest it, avoid whatever movement
            caused it, and use a cold pack wrapped in a cloth for short spells if it helps the
            pain.

            You can still book a massage for the rest of your body if you're tense from
            guarding the injury. Tell your therapist where the strain is and they'll work
            around it.

            ## After that: where massage helps

            Once the early swelling has eased, massage can:

            - calm the muscles that have tightened around the injury to protect it;
            - bring blood flow to the area, which feels good and loosens stiffness;
            - help you move more comfortably, so you return to gentle activity sooner.

            Your therapist will start lightly near the strain and work closer as it tolerates
            the pressure. Deep, forceful work directly on a healing tear is never the goal. It
            should feel relieving, not sharp. If anything hurts in a way that makes you hold
            your breath, say so: your therapist will adjust straight away.

            ## When to see a doctor first

            Skip the massage and get checked if:

            - you felt or heard a pop when it happened;
            - you can't put weight on the limb or use the muscle at all;
            - there's a lot of swelling or bruising, or it keeps getting worse;
            - the pain hasn't started to ease after a week.

            These can point to a more serious tear that needs a proper assessment.

            ## Choosing your massage

            For everyday strains past the first few days, a **deep tissue** or **Swedish**
            massage, with your therapist told exactly where the injury is, works well. If the
            strain is near a joint or keeps coming back, **orthopedic massage** focuses on the
            muscle, tendon and joint together.

            Book a time that suits you and your therapist will come to you, so you don't have
            to drive with a sore back or leg. Mention the strain in your notes when you book.
        """,
    },
    {
        "slug": "bruising-after-deep-tissue-massage",
        "title": "Bruising after a deep tissue massage: is it normal?",
        "summary": (
            "Some soreness the next day is common. Bruising is not the goal. Here's why it can "
            "happen, how to look after it, and when to call a doctor."
        ),
        "category": "recovery-and-health",
        "services": ["deep-tissue", "swedish"],
        "published_at": datetime(2025, 10, 1, 14, 0, tzinfo=UTC),
        "body": """
            You had a deep tissue massage, it felt great, and the next morning you notice a
            bruise. Should you worry? Usually not, but it's worth understanding what happened,
            and it's something to tell your therapist before your next session.

            ## Soreness is common, bruising is not the goal

            Deep tissue massage uses slow, firm pressure on the deeper layers of muscle. Feeling
            a little tender for a day or two afterwards, much like after a workout, is normal.

            A bruise is different. It means small blood vessels under the skin have broken.
            Good deep tissue work shouldn't leave you bruised, and "no pain, no gain" is not how
            we work. Firm pressure should feel intense but never sharp.

            ## Why it can still happen

            Some people bruise far more easily than others. You may be more likely to bruise
            if you:

            - take blood-thinning medicine, or aspirin regularly;
            - take supplements that can affect clotting, such as fish oil or ginkgo;
            - bruise easily in everyday life, or have thin skin;
            - have a condition that affects your blood or clotting.

            None of these stop you having a massage, but your therapist needs to know. Add them
            to your health notes when you book. Only your therapist sees those notes, and they
            use them to choose the right pressure.

            ## Looking after a bruise

            A small bruise usually fades on its own within a week or two, changing colour as it
            heals. To help it along:

            - for the first day, hold a cold pack wrapped in a cloth on it for short spells;
            - after that, gentle warmth can feel soothing;
            - drink water, move gently, and leave the area alone: don't press on it to check.

            ## When to call a doctor

            See a doctor if a bruise is large, very painful or swollen, if you bruised in places
            that weren't massaged, or if a bruise hasn't started to fade after two weeks. Bruising
            easily and without reason can be a sign of something that deserves a check.

            ## Next time

            Tell your therapist about the bruise before you start. They'll ease the pressure,
            spend longer warming the tissue, and check in more often. Speak up at any point: you
            set the pressure, not them.

            If you'd like the benefits of deep work with less intensity, a **Swedish** massage
            with firm pressure on the areas that need it is a good middle ground. Book whichever
            suits you and we'll bring everything to your door.
        """,
    },
    {
        "slug": "what-is-a-sleep-massage",
        "title": "What is a sleep massage?",
        "summary": (
            "A slow, quiet evening massage designed to end with you in bed. Here's what happens, "
            "why we only offer it in the evening, and how to get the most from it."
        ),
        "category": "massage-know-how",
        "services": ["sleep"],
        "published_at": datetime(2025, 10, 15, 14, 0, tzinfo=UTC),
        "body": """
            Most massages end with you getting dressed, finding your keys and driving home. A
            sleep massage ends with you going to bed. It's one of the things an at-home
            massage can do that a spa can't.

            ## How it differs from a regular massage

            A sleep massage is slow, rhythmic and quiet. Your therapist uses light, repetitive
            strokes rather than deep pressure, with gentle work on your scalp, hands and feet,
            the places where your body lets go most easily. There's little or no conversation,
            the lights stay low, and the pace gets slower as the session goes on.

            The aim isn't to work out knots. It's to help your nervous system settle so that
            sleep comes easily afterwards.

            ## Why we only offer it in the evening

            A sleep massage only makes sense when you can go to bed at the end of it. That's why
            you can book it only with start times in the evening, from 6 pm to 9 pm. A morning
            sleep massage would leave you drowsy for the day ahead, which is the opposite of what
            you want.

            ## Getting ready

            - **Set up near your bed.** If there's room, your therapist can set up the table in
              your bedroom or next door, so you only have a few steps to take afterwards.
            - **Take a warm shower first.** It starts the winding down and means you can go
              straight to sleep.
            - **Eat lightly and skip the caffeine.** A big meal or an evening coffee will work
              against you.
            - **Put your phone away.** Switch it to silent and leave it in another room.
            - **Have the room ready for bed.** Lower the blinds, set the temperature, and turn
              down your bed before your therapist arrives.

            ## When it ends

            Your therapist finishes quietly, lets you get up in your own time, packs the table
            and lets themselves out. There's nothing for you to do: no paying at a desk, no
            drive home. Many people are asleep within minutes.

            ## Who it's for

            A sleep massage suits you if your mind races at bedtime, you've had a stressful week,
            or you simply want the most relaxing hour you can find. It's not a treatment for a
            sleep disorder: if poor sleep has lasted weeks, talk to your doctor as well.

            Ready for a better night? Pick an evening time below and we'll bring the calm to
            you.
        """,
    },
    {
        "slug": "preparing-your-home-for-a-massage",
        "title": "How to prepare your home for an at-home massage",
        "summary": (
            "We bring the table, sheets and oils. Here's the little you need to do: the space, "
            "the warmth, the quiet, and getting your therapist to your door."
        ),
        "category": "at-home-massage",
        "services": ["swedish", "couples-side-by-side"],
        "published_at": datetime(2025, 11, 4, 15, 0, tzinfo=UTC),
        "body": """
            One of the best things about an at-home massage is how little you have to do. We
            bring the massage table, sheets, pillows and unscented oil. A few minutes of
            preparation makes the hour even better.

            ## Find the space

            A massage table is about 7 feet long and 3 feet wide, and your therapist needs to
            walk all the way around it. A clear area of roughly 10 by 7 feet is plenty. A living
            room, a bedroom or a spare room all work. Move a coffee table or chair if you need
            to; your therapist will help with the rest.

            For a side-by-side couples massage you'll need room for two tables, so a larger
            living room is usually the best spot.

            ## Make it warm and quiet

            You'll be lying still under a sheet, so a room that feels fine when you're moving
            can feel cool on the table. Aim for somewhere between 72 and 75°F, and close windows
            if it's noisy outside.

            - Silence your phone and leave it in another room.
            - Let anyone at home know when the massage starts.
            - Settle pets in another room: even friendly dogs are curious about a stranger with
              a table.
            - Dim the lights or draw the curtains if you like. Music is optional; your therapist
              can bring some or use yours.

            ## Help your therapist find you

            When you book, add anything that will help in your access notes: where to park, a
            gate code, which entrance to use, or that there are stairs. Your therapist arrives
            about ten minutes early to carry in the table and set up, so a parking spot close to
            your door is a real help.

            ## Get yourself ready

            - Take a shower beforehand if you'd like to; it's not required.
            - Have a glass of water and a light snack, rather than a big meal.
            - Wear something comfortable. You'll undress to your comfort level and stay covered
              by a sheet the whole time, with only the area being worked on uncovered.
            - Think about which areas need attention and how much pressure you like.

            ## Afterwards

            When the massage ends, take your time getting up. Your therapist packs everything
            away and takes the sheets with them. There's nothing to clean and nowhere to drive.
            Drink some water and enjoy the rest of your evening.

            That's all there is to it. Choose your massage and a time that suits you, and your
            therapist will take care of the rest.
        """,
    },
    {
        "slug": "couples-massage-side-by-side-or-back-to-back",
        "title": "Couples massage at home: side by side or back to back?",
        "summary": (
            "Two ways to share a massage at home. Side by side brings two therapists at once; "
            "back to back brings one therapist for you both in turn."
        ),
        "category": "at-home-massage",
        "services": ["couples-side-by-side", "couples-back-to-back"],
        "published_at": datetime(2025, 11, 18, 15, 0, tzinfo=UTC),
        "body": """
            A couples massage is a lovely thing to share, whether it's an anniversary, a visit
            from your sister or simply a Sunday. At home you can book it two ways. Both give
            each of you a full massage; the difference is how many therapists come and how the
            time runs.

            ## Side by side: two therapists, at the same time

            Two therapists arrive together, set up two tables, and you're massaged at the same
            time, next to each other. It's the classic couples experience: you start and finish
            together and can enjoy the quiet afterwards side by side.

            Good to know:

            - You'll need room for two tables, each about 7 by 3 feet with space to walk around,
              so usually a larger living room.
            - Because two therapists must be free at the same moment, there may be a little less
              choice of times.
            - Each of you can ask for your own pressure and focus areas.

            ## Back to back: one therapist, one after the other

            One therapist comes and massages one of you, then, after a short changeover to
            refresh the table, the other. While one of you is on the table, the other can relax,
            read or get ready for bed.

            Good to know:

            - You only need room for one table.
            - With one therapist, there's often more choice of times.
            - The visit lasts a little more than twice your session length, because of the
              changeover.

            ## How the minutes and price work

            For both kinds, the length you choose is per person: a 60-minute couples massage
            means 60 minutes for each of you. The price shown is for the two of you together.

            ## Which should you choose?

            - Choose **side by side** if sharing the moment is the point, and you have the room.
            - Choose **back to back** if space is tight, you'd like more choice of times, or one
              of you prefers to have the room to themselves.

            Either way, you both stay home, and nobody has to drive afterwards. Tell us in your
            booking notes if one of you has different needs, such as pregnancy or an injury, and
            we'll make sure the therapist is ready for it. Pick your style below and book a time
            for two.
        """,
    },
    {
        "slug": "massage-after-surgery",
        "title": "Massage after surgery: when it helps and when to wait",
        "summary": (
            "Massage can ease stiffness and swelling while you recover from an operation. Here's "
            "how to do it safely, starting with your surgeon's go-ahead."
        ),
        "category": "recovery-and-health",
        "services": ["orthopedic", "medical"],
        "published_at": datetime(2025, 12, 2, 15, 0, tzinfo=UTC),
        "body": """
            Recovering from surgery is hard work. You're sore, you move less than usual, and
            the muscles around the operation tighten to protect it. Massage can help with all
            of that, as long as it's timed and done with care.

            ## Start with your surgeon's go-ahead

            Before you book, ask your surgeon or physiotherapist whether massage is right for
            you yet, and whether there's anything to avoid. Every operation and every recovery
            is different. They know yours.

            If they prescribe massage as part of your recovery, book a **medical massage**: we'll
            ask for their details, and your therapist will follow what they prescribed.

            ## How massage can help

            Once you have the go-ahead, massage can:

            - ease the muscles that tighten around the surgery and in the rest of your body
              from lying, limping or guarding;
            - help with stiffness, so the exercises your physiotherapist gives you feel easier;
            - help you rest and sleep, which is when much of your healing happens.

            After joint surgery, such as a knee or hip replacement or shoulder repair,
            **orthopedic massage** focuses on the muscles, tendons and movement around the joint,
            with gentle techniques like positional release and myofascial release.

            ## What your therapist will avoid

            - **The incision**, until it has fully closed and your surgeon says scar work is
              safe. That's often several weeks. Until then, your therapist works around it.
            - **Areas with drains, dressings or recent injections.**
            - **Deep pressure** anywhere that's still swollen or tender.

            ## Know the warning signs

            After surgery the risk of a blood clot in the leg is higher. If one calf is swollen,
            warm, red or painful, don't massage it and contact your doctor straight away. Call
            911 if you're suddenly short of breath or have chest pain.

            Call your surgeon too if your wound becomes redder, hotter, more painful or starts to
            leak, or if you have a fever.

            ## Why at home makes sense

            Getting in and out of a car is often the hardest part of an outing after surgery. At
            home, your therapist comes to you and sets up wherever you're most comfortable, and
            can position you with extra pillows on your side or half sitting if lying flat isn't
            possible yet.

            Tell us about your operation in your health notes when you book. Only your therapist
            sees them. When you have the go-ahead, pick a time and let us bring the recovery to
            you.
        """,
    },
    {
        "slug": "how-we-vet-our-therapists",
        "title": "How we vet every Spa Theory therapist",
        "summary": (
            "Someone coming into your home should be checked properly. Every therapist is "
            "licensed in Georgia, insured, and background-checked every year. Here's how."
        ),
        "category": "at-home-massage",
        "services": ["swedish", "deep-tissue"],
        "published_at": datetime(2025, 12, 16, 15, 0, tzinfo=UTC),
        "body": """
            Inviting someone into your home to give you a massage takes trust. We don't ask you
            to take it on faith. Every therapist we send has passed three checks, and we keep
            checking for as long as they work with us.

            ## A current Georgia massage licence

            In Georgia, massage therapists must be licensed by the state board. Before a
            therapist can take a single booking, we record their licence number and its expiry
            date. A licence proves they have completed the required training and passed the
            licensing exam.

            ## Professional liability insurance

            Every therapist carries their own professional liability insurance. We record the
            insurer, the policy and the dates it covers. It has to be valid on the day of your
            massage, not just on the day they joined us.

            ## A background check, renewed every year

            Every therapist passes a background check before their first booking, and we repeat
            it every year. A check from three years ago says little about today, so an expired
            one counts the same as none.

            ## Checked before every appointment, not just once

            Here is the part we're proudest of. Licences, insurance policies and background
            checks all expire. So when you book, we only offer you therapists whose licence,
            insurance and background check are all valid on the date of your massage. If any
            one of them would have lapsed by then, that therapist simply isn't offered.

            Our team is warned well before anything expires, so therapists can renew in good
            time and your booking never depends on a document running out.

            ## Your details stay private

            Your address and phone number are shared only with the therapist coming to you, and
            only for your appointment. If you add health notes, only your therapist sees them,
            so they can choose the right techniques and pressure. We never send health notes by
            email.

            ## What you can expect on the day

            Your therapist arrives on time, about ten minutes early to set up, with the table,
            sheets, pillows and oils. They'll ask about your health and what you'd like from the
            massage, leave the room while you get onto the table, and keep you covered with a
            sheet throughout. If anything ever doesn't feel right, you can stop the massage at
            any time, and we want to hear about it.

            That's the standard for everyone who wears our name. When you're ready, choose a
            massage and book with confidence.
        """,
    },
]


def seed() -> None:
    author = _author()
    categories = {entry["slug"]: _category(entry) for entry in CATEGORIES}
    for entry in ARTICLES:
        _article(entry, author=author, category=categories[entry["category"]])


def _author():
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=AUTHOR["username"], defaults={**AUTHOR, "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _category(entry: dict) -> Category:
    values = {name: value for name, value in entry.items() if name != "slug"}
    return upsert_by_slug(Category, slug=entry["slug"], values=values)


def _article(entry: dict, *, author, category: Category) -> None:
    fields = {
        "title": entry["title"],
        "summary": entry["summary"],
        "body": dedent(entry["body"]).strip() + "\n",
        "category": category,
        "author": author,
        "status": Article.Status.PUBLISHED,
        "published_at": entry["published_at"],
    }
    existing = Article.objects.filter(slug=entry["slug"]).exists()
    article = upsert_by_slug(Article, slug=entry["slug"], values=fields)
    if not existing:
        # Backdated demo articles read as untouched since they went out, not "updated today".
        Article.objects.filter(pk=article.pk).update(updated_at=entry["published_at"])
    # Whichever services the booking demo has created; missing ones are skipped.
    services = set(Service.objects.filter(slug__in=entry["services"]))
    if set(article.related_services.all()) != services:
        article.related_services.set(services)
