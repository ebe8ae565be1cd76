"""
The read side of the manager pages: aggregates computed in the database, each table one query,
so that a page's query count does not grow with the plan.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Max, Q, Sum, Value, When
from django.utils import timezone

from tracker.common.choices import Status
from tracker.plans import indicators as outcome
from tracker.plans.models import Agency, KeyTask, Plan, StrategicTechnology, Strategy
from tracker.progress.models import (
    Milestone,
    ProgressUpdate,
    ReviewAssessment,
    Task,
    end_of,
    overdue_condition,
    stale_condition,
)

DASHBOARD_AGENCIES = 30  # the dashboard's lead-agency table; the agencies page has them all
FINISHED = Q(current_status__in=Status.finished())
DELAYED = Q(current_status=Status.DELAYED)


@dataclass
class Moment:
    """The day a page describes for a plan: today, or the ``as_of`` day the user asked for."""

    day: date
    now: datetime
    as_of: date | None
    year: int  # the plan's year, against whose end staleness is measured once it is over

    @classmethod
    def of(cls, as_of: date | None, *, year: int):
        if as_of is None:
            return cls(day=timezone.localdate(), now=timezone.now(), as_of=None, year=year)
        return cls(day=as_of, now=end_of(as_of), as_of=as_of, year=year)


def task_rows(tasks, moment: Moment):
    """Tasks annotated with their state at the moment and whether they are overdue or stale."""
    return tasks.as_of(moment.as_of).annotate(
        is_overdue=Case(
            When(overdue_condition(moment.day, "current_status"), then=Value(True)),
            default=Value(False),
        ),
        is_stale=Case(
            When(
                stale_condition(year=moment.year, now=moment.now, status_field="current_status",
                                reported_field="current_reported_at"),
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


@dataclass
class Scorecard:
    """The figures of a scorecard row: counts, money, average and budget-weighted progress."""

    tasks: int = 0
    completed: int = 0
    delayed: int = 0
    overdue: int = 0
    stale: int = 0
    budget: int = 0
    executed: int = 0
    progress: float = 0
    weighted_progress: float = 0
    last_report: datetime | None = None


@dataclass
class KeyTaskScore(Scorecard):
    key_task: object = None  # None: the strategy's tasks that have no key task


@dataclass
class StrategyScore(Scorecard):
    strategy: object = None
    key_tasks: list[KeyTaskScore] = field(default_factory=list)  # by number, "none" last


@dataclass
class AgencyScore(Scorecard):
    agency: object = None


@dataclass
class TechnologyScore(Scorecard):
    technology: object = None


def finish_row(row, kind=Scorecard, **subject):
    """A scorecard from the database's sums (see summary_columns), about ``subject``."""
    budget = row["budget_sum"] or 0
    weighted = row["weighted_sum"] or 0
    tasks = row["tasks"] or 0
    return kind(
        tasks=tasks, completed=row["completed"] or 0, delayed=row["delayed"] or 0,
        overdue=row["overdue"] or 0, stale=row["stale"] or 0, budget=budget,
        executed=row["executed_sum"] or 0,
        progress=(row["progress_sum"] or 0) / tasks if tasks else 0,
        weighted_progress=weighted / budget if budget else 0,
        last_report=row["last_report"], **subject,
    )


SUMMED = ("tasks", "completed", "delayed", "overdue", "stale", "budget_sum", "executed_sum",
          "progress_sum", "weighted_sum")


def combine(rows):
    """One row of sums from partial rows (sums of the same columns over smaller groups)."""
    total = {key: sum(row[key] or 0 for row in rows) for key in SUMMED}
    total["last_report"] = max((row["last_report"] for row in rows if row["last_report"]),
                               default=None)
    return total


@dataclass
class StatusShare:
    """One status's part of the breakdown; ``offset`` and ``share`` place its segment in the
    stacked bar (percent)."""

    status: Status
    count: int
    percent: float
    offset: float
    share: float


def status_and_strategy(rows, plan: Plan):
    """The status breakdown, the headline totals and the strategy table with each strategy's
    key tasks, from one query grouped by strategy, key task and status (at most a few hundred
    partial rows). Grouped by ids only, which the tasks' covering index holds; the plan's
    strategies and key tasks, a few dozen, are read together in a second query."""
    partial = list(rows.values("strategy_id", "key_task_id", "current_status").annotate(
        **summary_columns()).order_by())

    totals = finish_row(combine(partial))
    by_status = {}
    for row in partial:
        by_status[row["current_status"]] = by_status.get(row["current_status"], 0) + row["tasks"]
    breakdown, offset = [], 0
    for status in Status:
        count = by_status.get(status.value, 0)
        share = 100 * count / totals.tasks if totals.tasks else 0
        breakdown.append(StatusShare(status, count, round(share, 1), offset, share))
        offset += share
    groups = {}
    for row in partial:
        groups.setdefault(row["strategy_id"], {}).setdefault(row["key_task_id"], []).append(row)
    strategy_rows = []
    for strategy, key_tasks in strategies_and_key_tasks(plan, groups):
        by_key_task = groups[strategy.pk]
        scores = [finish_row(combine(by_key_task[key_task.pk]), KeyTaskScore, key_task=key_task)
                  for key_task in key_tasks if key_task.pk in by_key_task]
        # The rest have no key task (or, against Task.clean, one of another strategy): the key
        # tasks' rows always add up to their strategy's.
        named = {key_task.pk for key_task in key_tasks}
        rest = [row for pk, rows_ in by_key_task.items() if pk not in named for row in rows_]
        if rest:
            scores.append(finish_row(combine(rest), KeyTaskScore, key_task=None))
        everything = [row for rows_ in by_key_task.values() for row in rows_]
        strategy_rows.append(finish_row(combine(everything), StrategyScore, strategy=strategy,
                                        key_tasks=scores))
    return breakdown, totals, strategy_rows


STRATEGY_FIELDS = [f.attname for f in Strategy._meta.concrete_fields]
KEY_TASK_FIELDS = [f.attname for f in KeyTask._meta.concrete_fields]


def strategies_and_key_tasks(plan: Plan, strategy_ids=None):
    """(strategy, [its key tasks]) for the plan's strategies (those of ``strategy_ids`` if
    given), by number, read in one query: the strategies joined to their key tasks (a strategy
    without any comes once, with empty key-task columns). Each key task holds its strategy,
    for its code."""
    strategies = plan.strategies.all()
    if strategy_ids is not None:
        strategies = strategies.filter(pk__in=strategy_ids)
    values = strategies.order_by("number", "key_tasks__number").values_list(
        *STRATEGY_FIELDS, *(f"key_tasks__{name}" for name in KEY_TASK_FIELDS))
    found = {}
    for row in values:
        strategy_values, key_task_values = row[:len(STRATEGY_FIELDS)], row[len(STRATEGY_FIELDS):]
        pk = strategy_values[0]
        if pk not in found:
            found[pk] = (Strategy.from_db(values.db, STRATEGY_FIELDS, strategy_values), [])
        strategy, key_tasks = found[pk]
        if key_task_values[0] is not None:
            key_task = KeyTask.from_db(values.db, KEY_TASK_FIELDS, key_task_values)
            key_task.strategy = strategy
            key_tasks.append(key_task)
    return list(found.values())


def by_lead_agency(rows, limit=None):
    """One row per lead agency, largest budget first; the first ``limit`` only, if given.
    Grouped by the agency's id (cheaper than by its names), named in a second small query."""
    grouped = rows.values("lead_agency_id").annotate(**summary_columns()).order_by(
        "-budget_sum", "lead_agency_id")
    grouped = list(grouped[:limit] if limit else grouped)
    agencies = Agency.objects.in_bulk([row["lead_agency_id"] for row in grouped])
    return [finish_row(row, AgencyScore, agency=agencies[row["lead_agency_id"]])
            for row in grouped]


TECHNOLOGY_FIELDS = ["id", "number", "name_ko", "name_en", "slug"]


def by_technology(rows):
    """One row per strategic technology (a task serving several counts under each), the
    technology read in the same query."""
    grouped = rows.filter(technologies__isnull=False).values(
        *(f"technologies__{field}" for field in TECHNOLOGY_FIELDS)
    ).annotate(**summary_columns()).order_by("technologies__number")
    return [
        finish_row(row, TechnologyScore, technology=StrategicTechnology.from_db(
            grouped.db, TECHNOLOGY_FIELDS, [row[f"technologies__{f}"] for f in TECHNOLOGY_FIELDS]))
        for row in grouped
    ]


def of_tasks(queryset, plan, tasks, restricted, path="task"):
    """Rows of the plan's tasks; narrowed to ``tasks`` only when the user sees fewer than all.
    (Filtering by plan lets the database use the rows' own indexes.)"""
    queryset = queryset.filter(**{f"{path}__plan": plan})
    if restricted:
        queryset = queryset.filter(**{f"{path}__in": tasks.values("pk")})
    return queryset


def overdue_milestones(plan, tasks, moment: Moment, restricted, limit=20):
    """The oldest milestones overdue on the day, of tasks not yet finished (a finished task
    is not overdue, whatever its milestones say)."""
    milestones = of_tasks(Milestone.objects.overdue(moment.day), plan, tasks, restricted)
    milestones = milestones.of_unfinished_tasks(moment.as_of)
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


# One read function per page, each returning the page's data as a dataclass. -------------------


@dataclass
class Dashboard:
    breakdown: list[StatusShare]
    totals: Scorecard
    unallocated: int  # the plan's budget less the budgets of the tasks shown
    strategies: list[StrategyScore]
    agencies: list[AgencyScore]
    agency_rows_shown: int
    technologies: list[TechnologyScore]
    overdue_milestones: list
    stale_tasks: list
    latest_reports: list
    disagreements: list  # empty for the public: managers' reviews are internal
    indicators: list
    reporting_period: int
    period_ends: date | None  # the plan year's last day, once the year is over (see stale)


def dashboard(plan: Plan, tasks, moment: Moment, *, restricted: bool, public: bool) -> Dashboard:
    rows = task_rows(tasks, moment)
    breakdown, totals, strategies = status_and_strategy(rows, plan)
    return Dashboard(
        breakdown=breakdown, totals=totals, unallocated=plan.total_budget - totals.budget,
        strategies=strategies, agencies=by_lead_agency(rows, limit=DASHBOARD_AGENCIES),
        agency_rows_shown=DASHBOARD_AGENCIES, technologies=by_technology(rows),
        overdue_milestones=overdue_milestones(plan, tasks, moment, restricted),
        stale_tasks=stale_tasks(rows), latest_reports=latest_reports(rows, moment),
        disagreements=[] if public else review_disagreements(rows),
        indicators=outcome.indicators_of(plan),
        reporting_period=settings.KIPPLAN_REPORTING_PERIOD_DAYS,
        period_ends=date(plan.year, 12, 31) if moment.day.year > plan.year else None,
    )


@dataclass
class AgencyCard:
    agency: Agency
    led: int
    supported: int
    scorecard: AgencyScore | None  # None when the agency leads no task shown


def agency_cards(tasks, moment: Moment) -> list[AgencyCard]:
    """Every agency with the plan's tasks it leads and supports, most involved first."""
    scores = {row.agency.pk: row for row in by_lead_agency(task_rows(tasks, moment))}
    led = dict(tasks.values_list("lead_agency").annotate(n=Count("pk")).order_by())
    supported = dict(
        tasks.filter(supporting_agencies__isnull=False)
        .values_list("supporting_agencies").annotate(n=Count("pk")).order_by()
    )
    cards = [AgencyCard(agency, led.get(agency.pk, 0), supported.get(agency.pk, 0),
                        scores.get(agency.pk))
             for agency in Agency.objects.select_related("parent")]
    return sorted(cards, key=lambda card: (-(card.led + card.supported), card.agency.name_ko))


@dataclass
class AgencyPage:
    led: object  # the tasks it leads, as task_rows
    supported: object
    led_summary: Scorecard


def agency_page(agency: Agency, tasks, moment: Moment) -> AgencyPage:
    rows = task_rows(tasks, moment).select_related("lead_agency")
    led = rows.filter(lead_agency=agency)
    return AgencyPage(
        led=led.order_by("number"),
        supported=rows.filter(supporting_agencies=agency).order_by("number"),
        led_summary=finish_row(led.aggregate(**summary_columns())),
    )


@dataclass
class TechnologyCard:
    technology: StrategicTechnology
    scorecard: TechnologyScore | None  # None when no task shown serves it


def technology_cards(tasks, moment: Moment) -> list[TechnologyCard]:
    scores = {row.technology.pk: row for row in by_technology(task_rows(tasks, moment))}
    return [TechnologyCard(technology, scores.get(technology.pk))
            for technology in StrategicTechnology.objects.all()]


@dataclass
class TechnologyPage:
    tasks: object  # the first ``tasks_shown`` tasks serving it
    tasks_shown: int
    summary: Scorecard


TASKS_SHOWN = 50  # on the technology page; the filtered task list has them all


def technology_page(technology: StrategicTechnology, tasks, moment: Moment) -> TechnologyPage:
    rows = task_rows(tasks, moment).filter(technologies=technology).select_related(
        "lead_agency")
    return TechnologyPage(
        tasks=rows.order_by("number")[:TASKS_SHOWN], tasks_shown=TASKS_SHOWN,
        summary=finish_row(rows.aggregate(**summary_columns())),
    )


@dataclass
class MyWork:
    """What an agency staff member has to do in a plan: each group a list, each item one click
    from the form that settles it."""

    plan: Plan | None
    overdue_milestones: list  # milestones overdue today, of unfinished tasks they report on
    stale_tasks: list  # their unfinished tasks with no report in the reporting period
    disagreements: list  # their tasks whose latest manager review differs from their status
    reporting_period: int

    @property
    def count(self):
        return len(self.overdue_milestones) + len(self.stale_tasks) + len(self.disagreements)


def my_work(user) -> MyWork:
    """The start page of agency staff: the latest plan's tasks their agencies lead that need
    them, by the same rules as the dashboard and the reminders."""
    plan = Plan.objects.order_by("-year").first()
    period = settings.KIPPLAN_REPORTING_PERIOD_DAYS
    if plan is None:
        return MyWork(None, [], [], [], period)
    tasks = Task.objects.filter(plan=plan).reportable_by(user)
    moment = Moment.of(None, year=plan.year)
    rows = task_rows(tasks, moment)
    return MyWork(
        plan=plan,
        overdue_milestones=list(
            Milestone.objects.overdue(moment.day).of_unfinished_tasks().filter(task__in=tasks)
            .select_related("task", "task__plan").order_by("due_date", "pk")),
        stale_tasks=list(rows.filter(is_stale=True).select_related("plan").order_by(
            F("current_reported_at").asc(nulls_first=True), "number")),
        disagreements=review_disagreements(rows, limit=None),
        reporting_period=period,
    )
