from django.contrib.auth.management import create_permissions
from django.db import migrations

# Front desk runs the day: takes phone bookings, manages bookings and retries failed emails.
# Vetting sees the schedule so it knows who is working.
GROUP_PERMISSIONS = {
    "Front desk": [
        "view_service",
        "view_serviceduration",
        "view_booking",
        "change_booking",
        "view_appointment",
        "change_appointment",
        "view_notification",
        "change_notification",
    ],
    "Vetting": ["view_service", "view_serviceduration", "view_booking", "view_appointment"],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations run; the groups need them now.
    booking_config = apps.get_app_config("booking")
    booking_config.models_module = True
    create_permissions(booking_config, apps=apps, verbosity=0)
    booking_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="booking", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="booking", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_notification_outbox"),
        ("therapists", "0003_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
