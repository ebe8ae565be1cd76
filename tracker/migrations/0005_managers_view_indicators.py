"""Once gave Plan managers the indicator permissions. The roles and their permissions now live in
tracker.roles, synced on post_migrate; see 0003_roles. Kept as a no-op so that the migration graph
stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_outcome_indicators")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=True),
    ]
