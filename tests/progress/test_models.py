import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.factories import (
    AgencyFactory,
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
    StrategyFactory,
    TaskFactory,
    UserFactory,
)
from tracker.models import (
    Agency,
    Milestone,
    Plan,
    ProgressUpdate,
    Status,
    Strategy,
    Task,
    TrafficLight,
)

pytestmark = pytest.mark.django_db

JUNE_1, MAY_31 = datetime.date(2024, 6, 1), datetime.date(2024, 5, 31)

# (what breaks the rule, the values, the field the form error belongs to)
TASK_RULES = [
    ("progress above 100", {"progress": 101}, "progress"),
    ("progress below 0", {"progress": -1}, "progress"),
    ("negative budget", {"budget": -1}, "budget"),
    ("negative budget executed", {"budget_executed": -1}, "budget_executed"),
    ("end before start", {"start_date": JUNE_1, "end_date": MAY_31}, "end_date"),
    ("completed below 100%", {"status": Status.COMPLETED, "progress": 99}, "progress"),
    ("completed, continuing, below 100%",
     {"status": Status.COMPLETED_CONTINUING, "progress": 50}, "progress"),
]
UPDATE_RULES = [
    ("progress above 100", {"progress": 101}, "progress"),
    ("progress below 0", {"progress": -1}, "progress"),
    ("negative budget executed", {"budget_executed": -5}, "budget_executed"),
    ("completed below 100%", {"status": Status.COMPLETED, "progress": 90}, "progress"),
]


def task_values(plan, strategy, agency, **values):
    return {
        "plan": plan, "strategy": strategy, "lead_agency": agency, "number": 1,
        "title_ko": "과제", "budget": 1_000, "start_date": datetime.date(2024, 1, 1),
        "end_date": datetime.date(2024, 12, 31), **values,
    }


@pytest.mark.parametrize("rule, values, field", TASK_RULES, ids=[r[0] for r in TASK_RULES])
def test_task_rule_is_a_validation_error(plan, strategy, agency, rule, values, field):
    task = Task(**task_values(plan, strategy, agency, **values))

    with pytest.raises(ValidationError) as error:
        task.full_clean()

    assert field in error.value.message_dict


@pytest.mark.parametrize("rule, values, field", TASK_RULES, ids=[r[0] for r in TASK_RULES])
def test_task_rule_holds_in_the_database(plan, strategy, agency, rule, values, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(**task_values(plan, strategy, agency, **values))

    assert not Task.objects.exists()


def test_valid_task_passes_full_clean(plan, strategy, agency):
    task = Task(**task_values(plan, strategy, agency, status=Status.COMPLETED, progress=100))

    task.full_clean()
    task.save()

    assert Task.objects.get().code == "2024-01"


@pytest.mark.parametrize("rule, values, field", UPDATE_RULES, ids=[r[0] for r in UPDATE_RULES])
def test_progress_update_rule_is_a_validation_error(task, rule, values, field):
    update = ProgressUpdateFactory.build(task=task, reported_by=UserFactory(), **values)

    with pytest.raises(ValidationError) as error:
        update.full_clean()

    assert field in error.value.message_dict


@pytest.mark.parametrize("rule, values, field", UPDATE_RULES, ids=[r[0] for r in UPDATE_RULES])
def test_progress_update_rule_holds_in_the_database(task, rule, values, field):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdate.objects.create(
            task=task, reported_by=user, **{"status": Status.ON_TRACK, "progress": 10,
                                            "budget_executed": 0, **values}
        )

    assert not ProgressUpdate.objects.exists()


def test_task_number_is_unique_within_a_plan(task):
    duplicate = TaskFactory.build(
        plan=task.plan, strategy=task.strategy, lead_agency=task.lead_agency, number=task.number
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "__all__" in error.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            plan=task.plan, strategy=task.strategy, lead_agency=task.lead_agency,
            number=task.number, code="other-code", title_ko="중복", budget=0,
            start_date=task.start_date, end_date=task.end_date,
        )


def test_the_same_task_number_may_be_used_in_another_year(task):
    next_year = PlanFactory(year=2025)

    other = TaskFactory(plan=next_year, number=task.number)

    assert other.code == "2025-17"


def test_task_code_is_the_year_and_padded_number_and_stays_stable(plan, strategy, agency):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=7)
    assert task.code == "2024-07"

    task.number = 8
    task.save()

    task.refresh_from_db()
    assert task.code == "2024-07"


def test_task_strategy_must_belong_to_the_task_plan(task):
    other_strategy = StrategyFactory(plan=PlanFactory(year=2025))
    task.strategy = other_strategy

    with pytest.raises(ValidationError) as error:
        task.full_clean()

    assert "strategy" in error.value.message_dict


def test_strategy_number_is_unique_within_a_plan(strategy):
    with pytest.raises(ValidationError):
        Strategy(plan=strategy.plan, number=strategy.number, title_ko="중복").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Strategy.objects.create(plan=strategy.plan, number=strategy.number, title_ko="중복")


@pytest.mark.parametrize("values", [{"total_budget": -1}, {"won_per_usd": "0"}])
def test_plan_budget_and_rate_rules_hold_both_ways(values):
    plan = Plan(year=2030, title_ko="계획", **{"total_budget": 1, "won_per_usd": "1300", **values})
    with pytest.raises(ValidationError):
        plan.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.save()


def test_plan_year_is_unique(plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(year=plan.year, title_ko="중복", total_budget=0, won_per_usd=1300)


def test_plan_budget_totals_show_the_difference_from_the_task_budgets(plan, strategy):
    TaskFactory(plan=plan, strategy=strategy, budget=100_000_000_000)
    TaskFactory(plan=plan, strategy=strategy, budget=34_100_000_000)

    totals = Plan.objects.with_budget_totals().get(pk=plan.pk)

    assert totals.task_count == 2
    assert totals.allocated_budget == 134_100_000_000
    assert plan.budget_difference(totals.allocated_budget) == 800_000_000_000


def test_plan_without_tasks_has_zero_allocated_budget(plan):
    assert Plan.objects.with_budget_totals().get(pk=plan.pk).allocated_budget == 0


def test_agency_cannot_be_its_own_ancestor():
    kipo = AgencyFactory()
    kista = AgencyFactory(parent=kipo)
    team = AgencyFactory(parent=kista)

    kipo.parent = team
    with pytest.raises(ValidationError) as error:
        kipo.full_clean()
    assert "parent" in error.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.filter(pk=kipo.pk).update(parent=kipo)


def test_agency_with_descendants_walks_the_whole_tree():
    kipo = AgencyFactory()
    kista = AgencyFactory(parent=kipo)
    team = AgencyFactory(parent=kista)
    AgencyFactory()  # unrelated

    assert set(Agency.objects.filter(pk=kipo.pk).with_descendants()) == {kipo, kista, team}
    assert set(Agency.objects.filter(pk=team.pk).with_descendants()) == {team}


def test_milestone_slippage_is_current_due_minus_baseline():
    milestone = MilestoneFactory(
        baseline_date=datetime.date(2024, 7, 31), due_date=datetime.date(2024, 9, 30)
    )
    assert milestone.slippage_days == 61


def test_a_milestone_is_overdue_while_open_and_past_due_even_if_completed_later():
    milestone = MilestoneFactory(due_date=datetime.date(2024, 7, 31),
                                 completed_on=datetime.date(2024, 8, 5))

    def overdue_on(day):
        return Milestone.objects.overdue(day).filter(pk=milestone.pk).exists()

    assert not overdue_on(datetime.date(2024, 7, 31))  # due that day: not late yet
    assert overdue_on(datetime.date(2024, 8, 1))
    assert overdue_on(datetime.date(2024, 8, 4))  # completed only on the 5th
    assert not overdue_on(datetime.date(2024, 8, 5))


def test_names_follow_the_active_language_and_fall_back_to_the_other(task):
    with translation.override("ko"):
        assert str(task) == f"2024-17 {task.title_ko}"
    with translation.override("en"):
        assert task.title == task.title_en
        task.title_en = ""
        assert task.title == task.title_ko


LIGHTS = {
    Status.NOT_STARTED: TrafficLight.GREY, Status.ON_TRACK: TrafficLight.GREEN,
    Status.NEEDS_ATTENTION: TrafficLight.AMBER, Status.DELAYED: TrafficLight.RED,
    Status.COMPLETED: TrafficLight.BLUE, Status.COMPLETED_CONTINUING: TrafficLight.BLUE,
    Status.SUSPENDED: TrafficLight.RED,
}


@pytest.mark.parametrize("status", list(Status))
def test_every_status_maps_to_a_traffic_light(status):
    assert status.light == LIGHTS[status]
