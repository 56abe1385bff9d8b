"""Store every booking's email in the one normalised form lookups compare against."""

from django.db import migrations

from therapists.validators import email_normalise


def normalise(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    changed = []
    for booking in Booking.objects.only("pk", "client_email").iterator(chunk_size=2000):
        normalised = email_normalise(booking.client_email)
        if normalised != booking.client_email:
            booking.client_email = normalised
            changed.append(booking)
    Booking.objects.bulk_update(changed, ["client_email"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0007_notification_next_attempt_booking_anonymised"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
