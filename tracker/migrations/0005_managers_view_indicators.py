from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_indicator", "view_indicatorvalue"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="tracker", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Plan managers"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="tracker", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Plan managers"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_outcome_indicators")]

    operations = [migrations.RunPython(grant, revoke)]
