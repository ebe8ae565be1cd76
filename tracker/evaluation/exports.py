"""The evaluation's exports: results, performance indicators and grades, one row per unit. Who
reads what is ``tracker.evaluation.selectors.reader_of``'s; these functions write what they are
given."""

from itertools import groupby
from operator import itemgetter

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from tracker.common.spreadsheets import CHUNK, plain_number
from tracker.plans.agency_names import AgencyNames, name_day
from tracker.progress.exports import local_iso, merged

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
    from tracker.evaluation.models import PerformanceIndicator, ResultState

    rows = (PerformanceIndicator.objects.filter(task__in=tasks.values("pk")).with_achievement()
            .order_by("task__number", "task_id", "number")
            .values_list("task_id", "name_ko", "unit", "target", "actual", "achievement",
                         "task__result__state")
            .iterator(chunk_size=CHUNK))
    texts = ((pk, indicator_text(name, unit, target, actual, achievement,
                                 state == ResultState.SUBMITTED))
             for pk, name, unit, target, actual, achievement, state in rows)
    return groupby(texts, key=itemgetter(0))


def result_rows(plan, tasks, round_, *, public=False, grades=False):
    """The header, then one row per task of ``tasks`` in the plan, in task-number order: the
    result's state and texts (only a submitted result's: a draft is its agency's own), its
    indicators as text and, with ``grades``, the task's grade in ``round_``. For the public
    (``public``), the public summary and indicators only. Two streamed queries, read side by
    side, and the renamed agencies' names (one small query)."""
    from django.db.models import OuterRef, Subquery, Value

    from tracker.evaluation.models import Grade, ResultState

    columns = PUBLIC_RESULT_COLUMNS if public else RESULT_COLUMNS
    yield [*columns, "grade"] if grades else columns
    tasks = tasks.filter(plan=plan).order_by("number", "pk")
    indicators = merged(indicators_by_task(tasks))
    grade = (Subquery(Grade.objects.filter(task=OuterRef("pk"), round=round_).values("grade")[:1])
             if grades and round_ is not None else Value(""))
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
    from tracker.evaluation.models import PerformanceIndicator, ResultState

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


def grade_rows(plan, round_, *, manager=False, readable=None):
    """The header, then one row per graded unit of ``round_`` (of those ``readable`` picks from
    a Grade queryset, if given): the ministries' projects by task number, then the
    metropolitan governments by name; for managers, the panel mean the grade was set with and
    the reason given. One streamed query."""
    from django.db.models import F

    from tracker.evaluation.models import Grade

    yield MANAGER_GRADE_COLUMNS if manager else GRADE_COLUMNS
    if round_ is None:
        return
    grades = Grade.objects.filter(round=round_)
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


