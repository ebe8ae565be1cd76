"""The API's outcome indicators and IP statistics, each figure with its revisions, and a plan's
evaluation (results' summaries, grades, budget advice) by the evaluation page's rules."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TaskFactory, round_at
from tracker.models import (
    BudgetAdvice,
    FigureKind,
    Grade,
    GradeLevel,
    Indicator,
    IndicatorValue,
    Result,
    ResultState,
    RoundState,
    Statistic,
    StatisticValue,
)

pytestmark = pytest.mark.django_db


def test_an_indicators_revised_figure_is_in_force_and_the_first_is_kept(client, manager, plan):
    indicator = Indicator.objects.create(plan=plan, number=1, name_ko="지식재산권 무역수지",
                                         unit_ko="백만 달러", source_ko="한국은행")
    IndicatorValue.objects.create(indicator=indicator, year=2022, value=Decimal("-1330"),
                                  kind=FigureKind.PRELIMINARY,
                                  published_on=datetime.date(2023, 3, 1))
    IndicatorValue.objects.create(indicator=indicator, year=2022, value=Decimal("-1110"),
                                  kind=FigureKind.REVISED, published_on=datetime.date(2024, 3, 1))
    client.force_login(manager)

    [data] = client.get(reverse("api:plan-indicators", args=[2024])).json()

    assert [(f["value"], f["kind"], f["in_force"]) for f in data["figures"]] == [
        ("-1330.00", "preliminary", False), ("-1110.00", "revised", True)]


def test_ip_statistics_come_with_their_figures(client, manager):
    statistic = Statistic.objects.create(number=1, name_ko="특허 출원", unit_ko="건",
                                         source_ko="특허청")
    StatisticValue.objects.create(statistic=statistic, year=2023, value=Decimal("243310"),
                                  kind=FigureKind.FINAL)
    client.force_login(manager)

    data = client.get(reverse("api:statistic-detail", args=[1])).json()

    assert data["name_ko"] == "특허 출원"
    assert data["figures"][0]["value"] == "243310.00"


@pytest.fixture
def graded(plan, strategy, agency, other_agency, manager):
    """Tasks 17 (KIPO's) and 18 (MCST's), results submitted and graded, advice on both."""
    round_ = round_at(RoundState.APPROVED, plan)
    for number, lead in ((17, agency), (18, other_agency)):
        task = TaskFactory(plan=plan, strategy=strategy, lead_agency=lead, number=number)
        Result.objects.create(task=task, state=ResultState.SUBMITTED, submitted_at=timezone.now(),
                              summary_public=f"{number} 공개 요약", achievements="내부 서술")
        Grade.objects.create(round=round_, task=task, grade=GradeLevel.EXCELLENT)
        BudgetAdvice.objects.create(round=round_, task=task, recommendation="keep",
                                    reason="성과 유지", for_year=2026, updated_by=manager)
    return round_


def evaluation(client):
    response = client.get(reverse("api:plan-evaluation", args=[2024]))
    assert response.status_code == 200, response.content
    return response.json()


def codes(rows):
    return [row["task_code"] for row in rows]


def test_before_publication_staff_read_their_own_tasks_only(client, graded, staff):
    client.force_login(staff)

    data = evaluation(client)

    assert data["state"] == "approved"
    assert codes(data["results"]) == codes(data["grades"]) == codes(data["budget_advice"]) == [
        "2024-17"]
    assert "내부 서술" not in str(data)


def test_before_publication_visitors_of_the_published_pages_read_no_result(
        client, settings, graded):
    settings.KIPPLAN_PUBLIC_PAGES = True

    data = evaluation(client)

    assert (data["results"], data["grades"], data["budget_advice"]) == ([], [], [])


def test_once_published_everyone_reads_every_summary_grade_and_advice(client, settings, graded):
    settings.KIPPLAN_PUBLIC_PAGES = True
    graded.state = RoundState.PUBLISHED
    graded.published_on = datetime.date(2025, 4, 30)
    graded.save()

    data = evaluation(client)

    assert codes(data["results"]) == codes(data["grades"]) == ["2024-17", "2024-18"]
    assert codes(data["budget_advice"]) == ["2024-17", "2024-18"]
    assert data["results"][0]["summary"] == "17 공개 요약"


def test_managers_read_everything_before_publication(client, graded, manager):
    client.force_login(manager)

    data = evaluation(client)

    assert codes(data["grades"]) == ["2024-17", "2024-18"]


def test_a_plan_without_a_round_has_no_evaluation(client, manager, plan):
    client.force_login(manager)

    assert client.get(reverse("api:plan-evaluation", args=[2024])).status_code == 404
