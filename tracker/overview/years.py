"""
The plans side by side, year by year (/plans/): tasks and budget, completion and budget
execution, and the outcome indicators against the master plan's targets. A plan recorded by its
headline figures only (its tasks not entered) counts with its announced figures and says so.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from tracker.common.charts import Chart, bar_chart
from tracker.common.choices import Status
from tracker.common.money import EOK, format_won
from tracker.evaluation.models import Grade, GradeLevel, RoundState
from tracker.plans import indicators as outcome
from tracker.plans.models import Plan


@dataclass(frozen=True)
class PlanYear:
    plan: Plan
    entered: int  # tasks entered that the reader may see
    allocated: int  # their budgets
    executed: int
    completed: int
    grades: dict | None = None  # {grade level: units}, once the plan's round is approved
    grades_illustrative: bool = False  # the round's grades are invented demo data

    @property
    def progress_illustrative(self):
        """The statuses reported on the plan's tasks are invented for the demo (its data note
        says which parts are)."""
        return bool(self.plan.data_note_ko or self.plan.data_note_en)

    @property
    def graded(self):
        return sum(self.grades.values()) if self.grades else 0

    @property
    def grade_counts(self):
        """[(level, units)], best first, for the table."""
        return [(level, (self.grades or {}).get(level, 0)) for level in GradeLevel]

    @property
    def headline_only(self):
        """Recorded by its headline figures: no task entered yet."""
        return self.plan.task_count == 0

    @property
    def tasks(self):
        """The number of tasks: as entered, or as announced for a headline-only plan."""
        if self.headline_only:
            return self.plan.announced_task_count
        return self.entered

    @property
    def completion(self):
        """Tasks completed, in % of the tasks entered; None for a headline-only plan."""
        return None if self.headline_only or not self.entered else (
            self.completed * 100 // self.entered)

    @property
    def execution(self):
        """Budget executed, in % of the entered tasks' budgets."""
        return None if self.headline_only or not self.allocated else (
            self.executed * 100 // self.allocated)


@dataclass(frozen=True)
class IndicatorSeries:
    indicator: object
    figures: list
    chart: Chart

    @property
    def chart_id(self):
        return f"chart-indicator-{self.indicator.number}"


@dataclass(frozen=True)
class YearsPage:
    years: list[PlanYear]
    tasks_chart: Chart
    budget_chart: Chart
    results_chart: Chart
    indicators: list[IndicatorSeries]
    grades_chart: Chart | None  # None until a round has been approved
    graded_years: list[PlanYear]


def years_page(tasks, *, public=False):
    """The years page over ``tasks`` (the tasks the reader may see): five queries, however many
    plans and tasks. The grades are those of approved rounds; for the public, of published
    ones only."""
    plans = list(Plan.objects.annotate(task_count=Count("tasks")).order_by("year"))
    finished = Status.finished()
    totals = {row["plan"]: row for row in tasks.values("plan").annotate(
        entered=Count("pk"), allocated=Sum("budget"), executed=Sum("budget_executed"),
        completed=Count("pk", filter=Q(status__in=finished)),
    ).order_by()}
    grades = {}
    shown = [RoundState.PUBLISHED] if public else RoundState.decided()
    invented = set()
    for row in Grade.objects.filter(round__state__in=shown).values(
            "round__plan", "round__is_illustrative", "grade").annotate(
            units=Count("pk")).order_by():
        grades.setdefault(row["round__plan"], {})[row["grade"]] = row["units"]
        if row["round__is_illustrative"]:
            invented.add(row["round__plan"])
    years = [PlanYear(plan=plan, entered=totals.get(plan.pk, {}).get("entered", 0),
                      allocated=totals.get(plan.pk, {}).get("allocated") or 0,
                      executed=totals.get(plan.pk, {}).get("executed") or 0,
                      completed=totals.get(plan.pk, {}).get("completed", 0),
                      grades=grades.get(plan.pk), grades_illustrative=plan.pk in invented)
             for plan in plans]
    graded = [year for year in years if year.grades]
    return YearsPage(years=years, tasks_chart=tasks_chart(years),
                     budget_chart=budget_chart(years), results_chart=results_chart(years),
                     indicators=indicator_series(),
                     grades_chart=grades_chart(graded) if graded else None,
                     graded_years=graded)


def grades_chart(years):
    return bar_chart(_("Grades of the year-end evaluation"), [
        (str(year.plan.year), [(units, str(units), False) for _level, units in year.grade_counts])
        for year in years])


def tasks_chart(years):
    return bar_chart(_("Tasks by year"), [
        (str(year.plan.year), [(year.tasks, f"{year.tasks:,}" if year.tasks is not None else "",
                                year.headline_only)])
        for year in years])


def budget_chart(years):
    return bar_chart(_("Budget by year (억원)"), [
        (str(year.plan.year), [(year.plan.total_budget / EOK, format_won(year.plan.total_budget),
                                year.headline_only)])
        for year in years])


def results_chart(years):
    def bar(share):
        return (share, f"{share}%" if share is not None else "", False)

    return bar_chart(_("Tasks completed and budget executed (%)"), [
        (str(year.plan.year), [bar(year.completion), bar(year.execution)]) for year in years])


def indicator_series():
    series = []
    for indicator, figures in outcome.latest_indicators():
        target = float(indicator.target_value) if indicator.target_value is not None else None
        chart = bar_chart(indicator.name, [
            (str(figure.year), [(float(figure.value.value), f"{figure.value.value:,.0f}"
                                 if figure.value.value == figure.value.value.to_integral_value()
                                 else f"{figure.value.value:,}", False)])
            for figure in figures], target=target, target_text=indicator.target)
        series.append(IndicatorSeries(indicator=indicator, figures=figures, chart=chart))
    return series
