"""The task export: one row per task, in columns the plan import reads back (a round trip)."""

from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from tracker.common.spreadsheets import CHUNK
from tracker.plans.agency_names import AgencyNames, name_day
from tracker.plans.models import key_task_code
from tracker.progress.carry_over_chains import chain_codes
from tracker.progress.models import Task

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


FIELDS = [
    "pk", "code", "plan__year", "number", "strategy__number", "title_ko", "title_en",
    "description_ko", "description_en", "lead_agency__slug", "budget", "start_text", "end_text",
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
    # times faster than Django's converters (a third of the export's time at 10,000 rows); the
    # dates as the database's ISO text (PostgreSQL's DateStyle, ISO as psycopg reads dates
    # too), written as they come (a twentieth of the time).
    tasks = tasks.annotate(reported_text=Cast("current_reported_at", CharField()),
                           start_text=Cast("start_date", CharField()),
                           end_text=Cast("end_date", CharField()))
    former = AgencyNames(name_day(plan)).former  # the few renamed agencies: one small query
    for (pk, code, year, number, strategy, title_ko, title_en, description_ko, description_en,
         lead, budget, start, end, status, progress, executed, reported, illustrative,
         key_strategy, key_number, lead_id, lead_name) in tasks.values_list(*FIELDS).iterator(
            chunk_size=CHUNK):
        yield [
            code, year, number, strategy, title_ko, title_en, description_ko, description_en,
            lead, agencies(pk), techs(pk), budget, start, end, status,
            progress, executed, local_iso(reported, zone) if reported else "",
            "yes" if illustrative else "no",
            key_task_code(key_strategy, key_number) if key_number else "",
            former[lead_id].name_ko if lead_id in former else lead_name, chains.get(pk, ""),
        ]
