from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .eligibility import therapist_is_bookable


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


class TherapistQuerySet(models.QuerySet):
    def bookable_on(self, day: date, *, modality_id: int | None = None):
        """Prefilter for ``therapist_is_bookable``: everything but the zip radius, in SQL."""
        queryset = self.filter(
            status=Therapist.Status.ACTIVE,
            vetted_on__isnull=False,
            vetted_on__lte=day,
            licence_expires_on__gte=day,
            insurance_expires_on__gte=day,
            background_check_valid_until__gte=day,
        ).filter(
            Q(licence_issued_on__isnull=True) | Q(licence_issued_on__lte=day),
            Q(insurance_starts_on__isnull=True) | Q(insurance_starts_on__lte=day),
        )
        if modality_id is not None:
            queryset = queryset.filter(modalities__id=modality_id)
        return queryset


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
    photo = models.ImageField(upload_to="therapists/", blank=True)
    photo_alt = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    gender = models.CharField(max_length=12, choices=Gender.choices)
    modalities = models.ManyToManyField(Modality, related_name="therapists", blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    home_zip = models.CharField("home base zip code", max_length=5)
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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TherapistQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("therapists:detail", kwargs={"slug": self.slug})

    def is_bookable(self, *, on: date, modality_id: int, zip_code: str) -> bool:
        return therapist_is_bookable(self, on=on, modality_id=modality_id, zip_code=zip_code)

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


class TimeOff(models.Model):
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
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
