"""factory_boy factories shared by the whole suite.

``TherapistFactory`` builds a therapist who is bookable by default: active, vetted, every
credential issued years before and valid for years after the day the therapist is built (on the
test's clock), based in downtown Atlanta (30303) with a 25-mile radius.
"""

from datetime import time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from blog.models import Article, Category
from booking.models import Appointment, Booking, Service, ServiceDuration
from therapists.models import Modality, Therapist, TimeOff, WorkingHours


def _years_from_today(years: int):
    """A date ``years`` from today on the test's clock, so credentials never lapse whatever
    day the suite runs on."""
    return factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365 * years))


class ModalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Modality
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Modality {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    description = "A modality."


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Tess{n}")
    last_name = "Rivera"
    display_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name[0]}.")
    slug = factory.Sequence(lambda n: f"therapist-{n}")
    email = factory.Sequence(lambda n: f"therapist{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1404555{n % 10000:04d}")
    gender = Therapist.Gender.FEMALE
    years_experience = 6
    home_zip = "30303"
    travel_radius_miles = 25
    status = Therapist.Status.ACTIVE
    licence_number = factory.Sequence(lambda n: f"MT{100000 + n}")
    licence_issued_on = _years_from_today(-6)
    licence_expires_on = _years_from_today(5)
    insurance_carrier = "Hartford Mutual"
    insurance_policy_number = factory.Sequence(lambda n: f"POL-{n:06d}")
    insurance_coverage = Decimal("2000000.00")
    insurance_starts_on = _years_from_today(-6)
    insurance_expires_on = _years_from_today(5)
    background_check_provider = "Sterling"
    background_check_passed_on = _years_from_today(-6)
    background_check_valid_until = _years_from_today(5)
    vetted_on = _years_from_today(-6)

    @factory.post_generation
    def modalities(self, create, extracted, **kwargs):
        if create and extracted:
            self.modalities.set(extracted)

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        """``hours=[(weekday, start, end), ...]``; ``hours="all"`` gives 9 am to 9 pm daily."""
        if not create or not extracted:
            return
        windows = (
            [(day, time(9), time(21)) for day in range(7)] if extracted == "all" else extracted
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(therapist=self, weekday=day, starts_at=start, ends_at=end)
            for day, start, end in windows
        )


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    therapist = factory.SubFactory(TherapistFactory)
    weekday = 0
    starts_at = time(9)
    ends_at = time(17)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    therapist = factory.SubFactory(TherapistFactory)
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    reason = "Vacation"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    summary = "A restorative massage at home."
    description = "A full-body massage in your own home."
    modality = factory.SubFactory(ModalityFactory)
    kind = Service.Kind.SINGLE

    @factory.post_generation
    def prices(self, create, extracted, **kwargs):
        """``prices={60: "120.00", 90: "165.00"}``; by default 60, 90 and 120 minutes."""
        if not create:
            return
        prices = extracted or {60: "120.00", 90: "165.00", 120: "210.00"}
        for minutes, price in prices.items():
            ServiceDuration.objects.get_or_create(
                service=self, minutes=minutes, defaults={"price": Decimal(price)}
            )


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row written directly, bypassing the services (for fixtures, not behaviour)."""

    class Meta:
        model = Booking

    service = factory.SubFactory(ServiceFactory)
    minutes = 60
    price = Decimal("120.00")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=o.minutes))
    client_name = "Ada Client"
    client_email = "ada@example.com"
    client_phone = "+14045550123"
    address_line1 = "100 Peachtree St NW"
    city = "Atlanta"
    state = "GA"
    zip_code = "30303"
    consent_given_at = factory.LazyFunction(timezone.now)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    booking = factory.SubFactory(BookingFactory)
    therapist = factory.SubFactory(TherapistFactory)
    starts_at = factory.LazyAttribute(lambda o: o.booking.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.booking.ends_at)
    zip_code = factory.LazyAttribute(lambda o: o.booking.zip_code)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"writer{n}")
    first_name = "Maya"
    last_name = "Brooks"
    email = factory.LazyAttribute(lambda o: f"{o.username}@spatheory.com")
    is_staff = True


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    description = "Articles about massage."


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, out a day ago by default; ``status=Article.Status.DRAFT`` or a future
    ``published_at`` for the other states."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    summary = "What to know before your massage."
    body = "## Before\n\nDrink some water.\n\n## After\n\nRest a while."
    author = factory.SubFactory(StaffUserFactory)
    category = factory.SubFactory(CategoryFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def related_services(self, create, extracted, **kwargs):
        if create and extracted:
            self.related_services.set(extracted)
