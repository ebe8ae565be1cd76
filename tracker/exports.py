"""The task export: one row per task, in columns the plan import reads back (a round trip)."""

import csv
import tempfile

from django.utils import timezone

from .models import Task

COLUMNS = [
    "code", "year", "number", "strategy", "title_ko", "title_en", "description_ko",
    "description_en", "lead_agency", "supporting_agencies", "technologies", "budget",
    "start_date", "end_date", "status", "progress", "budget_executed", "last_reported_at",
    "is_illustrative",
]
LIST_SEPARATOR = ";"
CHUNK = 2000


FIELDS = [
    "pk", "code", "plan__year", "number", "strategy__number", "title_ko", "title_en",
    "description_ko", "description_en", "lead_agency__slug", "budget", "start_date", "end_date",
    "current_status", "current_progress", "current_executed", "current_reported_at",
    "is_illustrative",
]


def chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def slugs_by_task(through, task_ids, slug_field, order_field):
    grouped = {}
    rows = through.objects.filter(task_id__in=task_ids).values_list("task_id", slug_field)
    for task_id, slug in rows.order_by(order_field):
        grouped.setdefault(task_id, []).append(slug)
    return grouped


def export_rows(tasks):
    """The header, then one list of cell values per task. Reads plain tuples, CHUNK tasks at a
    time, with one query per chunk for each many-to-many list: memory stays flat."""
    yield COLUMNS
    supporting = Task.supporting_agencies.through
    technologies = Task.technologies.through
    for chunk in chunks(tasks.values_list(*FIELDS).iterator(chunk_size=CHUNK), CHUNK):
        ids = [row[0] for row in chunk]
        agencies = slugs_by_task(supporting, ids, "agency__slug", "agency__slug")
        techs = slugs_by_task(technologies, ids, "strategictechnology__slug",
                              "strategictechnology__number")
        for (pk, code, year, number, strategy, title_ko, title_en, description_ko,
             description_en, lead, budget, start, end, status, progress, executed, reported,
             illustrative) in chunk:
            yield [
                code, year, number, strategy, title_ko, title_en, description_ko,
                description_en, lead, LIST_SEPARATOR.join(agencies.get(pk, ())),
                LIST_SEPARATOR.join(techs.get(pk, ())), budget, start.isoformat(),
                end.isoformat(), status, progress, executed,
                timezone.localtime(reported).isoformat() if reported else "",
                "yes" if illustrative else "no",
            ]


class _Echo:
    def write(self, value):
        return value


def csv_chunks(rows):
    """CSV text, a row at a time, after a UTF-8 byte-order mark so that Excel reads Korean."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows, title):
    """An XLSX workbook in a temporary file, written row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(row)
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle
