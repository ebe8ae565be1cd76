"""Tasks whose current state has no history entry behind it (imported before 0013, when an
import stored the state alone) get the entry an import now writes: marked as the import's, with
no user, at the task's last report time, or at its creation when the file gave none. Their
state as of today then equals their current state, as for every task since."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

UNTOUCHED = ("not_started", 0, 0, None)


def record_states(apps, schema_editor):
    Task = apps.get_model("tracker", "Task")
    ProgressUpdate = apps.get_model("tracker", "ProgressUpdate")
    latest = ProgressUpdate.objects.filter(task=OuterRef("pk")).order_by("-reported_at", "-pk")
    tasks = Task.objects.annotate(**{
        f"latest_{field}": Subquery(latest.values(field)[:1])
        for field in ("status", "progress", "budget_executed", "reported_at")
    })
    entries, dated = [], []
    for task in tasks.iterator(chunk_size=2000):
        state = (task.status, task.progress, task.budget_executed, task.last_reported_at)
        history = (task.latest_status, task.latest_progress, task.latest_budget_executed,
                   task.latest_reported_at)
        if state == history or (task.latest_reported_at is None and state == UNTOUCHED):
            continue
        when = task.last_reported_at or task.created_at
        if task.latest_reported_at is not None:
            when = max(when, task.latest_reported_at)  # the latest entry, ties broken by id
        entries.append(ProgressUpdate(
            task_id=task.pk, source="import", reported_by=None, reported_at=when,
            status=task.status, progress=task.progress, budget_executed=task.budget_executed,
        ))
        if task.last_reported_at != when:
            task.last_reported_at = when
            dated.append(task)
    ProgressUpdate.objects.bulk_create(entries, batch_size=2000)
    Task.objects.bulk_update(dated, ["last_reported_at"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0013_history_source")]

    operations = [migrations.RunPython(record_states, migrations.RunPython.noop)]
