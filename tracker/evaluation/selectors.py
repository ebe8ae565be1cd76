"""
The read side of the year-end evaluation (/plans/<year>/evaluation/, and the results and grades
on the task and agency pages): aggregates computed in the database, each table one query, so
that the pages' query counts do not grow with the plan.

Who reads what is one rule, ``reader_of``:
- plan managers read everything: every agency's submissions, each evaluator's progress, the
  panel means and the grades;
- agency staff read the results of the tasks they see (``Task.objects.visible_to``), and the
  grades once the Council has decided them (``round.grades_visible_to``);
- the public (anyone reading only because the pages are published, evaluators among them)
  reads a published round's grades and the public summaries of its results, nothing else.
Nobody but a manager ever reads an evaluator's name, an individual score or a panel mean.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape as escape_text
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.lookups import GreaterThanOrEqual
from django.db.models.query import prefetch_related_objects
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tracker.access import is_evaluator, is_plan_manager, member_agency_ids
from tracker.common.choices import AgencyKind
from tracker.common.i18n import english_active, localized, localized_pair
from tracker.evaluation import services as evaluation
from tracker.evaluation.models import (
    ALLOWS,
    Assignment,
    Criterion,
    EvaluationRound,
    Grade,
    GradeLevel,
    PerformanceIndicator,
    Result,
    ResultState,
    RoundState,
    mean_of_cents,
    panel_cents,
)
from tracker.plans.agency_names import names_for
from tracker.plans.models import Agency, Plan, Strategy
from tracker.progress.models import Task

SUBMITTED = Q(result__state=ResultState.SUBMITTED)


def round_of_plan(plan: Plan) -> EvaluationRound | None:
    """The plan's round, read with the plan where its query selected it (PlanMixin's does)."""
    try:
        return plan.evaluation_round
    except EvaluationRound.DoesNotExist:
        return None


# -- Who reads what -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Reader:
    manager: bool  # every agency's results, the evaluators' progress, the panel means
    tasks: QuerySet | None  # the tasks whose results the reader reads; None: the public
    grades: bool  # the round's grades (see grades_of)
    # Until the round is published, a grade is its agency's as much as its results are: staff
    # read the grades of the tasks they see and of their own institutions only.
    graded_tasks: QuerySet | None = None  # None: every unit's grade
    institutions: frozenset = frozenset()  # agency ids

    @property
    def public(self):
        return self.tasks is None

    @property
    def every_grade(self):
        return self.grades and self.graded_tasks is None

    def grades_of(self, grades):
        """The grades of ``grades`` (a Grade queryset) the reader reads."""
        if not self.grades:
            return grades.none()
        if self.graded_tasks is None:
            return grades
        return grades.filter(Q(task__in=self.graded_tasks.values("pk"))
                             | Q(agency_id__in=self.institutions))

    def reads_grade_of(self, task=None, institution_id=None):
        """Whether the reader reads the grade of a task they see, or of an institution."""
        if not self.grades:
            return False
        if self.graded_tasks is None:
            return True
        return task is not None or institution_id in self.institutions


def reader_of(user, round_: EvaluationRound | None) -> Reader:
    """What ``user`` reads of a plan's evaluation (see the module's docstring)."""
    if is_plan_manager(user):
        return Reader(manager=True, tasks=Task.objects.all(), grades=True)
    published = results_published(round_)
    if not user.is_authenticated or is_evaluator(user):
        # Evaluators reach these pages only when they are published, and read them as anyone.
        return Reader(manager=False, tasks=None, grades=published)
    tasks = Task.objects.visible_to(user)
    return Reader(manager=False, tasks=tasks,
                  grades=round_ is not None and round_.grades_visible_to(user),
                  graded_tasks=None if published else tasks,
                  institutions=member_agency_ids(user))


def results_published(round_: EvaluationRound | None) -> bool:
    """Whether the public reads the round's public summaries and indicators: once published."""
    return round_ is not None and round_.state == RoundState.PUBLISHED


# -- Submissions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submissions:
    """Results of a group of tasks: submitted on time or late, drafts, and missing (no result
    or a draft)."""

    tasks: int = 0
    on_time: int = 0
    late: int = 0
    draft: int = 0

    @property
    def submitted(self):
        return self.on_time + self.late

    @property
    def missing(self):
        return self.tasks - self.submitted


def submission_columns():
    """The counts of Submissions, for ``aggregate`` or ``annotate`` over tasks (a task has at
    most one result: the join adds no rows)."""
    return {
        "n_tasks": Count("pk"),
        "n_on_time": Count("pk", filter=SUBMITTED & Q(result__is_late=False)),
        "n_late": Count("pk", filter=SUBMITTED & Q(result__is_late=True)),
        "n_draft": Count("pk", filter=Q(result__state=ResultState.DRAFT)),
    }


def submissions_of(row) -> Submissions:
    return Submissions(tasks=row["n_tasks"] or 0, on_time=row["n_on_time"] or 0,
                       late=row["n_late"] or 0, draft=row["n_draft"] or 0)


class AgencyLabel(NamedTuple):
    """What the evaluation page shows of an agency, read without making a model of it."""

    pk: int
    slug: str
    name_ko: str
    name_en: str
    abbreviation: str

    @property
    def name(self):
        return localized_pair(self.name_ko, self.name_en)


AGENCY_LABEL = AgencyLabel._fields[1:]  # the fields the pages read of an agency


@dataclass(frozen=True)
class AgencySubmissions:
    agency: object  # the agency, or its former name in force in the plan's year
    name: str  # that name in the active language, made once
    slug: str
    counts: Submissions


@dataclass(frozen=True)
class SubmissionStatus:
    agencies: list[AgencySubmissions]  # by name
    totals: Submissions
    year: int  # the plan's, for the links to the agencies' pages

    @property
    def missing(self):
        """The agencies still missing something, by name."""
        return [row.agency for row in self.agencies if row.counts.missing]

    @property
    def missing_names(self):
        return ", ".join(row.name for row in self.agencies if row.counts.missing)

    def table_rows(self):
        """The table's rows as HTML: written here rather than in the template, which took
        40 ms of the page for the 500 agencies of the benchmark (bench/README.md). Each number
        is labelled for the phone layout (table.cards in site.css); text is escaped."""
        tasks, on_time, late, drafts, missing = (escape(label) for label in (
            _("Tasks"), _("Submitted on time"), _("Submitted late"), _("Drafts"),
            _("Missing")))
        prefix = escape(reverse("tracker:agency_list"))
        # The standard library's escape, which Django's wraps for lazy strings: these are not.
        return mark_safe("\n".join(
            f'<tr><td><a href="{prefix}{escape_text(row.slug)}/?year={self.year}">'
            f"{escape_text(row.name)}</a></td>"
            f'<td class="num" data-label="{tasks}">{counts.tasks}</td>'
            f'<td class="num" data-label="{on_time}">{counts.on_time}</td>'
            f'<td class="num" data-label="{late}">{counts.late}</td>'
            f'<td class="num" data-label="{drafts}">{counts.draft}</td>'
            f'<td class="num{" flag" if counts.missing else ""}" data-label="{missing}">'
            f"{counts.missing}</td></tr>"
            for row in self.agencies for counts in (row.counts,)))


def submission_status(plan: Plan, tasks) -> SubmissionStatus:
    """Per lead agency of ``tasks`` in the plan: one query grouped by the agency's id (cheaper
    than by its names), the agencies read in a second, named as the plan's year names them.
    The agencies are sorted by names made once each (``Agency.name`` asks for the active
    language every time it is read: 500 agencies cost milliseconds)."""
    tasks = tasks.filter(plan=plan)
    rows = list(tasks.values("lead_agency_id").annotate(**submission_columns()).order_by())
    # Read flat, with the tasks as a subquery: a list of 500 ids took Django 12 ms to prepare.
    found = {agency.pk: agency for agency in map(AgencyLabel._make, Agency.objects.filter(
        pk__in=tasks.values("lead_agency_id")).values_list("pk", *AGENCY_LABEL))}
    names = names_for(plan)
    english = english_active()
    agencies = []
    for row in rows:
        agency = found[row["lead_agency_id"]]
        shown = names.of(agency)
        name = (shown.name_en or shown.name_ko) if english else (shown.name_ko or shown.name_en)
        agencies.append(AgencySubmissions(agency=shown, name=name, slug=agency.slug,
                                          counts=submissions_of(row)))
    agencies.sort(key=lambda row: row.name)
    totals = Submissions(*(sum(getattr(row.counts, name) for row in agencies)
                           for name in ("tasks", "on_time", "late", "draft")))
    return SubmissionStatus(agencies=agencies, totals=totals, year=plan.year)


@dataclass(frozen=True)
class InstitutionSubmission:
    """A metropolitan government's own results as an institution (its regional programmes)."""

    agency: AgencyLabel
    state: str  # "on_time", "late", "draft" or "missing"

    @property
    def label(self):
        return {"on_time": _("submitted on time"), "late": _("submitted late"),
                "draft": _("a draft, not submitted"), "missing": _("nothing saved")}[self.state]


@dataclass(frozen=True)
class InstitutionStatus:
    rows: list[InstitutionSubmission]  # by name

    @property
    def submitted(self):
        return sum(row.state in ("on_time", "late") for row in self.rows)

    @property
    def missing_names(self):
        return ", ".join(row.agency.name for row in self.rows
                         if row.state in ("draft", "missing"))


def institution_submissions(round_: EvaluationRound, reader: Reader) -> InstitutionStatus:
    """The round's graded institutions (the 17 시·도) with the state of their own results, by
    name, in one query: every one for managers, their own for agency staff, none for the
    public."""
    if reader.public:
        return InstitutionStatus(rows=[])
    agencies = evaluation.graded_institutions(round_)
    if not reader.manager:
        agencies = agencies.filter(pk__in=reader.institutions)
    own = Result.objects.filter(plan_id=round_.plan_id, institution_id=OuterRef("pk"))
    rows = agencies.annotate(result_state=Subquery(own.values("state")[:1]),
                             result_late=Subquery(own.values("is_late")[:1])
                             ).values_list("pk", *AGENCY_LABEL, "result_state", "result_late")
    found = []
    for *label, state, late in rows:
        agency = AgencyLabel(*label)
        found.append(InstitutionSubmission(agency=agency, state=(
            "missing" if state is None else "draft" if state != ResultState.SUBMITTED
            else "late" if late else "on_time")))
    return InstitutionStatus(rows=sorted(found, key=lambda row: row.agency.name))


# -- The evaluators' progress (managers only) ----------------------------------------------------

@dataclass(frozen=True)
class EvaluatorProgress:
    evaluator: str  # the username: managers only
    assignments: int
    scored: int  # assignments with every applicable criterion scored

    @property
    def outstanding(self):
        return self.assignments - self.scored


@dataclass(frozen=True)
class Progress:
    evaluators: list[EvaluatorProgress]
    understaffed: int  # units with fewer evaluators than the round asks for
    evaluators_per_unit: int

    @property
    def assignments(self):
        return sum(row.assignments for row in self.evaluators)

    @property
    def scored(self):
        return sum(row.scored for row in self.evaluators)

    @property
    def outstanding(self):
        return self.assignments - self.scored


def count_of(rows):
    """The number of ``rows`` (a queryset correlated with OuterRef) as a subquery: COUNT(*)
    without the GROUP BY that Count() would add, so that SQLite makes one index probe of it
    per outer row (a Count() subquery made the same probes several times slower)."""
    return Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
                    output_field=IntegerField())


def fully_scored(round_: EvaluationRound):
    """A condition on the round's assignments: every criterion that applies to the unit is
    scored. The same test as Assignment.objects.with_progress()'s scored ≥ required (tested
    against it), with the criteria counted once, so that the assignments can be grouped by
    evaluator in the same query."""
    criteria = Criterion.objects.filter(round=round_)  # uncorrelated: evaluated once
    required = Case(When(agency__isnull=True,
                         then=count_of(criteria.filter(institutions_only=False))),
                    default=count_of(criteria))
    return GreaterThanOrEqual(F("criteria_scored"), required)


def progress(round_: EvaluationRound, panels: "Panels | None" = None,
             tasks: int | None = None) -> Progress:
    """Per evaluator, in one query grouped by their id (joining the users for their names
    took longer than reading the few names in a second): their assignments, and those fully
    scored; and the units with fewer evaluators than the round asks for (``understaffed``,
    from ``panels`` and ``tasks`` when the page has read them)."""
    rows = (Assignment.objects.filter(round=round_).values_list("evaluator_id")
            .annotate(n=Count("pk"), complete=Count("pk", filter=fully_scored(round_)))
            .order_by())
    usernames = dict(get_user_model().objects.filter(pk__in=[row[0] for row in rows])
                     .values_list("pk", "username"))
    return Progress(
        evaluators=sorted((EvaluatorProgress(usernames[evaluator], n, complete)
                           for evaluator, n, complete in rows),
                          key=lambda row: row.evaluator),
        understaffed=understaffed(round_, panels, tasks),
        evaluators_per_unit=round_.evaluators_per_unit)


def understaffed(round_: EvaluationRound, panels: "Panels | None" = None,
                 tasks: int | None = None) -> int:
    """How many of the round's units have fewer evaluators than it asks for: the count of
    tracker.evaluation.services.understaffed_units (tested against it). The projects' from the
    panels of the round's assignments, which the spread sums up too: a count per graded task took 30
    ms on PostgreSQL at 10,000 tasks (bench/README.md). The plan's projects are its ``tasks`` (their
    number, which the page has counted with the submissions) less those a metropolitan government
    leads; a panel of such a task (its lead changed after it was assigned) is no project's and is
    taken out. The regional tasks, a few, and the institutions, fewer, are counted with their
    assignments each."""
    needed = round_.evaluators_per_unit
    if panels is None:
        panels = panels_of(round_)
    if tasks is None:
        tasks = Task.objects.filter(plan_id=round_.plan_id).count()
    assignments = Assignment.objects.filter(round=round_)
    # By the metropolitan governments' ids, from the index of the tasks' lead agencies: a
    # pass over every task of the plan took 8 ms on PostgreSQL at 10,000 tasks.
    regional = (Task.objects.filter(
        plan_id=round_.plan_id, lead_agency__in=Agency.objects.filter(kind=AgencyKind.METROPOLITAN))
        .annotate(assigned=count_of(assignments.filter(task=OuterRef("pk"))))
        .aggregate(all=Count("pk"), staffed=Count("pk", filter=Q(assigned__gte=needed))))
    institutions = (evaluation.graded_institutions(round_)
                    .annotate(assigned=count_of(assignments.filter(agency=OuterRef("pk"))))
                    .filter(assigned__lt=needed).count())
    projects = tasks - regional["all"]
    return projects - (panels.staffed_tasks - regional["staffed"]) + institutions


# -- The panel means (managers only) -------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    grade: GradeLevel
    lowest: Decimal | None  # the lowest mean of the band; None for 미흡 (below 보통)
    units: int


@dataclass(frozen=True)
class Spread:
    """The panel means of the round's scored units, summarised, and how many fall in each of
    the round's bands."""

    units: int
    lowest: Decimal | None = None
    lower_quartile: Decimal | None = None
    median: Decimal | None = None
    upper_quartile: Decimal | None = None
    highest: Decimal | None = None
    bands: list[Band] = field(default_factory=list)


def unit_panels(round_: EvaluationRound):
    """The panel of every assigned unit of the round, a row each (grouped by unit): its task
    (None for an institution), how many evaluators, and their weighted mean in cents
    (``panel_cents``: None until one of them has scored; an assignment not yet scored weighs
    nothing in it)."""
    return (Assignment.objects.filter(round=round_).values("task_id", "agency_id")
            .annotate(evaluators=Count("pk"), cents=panel_cents()).order_by())


def quartile_positions(units: int) -> list[tuple[int, int]]:
    """Where statistics.quantiles(n=4, method="inclusive") reads the sorted means: for each
    quartile, the position of the mean below it and its share (of four) of the next one."""
    return [divmod(i * (units - 1), 4) for i in (1, 2, 3)]


@dataclass(frozen=True)
class Panels:
    """The round's panels summed up in the database: a few rows whatever the round's size,
    where reading the 10,000 panels of the benchmark's round took longer than the rest of the
    page's data (bench/README.md). Means in cents."""

    staffed_tasks: int  # tasks' panels with the evaluators the round asks for
    units: int  # units with a mean
    lowest: int | None
    highest: int | None
    at_or_above: dict  # {band's floor: units whose mean is at or above it}
    quartiles: tuple = ()  # exact (interpolated between two means), when a unit is scored


def panels_of(round_: EvaluationRound) -> Panels:
    """The panels summed up in one query over the grouped panels (``unit_panels``), all in
    whole cents, so exact and alike on every database: how many tasks' panels have enough
    evaluators, how many units have a mean, how many means are at or above each band's
    floor, the extremes and the quartiles. Written in SQL around the ORM's grouped query: the
    ORM cannot aggregate over its own aggregates this way. PostgreSQL interpolates the
    quartiles itself (percentile_cont is statistics.quantiles' inclusive method, and exact
    here: whole cents and quarters). SQLite has no such aggregate: the grouped panels are a
    common table expression, used twice, which SQLite makes once (3.35 and later; earlier ones
    group twice), counted in a summary row (rank 0) and numbered in order, of which only the
    means at the ends and at the quartiles' positions come back (a window over the panels with
    the counts in it took a third longer on SQLite, twice as long on PostgreSQL,
    bench/README.md)."""
    floors = [floor for _level, floor in round_.bands if floor is not None]
    grouped, grouped_params = unit_panels(round_).query.sql_with_params()
    # A mean in cents is at or above a floor when it is at or above the floor's cents, rounded
    # up (a floor has two decimals: exact).
    counted = [round_.evaluators_per_unit, *(math.ceil(floor * 100) for floor in floors)]
    if connection.vendor == "postgresql":
        sql = (
            "SELECT COUNT(*) FILTER (WHERE task_id IS NOT NULL AND evaluators >= %s)"
            + ", COUNT(*) FILTER (WHERE cents >= %s)" * len(floors)
            + ", COUNT(cents), MIN(cents), MAX(cents),"
            " percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY cents)"
            f" FROM ({grouped}) panels")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*counted, *grouped_params])
            staffed, *counts, units, lowest, highest, quartiles = cursor.fetchone()
        return Panels(staffed_tasks=staffed, units=units, lowest=lowest, highest=highest,
                      at_or_above=dict(zip(floors, counts, strict=True)),
                      quartiles=tuple(map(Decimal, quartiles or ())))
    floor_columns = "".join(f", floor_{i}" for i in range(len(floors)))
    positions = ", ".join(f"{i} * (units - 1) / 4 + {step}" for i in (1, 2, 3) for step in (1, 2))
    sql = (
        f"WITH panels AS ({grouped}), summary AS (SELECT"
        " COUNT(CASE WHEN task_id IS NOT NULL AND evaluators >= %s THEN 1 END) AS staffed"
        + "".join(f", COUNT(CASE WHEN cents >= %s THEN 1 END) AS floor_{i}"
                  for i in range(len(floors)))
        + f", COUNT(cents) AS units FROM panels) SELECT 0, NULL, staffed{floor_columns}, units"
        f" FROM summary UNION ALL SELECT rank, cents, staffed{floor_columns}, units FROM"
        " (SELECT cents, ROW_NUMBER() OVER (ORDER BY cents) AS rank FROM panels"
        " WHERE cents IS NOT NULL) ranked, summary"
        f" WHERE rank = 1 OR rank = units OR rank IN ({positions}) ORDER BY 1")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*grouped_params, *counted])
        (_rank, _cents, staffed, *counts, units), *means = cursor.fetchall()
    ranked = {rank - 1: cents for rank, cents, *_counts in means}
    quartiles = tuple(Decimal(ranked[j] * (4 - share) + ranked[min(j + 1, units - 1)] * share)
                      / 4 for j, share in quartile_positions(units)) if units else ()
    return Panels(staffed_tasks=staffed, units=units, lowest=ranked.get(0),
                  highest=ranked.get(units - 1), at_or_above=dict(zip(floors, counts, strict=True)),
                  quartiles=quartiles)


def spread(round_: EvaluationRound, panels: Panels | None = None) -> Spread:
    """The panel means summarised: the extremes, the quartiles as statistics.quantiles(n=4,
    method="inclusive") gives them from the sorted means (interpolated, then to the cent, half
    up), and the units in each band (round.band_for's: a mean at a band's floor is in it)."""
    if panels is None:
        panels = panels_of(round_)
    bands, above = [], 0
    for level, lowest in round_.bands:
        units = (panels.at_or_above[lowest] if lowest is not None else panels.units) - above
        bands.append(Band(level, lowest, units))
        above += units
    if not panels.units:
        return Spread(units=0, bands=bands)
    lower, middle, upper = (evaluation.quantize(quartile.scaleb(-2))
                            for quartile in panels.quartiles)
    return Spread(units=panels.units, lowest=mean_of_cents(panels.lowest),
                  lower_quartile=lower, median=middle, upper_quartile=upper,
                  highest=mean_of_cents(panels.highest), bands=bands)


# -- Grades -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GradeRow:
    label: str
    counts: list  # [(level, units)], best first

    @property
    def total(self):
        return sum(units for _level, units in self.counts)


@dataclass(frozen=True)
class Distribution:
    by_strategy: list[GradeRow]  # the ministries' projects, by strategy
    by_kind: list[GradeRow]  # projects, then metropolitan governments
    total: GradeRow


def row_of(label, counts):
    return GradeRow(label, [(level, counts.get(level, 0)) for level in GradeLevel])


def distribution(round_: EvaluationRound, reader: Reader) -> Distribution:
    """One query grouped by strategy id and grade, over the grades the reader reads, and the
    few strategies read in a second (grouping by their numbers and titles joined the strategy
    to every grade and sorted by text: twice the time); an institution's grade has no task,
    hence no strategy, and makes the metropolitan governments' row."""
    rows = list(reader.grades_of(Grade.objects.filter(round=round_))
                .values_list("task__strategy_id", "grade").annotate(units=Count("pk"))
                .order_by())
    strategies = Strategy.objects.in_bulk({row[0] for row in rows if row[0] is not None})
    by_strategy, projects, institutions, total = {}, {}, {}, {}
    for strategy_id, level, units in rows:
        if strategy_id is None:
            institutions[level] = institutions.get(level, 0) + units
        else:
            counts = by_strategy.setdefault(strategies[strategy_id], {})
            counts[level] = counts.get(level, 0) + units
            projects[level] = projects.get(level, 0) + units
        total[level] = total.get(level, 0) + units
    return Distribution(
        by_strategy=[row_of(f"{strategy.number}. {localized(strategy, 'title')}", counts)
                     for strategy, counts in sorted(by_strategy.items(),
                                                    key=lambda pair: pair[0].number)],
        by_kind=[row_of(_("Ministries' projects"), projects),
                 row_of(_("Metropolitan governments (시·도)"), institutions)],
        total=row_of(_("All graded units"), total))


class TaskLabel(NamedTuple):
    """What the 최우수 list shows of a task, read without making a model of it."""

    pk: int
    number: int
    code: str
    title_ko: str
    title_en: str

    @property
    def title(self):
        return localized_pair(self.title_ko, self.title_en)


@dataclass(frozen=True)
class Outstanding:
    """A unit rated 최우수: a ministry's project (a task) or a metropolitan government."""

    task: TaskLabel | None
    agency: object  # the lead agency or the institution, as the plan's year names it
    mean: Decimal | None  # managers only
    summary: str  # the result's public summary (a project's)


OUTSTANDING_SHOWN = 50  # on the page; the grades export has them all


def outstanding(round_: EvaluationRound, plan: Plan, reader: Reader,
                limit=OUTSTANDING_SHOWN) -> list[Outstanding]:
    """The 최우수 list among the grades the reader reads, projects by number, then
    institutions by name (the first ``limit``): one query, read flat (models of the grades,
    their tasks, results and agencies took longer than the query)."""
    task_fields = [f"task__{name}" for name in TaskLabel._fields[1:]]
    agency_fields = [f"{agency}__{name}" for agency in ("task__lead_agency", "agency")
                     for name in AGENCY_LABEL]
    grades = (reader.grades_of(Grade.objects.filter(round=round_, grade=GradeLevel.OUTSTANDING))
              .order_by(F("task__number").asc(nulls_last=True), "agency__name_ko", "pk")
              .values_list("mean", "task_id", *task_fields, "task__result__state",
                           "task__result__summary_public", "task__lead_agency_id",
                           "agency_id", *agency_fields)[:limit])
    names = names_for(plan)
    width = len(AgencyLabel._fields)
    found = []
    for mean, task_id, *row in grades:
        task_row, (state, summary, lead_id, institution_id), agencies = (
            row[:4], row[4:8], row[8:])
        lead, institution = agencies[:width - 1], agencies[width - 1:]
        task = TaskLabel(task_id, *task_row) if task_id else None
        agency = (AgencyLabel(lead_id, *lead) if task_id
                  else AgencyLabel(institution_id, *institution))
        found.append(Outstanding(
            task=task, agency=names.of(agency), mean=mean if reader.manager else None,
            summary=summary if task_id and state == ResultState.SUBMITTED else ""))
    return found


# -- The page -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvaluationPage:
    round: EvaluationRound | None
    reader: Reader
    submissions: SubmissionStatus | None  # None for the public
    progress: Progress | None  # managers only
    spread: Spread | None  # managers only
    grades: Distribution | None  # None until the reader may see them
    outstanding: list[Outstanding]  # the first OUTSTANDING_SHOWN
    outstanding_count: int = 0  # all of them
    institutions: InstitutionStatus | None = None  # the 시·도's own results


def evaluation_page(plan: Plan, user) -> EvaluationPage:
    """The plan's evaluation as ``user`` may read it. At most twelve queries after the plan's
    (which reads the round with it): submissions and their agencies (2), the former agency
    names (1), per evaluator and their names (2), the units' panels summed up (1), the
    regional tasks and the institutions with too few evaluators (2), grades and their
    strategies (2), the 최우수 list (1) and the institutions' own results (1)."""
    round_ = round_of_plan(plan)
    reader = reader_of(user, round_)
    submissions = None if reader.public else submission_status(plan, reader.tasks)
    if round_ is None:
        return EvaluationPage(round=None, reader=reader, submissions=submissions, progress=None,
                              spread=None, grades=None, outstanding=[])
    grades = distribution(round_, reader) if reader.grades else None
    panels = panels_of(round_) if reader.manager else None
    return EvaluationPage(
        round=round_, reader=reader, submissions=submissions,
        progress=progress(round_, panels, submissions.totals.tasks) if reader.manager else None,
        spread=spread(round_, panels) if reader.manager else None, grades=grades,
        outstanding=outstanding(round_, plan, reader) if grades else [],
        outstanding_count=dict(grades.total.counts)[GradeLevel.OUTSTANDING] if grades else 0,
        institutions=institution_submissions(round_, reader))


# -- A task's results, on its page ----------------------------------------------------------------

def with_grades(tasks):
    """Annotate each task with its grade in its plan's round, the panel mean the grade was set
    with, and, for a task led by a metropolitan government, the institution's grade: read in
    the task's own query (a task has at most one grade, its institution at most one a round)."""
    own = Grade.objects.filter(task=OuterRef("pk"), round__plan=OuterRef("plan_id"))
    institution = Grade.objects.filter(agency=OuterRef("lead_agency_id"),
                                       round__plan=OuterRef("plan_id"))
    return tasks.annotate(
        grade_level=Subquery(own.values("grade")[:1]),
        grade_mean=Subquery(own.values("mean")[:1]),
        institution_grade=Subquery(institution.values("grade")[:1]),
    )


@dataclass(frozen=True)
class TaskResults:
    round: EvaluationRound
    result: object  # the Result, or None
    state: str  # "submitted", "late", "draft" or "none"
    public: bool  # the reader reads the public summary only
    shows_content: bool  # the text, indicators' actual values and evidence are shown
    indicators: list
    evidence: list  # empty for the public
    grade: GradeLevel | None  # once the reader may see it
    institution_grade: GradeLevel | None  # a metropolitan government's task: its institution's
    mean: Decimal | None  # managers only

    @property
    def summary(self):
        return self.result.summary_public if self.result is not None else ""


def result_state(result) -> str:
    if result is None:
        return "none"
    if result.submitted:
        return "late" if result.is_late else "submitted"
    return "draft"


def task_results(task: Task, reader: Reader, *, public: bool) -> TaskResults | None:
    """The task's year-end results as the reader may read them; None when the plan has no
    round. The task comes with its round, result and grades (``with_grades``); its indicators
    and evidence files take a query each, and only when shown. A draft is its agency's own:
    only a submitted result's text, actual values and evidence are shown; the public reads the
    summary and indicators of a published round's results, never the evidence."""
    round_ = round_of_plan(task.plan)
    if round_ is None:
        return None
    result = getattr(task, "result", None)
    submitted = result is not None and result.submitted
    shows = submitted and (not public or results_published(round_))
    indicators = []
    if not public or results_published(round_):
        prefetch_related_objects([task], Prefetch(
            "performance_indicators", queryset=PerformanceIndicator.objects.with_achievement(),
            to_attr="indicators_shown"))
        indicators = task.indicators_shown
    evidence = list(result.evidence.order_by("uploaded_at", "pk")) if submitted and not public \
        else []
    if public:  # the page as published: a published round's grades only
        own = institution = results_published(round_)
    else:
        own = reader.reads_grade_of(task=task)
        institution = reader.reads_grade_of(institution_id=task.lead_agency_id)
    return TaskResults(
        round=round_, result=result, state=result_state(result), public=public,
        shows_content=shows, indicators=indicators, evidence=evidence,
        grade=GradeLevel(task.grade_level) if own and task.grade_level else None,
        institution_grade=(GradeLevel(task.institution_grade)
                           if institution and task.institution_grade else None),
        # to the field's two places: SQLite gives a subquery's decimal back as 70.9500000000000
        mean=evaluation.quantize(task.grade_mean) if reader.manager else None)


# -- An agency's results, on its scorecard ---------------------------------------------------------

@dataclass(frozen=True)
class AgencyResults:
    round: EvaluationRound
    submissions: Submissions | None  # of the tasks it leads that the reader sees; None: public
    grades: list | None  # [Grade] of its projects, by task number; None until visible
    institution_grade: object  # a metropolitan government's Grade, or None


def agency_results(agency: Agency, plan: Plan, reader: Reader) -> AgencyResults | None:
    """The agency's results in the plan's round (None without a round): the submissions of the
    tasks it leads whose results the reader reads (one aggregate) and its grades that the
    reader reads (one query)."""
    round_ = round_of_plan(plan)
    if round_ is None:
        return None
    submissions = None
    if not reader.public:
        submissions = submissions_of(reader.tasks.filter(plan=plan, lead_agency=agency)
                                     .aggregate(**submission_columns()))
    grades, institution = None, None
    if reader.grades:
        graded = list(reader.grades_of(Grade.objects.filter(round=round_)).filter(
            Q(task__lead_agency=agency) | Q(agency=agency)).select_related("task")
            .order_by(F("task__number").asc(nulls_last=True)))
        grades = [grade for grade in graded if grade.task_id]
        institution = next((grade for grade in graded if grade.agency_id), None)
    return AgencyResults(round=round_, submissions=submissions, grades=grades,
                         institution_grade=institution)


# -- My work -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResultsDuty:
    """Year-end results a user owes to a round taking them: a task's (its lead agency's), or a
    metropolitan government's own as an institution."""

    round: EvaluationRound
    state: str  # "none", "draft" or "submitted"
    is_late: bool
    task: Task | None = None
    institution: Agency | None = None

    @property
    def deadline(self):
        return self.round.submission_closes

    @property
    def unit(self):
        return self.task or self.institution

    @property
    def url(self):
        if self.task is not None:
            return reverse("admin:tracker_task_results", args=[self.task.pk])
        return reverse("admin:tracker_institution_results",
                       args=[self.round.pk, self.institution.pk])


def results_duties(user) -> list[ResultsDuty]:
    """The year-end results a user writes in every round taking results: their agencies'
    tasks, and their metropolitan government's own as an institution, each with its state:
    none yet, a draft, or submitted (and whether late). Submitted ones stay listed while the
    round takes results, to show they are done."""
    if not user.has_perm("tracker.change_result"):
        return []
    rounds = {round_.plan_id: round_ for round_ in EvaluationRound.objects.filter(
        state__in=ALLOWS["results"]).select_related("plan")}
    if not rounds:
        return []
    duties = []
    institutions = [agency for agency in evaluation.graded_institutions(None).filter(
        pk__in=member_agency_ids(user)).order_by("name_ko")
        if evaluation.can_write_institution_results(user, agency)]
    own = {(result.plan_id, result.institution_id): result for result in Result.objects.filter(
        plan_id__in=rounds, institution__in=institutions)}
    for plan_id, round_ in sorted(rounds.items(), key=lambda pair: pair[1].plan.year):
        for agency in institutions:
            result = own.get((plan_id, agency.pk))
            duties.append(ResultsDuty(round_, "none" if result is None else result.state,
                                      bool(result and result.is_late), institution=agency))
    tasks = (Task.objects.filter(plan_id__in=rounds).reportable_by(user)
             .select_related("plan", "result").order_by("plan__year", "number"))
    for task in tasks:
        result = getattr(task, "result", None)
        state = "none" if result is None else result.state
        duties.append(ResultsDuty(rounds[task.plan_id], state, bool(result and result.is_late),
                                  task=task))
    return duties
