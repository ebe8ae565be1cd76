"""The task export: one row per task, in columns the plan import reads back (a round trip)."""

import csv
import tempfile

from django.db.models import Prefetch
from django.utils import timezone

from .models import Agency, StrategicTechnology

COLUMNS = [
    "code", "year", "number", "strategy", "title_ko", "title_en", "description_ko",
    "description_en", "lead_agency", "supporting_agencies", "technologies", "budget",
    "start_date", "end_date", "status", "progress", "budget_executed", "last_reported_at",
    "is_illustrative",
]
LIST_SEPARATOR = ";"
CHUNK = 2000


def export_rows(tasks):
    """The header, then one list of cell values per task, read in chunks of CHUNK."""
    yield COLUMNS
    tasks = tasks.select_related("plan", "strategy", "lead_agency").prefetch_related(
        Prefetch("supporting_agencies", queryset=Agency.objects.only("slug").order_by("slug")),
        Prefetch("technologies", queryset=StrategicTechnology.objects.only("slug", "number")),
    )
    for task in tasks.iterator(chunk_size=CHUNK):
        reported = task.current_reported_at
        yield [
            task.code, task.plan.year, task.number, task.strategy.number, task.title_ko,
            task.title_en, task.description_ko, task.description_en, task.lead_agency.slug,
            LIST_SEPARATOR.join(a.slug for a in task.supporting_agencies.all()),
            LIST_SEPARATOR.join(t.slug for t in task.technologies.all()),
            task.budget, task.start_date.isoformat(), task.end_date.isoformat(),
            task.current_status, task.current_progress, task.current_executed,
            timezone.localtime(reported).isoformat() if reported else "",
            "yes" if task.is_illustrative else "no",
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
