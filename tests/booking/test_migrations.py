"""Data migrations, run forwards on rows written as the previous migration left them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


@pytest.mark.django_db(transaction=True)
def test_stored_emails_are_normalised_so_lost_link_lookups_find_them():
    executor = MigrationExecutor(connection)
    before, after = (
        ("booking", "0007_notification_next_attempt_booking_anonymised"),
        (
            "booking",
            "0008_booking_email_normalised",
        ),
    )
    executor.migrate([before])
    apps = executor.loader.project_state([before]).apps
    Modality = apps.get_model("therapists", "Modality")
    Service = apps.get_model("booking", "Service")
    Booking = apps.get_model("booking", "Booking")
    service = Service.objects.create(
        name="Swedish", slug="swedish-m", modality=Modality.objects.create(name="S", slug="s-m")
    )
    now = timezone.now()
    booking = Booking.objects.create(
        service=service,
        minutes=60,
        price="120.00",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        client_name="Sam",
        client_email="sam@münchen.de",
        client_phone="+14045550123",
        address_line1="1 Main St",
        city="Atlanta",
        zip_code="30303",
        consent_given_at=now,
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])

    booking.refresh_from_db()
    assert booking.client_email == "sam@xn--mnchen-3ya.de"


@pytest.fixture(autouse=True)
def _schema_back_at_the_latest_migrations():
    """Later tests in this process need every migration applied, the ones after ``after``
    included."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
