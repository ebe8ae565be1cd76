"""One truth for a task's state: its history. However a task's state is set (a report, an
import, carry-over, the fixture, the admin), the state rebuilt from the history as of today is
the task's current state."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tracker.common import spreadsheets
from tracker.loading import carry_over
from tracker.loading.imports import import_plan
from tracker.models import Plan, ProgressUpdate, StateSource, Status, Task
from tracker.progress import exports, services

pytestmark = pytest.mark.django_db

STATE = ["status", "progress", "budget_executed", "last_reported_at"]


def disagreements(year):
    """The tasks of the plan whose state as of today differs from their current state."""
    tasks = Task.objects.filter(plan__year=year).as_of(timezone.localdate()).order_by("number")
    assert tasks.exists()
    return [
        (task.code, (task.status, task.progress, task.budget_executed, task.last_reported_at),
         (task.current_status, task.current_progress, task.current_executed,
          task.current_reported_at))
        for task in tasks
        if (task.status, task.progress, task.budget_executed, task.last_reported_at)
        != (task.current_status, task.current_progress, task.current_executed,
            task.current_reported_at)
    ]


def exported_csv(year):
    tasks = Task.objects.filter(plan__year=year).as_of(None)
    plan = Plan.objects.get(year=year)
    return "".join(spreadsheets.csv_chunks(exports.export_rows(tasks, plan))).encode("utf-8")


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_demo_state_is_its_history(demo, year):
    assert disagreements(year) == []


def test_an_imported_plan_state_is_its_history(demo, superuser):
    import_plan("plan.csv", exported_csv(2024), 2026, user=superuser)

    assert Task.objects.filter(plan__year=2026, status=Status.COMPLETED).exists()
    assert disagreements(2026) == []
    imported = ProgressUpdate.objects.filter(task__plan__year=2026)
    assert set(imported.values_list("source", "reported_by")) == {
        (StateSource.IMPORT, superuser.pk)}
    # A task the file leaves unstarted, with no time, gets no entry: nothing happened to it.
    assert imported.count() == Task.objects.filter(plan__year=2026).exclude(
        status=Status.NOT_STARTED, progress=0, budget_executed=0,
        last_reported_at__isnull=True).count()


def test_an_import_from_the_command_line_is_recorded_without_a_user(demo, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(exported_csv(2024))

    call_command("import_plan", str(path), "--year", "2026", verbosity=0)

    assert set(ProgressUpdate.objects.filter(task__plan__year=2026).values_list(
        "source", "reported_by")) == {(StateSource.IMPORT, None)}
    assert disagreements(2026) == []


def test_an_imported_state_without_a_time_is_dated_at_the_import(demo):
    rows = exported_csv(2024).decode().splitlines()
    header = rows[0].split(",")
    column = header.index("last_reported_at")
    blanked = [rows[0]] + [",".join(cell if n != column else "" for n, cell in
                                    enumerate(row.split(",")))
                           for row in rows[1:] if row.count(",") == len(header) - 1]
    before = timezone.now()

    import_plan("plan.csv", "\n".join(blanked).encode(), 2026)

    moved = Task.objects.filter(plan__year=2026).exclude(status=Status.NOT_STARTED)
    assert moved.exists()
    assert all(task.last_reported_at >= before for task in moved)
    assert disagreements(2026) == []


def test_a_carried_over_plan_state_is_its_history(demo):
    carry_over.carry_over(2024, 2026)

    assert disagreements(2026) == []


def test_a_report_keeps_the_state_and_its_history_together(task, staff):
    services.report_progress(task=task, user=staff, status=Status.ON_TRACK, progress=30,
                             budget_executed=5, expected_version=task.version)

    assert disagreements(task.plan.year) == []


def test_the_dashboard_of_an_imported_plan_agrees_with_its_as_of_today(client, demo,
                                                                        manager):
    import_plan("plan.csv", exported_csv(2024), 2026)
    client.force_login(manager)
    today = timezone.localdate().isoformat()

    now = client.get(reverse("tracker:plan", args=[2026])).context
    as_of = client.get(reverse("tracker:plan", args=[2026]), {"as_of": today}).context

    assert now["totals"].completed > 0
    assert [(s.status, s.count) for s in now["breakdown"]] == [
        (s.status, s.count) for s in as_of["breakdown"]]


def test_an_imported_state_shows_in_the_task_history_as_the_imports(client, demo, manager):
    import_plan("plan.csv", exported_csv(2024), 2026)
    task = Task.objects.filter(plan__year=2026).exclude(status=Status.NOT_STARTED).first()
    client.force_login(manager)

    body = client.get(reverse("tracker:task_detail", args=[2026, task.number]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "State given by the plan import" in body


def test_a_report_needs_its_reporter_but_an_import_may_have_none(task):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    when = timezone.make_aware(datetime.datetime(2024, 5, 1))
    fields = dict(task=task, reported_at=when, status=Status.ON_TRACK, progress=1,
                  budget_executed=0)
    ProgressUpdate(source=StateSource.IMPORT, **fields).full_clean()
    with pytest.raises(ValidationError):
        ProgressUpdate(source=StateSource.REPORT, **fields).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdate.objects.create(source=StateSource.REPORT, **fields)
