"""The task export: one row per task, in columns the plan import reads back (a round trip)."""

import csv
import io
import tempfile
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from .chains import chain_codes
from .models import Task, key_task_code
from .names import AgencyNames, name_day

# New columns go at the end, so that a column keeps its place in the spreadsheets and macros
# made from earlier exports.
COLUMNS = [
    "code", "year", "number", "strategy", "title_ko", "title_en", "description_ko",
    "description_en", "lead_agency", "supporting_agencies", "technologies", "budget",
    "start_date", "end_date", "status", "progress", "budget_executed", "last_reported_at",
    "is_illustrative", "key_task", "lead_agency_name", "carried_over",
]
# Written for readers, skipped by the import: the lead agency as the plan's year names it (in
# Korean), and the task's chain of carry-overs across the years (2024-17 → 2025-17).
READ_ONLY_COLUMNS = ["lead_agency_name", "carried_over"]
LIST_SEPARATOR = ";"
CHUNK = 2000  # rows read from the database at a time
ROWS_PER_CHUNK = 200  # CSV rows to a streamed chunk
# Spreadsheets run a CSV cell that starts with one of the first six as a formula (=HYPERLINK(...)
# from an imported title); such text is written after an apostrophe. Text that starts with an
# apostrophe gets one too, so that the import can take exactly one off again.
ESCAPED = ("=", "+", "-", "@", "\t", "\r", "'")


FIELDS = [
    "pk", "code", "plan__year", "number", "strategy__number", "title_ko", "title_en",
    "description_ko", "description_en", "lead_agency__slug", "budget", "start_date", "end_date",
    "current_status", "current_progress", "current_executed", "reported_text",
    "is_illustrative", "key_task__strategy__number", "key_task__number", "lead_agency_id",
    "lead_agency__name_ko",
]


def slugs_by_task(through, tasks, slug_field, order_field):
    """(task id, slugs) for every task of ``tasks`` that has any, in the tasks' export order
    (number, then id), from one streamed query."""
    rows = (
        through.objects.filter(task__in=tasks.values("pk"))
        .order_by("task__number", "task_id", order_field)
        .values_list("task_id", slug_field)
        .iterator(chunk_size=CHUNK)
    )
    return groupby(rows, key=itemgetter(0))


def merged(grouped):
    """A function that, called with each task id in export order, returns that task's slugs
    joined: it walks the grouped rows once, alongside the tasks."""
    pending = next(grouped, None)

    def slugs(pk):
        nonlocal pending
        if pending is None or pending[0] != pk:
            return ""
        joined = LIST_SEPARATOR.join(slug for _, slug in pending[1])
        pending = next(grouped, None)
        return joined

    return slugs


def local_iso(utc_text, zone):
    """A UTC time as the database writes it (PostgreSQL '2024-12-01 01:00:00+00', SQLite
    '2024-12-01 01:00:00'), in ISO 8601 at ``zone``."""
    moment = datetime.fromisoformat(utc_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat()


def export_rows(tasks, plan, visible=None):
    """The header, then one list of cell values per task of ``plan``, in task-number order.
    Three streamed queries (the tasks, their supporting agencies, their technologies), read
    side by side, so memory stays flat however many tasks there are; and two small ones: the
    renamed agencies' names in the plan's year, and the carry-over chains among ``visible``
    tasks."""
    yield COLUMNS
    tasks = tasks.order_by("number", "pk")
    chains = chain_codes(visible if visible is not None else Task.objects.all())
    agencies = merged(slugs_by_task(
        Task.supporting_agencies.through, tasks, "agency__slug", "agency__slug"))
    techs = merged(slugs_by_task(
        Task.technologies.through, tasks, "strategictechnology__slug",
        "strategictechnology__number"))
    zone = timezone.get_current_timezone()
    # The report time comes as the database's UTC text, which fromisoformat() reads about ten
    # times faster than Django's converters (a third of the export's time at 10,000 rows).
    tasks = tasks.annotate(reported_text=Cast("current_reported_at", CharField()))
    former = AgencyNames(name_day(plan)).former  # the few renamed agencies: one small query
    for (pk, code, year, number, strategy, title_ko, title_en, description_ko, description_en,
         lead, budget, start, end, status, progress, executed, reported, illustrative,
         key_strategy, key_number, lead_id, lead_name) in tasks.values_list(*FIELDS).iterator(
            chunk_size=CHUNK):
        yield [
            code, year, number, strategy, title_ko, title_en, description_ko, description_en,
            lead, agencies(pk), techs(pk), budget, start.isoformat(), end.isoformat(), status,
            progress, executed, local_iso(reported, zone) if reported else "",
            "yes" if illustrative else "no",
            key_task_code(key_strategy, key_number) if key_number else "",
            former[lead_id].name_ko if lead_id in former else lead_name, chains.get(pk, ""),
        ]


def inert(value):
    """value as a CSV cell that no spreadsheet runs: text that starts with one of ESCAPED after
    an apostrophe; anything else as it is."""
    return f"'{value}" if value.__class__ is str and value.startswith(ESCAPED) else value


def revived(text):
    """The text that inert() wrote as the CSV cell ``text``. Only an apostrophe inert() could
    have added is taken off: a cell written by hand as 'hello stays 'hello."""
    return text[1:] if text.startswith("'") and text.startswith(ESCAPED, 1) else text


def csv_chunks(rows, batch=ROWS_PER_CHUNK):
    """CSV text after a UTF-8 byte-order mark, so that Excel reads Korean; ``batch`` rows to a
    chunk, as a chunk per row would spend more time passing chunks on than writing them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for n, row in enumerate(rows, 1):
        writer.writerow(map(inert, row))
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(rows, title):
    """An XLSX workbook in a temporary file, written row by row (openpyxl's write-only mode).
    Text is written as it is, in string cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def text_cell(text):
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        # openpyxl makes text that starts with "=" a formula, and text such as "#N/A" an error;
        # only those are given a cell of their own, the rest of the row stays plain values.
        sheet.append([text_cell(value) if value.__class__ is str and value.startswith(("=", "#"))
                      else value for value in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


# -- The year-end evaluation: results, performance indicators and grades ---------------------------
# Who reads what is tracker.round_report.reader_of's; these functions write what they are given.

RESULT_COLUMNS = [
    "code", "title_ko", "title_en", "lead_agency_name", "result_state", "late", "submitted_at",
    "achievements", "problems", "next_steps", "summary_public", "performance_indicators",
]
# The public reads a published round's public summaries and indicators, never the texts
# written for the Council.
PUBLIC_RESULT_COLUMNS = [
    "code", "title_ko", "title_en", "lead_agency_name", "summary_public",
    "performance_indicators",
]
INDICATOR_COLUMNS = [
    "code", "title_ko", "lead_agency_name", "number", "name_ko", "name_en", "unit", "target",
    "actual", "achievement_rate",
]
GRADE_COLUMNS = ["unit", "code", "title_ko", "title_en", "agency_name", "strategy", "grade"]
MANAGER_GRADE_COLUMNS = [*GRADE_COLUMNS, "panel_mean", "reason"]


def plain_number(value):
    """A Decimal as plain text without trailing zeros (100, 80.5); "" for None."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def rate(value):
    """An achievement rate to one decimal (the database may give more digits)."""
    return None if value is None else round(value, 1)


def indicator_text(name, unit, target, actual, achievement, submitted):
    """One indicator in a results row: name: actual / target unit (rate%); the actual value and
    rate only once the result is submitted (a draft is its agency's own)."""
    if not submitted or actual is None:
        return f"{name}: - / {plain_number(target)} {unit}"
    shown = f" ({rate(achievement)}%)" if achievement is not None else ""
    return f"{name}: {plain_number(actual)} / {plain_number(target)} {unit}{shown}"


def indicators_by_task(tasks):
    """(task id, indicator texts) for every task of ``tasks`` that has indicators, in export
    order (number, then id), from one streamed query; see merged()."""
    from .models import PerformanceIndicator, ResultState

    rows = (PerformanceIndicator.objects.filter(task__in=tasks.values("pk")).with_achievement()
            .order_by("task__number", "task_id", "number")
            .values_list("task_id", "name_ko", "unit", "target", "actual", "achievement",
                         "task__result__state")
            .iterator(chunk_size=CHUNK))
    texts = ((pk, indicator_text(name, unit, target, actual, achievement,
                                 state == ResultState.SUBMITTED))
             for pk, name, unit, target, actual, achievement, state in rows)
    return groupby(texts, key=itemgetter(0))


def result_rows(plan, tasks, round, *, public=False, grades=False):
    """The header, then one row per task of ``tasks`` in the plan, in task-number order: the
    result's state and texts (only a submitted result's: a draft is its agency's own), its
    indicators as text and, with ``grades``, the task's grade in ``round``. For the public
    (``public``), the public summary and indicators only. Two streamed queries, read side by
    side, and the renamed agencies' names (one small query)."""
    from django.db.models import OuterRef, Subquery, Value

    from .models import Grade, ResultState

    columns = PUBLIC_RESULT_COLUMNS if public else RESULT_COLUMNS
    yield [*columns, "grade"] if grades else columns
    tasks = tasks.filter(plan=plan).order_by("number", "pk")
    indicators = merged(indicators_by_task(tasks))
    grade = (Subquery(Grade.objects.filter(task=OuterRef("pk"), round=round).values("grade")[:1])
             if grades and round is not None else Value(""))
    rows = tasks.annotate(submitted_text=Cast("result__submitted_at", CharField()),
                          grade_value=grade).values_list(
        "pk", "code", "title_ko", "title_en", "lead_agency_id", "lead_agency__name_ko",
        "result__state", "result__is_late", "submitted_text", "result__achievements",
        "result__problems", "result__next_steps", "result__summary_public", "grade_value")
    former = AgencyNames(name_day(plan)).former
    zone = timezone.get_current_timezone()
    for (pk, code, title_ko, title_en, lead_id, lead_name, state, late, submitted_at,
         achievements, problems, next_steps, summary, grade_value) in rows.iterator(
            chunk_size=CHUNK):
        submitted = state == ResultState.SUBMITTED
        agency = former[lead_id].name_ko if lead_id in former else lead_name
        if public:
            row = [code, title_ko, title_en, agency, summary if submitted else "",
                   indicators(pk)]
        else:
            row = [code, title_ko, title_en, agency, state or "none",
                   "yes" if submitted and late else "no",
                   local_iso(submitted_at, zone) if submitted_at else "",
                   *((achievements, problems, next_steps, summary) if submitted
                     else ("", "", "", "")),
                   indicators(pk)]
        yield [*row, grade_value or ""] if grades else row


def indicator_rows(plan, tasks):
    """The header, then one row per performance indicator of ``tasks`` in the plan, by task
    number and indicator number: its target and, once the task's result is submitted, its
    actual value and achievement rate. One streamed query."""
    from .models import PerformanceIndicator, ResultState

    yield INDICATOR_COLUMNS
    rows = (PerformanceIndicator.objects.filter(task__in=tasks.filter(plan=plan).values("pk"))
            .with_achievement().order_by("task__number", "task_id", "number")
            .values_list("task__code", "task__title_ko", "task__lead_agency_id",
                         "task__lead_agency__name_ko", "number", "name_ko", "name_en", "unit",
                         "target", "actual", "achievement", "task__result__state"))
    former = AgencyNames(name_day(plan)).former
    for (code, title, lead_id, lead_name, number, name_ko, name_en, unit, target, actual,
         achievement, state) in rows.iterator(chunk_size=CHUNK):
        submitted = state == ResultState.SUBMITTED
        yield [code, title, former[lead_id].name_ko if lead_id in former else lead_name,
               number, name_ko, name_en, unit, target, actual if submitted else None,
               rate(achievement) if submitted else None]


def grade_rows(plan, round, *, manager=False, readable=None):
    """The header, then one row per graded unit of ``round`` (of those ``readable`` picks from
    a Grade queryset, if given): the ministries' projects by task number, then the
    metropolitan governments by name; for managers, the panel mean the grade was set with and
    the reason given. One streamed query."""
    from django.db.models import F

    from .models import Grade

    yield MANAGER_GRADE_COLUMNS if manager else GRADE_COLUMNS
    if round is None:
        return
    grades = Grade.objects.filter(round=round)
    rows = ((readable(grades) if readable else grades)
            .order_by(F("task__number").asc(nulls_last=True), "agency__name_ko", "pk")
            .values_list("task__code", "task__title_ko", "task__title_en", "task__lead_agency_id",
                         "task__lead_agency__name_ko", "agency_id", "agency__name_ko",
                         "task__strategy__number", "grade", "mean", "reason"))
    former = AgencyNames(name_day(plan)).former
    for (code, title_ko, title_en, lead_id, lead_name, agency_id, agency_name, strategy, grade,
         mean, reason) in rows.iterator(chunk_size=CHUNK):
        agency_id = lead_id or agency_id
        name = former[agency_id].name_ko if agency_id in former else (lead_name or agency_name)
        row = ["project" if code else "institution", code or "", title_ko or "", title_en or "",
               name, strategy or "", grade]
        yield [*row, mean, reason] if manager else row


def xlsx_workbook(sheets):
    """An XLSX workbook of several sheets, [(title, rows)], in a temporary file, written row by
    row as xlsx_file writes one (text that starts with "=" or "#" in a string cell)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            cells = []
            for value in row:
                if value.__class__ is str and value.startswith(("=", "#")):
                    value = WriteOnlyCell(sheet, value)
                    value.data_type = "s"
                cells.append(value)
            sheet.append(cells)
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle
