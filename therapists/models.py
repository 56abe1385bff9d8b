import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from spatheory.db import EpochMinutes

from .credentials import CREDENTIALS
from .images import UploadedImageField
from .validators import email_normalise, phone_to_e164, validate_zip_code


class Modality(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    techniques = models.TextField(blank=True, help_text="One technique per line.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "modalities"

    def __str__(self):
        return self.name

    @property
    def technique_list(self) -> list[str]:
        return [line.strip() for line in self.techniques.splitlines() if line.strip()]


def _any_expiry(**lookup) -> Q:
    """``Q`` matching a therapist any of whose credential expiries meets ``lookup``."""
    (name, value), condition = next(iter(lookup.items())), Q()
    for credential in CREDENTIALS:
        condition |= Q(**{f"{credential.expires}__{name}": value})
    return condition


class TherapistQuerySet(models.QuerySet):
    def credentials_missing(self):
        return self.filter(_any_expiry(isnull=True))

    def credentials_expired(self, day: date):
        """Any credential expired before ``day``."""
        return self.filter(_any_expiry(lt=day))

    def credentials_expiring(self, day: date, *, within_days: int):
        """Nothing expired yet, but a credential expires within ``within_days`` of ``day``."""
        soon = _any_expiry(range=(day, day + timedelta(days=within_days)))
        return self.filter(soon).exclude(_any_expiry(lt=day))

    def credentials_need_attention(self, day: date, *, within_days: int):
        """Expired, or expiring within ``within_days``: what staff must renew."""
        return self.filter(_any_expiry(lte=day + timedelta(days=within_days)))

    def bookable_between(self, first_day: date, last_day: date, *, modality_id: int | None = None):
        """Prefilter for ``therapist_is_bookable`` on some day from ``first_day`` to
        ``last_day``: everything but the zip radius, in SQL. For one day it agrees with the
        predicate exactly; over a range it may keep a therapist the predicate then refuses day
        by day (credentials lapsing and starting inside the range), never drop one it accepts.
        """
        queryset = self.filter(
            status=Therapist.Status.ACTIVE,
            vetted_on__isnull=False,
            vetted_on__lte=last_day,
            licence_expires_on__gte=first_day,
            insurance_expires_on__gte=first_day,
            background_check_valid_until__gte=first_day,
        ).filter(
            Q(licence_issued_on__isnull=True) | Q(licence_issued_on__lte=last_day),
            Q(insurance_starts_on__isnull=True) | Q(insurance_starts_on__lte=last_day),
        )
        if modality_id is not None:
            queryset = queryset.filter(modalities__id=modality_id)
        return queryset

    def bookable_on(self, day: date, *, modality_id: int | None = None):
        return self.bookable_between(day, day, modality_id=modality_id)


def new_calendar_token() -> str:
    """The secret in a therapist's calendar feed URL: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


# Fields only the Vetting group (``therapists.change_credentials``) may edit.
CREDENTIAL_FIELDS = (
    "status",
    *(field for credential in CREDENTIALS for field in credential.fields),
    "vetted_by",
    "vetted_on",
)


class Therapist(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        OFFBOARDED = "offboarded", "Offboarded"

    class Gender(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        NONBINARY = "nonbinary", "Non-binary"

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    display_name = models.CharField(max_length=120, help_text="Shown to clients, e.g. “Maya R.”")
    slug = models.SlugField(max_length=120, unique=True)
    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=20, help_text="Stored in E.164, e.g. +14045550123.")
    photo = UploadedImageField(upload_to="therapists/", blank=True)
    photo_alt = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    gender = models.CharField(max_length=12, choices=Gender.choices)
    modalities = models.ManyToManyField(Modality, related_name="therapists", blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    home_zip = models.CharField("home base zip code", max_length=5, validators=[validate_zip_code])
    travel_radius_miles = models.PositiveSmallIntegerField(default=15)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.APPLICANT)

    licence_number = models.CharField(max_length=40, blank=True)
    licence_issuer = models.CharField(
        max_length=120, blank=True, default="Georgia Board of Massage Therapy"
    )
    licence_issued_on = models.DateField(null=True, blank=True)
    licence_expires_on = models.DateField(null=True, blank=True)

    insurance_carrier = models.CharField(max_length=120, blank=True)
    insurance_policy_number = models.CharField(max_length=60, blank=True)
    insurance_coverage = models.DecimalField(
        "insurance coverage (USD)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    insurance_starts_on = models.DateField(null=True, blank=True)
    insurance_expires_on = models.DateField(null=True, blank=True)

    background_check_provider = models.CharField(max_length=120, blank=True)
    background_check_passed_on = models.DateField(null=True, blank=True)
    background_check_valid_until = models.DateField(null=True, blank=True)

    vetted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    vetted_on = models.DateField(null=True, blank=True)

    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TherapistQuerySet.as_manager()
    # The calendar token is a secret: history keeps no copy of old ones.
    history = HistoricalRecords(excluded_fields=["updated_at", "calendar_token"])

    class Meta:
        ordering = ["display_name"]
        permissions = [
            ("change_credentials", "Can change licence, insurance, background check and status"),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("therapists:detail", kwargs={"slug": self.slug})

    def get_calendar_url(self):
        return reverse("booking:therapist_calendar", kwargs={"token": self.calendar_token})

    def clean(self):
        errors = {}
        # Therapists sign in with this address, so it is kept in the form lookups compare.
        self.email = email_normalise(self.email)
        if self.phone:
            try:
                self.phone = phone_to_e164(self.phone)
            except ValidationError as error:
                errors["phone"] = error
        for credential in CREDENTIALS:
            start, end = getattr(self, credential.starts), getattr(self, credential.expires)
            if start and end and end < start:
                errors[credential.expires] = ValidationError(
                    credential.date_order_message, code="date_order"
                )
        if errors:
            raise ValidationError(errors)

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper()


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField(help_text="Local Atlanta time.")
    ends_at = models.TimeField(help_text="Local Atlanta time.")

    class Meta:
        ordering = ["therapist", "weekday", "starts_at"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="working_hours_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": "The end time must be after the start time."}, code="end_before_start"
            )


class TimeOff(models.Model):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # As on ``Appointment``: the times in the availability engine's minutes, kept by the database.
    starts_minute = models.GeneratedField(
        expression=EpochMinutes("starts_at"), output_field=models.BigIntegerField(), db_persist=True
    )
    ends_minute = models.GeneratedField(
        expression=EpochMinutes("ends_at"), output_field=models.BigIntegerField(), db_persist=True
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["therapist", "starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="time_off_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": "Time off must end after it starts."}, code="end_before_start"
            )
