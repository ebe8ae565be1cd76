"""The roles, as groups with model permissions, so that a fresh database has them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRACKER_MODELS = [
    "plan", "strategy", "agency", "strategictechnology", "task", "milestone", "progressupdate",
    "agencymembership", "reviewassessment", "contributionnote", "milestonechange",
]

ROLES = {
    # Agency staff see their agencies' tasks (the scoping is in Task.objects.visible_to), report
    # progress on the tasks they lead, update those tasks' milestones and add contribution notes
    # on the tasks they support.
    "Agency staff": [
        "view_task", "view_milestone", "change_milestone", "view_progressupdate",
        "add_progressupdate", "view_contributionnote", "add_contributionnote",
        "view_milestonechange", "view_reviewassessment",
    ],
    # Plan managers see every task read-only and record review assessments.
    "Plan managers": [f"view_{model}" for model in TRACKER_MODELS]
    + ["view_all_tasks", "add_reviewassessment"],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tracker", "0002_access_and_history"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
