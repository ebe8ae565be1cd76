"""
A plan's tasks from a spreadsheet: CSV (UTF-8, with or without Excel's byte-order mark) or XLSX,
in the columns the task export writes, so that an exported plan imports back as it was.

All or nothing: every problem in the file is found and reported with its row and column, and
nothing is stored unless there are none. `code` and `year` are written by the export and made
again on import, from the plan's year and the task's number.

An optional column, `performance_indicators`, gives each task's performance indicators
(성과지표), set with the plan: one or more, separated by “;” or put on lines of their own, each
as ``name | unit | target`` with, optionally, an English name as a fourth part:

    특허분석 보고서 | 건 | 12; 상담 기업 | 개사 | 300 | Companies advised

The target is a number of 0 or more (1,000 and 12.5 are read; not 12%); names and units cannot
hold “;” or “|”. The indicators are numbered in the cell's order. A plan whose evaluation round has
started takes no more indicators (as ``tracker.evaluation.services.set_indicators``).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.common import spreadsheets
from tracker.common.choices import StateSource, Status
from tracker.common.spreadsheets import cell_text
from tracker.common.validators import check_day, check_year
from tracker.evaluation.models import ALLOWS, EvaluationRound, PerformanceIndicator
from tracker.loading.carry_over import key_tasks_by_number, new_plan_like
from tracker.plans.agency_names import name_day, name_on
from tracker.plans.models import (
    Agency,
    AgencyName,
    KeyTask,
    Plan,
    StrategicTechnology,
    key_task_code,
)
from tracker.progress.exports import COLUMNS, LIST_SEPARATOR
from tracker.progress.models import ProgressUpdate, Task

# The columns a file must have; the others may be left out (blank). `code` and `year` are the
# export's, made again on import.
REQUIRED_COLUMNS = ["number", "strategy", "title_ko", "lead_agency", "budget", "start_date",
                    "end_date"]
MAX_ROWS = 20_000
# Read by the import only (the export's columns, and after them the indicators' own, which the
# export may come to write too).
INDICATORS = "performance_indicators"
IMPORT_COLUMNS = list(dict.fromkeys([*COLUMNS, INDICATORS]))
# A task's indicators: entries separated by ";" or line breaks, an entry's parts by "|".
INDICATOR_SEPARATOR = re.compile(r"[;\r\n]+")
INDICATOR_PARTS = "|"
MAX_INDICATORS = 50  # per task
# A target as a number, with thousands separated by commas or not: 12, 1,000, 12.5.
TARGET = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
# A key task's code as the export writes it (1-2: strategy, then key task), or its number alone
# (2), within the task's strategy.
KEY_TASK_CODE = re.compile(r"(?:([0-9]+)-)?([0-9]+)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file. ``row`` is the spreadsheet's row number (the header
    is row 1); a problem with the whole file has neither row nor column."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


class PlanImportError(Exception):
    def __init__(self, problems):
        self.problems = sorted(problems, key=lambda p: (p.row or 0, COLUMN_ORDER.get(p.column, 0)))
        super().__init__("\n".join(map(str, self.problems)))


COLUMN_ORDER = {column: n for n, column in enumerate(IMPORT_COLUMNS, 1)}


@dataclass
class ImportResult:
    plan: Plan
    tasks: int
    created_plan: bool
    dry_run: bool


# Reading the file ----------------------------------------------------------------------------


def read_table(name, data):
    """The file's rows as (row number, {column: cell}), header checked, blank rows skipped."""
    # The header and one row more than may be imported: a longer file is refused unread.
    try:
        rows = spreadsheets.read_rows(name, data, limit=MAX_ROWS + 2)
    except spreadsheets.Unreadable as error:
        raise PlanImportError([Problem(str(error))]) from None
    if not rows:
        raise PlanImportError([Problem(_("The file is empty."))])
    (header_row, header), *rows = rows
    header = [cell_text(cell) for cell in header]
    problems = []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        problems.append(Problem(_("These columns are missing: %(columns)s.") % {
            "columns": ", ".join(missing)}, row=header_row))
    unknown = [column for column in header if column and column not in IMPORT_COLUMNS]
    if unknown:
        problems.append(Problem(_("These columns are not kipplan's: %(columns)s.") % {
            "columns": ", ".join(unknown)}, row=header_row))
    repeated = sorted({column for column in header if column and header.count(column) > 1})
    if repeated:
        problems.append(Problem(_("These columns appear twice: %(columns)s.") % {
            "columns": ", ".join(repeated)}, row=header_row))
    if not rows:
        problems.append(Problem(_("The file has a header but no tasks.")))
    if len(rows) > MAX_ROWS:
        problems.append(Problem(_("kipplan imports at most %(limit)s tasks at a time; the file "
                                  "has more.") % {"limit": MAX_ROWS}))
    if problems:
        raise PlanImportError(problems)
    return [(n, dict(zip(header, cells, strict=False))) for n, cells in rows]


# Checking each row ---------------------------------------------------------------------------


class YesNoField(forms.Field):
    TRUE, FALSE = {"yes", "true", "1", "예"}, {"no", "false", "0", "아니오", ""}

    def to_python(self, value):
        text = cell_text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(_("Write yes or no."))


class SpreadsheetDateField(forms.DateField):
    """A date as YYYY-MM-DD, or a date cell of an XLSX file."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        if isinstance(value, datetime):
            if value.time() != datetime.min.time():
                raise ValidationError(_("Write a date without a time."))
            day = value.date()
        else:
            day = super().to_python(cell_text(value))
        if day is not None:
            check_day(day)
        return day


class SpreadsheetDateTimeField(forms.DateTimeField):
    """A past time in ISO 8601, as the export writes it; without an offset, in Seoul's time."""

    def to_python(self, value):
        if isinstance(value, datetime):
            moment = value
        else:
            text = cell_text(value)
            if not text:
                return None
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValidationError(_("Write a time as 2024-12-31T17:30:00+09:00.")) from None
        check_day(moment)  # as written, before any conversion could leave the calendar
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment > timezone.now():  # a report not yet made would outrank the ones to come
            raise ValidationError(_("A report cannot have been made in the future."))
        return moment


def indicator_target(text):
    """The target of an indicator as written: a number of 0 or more."""
    if not text:
        raise ValidationError(_("the target is missing."))
    if not TARGET.fullmatch(text):
        raise ValidationError(_("the target “%(target)s” is not a number of 0 or more (write "
                                "12, 1,000 or 12.5).") % {"target": text})
    return Decimal(text.replace(",", ""))  # TARGET admits only what Decimal reads


def indicator(entry, number):
    """One entry of the performance_indicators cell (``name | unit | target``, optionally
    ``| English name``) as the fields of an indicator, checked by the model's own rules."""
    parts = [part.strip() for part in entry.split(INDICATOR_PARTS)]
    if not 3 <= len(parts) <= 4:
        raise ValidationError(_("write it as name | unit | target, optionally followed by "
                                "| English name."))
    name_ko, unit, target, *english = parts
    fields = {"name_ko": name_ko, "name_en": english[0] if english else "", "unit": unit}
    problems = []
    if not name_ko:
        problems.append(_("the name is missing."))
    if not unit:
        problems.append(_("the unit is missing."))
    try:
        fields["target"] = indicator_target(target)
    except ValidationError as error:
        problems += error.messages
    if problems:
        raise ValidationError(problems)
    row = PerformanceIndicator(number=number, **fields)
    try:
        row.full_clean(exclude=["task"])
    except ValidationError as error:
        raise ValidationError([
            f"{PerformanceIndicator._meta.get_field(field).verbose_name}: {message}"
            if field != "__all__" else message
            for field, messages in error.message_dict.items() for message in messages
        ]) from None
    return fields


class IndicatorsField(forms.Field):
    """A task's performance indicators as the cell gives them: a list of the fields of each
    (name_ko, name_en, unit, target), in their order; empty for an empty cell."""

    def to_python(self, value):
        entries = [entry.strip() for entry in INDICATOR_SEPARATOR.split(cell_text(value))
                   if entry.strip()]
        if len(entries) > MAX_INDICATORS:
            raise ValidationError(_("A task has at most %(limit)s performance indicators; this "
                                    "one has %(count)s.") % {"limit": MAX_INDICATORS,
                                                             "count": len(entries)})
        indicators, problems = [], []
        for number, entry in enumerate(entries, 1):
            try:
                indicators.append(indicator(entry, number))
            except ValidationError as error:
                problems += [_("Indicator %(number)s (“%(entry)s”): %(problem)s") % {
                    "number": number, "entry": entry, "problem": message}
                    for message in error.messages]
        if problems:
            raise ValidationError(problems)
        return indicators


class TaskRowForm(forms.Form):
    """One row of the file: the columns, parsed and checked. Names are looked up in the
    dictionaries given, made once for the whole file."""

    number = forms.IntegerField(min_value=1, max_value=32767)
    strategy = forms.IntegerField(min_value=1, max_value=32767)
    key_task = forms.CharField(required=False)  # after strategy, which it is checked against
    title_ko = forms.CharField(max_length=300)
    title_en = forms.CharField(max_length=300, required=False)
    description_ko = forms.CharField(required=False)
    description_en = forms.CharField(required=False)
    lead_agency = forms.CharField()
    supporting_agencies = forms.CharField(required=False)
    technologies = forms.CharField(required=False)
    budget = forms.IntegerField(min_value=0, max_value=10**18)
    start_date = SpreadsheetDateField()
    end_date = SpreadsheetDateField()
    status = forms.CharField(required=False)
    progress = forms.IntegerField(min_value=0, max_value=100, required=False)
    budget_executed = forms.IntegerField(min_value=0, max_value=10**18, required=False)
    last_reported_at = SpreadsheetDateTimeField(required=False)
    is_illustrative = YesNoField(required=False)
    performance_indicators = IndicatorsField(required=False)

    def __init__(self, cells, *, strategies, key_tasks, agencies, technologies,
                 misnamed=None):
        data = {name: cells.get(name) for name in self.base_fields}
        for name, field in self.base_fields.items():
            if not isinstance(field, (SpreadsheetDateField, SpreadsheetDateTimeField)):
                data[name] = cell_text(data[name])
        super().__init__(data)
        self.strategies, self.agencies, self.techs = strategies, agencies, technologies
        self.key_tasks, self.misnamed = key_tasks, misnamed or {}

    def clean_strategy(self):
        number = self.cleaned_data["strategy"]
        if number not in self.strategies:
            raise ValidationError(_("The plan has no strategy %(number)s.") % {"number": number})
        return self.strategies[number]

    def clean_key_task(self):
        """The key task of the row's strategy that the cell names, by code or number."""
        text = self.cleaned_data["key_task"]
        if not text:
            return None
        match = KEY_TASK_CODE.fullmatch(text)
        if match is None:
            raise ValidationError(_(
                "“%(text)s” is not a key task; write its code, such as 1-2 (strategy 1, key "
                "task 2), as text: a spreadsheet may have turned 1-2 into a date.") % {
                "text": text})
        strategy = self.cleaned_data.get("strategy")
        if strategy is None:  # the strategy's own problem is reported
            return None
        number = int(match[2])
        code = key_task_code(match[1] or strategy.number, number)
        if match[1] and int(match[1]) != strategy.number:
            raise ValidationError(_(
                "Key task %(code)s is under strategy %(other)s, but the task's strategy is "
                "%(strategy)s.") % {"code": code, "other": int(match[1]),
                                     "strategy": strategy.number})
        if (strategy.number, number) not in self.key_tasks:
            raise ValidationError(_("Strategy %(strategy)s has no key task %(code)s.") % {
                "strategy": strategy.number, "code": code})
        return self.key_tasks[strategy.number, number]

    def clean_lead_agency(self):
        return self.look_up(self.cleaned_data["lead_agency"], self.agencies,
                            _("No agency is called “%(name)s”."), self.misnamed)[0]

    def clean_supporting_agencies(self):
        return self.look_up(self.cleaned_data["supporting_agencies"], self.agencies,
                            _("No agency is called “%(name)s”."), self.misnamed)

    def clean_technologies(self):
        return self.look_up(self.cleaned_data["technologies"], self.techs,
                            _("No strategic technology is called “%(name)s”."))

    def clean_status(self):
        status = self.cleaned_data["status"] or Status.NOT_STARTED
        if status not in Status.values:
            raise ValidationError(_("“%(status)s” is not a status; use one of: %(choices)s.") % {
                "status": status, "choices": ", ".join(Status.values)})
        return status

    @staticmethod
    def look_up(text, known, message, misnamed=None):
        """The objects the names of ``text`` stand for. A name of another period (an
        agency's former or later name, in ``misnamed``) is refused with the period's name."""
        names = [name.strip() for name in text.split(LIST_SEPARATOR) if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown:
            misnamed = misnamed or {}
            raise ValidationError([
                _("“%(name)s” is not the agency's name in this plan's year, which calls it "
                  "“%(called)s”.") % {"name": name, "called": misnamed[name]}
                if name in misnamed else message % {"name": name} for name in unknown])
        found = list(dict.fromkeys(known[name] for name in names))
        return found

    def task(self, plan):
        """The row as an unsaved task of plan, checked by the model's own rules, with its
        supporting agencies, technologies and performance indicators."""
        data = self.cleaned_data
        task = Task(
            plan=plan, strategy=data["strategy"], key_task=data["key_task"],
            number=data["number"],
            title_ko=data["title_ko"], title_en=data["title_en"],
            description_ko=data["description_ko"], description_en=data["description_en"],
            lead_agency=data["lead_agency"], budget=data["budget"],
            start_date=data["start_date"], end_date=data["end_date"], status=data["status"],
            progress=data["progress"] or 0, budget_executed=data["budget_executed"] or 0,
            last_reported_at=data["last_reported_at"], is_illustrative=data["is_illustrative"],
        )
        task.code = task.make_code()
        task.full_clean(exclude=["plan", "strategy", "key_task", "lead_agency", "code"],
                        validate_unique=False, validate_constraints=False)
        return (task, data["supporting_agencies"], data["technologies"],
                data["performance_indicators"])


def names(queryset, *fields):
    """{name: object} for each object under each of its names (slug, Korean and English)."""
    known = {}
    for obj in queryset:
        for field in fields:
            value = getattr(obj, field)
            if value not in ("", None):
                known.setdefault(str(value), obj)
    return known


def agency_names(day):
    """({name: agency}, {name: the name in force}) for the plan of ``day``: each agency under
    its slug and the Korean and English names in force on the day; its names of other periods
    in the second, to say which name the plan's year uses. Two queries."""
    former = {}
    for name in AgencyName.objects.order_by("agency_id", "used_until"):
        former.setdefault(name.agency_id, []).append(name)
    known, misnamed = {}, {}
    for agency in Agency.objects.all():
        periods = former.get(agency.pk, [])
        called = name_on(agency, day, periods)
        for text in (agency.slug, called.name_ko, called.name_en):
            if text:
                known.setdefault(text, agency)
        for other in (agency, *periods):
            for text in (other.name_ko, other.name_en):
                if text and other is not called:
                    misnamed.setdefault(text, " / ".join(
                        part for part in (called.name_ko, called.name_en) if part))
    return known, {text: name for text, name in misnamed.items() if text not in known}


def check_rows(rows, plan, strategies, total=None, *, key_tasks):
    """The rows as (task, supporting agencies, technologies, performance indicators);
    PlanImportError with every problem when any row is wrong. ``strategies`` and ``key_tasks``
    are those the tasks are matched against, by number ({number: strategy}, {(strategy number,
    number): key task})."""
    agencies, misnamed = agency_names(name_day(plan))
    technologies = names(StrategicTechnology.objects.all(), "slug", "number", "name_ko",
                         "name_en")
    taken = set(plan.tasks.values_list("number", flat=True)) if plan.pk else set()
    # Indicators are set with the plan, before its round takes results (set_indicators' rule).
    round_started = bool(plan.pk) and EvaluationRound.objects.filter(plan=plan).exclude(
        state__in=ALLOWS["indicators"]).exists()
    problems, drafts, first_row = [], [], {}
    for row, cells in rows:
        form = TaskRowForm(cells, strategies=strategies, key_tasks=key_tasks,
                           agencies=agencies, technologies=technologies, misnamed=misnamed)
        valid = form.is_valid()
        problems += [Problem(" ".join(errors), row=row, column=column)
                     for column, errors in form.errors.items()]
        # A good number is checked against the others even when the row has other problems.
        number = form.cleaned_data.get("number")
        if number in first_row:
            problems.append(Problem(_("Task %(number)s is also in row %(other)s.") % {
                "number": number, "other": first_row[number]}, row=row, column="number"))
            continue
        if number is not None:
            first_row[number] = row
        if number in taken:
            problems.append(Problem(_("Task %(number)s already exists in the %(year)s plan.") % {
                "number": number, "year": plan.year}, row=row, column="number"))
            continue
        if round_started and form.cleaned_data.get(INDICATORS):
            problems.append(Problem(_(
                "The %(year)s plan's evaluation round has started: performance indicators are "
                "set with the plan, before its results are taken. Leave this column empty.") % {
                "year": plan.year}, row=row, column=INDICATORS))
            continue
        if not valid:
            continue
        try:
            drafts.append(form.task(plan))
        except ValidationError as error:
            problems += [Problem(" ".join(messages), row=row,
                                 column=None if field == "__all__" else field)
                         for field, messages in error.message_dict.items()]
    if total is not None and not problems:
        budgets = sum(draft[0].budget for draft in drafts)
        if budgets != total:
            problems.append(Problem(
                _("The budgets add up to %(sum)s won, not to the total of %(total)s won.") % {
                    "sum": f"{budgets:,}", "total": f"{total:,}"}, column="budget"))
    if problems:
        raise PlanImportError(problems)
    return drafts


# Importing -----------------------------------------------------------------------------------


def import_plan(name, data, year, *, total=None, dry_run=False, user=None):
    """Import the tasks of the file (name tells its type, data is its bytes) into the plan of
    ``year``, made when missing (its strategies, key tasks and exchange rate copied from the
    latest earlier plan). A task's state (status, progress, budget executed) is recorded in its
    history as the import's, by ``user`` if given. Returns an ImportResult; raises
    PlanImportError with every problem, storing nothing."""
    try:
        check_year(year)
    except ValidationError as error:
        raise PlanImportError([Problem(error.messages[0])]) from None
    rows = read_table(name, data)
    plan = Plan.objects.filter(year=year).first()
    created = plan is None
    if created:
        model = Plan.objects.filter(year__lt=year).order_by("-year").first()
        if model is None:
            raise PlanImportError([Problem(_(
                "There is no %(year)s plan, and no earlier plan to take its strategies from. "
                "Create the plan and its strategies in the admin first.") % {"year": year})])
        plan = Plan(year=year)
        strategies = {s.number: s for s in model.strategies.all()}
        key_tasks = key_tasks_by_number(KeyTask.objects.filter(strategy__plan=model))
    else:
        strategies = {s.number: s for s in plan.strategies.all()}
        key_tasks = key_tasks_by_number(KeyTask.objects.filter(strategy__plan=plan))
    drafts = check_rows(rows, plan, strategies, total, key_tasks=key_tasks)
    if dry_run:
        return ImportResult(plan, len(drafts), created, dry_run=True)
    try:
        with transaction.atomic():
            if created:
                budgets = sum(draft[0].budget for draft in drafts)
                plan = new_plan_like(model, year,
                                     total_budget=budgets if total is None else total)
                strategies = {s.number: s for s in plan.strategies.all()}
                key_tasks = key_tasks_by_number(KeyTask.objects.filter(strategy__plan=plan))
            tasks = store(drafts, plan, strategies, key_tasks, user=user)
    except IntegrityError:
        # Checked above, so only another import (or an edit) at the same moment gets here.
        raise PlanImportError([Problem(_(
            "The %(year)s plan changed while the file was being imported (someone added the "
            "plan or tasks with the same numbers at the same time). Nothing was stored; "
            "import the file again to see what is left to import.") % {"year": year})]) from None
    return ImportResult(plan, len(tasks), created, dry_run=False)


def store(drafts, plan, strategies, key_tasks, *, user=None):
    """Save the checked drafts (task, supporting agencies, technologies, performance
    indicators) into plan, each task under the plan's strategy and key task of their numbers,
    and the state each was given as the first entry of its history. Returns the saved tasks."""
    now = timezone.now()
    for task, *_links in drafts:
        if task.key_task is not None:
            task.key_task = key_tasks[task.strategy.number, task.key_task.number]
        task.plan, task.strategy = plan, strategies[task.strategy.number]
    tasks = [draft[0] for draft in drafts]
    entries = {task.number: opening_entry(task, user=user, now=now) for task in tasks}
    for task in tasks:
        if entries[task.number]:  # the task's state: a copy of its history's latest entry
            for field, value in entries[task.number].task_state().items():
                setattr(task, field, value)
    tasks = Task.objects.bulk_create(tasks, batch_size=500)
    Task.supporting_agencies.through.objects.bulk_create(
        [Task.supporting_agencies.through(task=task, agency=agency)
         for task, supporting, technologies, indicators in drafts
         for agency in supporting],
        batch_size=2000)
    Task.technologies.through.objects.bulk_create(
        [Task.technologies.through(task=task, strategictechnology=technology)
         for task, supporting, technologies, indicators in drafts
         for technology in technologies],
        batch_size=2000)
    PerformanceIndicator.objects.bulk_create(
        [PerformanceIndicator(task=task, number=number, **fields)
         for task, supporting, technologies, indicators in drafts
         for number, fields in enumerate(indicators, 1)],
        batch_size=2000)
    history = []
    for task in tasks:
        entry = entries[task.number]
        if entry:
            entry.task = task
            history.append(entry)
    ProgressUpdate.objects.bulk_create(history, batch_size=2000)
    return tasks


def opening_entry(task, *, user, now):
    """The history entry behind an imported task's state, at the file's time of the last
    report or else the import's; None for a task the file leaves unstarted and unreported."""
    if (task.status, task.progress, task.budget_executed, task.last_reported_at) == (
            Status.NOT_STARTED, 0, 0, None):
        return None
    return ProgressUpdate(
        source=StateSource.IMPORT, reported_by=user,
        reported_at=task.last_reported_at or now, status=task.status,
        progress=task.progress, budget_executed=task.budget_executed,
    )
