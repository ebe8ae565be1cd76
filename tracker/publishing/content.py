"""
What the annual report (연차보고서) says, read from the database into small dataclasses, in the
active language: the HWPX and PDF builders only lay it out. A fixed number of queries whatever
the size of the plan (``report_content``'s docstring counts them).

The report is the Council's, on an approved evaluation: it reads every task, result and grade
(no reader's scoping: only managers make it), but never an evaluator's name, score or panel mean.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tracker.common.choices import AgencyKind, FigureKind, Status
from tracker.common.i18n import english_active, localized, localized_pair
from tracker.common.money import format_millions, format_won
from tracker.evaluation import selectors as round_report
from tracker.evaluation.models import (
    Grade,
    GradeLevel,
    PerformanceIndicator,
    Result,
    ResultState,
    RoundState,
)
from tracker.follow_up.models import (
    ActionStatus,
    CheckedBy,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
)
from tracker.follow_up.opinions import latest_checks
from tracker.plans.agency_names import names_for
from tracker.plans.models import (
    Indicator,
    IndicatorValue,
    KeyTask,
    Plan,
    Statistic,
    StatisticValue,
    Strategy,
)
from tracker.progress.models import Task


def check_reportable(plan: Plan):
    """The report is compiled from the results the agencies submitted (enforcement decree art.
    17): a plan whose round has taken results. Before the Council decides the grades, the
    report says the evaluation is pending. Otherwise a ValidationError that says why. Returns
    the round."""
    round_ = round_report.round_of_plan(plan)
    if round_ is None:
        raise ValidationError(_(
            "The annual report on %(year)s is compiled from the results the agencies submitted, "
            "and the %(year)s plan has no evaluation round to take them yet.") % {
            "year": plan.year})
    if not round_.allows("report"):
        raise ValidationError(_(
            "The annual report on %(year)s is compiled from the results the agencies submitted, "
            "and the %(year)s round has not taken results yet (it is at “%(state)s”).")
            % {"year": plan.year, "state": round_.get_state_display()})
    return round_


# -- The dataclasses -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A row of a summary table: a label, a task count and an amount in won."""

    label: str
    tasks: int
    budget: int
    illustrative: bool = False

    @property
    def budget_text(self):
        return format_won(self.budget)


@dataclass(frozen=True)
class StrategyGlance:
    line: Line
    key_tasks: list[Line]  # the strategy's key tasks, then "no key task" when some have none


@dataclass(frozen=True)
class Glance:
    """1. The plan at a glance."""

    title: str
    year: int
    total_budget: str  # the plan's total, as endorsed
    allocated_budget: str  # the sum of its tasks' budgets
    task_count: int
    strategies: list[StrategyGlance]
    agencies: list[Line]  # lead agencies, by budget
    meeting: str  # the Council meeting that endorsed the plan


@dataclass(frozen=True)
class IndicatorLine:
    name: str
    unit: str
    target: str
    actual: str
    rate: str


@dataclass(frozen=True)
class TaskResult:
    code: str
    title: str
    agency: str
    budget: int
    executed: int
    status: str
    grade: str  # "" for a task not graded (a metropolitan government's)
    summary: str
    indicators: list[IndicatorLine]
    illustrative: bool

    @property
    def budget_text(self):
        return format_millions(self.budget)

    @property
    def executed_text(self):
        return format_millions(self.executed)


@dataclass(frozen=True)
class StrategyResults:
    """2. A strategy's results."""

    title: str
    tasks: list[TaskResult]
    budget: int
    executed: int

    @property
    def budget_text(self):
        return format_won(self.budget)

    @property
    def executed_text(self):
        return format_won(self.executed)


@dataclass(frozen=True)
class DistributionRow:
    label: str
    counts: list[int]  # one per GradeLevel, best first
    total: int


@dataclass(frozen=True)
class OutstandingUnit:
    code: str
    title: str
    agency: str
    summary: str


@dataclass(frozen=True)
class Evaluation:
    """3. The evaluation."""

    meeting: str  # the Council meeting that approved the grades
    levels: list[str]  # the grade labels, best first
    rows: list[DistributionRow]  # by strategy, then projects, institutions and the total
    outstanding: list[OutstandingUnit]
    best_metropolitan: list[str]  # names (several on a tie); empty when none is graded
    best_metropolitan_grade: str
    illustrative: bool
    pending: str = ""  # until the Council decides: what the report says instead of grades


@dataclass(frozen=True)
class Opinions:
    """4. Improvement opinions and how far they were acted on."""

    issued: int = 0
    on_tasks: int = 0
    on_agencies: int = 0
    answered: int = 0
    closed: int = 0
    actions: int = 0
    implemented: int = 0  # by the Council's latest check
    in_progress: int = 0
    not_implemented: int = 0
    not_checked: int = 0

    @property
    def open(self):
        return self.issued - self.closed

    @property
    def implemented_rate(self):
        return rate_text(self.implemented, self.actions)


@dataclass(frozen=True)
class OutcomeValue:
    year: int
    value: str
    kind: str
    note: str
    source: str
    amount: Decimal | None = None  # the value as a number, for the charts


@dataclass(frozen=True)
class Outcome:
    """5. An outcome indicator with its sources."""

    number: int
    name: str
    unit: str
    target: str
    values: list[OutcomeValue]
    source: str


@dataclass(frozen=True)
class AgencyRow:
    name: str
    tasks: int
    budget: int
    executed: int
    grades: list[int]  # one per GradeLevel

    @property
    def budget_text(self):
        return format_millions(self.budget)

    @property
    def executed_text(self):
        return format_millions(self.executed)

    @property
    def rate(self):
        return rate_text(self.executed, self.budget)


@dataclass(frozen=True)
class MeetingLine:
    """2. A Council meeting of the year: its agenda with the decisions, and what it decided of
    kipplan's records."""

    title: str  # "Council meeting no. 36 (held in writing), 19 March 2024"
    agenda: list[tuple[str, str]]  # (item, decision)
    decided: list[str]
    minutes: str
    illustrative: bool

    @property
    def lines(self):
        """What follows the agenda: what it decided of kipplan's records, its minutes."""
        lines = []
        if self.decided:
            lines.append(_("In kipplan's records, it %(decided)s.") % {
                "decided": "; ".join(self.decided)})
        if self.minutes:
            lines.append(_("Minutes: %(minutes)s") % {"minutes": self.minutes})
        return lines


@dataclass(frozen=True)
class RegionRow:
    """A metropolitan government's own results as an institution (its regional programmes)."""

    name: str
    submitted: bool
    summary: str  # its public summary, once submitted
    tasks: int  # national tasks it leads in the plan
    grade: str  # once the Council has decided; "" before


@dataclass(frozen=True)
class Trend:
    """1. An IP statistic's series: the figure in force for each year (the last published)."""

    number: int
    name: str
    unit: str
    source: str
    illustrative: bool
    values: list[OutcomeValue]


@dataclass(frozen=True)
class Report:
    year: int
    language: str
    title: str
    made_on: str
    notes: list[str]  # what is illustrative, said at the top
    glance: Glance
    results: list[StrategyResults]
    evaluation: Evaluation
    opinions: Opinions
    outcomes: list[Outcome]
    appendix: list[AgencyRow] = field(default_factory=list)  # by agency
    trends: list[Trend] = field(default_factory=list)  # the IP statistics, by number
    regions: list[RegionRow] = field(default_factory=list)  # the 17 시·도, by name
    meetings: list[MeetingLine] = field(default_factory=list)  # the Council's, in the year
    subtitle: str = ""  # the plan whose results it reports
    issuer: str = ""  # the Council
    registration_number: str = ""  # 발간등록번호 (KIPPLAN_PUBLICATION_NUMBER), "" when unset

    @property
    def tasks(self):
        return [task for strategy in self.results for task in strategy.tasks]


# -- Helpers -------------------------------------------------------------------------------------

def rate_text(part, whole):
    if not whole:
        return "—"
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}%"


def number_text(value):
    if value is None:
        return "—"
    value = Decimal(value).normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def day_text(day):
    return date_format(day, "DATE_FORMAT") if day else ""


def meeting_text(number, day, in_writing):
    """"The 38th Council meeting (in writing), 28 March 2025", as the languages say it."""
    if number is None and day is None:
        return _("not recorded")
    if number is None:
        text = _("a Council meeting")
    elif in_writing:
        text = _("Council meeting no. %(number)s (held in writing)") % {"number": number}
    else:
        text = _("Council meeting no. %(number)s") % {"number": number}
    return f"{text}, {day_text(day)}" if day else text


# -- The sections ---------------------------------------------------------------------------------

def read_tasks(plan: Plan, round_):
    """Every task of the plan with what the report says of it, in one query: the state at the
    end of the plan's year from its history (``as_of``), its result's texts, its grade and its
    lead agency."""
    # a grade is the Council's once it has decided: none before
    grade = Grade.objects.filter(task=OuterRef("pk"), round=round_,
                                 round__state__in=RoundState.decided())
    return list(
        Task.objects.filter(plan=plan).as_of(datetime.date(plan.year, 12, 31))
        .annotate(grade_level=Subquery(grade.values("grade")[:1]))
        .select_related("lead_agency")
        .values("pk", "number", "code", "title_ko", "title_en", "strategy_id", "key_task_id",
                "budget", "current_status", "current_executed", "grade_level",
                "is_illustrative", "lead_agency_id", "result__state", "result__summary_public",
                "result__achievements")
        .order_by("number", "pk"))


def indicators_by_task(plan: Plan):
    """The performance indicators of the plan's tasks, one query: {task id: [IndicatorLine]}.
    Actual values only of a submitted result."""
    found = defaultdict(list)
    rows = (PerformanceIndicator.objects.filter(task__plan=plan).with_achievement()
            .order_by("task_id", "number")
            .values_list("task_id", "name_ko", "name_en", "unit", "target", "actual",
                         "achievement", "task__result__state"))
    for task_id, name_ko, name_en, unit, target, actual, achievement, state in rows:
        submitted = state == ResultState.SUBMITTED
        found[task_id].append(IndicatorLine(
            name=localized_pair(name_ko, name_en), unit=unit, target=number_text(target),
            actual=number_text(actual) if submitted else "—",
            rate=f"{achievement:.1f}%" if submitted and achievement is not None else "—"))
    return found


def agency_names(plan: Plan, ids):
    """The lead agencies' names as the plan's year names them: two queries."""
    from tracker.plans.models import Agency

    names = names_for(plan)
    return {agency.pk: localized(names.of(agency), "name")
            for agency in Agency.objects.filter(pk__in=ids)}


def glance_of(plan: Plan, tasks, strategies, key_tasks, names) -> Glance:
    by_strategy = defaultdict(lambda: [0, 0])
    by_key_task = defaultdict(lambda: [0, 0])
    by_agency = defaultdict(lambda: [0, 0])
    for task in tasks:
        for totals, key in ((by_strategy, task["strategy_id"]),
                            (by_key_task, (task["strategy_id"], task["key_task_id"])),
                            (by_agency, task["lead_agency_id"])):
            totals[key][0] += 1
            totals[key][1] += task["budget"]
    strategy_rows = []
    for strategy in strategies:
        lines = []
        for key_task in key_tasks.get(strategy.pk, []):
            count, budget = by_key_task.get((strategy.pk, key_task.pk), (0, 0))
            lines.append(Line(f"{strategy.number}-{key_task.number} {localized(key_task, 'title')}",
                              count, budget, illustrative=key_task.is_illustrative))
        if (strategy.pk, None) in by_key_task and lines:
            count, budget = by_key_task[(strategy.pk, None)]
            lines.append(Line(_("No key task"), count, budget))
        count, budget = by_strategy.get(strategy.pk, (0, 0))
        strategy_rows.append(StrategyGlance(
            line=Line(f"{strategy.number}. {localized(strategy, 'title')}", count, budget),
            key_tasks=lines))
    agencies = sorted((Line(names[pk], count, budget)
                       for pk, (count, budget) in by_agency.items()),
                      key=lambda line: (-line.budget, line.label))
    return Glance(
        title=plan.title, year=plan.year, total_budget=format_won(plan.total_budget),
        allocated_budget=format_won(sum(task["budget"] for task in tasks)),
        task_count=len(tasks), strategies=strategy_rows, agencies=agencies,
        meeting=meeting_text(plan.meeting_number, plan.endorsed_on, plan.held_in_writing))


def results_of(tasks, strategies, names, indicators) -> list[StrategyResults]:
    statuses = dict(Status.choices)
    grades = dict(GradeLevel.choices)
    by_strategy = defaultdict(list)
    for task in tasks:
        submitted = task["result__state"] == ResultState.SUBMITTED
        summary = ""
        if submitted:
            summary = task["result__summary_public"] or task["result__achievements"]
        by_strategy[task["strategy_id"]].append(TaskResult(
            code=task["code"], title=localized_pair(task["title_ko"], task["title_en"]),
            agency=names[task["lead_agency_id"]], budget=task["budget"],
            executed=task["current_executed"], status=str(statuses[task["current_status"]]),
            grade=str(grades[task["grade_level"]]) if task["grade_level"] else "",
            summary=summary or _("No results were submitted."),
            indicators=indicators.get(task["pk"], []), illustrative=task["is_illustrative"]))
    return [StrategyResults(
        title=f"{strategy.number}. {localized(strategy, 'title')}",
        tasks=by_strategy[strategy.pk],
        budget=sum(task.budget for task in by_strategy[strategy.pk]),
        executed=sum(task.executed for task in by_strategy[strategy.pk]))
        for strategy in strategies if by_strategy[strategy.pk]]


def evaluation_of(round_, plan: Plan) -> Evaluation:
    """The grades by strategy and by kind (tracker.evaluation.selectors.distribution, two queries),
    the 최우수 list (one) and the best metropolitan government (one)."""
    if not round_.decided:
        when = (_("at %(meeting)s") % {"meeting": meeting_text(
            round_.meeting_number, round_.meeting_date, round_.held_in_writing)}
            if round_.meeting_date else _("at a meeting not yet set"))
        return Evaluation(
            meeting="", levels=[], rows=[], outstanding=[], best_metropolitan=[],
            best_metropolitan_grade="", illustrative=round_.is_illustrative,
            pending=_("The evaluation of these results is pending: the Council approves the "
                      "grades %(when)s, and the next report gives them.") % {"when": when})
    reader = round_report.Reader(manager=False, tasks=Task.objects.all(), grades=True)
    distribution = round_report.distribution(round_, reader)
    rows = [DistributionRow(row.label, [units for _level, units in row.counts], row.total)
            for row in (*distribution.by_strategy, *distribution.by_kind, distribution.total)]
    outstanding = [
        OutstandingUnit(code=unit.task.code if unit.task else "",
                        title=unit.task.title if unit.task else "",
                        agency=localized(unit.agency, "name"), summary=unit.summary)
        for unit in round_report.outstanding(round_, plan, reader, limit=None)]
    best, best_grade = best_metropolitan(round_, plan)
    return Evaluation(
        meeting=meeting_text(round_.meeting_number, round_.meeting_date, round_.held_in_writing),
        levels=[str(label) for _value, label in GradeLevel.choices], rows=rows,
        outstanding=outstanding, best_metropolitan=best, best_metropolitan_grade=best_grade,
        illustrative=round_.is_illustrative)


def best_metropolitan(round_, plan: Plan):
    """The metropolitan government(s) graded best: the best grade, then the highest panel mean
    it was set with (the mean decides, it is not shown). One query."""
    order = {level: n for n, level in enumerate(GradeLevel.values)}
    grades = list(Grade.objects.filter(round=round_, agency__kind=AgencyKind.METROPOLITAN)
                  .select_related("agency").only("grade", "mean", "agency"))
    if not grades:
        return [], ""
    top = min(order[grade.grade] for grade in grades)
    grades = [grade for grade in grades if order[grade.grade] == top]
    means = [grade.mean for grade in grades if grade.mean is not None]
    if means:
        grades = [grade for grade in grades if grade.mean == max(means)]
    names = names_for(plan)
    return (sorted(localized(names.of(grade.agency), "name") for grade in grades),
            str(GradeLevel(grades[0].grade).label))


def opinions_of(plan: Plan) -> Opinions:
    """The plan's opinions counted in one query, its actions (not withdrawn) by the Council's
    latest check in another."""
    opinions = Opinion.objects.filter(plan=plan).aggregate(
        issued=Count("pk"), on_tasks=Count("pk", filter=Q(task__isnull=False)),
        on_agencies=Count("pk", filter=Q(agency__isnull=False)),
        answered=Count("pk", filter=Q(Exists(OpinionAnswer.objects.filter(
            opinion=OuterRef("pk"))))),
        closed=Count("pk", filter=Q(closed_at__isnull=False)))
    latest = latest_checks(CheckedBy.COUNCIL).values("status")[:1]
    actions = (ImprovementAction.objects.filter(opinion__plan=plan, withdrawn_at__isnull=True)
               .annotate(checked=Subquery(latest))
               .aggregate(actions=Count("pk"),
                          implemented=Count("pk", filter=Q(checked=ActionStatus.IMPLEMENTED)),
                          in_progress=Count("pk", filter=Q(checked=ActionStatus.IN_PROGRESS)),
                          not_implemented=Count("pk", filter=Q(
                              checked=ActionStatus.NOT_IMPLEMENTED)),
                          not_checked=Count("pk", filter=Q(checked__isnull=True))))
    return Opinions(**opinions, **actions)


def outcomes_of(plan: Plan) -> list[Outcome]:
    """The plan's outcome indicators, each with the figure in force for each year up to the
    plan's (the last published): two queries."""
    indicators = list(Indicator.objects.filter(plan=plan).order_by("number"))
    values = defaultdict(dict)
    kinds = dict(IndicatorValue._meta.get_field("kind").choices)
    for value in IndicatorValue.objects.filter(indicator__plan=plan, year__lte=plan.year):
        values[value.indicator_id][value.year] = value  # published order: the last is in force
    outcomes = []
    for indicator in indicators:
        target = indicator.target or number_text(indicator.target_value)
        if indicator.target_year:
            target = _("%(target)s by %(year)s") % {"target": target,
                                                    "year": indicator.target_year}
        outcomes.append(Outcome(
            number=indicator.number, name=indicator.name, unit=indicator.unit, target=target,
            values=[OutcomeValue(year=year, value=number_text(value.value),
                                 kind=str(kinds.get(value.kind, value.kind)), note=value.note,
                                 source=own_or(value, indicator, "source"))
                    for year, value in sorted(values[indicator.pk].items())],
            source=indicator.source))
    return outcomes


def meetings_of(plan: Plan) -> list[MeetingLine]:
    """The Council's meetings held in the plan's year (tracker.plans.council)."""
    from tracker.plans.council import meetings_of as held_in

    return [MeetingLine(
        title=meeting_text(meeting.number, meeting.held_on, meeting.held_in_writing),
        agenda=[(f"{item.number}. {item.title}", item.decision) for item in meeting.agenda.all()],
        decided=meeting.decided, minutes=meeting.minutes, illustrative=meeting.is_illustrative)
        for meeting in held_in(plan.year)]


def regions_of(plan: Plan, round_) -> list[RegionRow]:
    """The 17 시·도 with their own results (submitted or not, the public summary), the national
    tasks each leads and, once decided, its grade as an institution: one query, and one for
    the names the plan's year gives them."""
    from tracker.evaluation.services import graded_institutions

    own = Result.objects.filter(plan=plan, institution=OuterRef("pk"))
    grade = Grade.objects.filter(round=round_, agency=OuterRef("pk"),
                                 round__state__in=RoundState.decided())
    led = (Task.objects.filter(plan=plan, lead_agency=OuterRef("pk")).order_by()
           .values("lead_agency").annotate(n=Count("pk")).values("n"))
    rows = graded_institutions(round_).annotate(
        result_state=Subquery(own.values("state")[:1]),
        summary=Subquery(own.values("summary_public")[:1]),
        grade_level=Subquery(grade.values("grade")[:1]),
        led=Subquery(led[:1]))
    names = names_for(plan)
    grades = dict(GradeLevel.choices)
    found = [RegionRow(
        name=localized(names.of(agency), "name"),
        submitted=agency.result_state == ResultState.SUBMITTED,
        summary=(agency.summary or "") if agency.result_state == ResultState.SUBMITTED else "",
        tasks=agency.led or 0,
        grade=str(grades[agency.grade_level]) if agency.grade_level else "")
        for agency in rows]
    return sorted(found, key=lambda row: row.name)


def own_or(figure, series, name):
    """The figure's own text in the active language, or its series' in that language: never
    the other language's (a figure with an English source only is read in Korean by its
    series' Korean source)."""
    return localized_pair(getattr(figure, f"{name}_ko") or getattr(series, f"{name}_ko"),
                          getattr(figure, f"{name}_en") or getattr(series, f"{name}_en"))


def trends_of(plan: Plan) -> list[Trend]:
    """The IP statistics, each with the figure in force for each year up to the plan's (the
    last published): two queries."""
    kinds = dict(FigureKind.choices)
    values = defaultdict(dict)
    for value in StatisticValue.objects.filter(year__lte=plan.year):
        values[value.statistic_id][value.year] = value  # published order: the last is in force
    return [Trend(number=statistic.number, name=statistic.name, unit=statistic.unit,
                  source=statistic.source, illustrative=statistic.is_illustrative,
                  values=[OutcomeValue(year=year, value=number_text(value.value),
                                       kind=str(kinds.get(value.kind, value.kind)),
                                       note=value.note, amount=value.value,
                                       source=own_or(value, statistic, "source"))
                          for year, value in sorted(values[statistic.pk].items())])
            for statistic in Statistic.objects.order_by("number")]


def appendix_of(tasks, names, graded=True) -> list[AgencyRow]:
    """By lead agency: tasks, budget, executed and, once graded, the grades' counts."""
    levels = GradeLevel.values if graded else []
    rows = defaultdict(lambda: [0, 0, 0, [0] * len(levels)])
    for task in tasks:
        row = rows[task["lead_agency_id"]]
        row[0] += 1
        row[1] += task["budget"]
        row[2] += task["current_executed"]
        if task["grade_level"]:
            row[3][levels.index(task["grade_level"])] += 1
    return sorted((AgencyRow(names[pk], *row) for pk, row in rows.items()),
                  key=lambda row: row.name)


def report_content(plan: Plan, *, language: str | None = None) -> Report:
    """The report's content in the active language (``language`` says which it is, for the
    files' names). Queries: the plan and its round (1), strategies and key tasks (2), tasks (1),
    their indicators (1), the agencies and their former names (2), the grade distribution (2),
    the 최우수 list (1) and its former names, the best metropolitan government (1), opinions and
    actions (2), outcome indicators and values (2), IP statistics and their figures (2), the
    시·도' own results (2): about 20, the same at 75 and 750 tasks."""
    plan = Plan.objects.select_related("evaluation_round").get(pk=plan.pk)
    round_ = check_reportable(plan)
    strategies = list(Strategy.objects.filter(plan=plan).order_by("number"))
    key_tasks = defaultdict(list)
    for key_task in KeyTask.objects.filter(strategy__plan=plan).order_by("strategy_id", "number"):
        key_tasks[key_task.strategy_id].append(key_task)
    tasks = read_tasks(plan, round_)
    names = agency_names(plan, {task["lead_agency_id"] for task in tasks})
    indicators = indicators_by_task(plan)
    notes = []
    if plan.data_note:
        notes.append(plan.data_note)
    if round_.is_illustrative:
        notes.append(_("Illustrative demo data: this round's dates, scores and grades are "
                       "invented."))
    if any(task["is_illustrative"] for task in tasks):
        notes.append(_("Tasks marked “illustrative” have invented titles and assignments."))
    return Report(
        year=plan.year, language=language or ("en" if english_active() else "ko"),
        title=_("%(year)s Annual Report of the Presidential Council on Intellectual Property")
        % {"year": plan.year},
        subtitle=_("The results of the %(year)s national IP implementation plan") % {
            "year": plan.year},
        issuer=_("Presidential Council on Intellectual Property"),
        registration_number=settings.KIPPLAN_PUBLICATION_NUMBER.strip(),
        made_on=day_text(timezone.localdate()), notes=notes,
        glance=glance_of(plan, tasks, strategies, key_tasks, names),
        results=results_of(tasks, strategies, names, indicators),
        evaluation=evaluation_of(round_, plan), opinions=opinions_of(plan),
        outcomes=outcomes_of(plan), appendix=appendix_of(tasks, names, round_.decided),
        trends=trends_of(plan), regions=regions_of(plan, round_), meetings=meetings_of(plan))

