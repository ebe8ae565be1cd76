"""Data migrations, run on a database as the earlier code left it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kipplan import page_cache
from tracker.models import Task

BEFORE = [("tracker", "0013_history_source")]
AFTER = [("tracker", "0014_history_behind_every_state")]


@pytest.fixture
def before_0014(transactional_db):
    """The historical models at 0013; the database migrated back to it, and forward again
    when the test is over. The data's revision is not kept meanwhile: its table comes later."""
    with page_cache.paused():
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        yield executor.loader.project_state(BEFORE).apps
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward():
    """Through 0014 and on to the latest migration, so that the current models can read the
    result."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_0014_gives_an_imported_state_the_history_entry_behind_it(before_0014):
    apps = before_0014
    Plan, Strategy, Agency = (apps.get_model("tracker", name)
                              for name in ("Plan", "Strategy", "Agency"))
    OldTask = apps.get_model("tracker", "Task")
    plan = Plan.objects.create(year=2023, title_ko="2023", total_budget=0, won_per_usd=1300)
    strategy = Strategy.objects.create(plan=plan, number=1, title_ko="전략")
    agency = Agency.objects.create(name_ko="기관", slug="agency", kind="ministry")
    reported = timezone.make_aware(datetime.datetime(2023, 11, 30, 10))

    def task(number, **state):
        return OldTask.objects.create(
            plan=plan, strategy=strategy, number=number, code=f"2023-{number:02d}",
            title_ko="과제", lead_agency=agency, budget=0, start_date=datetime.date(2023, 1, 1),
            end_date=datetime.date(2023, 12, 31), **state)

    task(1, status="completed", progress=100, budget_executed=5, last_reported_at=reported)
    task(2, status="delayed", progress=10)  # no time in the file
    task(3)  # left not started

    migrate_forward()

    tasks = {t.number: t for t in Task.objects.filter(plan__year=2023).as_of(
        timezone.localdate())}
    for number in (1, 2, 3):
        t = tasks[number]
        assert (t.status, t.progress, t.budget_executed, t.last_reported_at) == (
            t.current_status, t.current_progress, t.current_executed, t.current_reported_at)
    assert [(u.source, u.reported_by, u.reported_at) for u in tasks[1].updates.all()] == [
        ("import", None, reported)]
    assert tasks[2].updates.get().reported_at == tasks[2].created_at
    assert not tasks[3].updates.exists()


@pytest.fixture
def before_0025(transactional_db):
    """The historical models at 0024, as before_0014 gives them at 0013."""
    with page_cache.paused():
        executor = MigrationExecutor(connection)
        executor.migrate([("tracker", "0024_revision")])
        yield executor.loader.project_state([("tracker", "0024_revision")]).apps
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_0025_keeps_each_assignments_weighted_total_in_hundredths_and_back(before_0025):
    apps = before_0025
    Plan, Strategy, Agency, OldTask, Round, User, OldAssignment = (
        apps.get_model(*name.split(".")) for name in (
            "tracker.Plan", "tracker.Strategy", "tracker.Agency", "tracker.Task",
            "tracker.EvaluationRound", "auth.User", "tracker.Assignment"))
    plan = Plan.objects.create(year=2023, title_ko="2023", total_budget=0, won_per_usd=1300)
    strategy = Strategy.objects.create(plan=plan, number=1, title_ko="전략")
    agency = Agency.objects.create(name_ko="기관", slug="agency", kind="ministry")
    round = Round.objects.create(plan=plan)
    totals = {}
    for number, total in enumerate(("87.15", "0", "2999.97"), 1):
        task = OldTask.objects.create(
            plan=plan, strategy=strategy, number=number, code=f"2023-{number:02d}",
            title_ko="과제", lead_agency=agency, budget=0, start_date=datetime.date(2023, 1, 1),
            end_date=datetime.date(2023, 12, 31))
        evaluator = User.objects.create(username=f"evaluator-{number}")
        assignment = OldAssignment.objects.create(round=round, task=task, evaluator=evaluator,
                                                  weighted_total=Decimal(total), weight_total=3)
        totals[assignment.pk] = total

    with page_cache.paused():
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("tracker", "0025_assignment_weighted_hundredths")])
        NewAssignment = executor.loader.project_state(
            [("tracker", "0025_assignment_weighted_hundredths")]).apps.get_model(
            "tracker", "Assignment")
        assert dict(NewAssignment.objects.values_list("pk", "weighted_hundredths")) == {
            pk: int(Decimal(total) * 100) for pk, total in totals.items()}

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("tracker", "0024_revision")])
    assert {pk: str(total) for pk, total in OldAssignment.objects.values_list(
        "pk", "weighted_total")} == {pk: f"{Decimal(total):.2f}" for pk, total in totals.items()}
