import secrets

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from spatheory.db import EpochMinutes
from therapists.models import Modality, Therapist
from therapists.validators import validate_phone, validate_us_state, validate_zip_code

# No 0/O, 1/I/L, 5/S or 2/Z: a reference read over the phone is never misheard.
REFERENCE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 7


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


# What a token looks like in a URL: URL-safe base64, 22 characters (128 bits) or more.
TOKEN_PATTERN = "[A-Za-z0-9_-]{22,64}"


def new_token() -> str:
    """Unguessable URL-safe token: 24 random bytes, 192 bits, 32 characters."""
    return secrets.token_urlsafe(24)


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Service(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single"
        COUPLES_SIDE_BY_SIDE = "couples_side_by_side", "Couples, side by side"
        COUPLES_BACK_TO_BACK = "couples_back_to_back", "Couples, back to back"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    what_to_expect = models.TextField(blank=True)
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.SINGLE)
    earliest_start = models.TimeField(
        null=True, blank=True, help_text="Earliest local start time allowed, e.g. 18:00 for sleep."
    )
    latest_start = models.TimeField(
        null=True, blank=True, help_text="Latest local start time allowed."
    )
    requires_referral = models.BooleanField(
        default=False, help_text="Needs a prescriber's referral (medical massage)."
    )
    is_active = models.BooleanField("active", default=True)
    order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest_start__isnull=True)
                | Q(latest_start__isnull=True)
                | Q(latest_start__gte=F("earliest_start")),
                name="service_start_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("booking:service_detail", kwargs={"slug": self.slug})

    def get_booking_url(self):
        return f"{reverse('booking:book')}?service={self.slug}"

    @property
    def therapists_needed(self) -> int:
        return 2 if self.kind == self.Kind.COUPLES_SIDE_BY_SIDE else 1

    @property
    def is_couples(self) -> bool:
        return self.kind != self.Kind.SINGLE

    def duration_for(self, minutes) -> "ServiceDuration | None":
        """The offered length of ``minutes`` (with its price), or None; reads the prefetched
        ``durations`` when there are any."""
        return next((d for d in self.durations.all() if d.minutes == minutes), None)

    def appointment_minutes(self, minutes: int, *, changeover: int) -> int:
        """How long each assigned therapist is busy for one booking of ``minutes``."""
        if self.kind == self.Kind.COUPLES_BACK_TO_BACK:
            return 2 * minutes + changeover
        return minutes


class ServiceDuration(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="durations")
    minutes = models.PositiveSmallIntegerField(help_text="Per person for couples services.")
    price = models.DecimalField(
        "price (USD)",
        max_digits=8,
        decimal_places=2,
        help_text="For the couple on couples services.",
    )

    class Meta:
        # By the service's id, not the service: a service's own lengths are read without
        # joining the services to sort by their order.
        ordering = ["service_id", "minutes"]
        constraints = [
            models.UniqueConstraint(fields=["service", "minutes"], name="unique_service_minutes"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="duration_minutes_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="duration_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.minutes} min · ${self.price}"


class BookingQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(status=Booking.Status.CONFIRMED, starts_at__gte=timezone.now())


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class GenderPreference(models.TextChoices):
        ANY = "any", "No preference"
        FEMALE = "female", "Female therapist"
        MALE = "male", "Male therapist"

    class Pressure(models.TextChoices):
        LIGHT = "light", "Light"
        MEDIUM = "medium", "Medium"
        FIRM = "firm", "Firm"
        DEEP = "deep", "Deep"

    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    minutes = models.PositiveSmallIntegerField(help_text="Per person for couples services.")
    price = models.DecimalField("price (USD)", max_digits=8, decimal_places=2)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    late_cancellation = models.BooleanField(default=False)
    sequence = models.PositiveIntegerField(
        default=0, help_text="Calendar revision, raised on every reschedule."
    )

    client_name = models.CharField(max_length=120)
    client_email = models.EmailField(
        error_messages={"invalid": "Enter an email address, like name@example.com."}
    )
    client_phone = models.CharField(max_length=20, validators=[validate_phone])
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2, default="GA", validators=[validate_us_state])
    zip_code = models.CharField(max_length=5, validators=[validate_zip_code])
    access_notes = models.TextField(blank=True, help_text="Parking, stairs, pets, gate codes.")
    gender_preference = models.CharField(
        max_length=8, choices=GenderPreference.choices, default=GenderPreference.ANY
    )
    pressure = models.CharField(max_length=8, choices=Pressure.choices, default=Pressure.MEDIUM)
    health_notes = models.TextField(blank=True)
    # Couples only: the second person (the client booking is the first), with their own
    # pressure and health notes; empty on a single massage.
    second_person_name = models.CharField(max_length=120, blank=True)
    second_person_pressure = models.CharField(max_length=8, choices=Pressure.choices, blank=True)
    second_person_health_notes = models.TextField(blank=True)
    consent_given_at = models.DateTimeField()
    text_consent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the client agreed to texts about this booking (none: email only).",
    )

    prescriber_name = models.CharField(max_length=120, blank=True)
    prescriber_practice = models.CharField(max_length=160, blank=True)
    prescriber_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    prescribed_on = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the client's personal details were removed (see booking.retention).",
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="booking_starts_at_idx"),
            models.Index(fields=["client_email"], name="booking_client_email_idx"),
            models.Index(
                fields=["ends_at"],
                name="booking_not_anonymised_idx",
                condition=Q(anonymised_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("booking:detail", kwargs={"token": self.token})

    @property
    def client_first_name(self) -> str:
        return self.client_name.split()[0] if self.client_name.strip() else ""

    @property
    def second_person_first_name(self) -> str:
        name = self.second_person_name.strip()
        return name.split()[0] if name else ""


# Minutes after each active appointment that the ``appointment_no_overlap`` exclusion constraint
# also keeps free, as migration 0002_appointment_no_overlap created it. Only a new migration
# changes the database; ``booking.checks`` stops the process while BOOKING_MIN_BUFFER_MINUTES
# says otherwise.
APPOINTMENT_NO_OVERLAP_BUFFER_MINUTES = 30


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Appointment(models.Model):
    """One therapist's time at one booking. Overlaps are forbidden by an exclusion constraint
    on PostgreSQL (see the ``appointment_no_overlap`` migration)."""

    class Person(models.IntegerChoices):
        FIRST = 1, "The client booking"
        SECOND = 2, "The second person"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="appointments")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The same two times as whole minutes since 1970 (UTC), kept by the database, which the
    # availability engine reads in bulk without converting every row at every read.
    starts_minute = models.GeneratedField(
        expression=EpochMinutes("starts_at"), output_field=models.BigIntegerField(), db_persist=True
    )
    ends_minute = models.GeneratedField(
        expression=EpochMinutes("ends_at"), output_field=models.BigIntegerField(), db_persist=True
    )
    zip_code = models.CharField(max_length=5)
    is_active = models.BooleanField(default=True)
    job_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # Set when the therapist declines the job: on the row they leave when it moves, or on the
    # row they still hold, flagged for staff, when nobody else was free. Counts their declines.
    declined_at = models.DateTimeField(null=True, blank=True)
    # Side by side, whom this therapist treats; empty when they treat everyone at the booking
    # (a single massage, or couples back to back).
    person = models.PositiveSmallIntegerField(
        choices=Person.choices,
        null=True,
        blank=True,
        help_text="Side by side: which of the two this therapist treats.",
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(
                fields=["therapist", "starts_at"],
                name="appointment_active_idx",
                condition=Q(is_active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.therapist} · {self.booking}"

    def get_absolute_url(self):
        return reverse("booking:job", kwargs={"token": self.job_token})

    @classmethod
    def for_booking(
        cls, booking: Booking, therapist: Therapist, *, person: int | None = None
    ) -> "Appointment":
        """An unsaved appointment for ``therapist`` at the booking's time and place, treating
        ``person`` (side by side) or everyone (None)."""
        return cls(
            booking=booking,
            therapist=therapist,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            zip_code=booking.zip_code,
            person=person,
        )


class JobEvent(models.Model):
    """What a therapist did on a job, with who and when (``booking.job_actions`` writes them)."""

    class Action(models.TextChoices):
        ON_MY_WAY = "on_my_way", "On my way"
        RUNNING_LATE = "running_late", "Running late"
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="job_events")
    action = models.CharField(max_length=16, choices=Action.choices)
    minutes_late = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_at = models.DateTimeField(
        null=True, blank=True, help_text="When the therapist said they would arrive."
    )
    # The key of the page that sent it, so a double-clicked "Running late" counts once.
    request_key = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "action"],
                condition=~Q(action="running_late"),
                name="job_event_once_per_action",
            ),
            models.UniqueConstraint(
                fields=["appointment", "request_key"],
                condition=~Q(request_key=""),
                name="job_event_once_per_request",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.appointment}"


class Notification(models.Model):
    """One email or text to send: the outbox row written in the same transaction as the change
    that causes it, and sent by a Celery task after commit (see ``booking.notifications``)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text"

    class Kind(models.TextChoices):
        CLIENT_CONFIRMATION = "client_confirmation", "Client: booking confirmed"
        CLIENT_RESCHEDULED = "client_rescheduled", "Client: booking rescheduled"
        CLIENT_CANCELLED = "client_cancelled", "Client: booking cancelled"
        CLIENT_REMINDER = "client_reminder", "Client: reminder"
        CLIENT_THERAPIST_CHANGED = "client_therapist_changed", "Client: new therapist"
        THERAPIST_ASSIGNED = "therapist_assigned", "Therapist: new job"
        THERAPIST_RESCHEDULED = "therapist_rescheduled", "Therapist: job rescheduled"
        THERAPIST_CANCELLED = "therapist_cancelled", "Therapist: job cancelled"
        STAFF_BOOKING_CREATED = "staff_booking_created", "Staff: new booking"
        STAFF_BOOKING_RESCHEDULED = "staff_booking_rescheduled", "Staff: booking rescheduled"
        STAFF_BOOKING_CANCELLED = "staff_booking_cancelled", "Staff: booking cancelled"
        STAFF_JOB_DECLINED = "staff_job_declined", "Staff: declined job needs a therapist"
        MANAGE_LINKS = "manage_links", "Client: links to their bookings"
        CLIENT_ON_MY_WAY = "client_on_my_way", "Client: therapist on the way"
        CLIENT_RUNNING_LATE = "client_running_late", "Client: therapist running late"
        STAFF_RUNNING_LATE = "staff_running_late", "Staff: therapist running late"
        CREDENTIAL_DIGEST = "credential_digest", "Staff: expiring credentials"
        NOTIFICATION_FAILURES = "notification_failures", "Staff: messages that could not be sent"
        CLIENT_RECEIPT = "client_receipt", "Client: receipt, with the tip link"
        CLIENT_PAYMENT_DUE = "client_payment_due", "Client: card declined, payment due"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not needed any more"

    # Null for messages about no single booking (the links email, the staff digest).
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The therapist's appointment, for therapist messages.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(
        max_length=254, help_text="An email address, or a phone number in E.164 for texts."
    )
    # Makes a message that must go out once at most (a reminder, a day's digest) unique, on
    # each channel: the email and the text of one reminder share their key. NULL, not "", when
    # there is none, as NULLs never collide.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A pending row is neither claimed nor published by the sweep before this.
    next_attempt_at = models.DateTimeField("next try", default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(
        "provider's id", max_length=64, blank=True, help_text="The text's id at Twilio."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "dedupe_key"], name="notification_dedupe_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_unsent_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The sweep's question: which pending rows are due?
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due_idx",
                condition=Q(status="pending"),
            ),
            # Failures for the admin banner and the staff alert, and the alerts themselves.
            models.Index(
                fields=["failed_at"], name="notification_failed_idx", condition=Q(status="failed")
            ),
            models.Index(
                fields=["created_at"],
                name="notification_alert_idx",
                condition=Q(kind="notification_failures"),
            ),
        ]

    def __str__(self):
        by_text = " (text)" if self.channel == self.Channel.SMS else ""
        return f"{self.get_kind_display()}{by_text} to {self.recipient}"


class TextOptOut(models.Model):
    """A phone number that replied STOP to our texts: nothing more is texted to it until it
    replies START (see ``booking.notifications.optouts``)."""

    phone = models.CharField(max_length=16, unique=True, help_text="E.164, e.g. +14045550123.")
    opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last replied STOP; empty once it replied START."
    )
    opted_in_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last replied START."
    )

    class Meta:
        verbose_name = "text opt-out"

    def __str__(self):
        return self.phone
