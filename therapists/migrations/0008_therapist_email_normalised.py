"""Store every therapist's email in the one normalised form sign-in compares against."""

from django.db import migrations

from therapists.validators import email_normalise


def normalise(apps, schema_editor):
    Therapist = apps.get_model("therapists", "Therapist")
    changed = []
    for therapist in Therapist.objects.only("pk", "email"):
        normalised = email_normalise(therapist.email)
        if normalised != therapist.email:
            therapist.email = normalised
            changed.append(therapist)
    Therapist.objects.bulk_update(changed, ["email"])


class Migration(migrations.Migration):
    dependencies = [
        ("therapists", "0007_therapist_calendar_token_unique"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
