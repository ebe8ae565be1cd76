"""
The Council's budget advice (재원배분방향) on each graded project of a round: increase, keep, cut,
or keep or cut on conditions, with a reason, for the year after next (``advice_year``).

When: advice is given once the grades are being set and stays editable, by default, until the
annual report is marked as sent (``KIPPLAN_ADVICE_OPEN_UNTIL``: "report_sent"; or
"publication", until the round is published). The secretariat drafts it beside the grades while
the round is being evaluated; the Council approves it with the grades at its spring meeting, and
what the meeting changes is recorded after it; the budget ministry may still be told of a
correction until the annual report goes to the National Assembly, after which it no longer
changes. Before publication the round's step page lists the projects still without advice. The
grades themselves are fixed at approval (``tracker.evaluation.services.check_open``); the advice
is not, for that reason.

Who: plan managers write (``tracker.access.is_plan_manager``); each write holds the round's
row lock, so that the round cannot be published meanwhile, and is checked against the version the
manager opened (a stale form is refused, not overwritten).

Who reads what (``advice_of``): managers everything; agency staff the advice on the tasks they
see (``Task.objects.visible_to``) once the Council has approved it, and all of it once
published; the public (evaluators among them) a published round's advice only. Nobody but a
manager reads a panel mean or who wrote the advice.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tracker.access import is_plan_manager
from tracker.common.i18n import english_active, localized
from tracker.common.stale import StaleEdit
from tracker.common.validators import RowErrors
from tracker.evaluation.models import EvaluationRound, Grade, GradeLevel, RoundState
from tracker.evaluation.services import quantize
from tracker.follow_up.models import BudgetAdvice, Recommendation, advice_year
from tracker.plans.agency_names import names_for
from tracker.plans.models import Agency, Strategy
from tracker.progress.models import Task


def stale_advice(task, advice) -> StaleEdit:
    """The advice was saved or removed by someone else after the form was opened; nothing was
    saved. ``advice`` is the advice as it is now (None: there is none)."""
    if advice is None:
        return StaleEdit(_("The advice on %(task)s was removed after you opened this page. "
                           "Nothing was saved: check it and save again.") % {"task": task.code})
    return StaleEdit(_("The advice on %(task)s was saved at %(when)s, after you opened this "
                       "page. Nothing was saved: check it and save again.") % {
        "task": task.code,
        "when": timezone.localtime(advice.updated_at).strftime("%Y-%m-%d %H:%M")}, advice)


# -- Rules --------------------------------------------------------------------------------------

def closed_because(round_) -> str | None:
    """Why the round's advice no longer changes, or None while it does."""
    if not round_.allows("advice"):
        return _("Budget advice is given once the round is being evaluated.")
    # The report may be sent while the round is approved, before publication; a report sent
    # before the Council decided (the evaluation pending) closes nothing: the advice is decided
    # with the grades.
    report = getattr(round_.plan, "annual_report", None)  # the publishing part's, by relation
    if report is not None and report.sent_on is not None and round_.decided:
        return _("The annual report was sent on %(day)s: the budget advice no longer "
                 "changes.") % {"day": date_format(report.sent_on, "SHORT_DATE_FORMAT")}
    if round_.state == RoundState.PUBLISHED and settings.KIPPLAN_ADVICE_OPEN_UNTIL != (
            "report_sent"):
        return _("The round is published: its budget advice no longer changes.")
    return None


def is_open_for_advice(round_) -> bool:
    return round_ is not None and closed_because(round_) is None


def check_open_for_advice(round_):
    reason = closed_because(round_)
    if reason is not None:
        raise ValidationError(reason)


def locked_round_for_advice(round_):
    """The round, locked for the rest of the transaction (it cannot be published meanwhile),
    refused unless it takes advice."""
    round_ = EvaluationRound.objects.select_for_update().get(pk=round_.pk)
    check_open_for_advice(round_)
    return round_


def check_graded_project(round_, task):
    if task.plan_id != round_.plan_id:
        raise ValidationError(_("%(task)s belongs to another plan than this round's.") % {
            "task": task.code})
    if not Grade.objects.filter(round=round_, task=task).exists():
        raise ValidationError(_("%(task)s was not graded in this round: budget advice is "
                                "given on graded projects only.") % {"task": task.code})


def current_advice(round_, task):
    return BudgetAdvice.objects.select_for_update().filter(round=round_, task=task).first()


# -- Services -----------------------------------------------------------------------------------

def set_advice(*, round_: EvaluationRound, task: Task, recommendation: str, reason: str, user,
               version: int | None = None) -> BudgetAdvice:
    """Give or change the advice on a graded project of the round, from the version the user
    opened (None: there was no advice then)."""
    if not is_plan_manager(user):
        raise PermissionDenied
    with transaction.atomic():
        round_ = locked_round_for_advice(round_)
        check_graded_project(round_, task)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("Say why: the reason goes to the budget "
                                               "authorities with the advice.")})
        advice = current_advice(round_, task)
        if (None if advice is None else advice.version) != version:
            raise stale_advice(task, advice)
        if advice is None:
            advice = BudgetAdvice(round=round_, task=task, version=0)
        advice.recommendation = recommendation
        advice.reason = reason
        advice.for_year = advice_year(round_)
        advice.updated_by = user
        advice.version += 1
        advice.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                advice.save()
        except IntegrityError as error:  # given at the same moment by someone else
            raise stale_advice(task, BudgetAdvice.objects.filter(
                round=round_, task=task).first()) from error
    return advice


def remove_advice(*, round_: EvaluationRound, task: Task, user, version: int) -> None:
    """Take the advice on a project back, from the version the user opened."""
    if not is_plan_manager(user):
        raise PermissionDenied
    with transaction.atomic():
        round_ = locked_round_for_advice(round_)
        check_graded_project(round_, task)
        advice = current_advice(round_, task)
        if advice is None or advice.version != version:
            raise stale_advice(task, advice)
        advice.delete()


def save_advice(*, round_: EvaluationRound, changes: dict, user) -> int:
    """Save several projects' advice at once, all or nothing: ``changes`` maps the caller's key
    for each project (a form's prefix) to ``set_advice``'s arguments, or to ``remove_advice``'s
    with ``remove=True``. When any is refused, none is saved and RowErrors says what refused
    each (a StaleEdit where the advice changed after the user opened it). Returns how many
    were saved."""
    errors = {}
    with transaction.atomic():
        for key, change in changes.items():
            change = dict(change)
            try:
                if change.pop("remove", False):
                    remove_advice(round_=round_, user=user, **change)
                else:
                    set_advice(round_=round_, user=user, **change)
            except (StaleEdit, ValidationError) as error:
                errors[key] = error
        if errors:
            raise RowErrors(errors)
    return len(changes)


# -- Who reads what -----------------------------------------------------------------------------

def reads_advice(round_, reader) -> bool:
    """Whether a reader (``tracker.evaluation.selectors.reader_of``) reads any of the round's
    advice."""
    if round_ is None:
        return False
    if reader.manager or round_.state == RoundState.PUBLISHED:
        return True
    return not reader.public and round_.decided


def advice_of(round_, reader):
    """The round's advice the reader reads (see the module's docstring)."""
    advice = BudgetAdvice.objects.filter(round=round_)
    if not reads_advice(round_, reader):
        return advice.none()
    if reader.manager or round_.state == RoundState.PUBLISHED:
        return advice
    return advice.filter(task__in=reader.tasks.values("pk"))


def every_advice_read(round_, reader) -> bool:
    return reader.manager or (round_ is not None and round_.state == RoundState.PUBLISHED)


def grade_of_task():
    """The advised task's grade in the advice's round (one at most), read in the same query."""
    return Subquery(Grade.objects.filter(round=OuterRef("round_id"), task=OuterRef("task_id"))
                    .values("grade")[:1])


# -- The sums -----------------------------------------------------------------------------------

RECOMMENDATIONS = list(Recommendation)


@dataclass(frozen=True)
class AdviceRow:
    label: str
    counts: list  # [(Recommendation, projects)], in the order of Recommendation

    @property
    def total(self):
        return sum(projects for _recommendation, projects in self.counts)


def row_of(label, counts):
    return AdviceRow(label, [(choice, counts.get(choice, 0)) for choice in RECOMMENDATIONS])


@dataclass(frozen=True)
class AdviceSummary:
    for_year: int
    by_strategy: list[AdviceRow]
    by_agency: list[AdviceRow]  # the lead agencies, named as the plan's year names them
    by_grade: list[AdviceRow]  # best first
    total: AdviceRow
    graded: int | None = None  # managers: the round's graded projects (with or without advice)

    @property
    def unadvised(self):
        return None if self.graded is None else self.graded - self.total.total

    @property
    def tables(self):
        """The three sums as the page shows them: title, caption, first column, rows."""
        return [
            AdviceTable(_("By strategy"), _("Advised projects by strategy and recommendation"),
                        _("Strategy"), self.by_strategy),
            AdviceTable(_("By lead agency"),
                        _("Advised projects by lead agency (주관) and recommendation"),
                        _("Lead agency"), self.by_agency),
            AdviceTable(_("By grade"), _("Advised projects by grade and recommendation"),
                        _("Grade"), self.by_grade),
        ]


@dataclass(frozen=True)
class AdviceTable:
    title: str
    caption: str
    heading: str
    rows: list[AdviceRow]


def add(table, key, recommendation, projects):
    counts = table.setdefault(key, {})
    counts[recommendation] = counts.get(recommendation, 0) + projects


def advice_summary(round_: EvaluationRound, reader) -> AdviceSummary:
    """The advice the reader reads, counted by recommendation and summed by strategy, by lead
    agency and by grade, as the Council's agenda shows it: one query grouped by strategy id,
    lead agency id, grade and recommendation (a few dozen rows for a whole plan) folded here,
    the few strategies and agencies read in one query each, their former names in one; for
    managers, the graded projects counted in one more."""
    plan = round_.plan
    rows = list(advice_of(round_, reader)
                .annotate(grade_level=grade_of_task())
                .values_list("task__strategy_id", "task__lead_agency_id", "grade_level",
                             "recommendation")
                .annotate(projects=Count("pk")).order_by())
    by_strategy, by_agency, by_grade, total = {}, {}, {}, {}
    for strategy_id, agency_id, level, recommendation, projects in rows:
        add(by_strategy, strategy_id, recommendation, projects)
        add(by_agency, agency_id, recommendation, projects)
        add(by_grade, level, recommendation, projects)
        total[recommendation] = total.get(recommendation, 0) + projects
    strategies = Strategy.objects.in_bulk(list(by_strategy))
    agencies = Agency.objects.in_bulk(list(by_agency))
    names = names_for(plan)
    agency_rows = [row_of(agency_name(names.of(agencies[pk])), counts)
                   for pk, counts in by_agency.items()]
    graded = None
    if reader.manager:
        graded = Grade.objects.filter(round=round_, task__isnull=False).count()
    return AdviceSummary(
        for_year=advice_year(round_),
        by_strategy=[row_of(f"{strategy.number}. {localized(strategy, 'title')}",
                            by_strategy[strategy.pk])
                     for strategy in sorted(strategies.values(), key=lambda s: s.number)],
        by_agency=sorted(agency_rows, key=lambda row: row.label),
        by_grade=[row_of(str(level.label), by_grade[level]) for level in GradeLevel
                  if level in by_grade],
        total=row_of(_("All advised projects"), total),
        graded=graded)


def agency_name(agency):
    """An agency (or its former name) in the active language, falling back to the other."""
    if english_active():
        return agency.name_en or agency.name_ko
    return agency.name_ko or agency.name_en


# -- The projects -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdvisedProject:
    task: Task
    agency: str  # the lead agency as the plan's year names it
    grade: GradeLevel | None
    mean: object  # the panel mean the grade was set with: managers only
    recommendation: Recommendation
    reason: str
    for_year: int


def advised_projects(round_: EvaluationRound, reader) -> list[AdvisedProject]:
    """The advice the reader reads, by task number: one query (the tasks, their lead agencies,
    grades and means joined or read in it), the former agency names in one more."""
    mean = Subquery(Grade.objects.filter(round=OuterRef("round_id"), task=OuterRef("task_id"))
                    .values("mean")[:1])
    advice = (advice_of(round_, reader).select_related("task__lead_agency")
              .annotate(grade_level=grade_of_task(), grade_mean=mean)
              .order_by("task__number", "pk"))
    names = names_for(round_.plan)
    return [AdvisedProject(
        task=row.task, agency=agency_name(names.of(row.task.lead_agency)),
        grade=GradeLevel(row.grade_level) if row.grade_level else None,
        mean=quantize(row.grade_mean) if reader.manager else None,
        recommendation=Recommendation(row.recommendation), reason=row.reason,
        for_year=row.for_year)
        for row in advice]


# -- The XLSX -----------------------------------------------------------------------------------

def summary_sheet(heading, rows, total):
    yield [heading, *(str(choice.label) for choice in RECOMMENDATIONS), _("Total")]
    for row in [*rows, total]:
        yield [row.label, *(projects for _choice, projects in row.counts), row.total]


def project_sheet(projects, *, manager):
    header = [_("Code"), _("Task"), _("Lead agency"), _("Grade"), _("Recommendation"),
              _("Reason"), _("Budget year")]
    if manager:
        header.insert(4, _("Panel mean"))
    yield header
    for project in projects:
        row = [project.task.code, localized(project.task, "title"), project.agency,
               str(project.grade.label) if project.grade else "",
               str(project.recommendation.label),
               project.reason, project.for_year]
        if manager:
            row.insert(4, project.mean)
        yield row


def workbook(round_: EvaluationRound, reader):
    """The sums and the projects as the sheets of one XLSX workbook (a temporary file, written
    row by row in openpyxl's write-only mode): "by strategy", "by agency", "by grade",
    "projects"."""
    from tracker.common.spreadsheets import xlsx_workbook

    summary = advice_summary(round_, reader)
    projects = advised_projects(round_, reader)
    sheets = [(name, summary_sheet(table.heading, table.rows, summary.total))
              for name, table in zip([_("by strategy"), _("by agency"), _("by grade")],
                                     summary.tables, strict=True)]
    return xlsx_workbook([*sheets, (_("projects"), project_sheet(projects,
                                                                 manager=reader.manager))])


# -- The page -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdvicePage:
    round: EvaluationRound | None
    reader: object  # tracker.evaluation.selectors.Reader
    shown: bool  # the reader reads some of the round's advice
    every_advice: bool  # ... all of it (else: the tasks they see)
    for_year: int | None
    summary: AdviceSummary | None
    projects: list[AdvisedProject]


def budget_advice_page(plan, user) -> AdvicePage:
    """The plan's budget advice as ``user`` may read it: the sums (four queries, five for
    managers) and the projects (two)."""
    from tracker.evaluation.selectors import reader_of, round_of_plan

    round_ = round_of_plan(plan)
    reader = reader_of(user, round_)
    shown = reads_advice(round_, reader)
    return AdvicePage(
        round=round_, reader=reader, shown=shown,
        every_advice=every_advice_read(round_, reader),
        for_year=advice_year(round_) if round_ is not None else None,
        summary=advice_summary(round_, reader) if shown else None,
        projects=advised_projects(round_, reader) if shown else [])


# -- The admin's list -----------------------------------------------------------------------------

