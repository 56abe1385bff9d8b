# Vetting's work is therapists, their credentials, hours, time off and history: it no longer
# reads bookings (clients' phones, addresses and health notes), the schedule or services.
# Front desk keeps what booking 0004 gave it.

from django.db import migrations

VETTING = "Vetting"
NO_LONGER_VETTING = {
    "booking": ["view_service", "view_serviceduration", "view_booking", "view_appointment"],
}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return [
        permission
        for app_label, codenames in NO_LONGER_VETTING.items()
        for permission in Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
    ]


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=VETTING).first()
    if group:
        group.permissions.remove(*_permissions(apps))


def grant_again(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=VETTING).first()
    if group:
        group.permissions.add(*_permissions(apps))


class Migration(migrations.Migration):

    dependencies = [
        ("therapists", "0003_staff_groups"),
        ("booking", "0004_staff_group_booking_permissions"),
    ]

    operations = [migrations.RunPython(revoke, grant_again)]
