"""Plans across the years: the years page, plans recorded by their headline figures, a task's
chain of carry-overs, and indicator figures that are revised after publication."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.factories import PlanFactory, TaskFactory, build_plan
from tracker.common import charts
from tracker.models import FigureKind, Indicator, IndicatorValue, Plan, Status, Task
from tracker.plans import indicators
from tracker.progress import carry_over_chains as chains

pytestmark = pytest.mark.django_db


def headline_plan(year, tasks, budget_eok, meeting, day):
    return PlanFactory(year=year, announced_task_count=tasks, total_budget=budget_eok * 10**8,
                       meeting_number=meeting, endorsed_on=day)


def test_the_years_page_sets_each_plan_beside_the_others(client, manager, plan, strategy):
    headline_plan(2022, 112, 9_901, 31, datetime.date(2022, 3, 31))
    plan.announced_task_count = 2
    plan.save()
    TaskFactory(plan=plan, strategy=strategy, budget=6 * 10**9, status=Status.COMPLETED,
                progress=100, budget_executed=6 * 10**9)
    TaskFactory(plan=plan, strategy=strategy, budget=4 * 10**9, budget_executed=10**9)
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:years"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2022 National IP Implementation Plan" in body
    assert "112 (announced)" in body and "headline figures only" in body
    assert "990.1 billion won" in body  # 9,901억원
    assert "meeting 31" in body
    assert "1 of 2 (50%)" in body  # the 2024 plan: one of its two tasks completed
    assert "7 billion won (70%)" in body  # 7 of 10 billion won executed
    assert body.count('<svg class="chart"') >= 3
    assert 'role="img"' in body and "<title" in body


def test_a_headline_plan_counts_by_its_announced_figures_and_never_as_zero(manager, client):
    headline_plan(2023, 107, 10_124, 34, datetime.date(2023, 3, 31))
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:years"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        page = client.get(reverse("tracker:plan", args=[2023]), HTTP_ACCEPT_LANGUAGE="en")

    assert "107 (announced)" in body and "1,012.4 billion won" in body
    assert page.status_code == 200
    text = page.content.decode()
    assert "recorded by its headline figures" in text and "107" in text
    assert "0 tasks" not in text


def test_staff_see_the_figures_of_their_own_tasks_only(client, plan, strategy, agency,
                                                        other_agency, staff):
    TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, status=Status.COMPLETED,
                progress=100)
    TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency)
    TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency)
    client.force_login(staff)

    with translation.override("en"):
        body = client.get(reverse("tracker:years"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "1 of 1 (100%)" in body and "of 3" not in body


def test_the_years_page_runs_as_many_queries_for_four_plans_as_for_forty(client, manager):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("tracker:years")).status_code == 200
        return len(queries)

    client.force_login(manager)
    for year in range(2020, 2024):
        build_plan(5, year=year)
    few = count()
    for year in range(1990, 2020):
        headline_plan(year, 50, 1_000, 1, datetime.date(year, 3, 1))
    for year in range(2024, 2030):
        build_plan(5, year=year)

    assert Plan.objects.count() == 40
    assert count() == few <= 15


def carried_chain():
    """2023-05 → 2024-12 → 2025-12, each its year's task."""
    first = TaskFactory(plan=PlanFactory(year=2023), number=5, status=Status.DELAYED,
                        progress=40, budget=3 * 10**9)
    second = TaskFactory(plan=PlanFactory(year=2024), number=12, carried_from=first,
                         status=Status.ON_TRACK, progress=70, budget=5 * 10**9)
    third = TaskFactory(plan=PlanFactory(year=2025), number=12, carried_from=second)
    return first, second, third


def test_a_task_shows_its_chain_with_each_years_state(client, manager):
    first, second, third = carried_chain()
    TaskFactory(plan=second.plan, number=13)  # not in the chain
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:task_detail", args=[2024, 12]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()

    table = body[body.index("Across the years"):body.index("Budget</h2>")]
    assert [first.code, second.code, third.code] == ["2023-05", "2024-12", "2025-12"]
    assert table.index("2023-05") < table.index("2024-12") < table.index("2025-12")
    assert "40%" in table and "70%" in table and "Delayed" in table
    assert "2024-13" not in table
    assert 'href="/plans/2025/tasks/12/"' in table and 'href="/plans/2024/tasks/12/"' not in table


def test_a_chain_shows_staff_only_the_tasks_they_may_see(client, agency, other_agency, staff):
    first, second, third = carried_chain()
    Task.objects.filter(pk__in=[second.pk, third.pk]).update(lead_agency=agency)
    Task.objects.filter(pk=first.pk).update(lead_agency=other_agency)
    client.force_login(staff)

    body = client.get(reverse("tracker:task_detail", args=[2024, 12])).content.decode()

    assert "2025-12" in body and "2023-05" not in body


def test_chains_are_read_in_one_query_however_many_tasks(django_assert_num_queries):
    first, second, third = carried_chain()
    TaskFactory(plan=second.plan, number=40)  # in no chain

    with django_assert_num_queries(1):
        codes = chains.chain_codes(Task.objects.all())
    with django_assert_num_queries(1):
        seen = chains.chain_codes(Task.objects.exclude(pk=first.pk))

    chain = "2023-05 → 2024-12 → 2025-12"
    assert codes == {first.pk: chain, second.pk: chain, third.pk: chain}
    assert seen == {second.pk: "2024-12 → 2025-12", third.pk: "2024-12 → 2025-12"}


def test_a_loop_of_links_does_not_hang():
    assert chains.chain_ids(1, {1: 2, 2: 1}) == [2, 1]


def test_a_revised_figure_is_in_force_and_says_what_it_revised(plan):
    indicator = Indicator.objects.create(plan=plan, number=1, name_ko="무역수지",
                                         unit_ko="백만 달러", source_ko="한국은행")
    first = IndicatorValue.objects.create(indicator=indicator, year=2022, value=Decimal("-1330"),
                                          published_on=datetime.date(2023, 3, 1))
    revised = IndicatorValue.objects.create(indicator=indicator, year=2022, value=Decimal("-1110"),
                                            kind=FigureKind.REVISED,
                                            published_on=datetime.date(2024, 3, 1))
    IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("180"),
                                  published_on=datetime.date(2024, 3, 1))

    (_, figures), = indicators.indicators_of(plan)

    assert [(f.year, f.value, f.first) for f in figures] == [
        (2022, revised, first), (2023, figures[1].value, None)]
    assert figures[0].revised and not figures[1].revised


def test_charts_put_zero_where_negative_and_positive_values_meet():
    chart = charts.bar_chart("balance", [("2022", [(-1110, "-1,110", False)]),
                                         ("2023", [(180, "180", False)])], target=0)

    down, up = chart.bars
    assert down.y == chart.baseline and down.y + down.height == pytest.approx(
        charts.HEIGHT - charts.BOTTOM)
    assert up.y + up.height == pytest.approx(chart.baseline)
    assert chart.target == chart.baseline
    assert down.text_y > down.y + down.height and up.text_y < up.y


def test_the_years_page_with_no_plan_says_so(client, manager):
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:years"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No plan has been loaded yet." in body


def test_a_year_has_one_undated_figure(plan):
    indicator = Indicator.objects.create(plan=plan, number=1, name_ko="무역수지",
                                         unit_ko="백만 달러", source_ko="한국은행")
    IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("180"))

    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("181"))


@pytest.mark.parametrize("page", ["tracker:task_list", "tracker:agency_list",
                                  "tracker:technology_list"])
def test_every_page_of_a_headline_plan_says_so(client, manager, page):
    headline_plan(2022, 112, 9_901, 31, datetime.date(2022, 3, 31))
    client.force_login(manager)
    url = (reverse(page, args=[2022]) if page == "tracker:task_list"
           else reverse(page) + "?year=2022")

    with translation.override("en"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "is recorded by its headline figures (112 tasks, 990.1 billion won)" in body


def test_the_demos_invented_completion_and_grades_are_labelled_where_they_appear(client, demo):
    """The demo's statuses and grades are invented, on real programmes too: the years page,
    the task page and the 최우수 list say so (before, only invented titles were labelled)."""
    from django.contrib.auth import get_user_model

    from tracker.models import Grade, GradeLevel

    client.force_login(get_user_model().objects.get(username="manager"))
    years = client.get(reverse("tracker:years"))
    rows = {year.plan.year: year for year in years.context["years"]}
    assert rows[2024].progress_illustrative and rows[2024].grades_illustrative
    cell = years.content.decode().split("<th scope=\"row\">2024")[1][:200]
    assert "demo-label" in cell
    real = Task.objects.filter(plan__year=2024, is_illustrative=False).first()
    page = client.get(reverse("tracker:task_detail", args=[2024, real.number])).content.decode()
    with translation.override("ko"):
        label = translation.gettext("Status")
    status = page.split(f'<th scope="row">{label}</th>', 1)[1].split("</tr>", 1)[0]
    assert "demo-label" in status
    assert Grade.objects.filter(round__plan__year=2024, grade=GradeLevel.OUTSTANDING).exists()
    with translation.override("ko"):
        heading = translation.gettext("Rated 최우수")
    evaluation = client.get(reverse("tracker:evaluation", args=[2024])).content.decode()
    assert "demo-label" in evaluation.split(f"<h3>{heading}", 1)[1].split("</h3>", 1)[0]
