"""
The read side of the manager pages: aggregates computed in the database, each table one query,
so that a page's query count does not grow with the plan.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, F, Max, Q, Sum, Value, When
from django.utils import timezone

from .models import (
    Agency,
    IndicatorValue,
    Milestone,
    Plan,
    ProgressUpdate,
    ReviewAssessment,
    Status,
    StrategicTechnology,
    overdue_condition,
    stale_condition,
)

REPORTING_PERIOD_DAYS = 90
DASHBOARD_AGENCIES = 30  # the dashboard's lead-agency table; the agencies page has them all
FINISHED = Q(current_status__in=Status.finished())
DELAYED = Q(current_status=Status.DELAYED)


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@dataclass
class Moment:
    """The day a page describes: today, or the ``as_of`` day the user asked for."""

    day: date
    now: datetime
    as_of: date | None

    @classmethod
    def of(cls, as_of: date | None):
        if as_of is None:
            return cls(day=timezone.localdate(), now=timezone.now(), as_of=None)
        return cls(day=as_of, now=end_of(as_of), as_of=as_of)


def task_rows(tasks, moment: Moment):
    """Tasks annotated with their state at the moment and whether they are overdue or stale."""
    return tasks.as_of(moment.as_of).annotate(
        is_overdue=Case(
            When(overdue_condition(moment.day, "current_status"), then=Value(True)),
            default=Value(False),
        ),
        is_stale=Case(
            When(
                stale_condition(REPORTING_PERIOD_DAYS, moment.now, "current_reported_at"),
                then=Value(True),
            ),
            default=Value(False),
        ),
    )


def summary_columns():
    """The aggregates every scorecard row shows."""
    return {
        # No grouping here joins a task more than once, so plain counts are exact.
        "tasks": Count("pk"),
        "completed": Count("pk", filter=FINISHED),
        "delayed": Count("pk", filter=DELAYED),
        "overdue": Count("pk", filter=Q(is_overdue=True)),
        "stale": Count("pk", filter=Q(is_stale=True)),
        # Named apart from the model's fields, which F() would otherwise shadow.
        "budget_sum": Sum("budget"),
        "executed_sum": Sum("current_executed"),
        "progress_sum": Sum("current_progress"),
        "weighted_sum": Sum(F("current_progress") * F("budget")),
        "last_report": Max("current_reported_at"),
    }


def finish_row(row):
    """A scorecard row's figures: budget, executed, average and budget-weighted progress."""
    budget = row.pop("budget_sum") or 0
    weighted = row.pop("weighted_sum") or 0
    tasks = row.get("tasks") or 0
    row["budget"] = budget
    row["executed"] = row.pop("executed_sum") or 0
    row["progress"] = (row.pop("progress_sum") or 0) / tasks if tasks else 0
    row["weighted_progress"] = weighted / budget if budget else 0
    return row


def combine(rows):
    """One scorecard row from partial rows (sums of the same columns over smaller groups)."""
    total = {key: sum(row[key] or 0 for row in rows) for key in
             ("tasks", "completed", "delayed", "overdue", "stale", "budget_sum", "executed_sum",
              "progress_sum", "weighted_sum")}
    total["last_report"] = max((row["last_report"] for row in rows if row["last_report"]),
                               default=None)
    return total


def status_and_strategy(rows, plan: Plan):
    """The status breakdown, the headline totals and the strategy table, from one query
    grouped by strategy and status (at most a few dozen partial rows). Grouped by the
    strategy's id, which the tasks' covering index holds; the plan's strategies, a handful,
    are read in a second query."""
    partial = list(rows.values("strategy_id", "current_status").annotate(
        **summary_columns()).order_by())

    totals = finish_row(combine(partial))
    by_status = {}
    for row in partial:
        by_status[row["current_status"]] = by_status.get(row["current_status"], 0) + row["tasks"]
    breakdown, offset = [], 0
    for status in Status:
        count = by_status.get(status.value, 0)
        share = 100 * count / totals["tasks"] if totals["tasks"] else 0
        # "offset": where the status's segment starts in the stacked bar (percent).
        breakdown.append({"status": status, "count": count, "percent": round(share, 1),
                          "offset": offset, "share": share})
        offset += share
    groups = {}
    for row in partial:
        groups.setdefault(row["strategy_id"], []).append(row)
    strategy_rows = []
    for strategy in plan.strategies.filter(pk__in=groups):
        merged = finish_row(combine(groups[strategy.pk]))
        merged["strategy"] = strategy
        strategy_rows.append(merged)
    return breakdown, totals, strategy_rows


def by_lead_agency(rows, limit=None):
    """One row per lead agency, largest budget first; the first ``limit`` only, if given.
    Grouped by the agency's id (cheaper than by its names), named in a second small query."""
    grouped = rows.values("lead_agency_id").annotate(**summary_columns()).order_by(
        "-budget_sum", "lead_agency_id")
    result = [finish_row(row) for row in (grouped[:limit] if limit else grouped)]
    agencies = Agency.objects.in_bulk([row["lead_agency_id"] for row in result])
    for row in result:
        row["agency"] = agencies[row["lead_agency_id"]]
    return result


TECHNOLOGY_FIELDS = ["id", "number", "name_ko", "name_en", "slug"]


def by_technology(rows):
    """One row per strategic technology (a task serving several counts under each), the
    technology read in the same query."""
    grouped = rows.filter(technologies__isnull=False).values(
        *(f"technologies__{field}" for field in TECHNOLOGY_FIELDS)
    ).annotate(**summary_columns()).order_by("technologies__number")
    result = []
    for row in grouped:
        values = [row.pop(f"technologies__{field}") for field in TECHNOLOGY_FIELDS]
        row = finish_row(row)
        row["technology"] = StrategicTechnology.from_db(grouped.db, TECHNOLOGY_FIELDS, values)
        result.append(row)
    return result


def of_tasks(queryset, plan, tasks, restricted, path="task"):
    """Rows of the plan's tasks; narrowed to ``tasks`` only when the user sees fewer than all.
    (Filtering by plan lets the database use the rows' own indexes.)"""
    queryset = queryset.filter(**{f"{path}__plan": plan})
    if restricted:
        queryset = queryset.filter(**{f"{path}__in": tasks.values("pk")})
    return queryset


def overdue_milestones(plan, tasks, moment: Moment, restricted, limit=20):
    """The oldest milestones open on the day and past their due date."""
    still_open = Q(completed_on__isnull=True)
    if moment.as_of:
        still_open |= Q(completed_on__gt=moment.day)
    milestones = of_tasks(Milestone.objects, plan, tasks, restricted).filter(
        still_open, due_date__lt=moment.day
    )
    return list(
        milestones.select_related("task", "task__lead_agency", "task__plan")
        .order_by("due_date", "pk")[:limit]
    )


def stale_tasks(rows, limit=10):
    """The longest-silent tasks (their count is in the headline totals)."""
    return list(
        rows.filter(is_stale=True).select_related("lead_agency", "plan")
        .order_by(F("current_reported_at").asc(nulls_first=True), "number")[:limit]
    )


def latest_reports(rows, moment: Moment, limit=10):
    """The latest reports. They can only belong to the ``limit`` tasks reported most recently,
    so the query looks among those, found through the tasks' last-report index."""
    recent = rows.filter(current_reported_at__isnull=False).order_by(
        "-current_reported_at").values("pk")[:limit]
    return list(
        ProgressUpdate.objects.filter(task__in=recent, reported_at__lt=end_of(moment.day))
        .select_related("task", "task__plan", "task__lead_agency", "reported_by")
        .order_by("-reported_at", "-pk")[:limit]
    )


def review_disagreements(rows, limit=20):
    """Tasks whose latest manager review disagrees with the agency's own status."""
    status_light = Case(
        *[When(current_status=status.value, then=Value(status.review_light.value))
          for status in Status],
        output_field=CharField(),
    )
    reviewed = ReviewAssessment.objects.values("task_id")  # uncorrelated: evaluated once
    return list(
        rows.filter(pk__in=reviewed).with_latest_review().annotate(status_light=status_light)
        .filter(review_light__isnull=False).exclude(review_light=F("status_light"))
        .select_related("lead_agency", "plan").order_by("number")[:limit]
    )


def indicators(plan: Plan):
    """The plan's outcome indicators with their values, in one query."""
    grouped = {}
    for value in IndicatorValue.objects.filter(indicator__plan=plan).select_related("indicator"):
        grouped.setdefault(value.indicator, []).append(value)
    return sorted(grouped.items(), key=lambda item: item[0].number)


def dashboard(plan: Plan, tasks, moment: Moment, restricted: bool):
    rows = task_rows(tasks, moment)
    breakdown, totals, strategies = status_and_strategy(rows, plan)
    return {
        "breakdown": breakdown,
        "totals": totals,
        "strategies": strategies,
        "agencies": by_lead_agency(rows, limit=DASHBOARD_AGENCIES),
        "agency_rows_shown": DASHBOARD_AGENCIES,
        "technologies": by_technology(rows),
        "overdue_milestones": overdue_milestones(plan, tasks, moment, restricted),
        "stale_tasks": stale_tasks(rows),
        "latest_reports": latest_reports(rows, moment),
        "disagreements": review_disagreements(rows),
        "indicators": indicators(plan),
        "reporting_period": REPORTING_PERIOD_DAYS,
    }
