"""carry_over: next year's plan from this year's unfinished tasks."""

import datetime
import io

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.utils import translation

from tracker.loading.carry_over import shift_years
from tracker.models import Milestone, Plan, Status, Task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo(demo):
    # The demo's 2025 plan is this carry-over's result (tests/test_fixtures.py checks it): these
    # tests make it afresh from the 2024 plan.
    Task.objects.filter(plan__year=2025).delete()
    Plan.objects.filter(year=2025).delete()
    with translation.override("en"):
        yield


def snapshot(year):
    """Everything of a plan's tasks, as serialized text."""
    tasks = Task.objects.filter(plan__year=year).order_by("pk")
    return serializers.serialize("json", [
        *tasks, *Milestone.objects.filter(task__in=tasks).order_by("pk"),
        *[update for task in tasks for update in task.updates.order_by("pk")],
    ])


def carry(*args):
    out = io.StringIO()
    call_command("carry_over", *map(str, args), stdout=out)
    return out.getvalue()


def test_unfinished_tasks_become_next_years_plan_and_this_year_is_untouched():
    before = snapshot(2024)
    old = Task.objects.filter(plan__year=2024)
    unfinished = old.exclude(status__in=[*Status.finished(), Status.SUSPENDED])
    suspended = old.filter(status=Status.SUSPENDED).count()

    out = carry(2024, 2025)

    assert snapshot(2024) == before
    plan = Plan.objects.get(year=2025)
    new = plan.tasks.order_by("number")
    assert list(new.values_list("number", flat=True)) == list(
        unfinished.order_by("number").values_list("number", flat=True))
    assert f"Carried {unfinished.count()} unfinished tasks" in out
    assert f"{suspended} suspended tasks were left behind" in out
    assert plan.strategies.count() == 5
    assert plan.total_budget == sum(t.budget for t in unfinished)
    for task in new:
        source = task.carried_from
        assert source.plan.year == 2024 and source.number == task.number
        assert task.code == f"2025-{task.number:02d}"
        assert (task.title_ko, task.lead_agency_id, task.budget, task.strategy.number) == (
            source.title_ko, source.lead_agency_id, source.budget, source.strategy.number)
        assert set(task.supporting_agencies.all()) == set(source.supporting_agencies.all())
        assert set(task.technologies.all()) == set(source.technologies.all())
        assert (task.start_date, task.end_date) == (
            shift_years(source.start_date, 1), shift_years(source.end_date, 1))
        assert (task.status, task.progress, task.budget_executed, task.last_reported_at) == (
            Status.NOT_STARTED, 0, 0, None)
        assert task.is_illustrative == source.is_illustrative
        assert task.source_note == ""  # the sources speak of the 2024 plan, linked above
        assert not task.updates.exists()
        open_milestones = source.milestones.filter(completed_on__isnull=True)
        assert sorted(task.milestones.values_list("title_ko", "baseline_date", "due_date")) == (
            sorted(open_milestones.values_list("title_ko", "baseline_date", "due_date")))
        assert not task.milestones.filter(completed_on__isnull=False).exists()


def test_suspended_tasks_come_along_when_asked():
    suspended = Task.objects.filter(plan__year=2024, status=Status.SUSPENDED)
    assert suspended.exists()

    call_command("carry_over", "2024", "2025", "--include-suspended", stdout=io.StringIO())

    carried = set(Task.objects.filter(plan__year=2025).values_list("carried_from", flat=True))
    assert set(suspended.values_list("pk", flat=True)) <= carried


def test_a_plan_that_already_has_tasks_is_refused_and_left_alone():
    carry(2024, 2025)
    before = snapshot(2025)

    with pytest.raises(CommandError, match="already has .* tasks"):
        carry(2024, 2025)

    assert snapshot(2025) == before


def test_an_existing_empty_plan_receives_the_tasks():
    carry(2024, 2025)
    Task.objects.filter(plan__year=2025).delete()

    carry(2024, 2025)

    assert Task.objects.filter(plan__year=2025).exists()
    assert Plan.objects.filter(year=2025).count() == 1


@pytest.mark.parametrize(("args", "message"), [
    ((2021, 2025), "no 2021 plan"),
    ((2024, 2024), "another year"),
    ((2024, 99999), "between 2000 and 2100"),
])
def test_bad_years_are_refused(args, message):
    plans = list(Plan.objects.values_list("year", flat=True))

    with pytest.raises(CommandError, match=message):
        carry(*args)

    assert list(Plan.objects.values_list("year", flat=True)) == plans


def test_a_missing_strategy_in_the_target_plan_stores_nothing():
    carry(2024, 2025)
    Task.objects.filter(plan__year=2025).delete()
    Plan.objects.get(year=2025).strategies.filter(number=5).delete()

    with pytest.raises(CommandError, match="no strategy 5"):
        carry(2024, 2025)

    assert not Task.objects.filter(plan__year=2025).exists()


def test_a_leap_day_moves_to_the_28th():
    assert shift_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)
    assert shift_years(datetime.date(2024, 3, 1), 1) == datetime.date(2025, 3, 1)


def test_the_new_task_page_links_to_the_task_it_continues(client):
    carry(2024, 2025)
    task = Task.objects.filter(plan__year=2025).order_by("number").first()
    client.login(username="manager", password="kipplan-demo")

    body = client.get(f"/plans/2025/tasks/{task.number}/").content.decode()

    source = task.carried_from
    assert f'href="/plans/2024/tasks/{source.number}/">{source.code}</a>' in body
