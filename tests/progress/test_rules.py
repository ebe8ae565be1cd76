"""Each rule has one home, and every page, filter, admin list and reminder agrees on it: overdue
milestones (also on a day before their late completion) and stale tasks (also once the plan's
year is over)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
    StrategyFactory,
    TaskFactory,
)
from tests.helpers import rendered
from tracker.models import Status, Task, end_of
from tracker.progress import reminders

pytestmark = pytest.mark.django_db


def reported(task, when, status=Status.ON_TRACK, progress=50):
    """A report on the task at ``when``, made its current state as the services do."""
    update = ProgressUpdateFactory(task=task, reported_at=when, status=status,
                                   progress=progress, budget_executed=0)
    Task.objects.filter(pk=task.pk).update(**update.task_state())
    return update


def noon(day):
    return end_of(day) - datetime.timedelta(hours=12)


def everything_that_counts_overdue(client, plan, staff, day):
    """What the dashboard, its overdue table, the task list's filter and the reminder digest
    each say is overdue as of the end of ``day``."""
    query = {"as_of": day.isoformat()}
    dashboard = client.get(reverse("tracker:plan", args=[plan.year]), query).context
    listed = client.get(reverse("tracker:task_list", args=[plan.year]),
                        {**query, "overdue": "yes"}).context["object_list"]
    due, _ = reminders.digests(plan, days=90, now=noon(day))
    [digest] = [d for d in due if d.user == staff] or [reminders.Digest(staff, plan, 90)]
    return {
        "dashboard count": dashboard["totals"].overdue,
        "dashboard table": [m.pk for m in dashboard["overdue_milestones"]],
        "task list": [t.pk for t in listed],
        "reminder": [m.pk for m in digest.milestones],
    }


def test_a_milestone_completed_late_is_overdue_everywhere_until_its_completion(
    client, plan, strategy, agency, staff, manager
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency)
    reported(task, timezone.make_aware(datetime.datetime(2024, 5, 2, 10)))
    late = MilestoneFactory(task=task, baseline_date=datetime.date(2024, 6, 30),
                            completed_on=datetime.date(2024, 8, 5))
    client.force_login(manager)

    before = everything_that_counts_overdue(client, plan, staff, datetime.date(2024, 7, 15))
    after = everything_that_counts_overdue(client, plan, staff, datetime.date(2024, 8, 10))

    assert before == {"dashboard count": 1, "dashboard table": [late.pk],
                      "task list": [task.pk], "reminder": [late.pk]}
    assert after == {"dashboard count": 0, "dashboard table": [], "task list": [],
                     "reminder": []}


def test_a_finished_task_is_not_overdue_anywhere_for_a_milestone_left_open(
    client, plan, strategy, agency, staff, manager
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency)
    reported(task, timezone.make_aware(datetime.datetime(2024, 5, 2, 10)),
             status=Status.COMPLETED, progress=100)
    MilestoneFactory(task=task, baseline_date=datetime.date(2024, 6, 30))
    client.force_login(manager)

    found = everything_that_counts_overdue(client, plan, staff, datetime.date(2024, 7, 15))

    assert found == {"dashboard count": 0, "dashboard table": [], "task list": [],
                     "reminder": []}


def stale_everywhere(client, plan, staff, manager):
    """The tasks each place calls stale today, by number."""
    client.force_login(manager)
    dashboard = rendered(client, reverse("tracker:plan", args=[plan.year])).context
    listed = rendered(client, reverse("tracker:task_list", args=[plan.year]), {"stale": "yes"})
    client.force_login(staff)
    admin = client.get(reverse("admin:tracker_task_changelist"),
                       {"reported": "stale", "plan__id__exact": plan.pk})
    due, _ = reminders.digests(plan, days=90)
    return {
        "dashboard count": dashboard["totals"].stale,
        "dashboard list": sorted(t.number for t in dashboard["stale_tasks"]),
        "task list": sorted(t.number for t in listed.context["object_list"]),
        "admin": sorted(t.number for t in admin.context["cl"].result_list),
        "reminder": sorted(t.number for d in due for t in d.tasks),
    }


def test_once_the_plans_year_is_over_staleness_is_measured_from_its_end(
    client, agency, staff, manager
):
    plan = PlanFactory(year=timezone.localdate().year - 2)
    strategy = StrategyFactory(plan=plan)
    year = plan.year

    def task_reported_on(number, month, day, **state):
        task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=number,
                           start_date=datetime.date(year, 1, 1),
                           end_date=datetime.date(year, 12, 31))
        reported(task, timezone.make_aware(datetime.datetime(year, month, day, 10)), **state)

    task_reported_on(1, 12, 1)  # in the last 90 days of the year
    task_reported_on(2, 8, 1)  # silent from August to the year's end
    task_reported_on(3, 3, 1, status=Status.COMPLETED, progress=100)  # done: never stale
    TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=4)  # never reported

    assert stale_everywhere(client, plan, staff, manager) == {
        "dashboard count": 2, "dashboard list": [2, 4], "task list": [2, 4], "admin": [2, 4],
        "reminder": [2, 4]}


def test_during_the_plans_year_staleness_is_measured_from_today(client, agency, staff, manager):
    plan = PlanFactory(year=timezone.localdate().year)
    strategy = StrategyFactory(plan=plan)
    for number, days_ago in [(1, 10), (2, 100)]:
        task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=number,
                           start_date=datetime.date(plan.year, 1, 1),
                           end_date=datetime.date(plan.year, 12, 31))
        reported(task, timezone.now() - datetime.timedelta(days=days_ago))

    assert stale_everywhere(client, plan, staff, manager) == {
        "dashboard count": 1, "dashboard list": [2], "task list": [2], "admin": [2],
        "reminder": [2]}


def test_the_reporting_period_is_a_setting(client, agency, staff, manager, settings):
    settings.KIPPLAN_REPORTING_PERIOD_DAYS = 5
    plan = PlanFactory(year=timezone.localdate().year)
    task = TaskFactory(plan=plan, strategy=StrategyFactory(plan=plan), lead_agency=agency,
                       start_date=datetime.date(plan.year, 1, 1),
                       end_date=datetime.date(plan.year, 12, 31))
    reported(task, timezone.now() - datetime.timedelta(days=10))
    client.force_login(manager)

    body = client.get(reverse("tracker:plan", args=[plan.year])).content.decode()

    assert stale_everywhere(client, plan, staff, manager)["task list"] == [task.number]
    assert "5일간 보고 없음" in body and "No report in 5 days" in client.get(
        reverse("tracker:plan", args=[plan.year]), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_no_task_is_stale_before_a_reporting_period_of_its_year_has_passed(
    client, agency, staff, manager
):
    this_year = timezone.localdate().year
    plan = PlanFactory(year=this_year + 1)  # next year's plan, carried over or imported early
    strategy = StrategyFactory(plan=plan)
    TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=1,
                start_date=datetime.date(plan.year, 1, 1),
                end_date=datetime.date(plan.year, 12, 31))

    assert stale_everywhere(client, plan, staff, manager) == {
        "dashboard count": 0, "dashboard list": [], "task list": [], "admin": [],
        "reminder": []}


@pytest.mark.parametrize("day, stale", [("2024-03-01", 0), ("2024-05-01", 1)])
def test_an_unreported_task_becomes_stale_one_period_into_its_year(
    client, plan, strategy, agency, manager, day, stale
):
    TaskFactory(plan=plan, strategy=strategy, lead_agency=agency)
    client.force_login(manager)

    dashboard = client.get(reverse("tracker:plan", args=[plan.year]), {"as_of": day})

    assert dashboard.context["totals"].stale == stale


def test_the_dashboard_says_when_staleness_runs_to_the_end_of_a_past_year(
    client, plan, manager
):
    client.force_login(manager)

    past = client.get(reverse("tracker:plan", args=[plan.year]), HTTP_ACCEPT_LANGUAGE="en")
    during = client.get(reverse("tracker:plan", args=[plan.year]), {"as_of": "2024-06-30"},
                        HTTP_ACCEPT_LANGUAGE="en")

    assert "The plan's year is over" in past.content.decode()
    assert "The plan's year is over" not in during.content.decode()
