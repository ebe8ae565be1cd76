"""Once made the roles (Agency staff, Plan managers) from a table of its own. The roles now live
in tracker.roles, which makes them and sets their permissions on every migrate and flush (on
post_migrate, after all migrations have run and Django has made the permissions). Kept as a no-op
so that the migration graph stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tracker", "0002_access_and_history"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=True),
    ]
