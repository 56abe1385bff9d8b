from django.contrib.auth.management import create_permissions
from django.db import migrations

VETTING = "Vetting"
FRONT_DESK = "Front desk"

HOURS_AND_TIME_OFF = [
    f"{action}_{model}"
    for model in ("workinghours", "timeoff")
    for action in ("view", "add", "change", "delete")
]

GROUP_PERMISSIONS = {
    VETTING: [
        "view_modality",
        "view_therapist",
        "add_therapist",
        "change_therapist",
        "change_credentials",
        "view_historicaltherapist",
        *HOURS_AND_TIME_OFF,
    ],
    # Front desk keeps profiles, hours and time off current; credential fields stay read-only
    # for them in the admin because they lack change_credentials.
    FRONT_DESK: [
        "view_modality",
        "view_therapist",
        "change_therapist",
        "view_historicaltherapist",
        *HOURS_AND_TIME_OFF,
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations run; the groups need them now.
    therapists_config = apps.get_app_config("therapists")
    therapists_config.models_module = True
    create_permissions(therapists_config, apps=apps, verbosity=0)
    therapists_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="therapists", codename__in=codenames
        )
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("therapists", "0002_therapist_history_and_credentials_permission"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
