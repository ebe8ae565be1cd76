"""
The plan as open data: for each plan year, file data sets in the shape the national open data
portal (공공데이터포털) takes: UTF-8 CSV and JSON, stable identifiers (task codes such as
``2024-17``, agency and technology slugs), a data dictionary (each field's Korean and English
name, type, unit and allowed values) and the licence chosen in the settings
(``KIPPLAN_OPEN_DATA_LICENCE``). Only what the published pages show: no names of users, no notes,
no reviews; the year-end results' public summaries and grades once the Council's evaluation is
published.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from tracker.common.choices import Status
from tracker.evaluation.models import Grade, GradeLevel, Result, ResultState, RoundState
from tracker.plans.agency_names import names_for
from tracker.plans.models import Agency, Plan
from tracker.progress.models import Milestone, Task

# The Korea Open Government License (공공누리), its four types.
LICENCES = {
    "kogl-1": ("공공누리 제1유형: 출처표시", "KOGL Type 1: Source Indication"),
    "kogl-2": ("공공누리 제2유형: 출처표시, 상업적 이용금지",
               "KOGL Type 2: Source Indication, Non-commercial use"),
    "kogl-3": ("공공누리 제3유형: 출처표시, 변경금지",
               "KOGL Type 3: Source Indication, No change"),
    "kogl-4": ("공공누리 제4유형: 출처표시, 상업적 이용금지, 변경금지",
               "KOGL Type 4: Source Indication, Non-commercial use, No change"),
}
KOGL = "https://www.kogl.or.kr/"


def licence() -> dict:
    code = settings.KIPPLAN_OPEN_DATA_LICENCE
    korean, english = LICENCES[code]
    return {"code": code, "name_ko": korean, "name_en": english, "url": KOGL}


@dataclass(frozen=True)
class Field:
    """One column of a data set, as its data dictionary describes it."""

    name: str
    ko: str
    en: str
    type: str  # string, integer, date, datetime, boolean
    unit: str = ""
    allowed: tuple = ()

    def as_dict(self):
        return {"name": self.name, "name_ko": self.ko, "name_en": self.en, "type": self.type,
                "unit": self.unit, "allowed_values": list(self.allowed)}


WON = "원 (won)"
PERCENT = "% (per cent)"
SLUGS = "slugs separated by ; (세미콜론으로 구분)"


@dataclass(frozen=True)
class DataSet:
    slug: str
    ko: str
    en: str
    fields: list[Field] = field(default_factory=list)
    needs_published_results: bool = False

    def rows(self, plan: Plan):
        return ROWS[self.slug](plan)


TASKS = DataSet("tasks", "세부과제", "Tasks", [
    Field("code", "과제 코드", "Task code", "string"),
    Field("year", "연도", "Year", "integer"),
    Field("number", "과제 번호", "Task number", "integer"),
    Field("strategy", "추진전략 번호", "Strategy number", "integer"),
    Field("key_task", "중점과제 코드", "Key task code", "string"),
    Field("title_ko", "과제명(한국어)", "Title (Korean)", "string"),
    Field("title_en", "과제명(영어)", "Title (English)", "string"),
    Field("lead_agency", "주관기관 식별자", "Lead agency (slug)", "string"),
    Field("lead_agency_name_ko", "주관기관명(그해 명칭)", "Lead agency's name that year (Korean)",
          "string"),
    Field("supporting_agencies", "협조기관 식별자", "Supporting agencies", "string", SLUGS),
    Field("technologies", "국가전략기술 식별자", "Strategic technologies", "string", SLUGS),
    Field("budget", "예산", "Budget", "integer", WON),
    Field("start_date", "시작일", "Planned start", "date"),
    Field("end_date", "종료일", "Planned end", "date"),
    Field("status", "추진 상태", "Status", "string", allowed=tuple(Status.values)),
    Field("progress", "진척률", "Progress", "integer", PERCENT),
    Field("budget_executed", "집행액", "Budget executed", "integer", WON),
    Field("last_reported_at", "최근 보고 시각", "Last report", "datetime"),
    Field("carried_from", "이월 전 과제 코드", "Carried over from (task code)", "string"),
    Field("is_illustrative", "예시 자료 여부", "Illustrative (demo) data", "boolean"),
])
MILESTONES = DataSet("milestones", "마일스톤", "Milestones", [
    Field("task_code", "과제 코드", "Task code", "string"),
    Field("milestone", "마일스톤 식별자", "Milestone id", "integer"),
    Field("title_ko", "마일스톤(한국어)", "Milestone (Korean)", "string"),
    Field("title_en", "마일스톤(영어)", "Milestone (English)", "string"),
    Field("baseline_date", "당초 기한", "Baseline date", "date"),
    Field("due_date", "현재 기한", "Current due date", "date"),
    Field("completed_on", "완료일", "Completed on", "date"),
    Field("is_illustrative", "예시 자료 여부", "Illustrative (demo) data", "boolean"),
])
BUDGETS = DataSet("budgets", "추진전략별 예산", "Budgets by strategy", [
    Field("year", "연도", "Year", "integer"),
    Field("strategy", "추진전략 번호", "Strategy number", "integer"),
    Field("title_ko", "추진전략(한국어)", "Strategy (Korean)", "string"),
    Field("title_en", "추진전략(영어)", "Strategy (English)", "string"),
    Field("tasks", "과제 수", "Tasks", "integer"),
    Field("budget", "과제 예산 합계", "Tasks' budgets", "integer", WON),
    Field("budget_executed", "집행액 합계", "Executed", "integer", WON),
    Field("plan_budget", "계획 총예산", "Plan's total budget", "integer", WON),
])
RESULTS = DataSet("results", "추진실적 요약과 등급", "Results summaries and grades", [
    Field("unit", "평가 단위", "Unit evaluated", "string", allowed=("task", "institution")),
    Field("task_code", "과제 코드", "Task code", "string"),
    Field("agency", "기관 식별자", "Agency (slug)", "string"),
    Field("summary", "공개용 요약", "Public summary", "string"),
    Field("grade", "등급", "Grade", "string", allowed=tuple(GradeLevel.values)),
], needs_published_results=True)
DATA_SETS = {data_set.slug: data_set for data_set in (TASKS, MILESTONES, BUDGETS, RESULTS)}


def published_results(plan: Plan) -> bool:
    """Whether the plan's evaluation is published (its results and grades are open data)."""
    round_ = getattr(plan, "evaluation_round", None)
    return round_ is not None and round_.state == RoundState.PUBLISHED


def available(plan: Plan) -> list[DataSet]:
    return [data_set for data_set in DATA_SETS.values()
            if not data_set.needs_published_results or published_results(plan)]


def rows_of_tasks(plan: Plan):
    names = names_for(plan)
    tasks = (Task.objects.filter(plan=plan).select_related(
        "strategy", "key_task__strategy", "lead_agency", "carried_from")
        .prefetch_related("supporting_agencies", "technologies").order_by("number"))
    for task in tasks:
        yield [task.code, plan.year, task.number, task.strategy.number,
               task.key_task.code if task.key_task_id else "", task.title_ko, task.title_en,
               task.lead_agency.slug, names.of(task.lead_agency).name_ko,
               ";".join(agency.slug for agency in task.supporting_agencies.all()),
               ";".join(technology.slug for technology in task.technologies.all()),
               task.budget, task.start_date, task.end_date, task.status, task.progress,
               task.budget_executed,
               timezone.localtime(task.last_reported_at) if task.last_reported_at else None,
               task.carried_from.code if task.carried_from_id else "", task.is_illustrative]


def rows_of_milestones(plan: Plan):
    milestones = Milestone.objects.filter(task__plan=plan).select_related("task").order_by(
        "task__number", "baseline_date", "pk")
    for milestone in milestones:
        yield [milestone.task.code, milestone.pk, milestone.title_ko, milestone.title_en,
               milestone.baseline_date, milestone.due_date, milestone.completed_on,
               milestone.is_illustrative]


def rows_of_budgets(plan: Plan):
    strategies = plan.strategies.annotate(
        task_count=Count("tasks"), budget=Sum("tasks__budget"),
        executed=Sum("tasks__budget_executed")).order_by("number")
    for strategy in strategies:
        yield [plan.year, strategy.number, strategy.title_ko, strategy.title_en,
               strategy.task_count, strategy.budget or 0, strategy.executed or 0,
               plan.total_budget]


def rows_of_results(plan: Plan):
    """Each graded or reported unit of a published round, as the published pages show it: the
    public summary of a submitted result and the grade; nothing of drafts or of when results
    came in."""
    if not published_results(plan):
        return
    grades = Grade.objects.filter(round=plan.evaluation_round)
    task_grades = {grade.task_id: grade.grade for grade in grades if grade.task_id}
    institution_grades = {grade.agency_id: grade.grade for grade in grades if grade.agency_id}
    summaries = {result.task_id: result.summary_public for result in Result.objects.filter(
        task__plan=plan, state=ResultState.SUBMITTED).only("task_id", "summary_public")}
    institution_summaries = {result.institution_id: result.summary_public
                             for result in Result.objects.filter(
                                 plan=plan, state=ResultState.SUBMITTED,
                                 institution__isnull=False).only("institution_id",
                                                                 "summary_public")}
    tasks = Task.objects.filter(plan=plan).select_related("lead_agency").order_by("number")
    for task in tasks:
        if task.pk in summaries or task.pk in task_grades:
            yield ["task", task.code, task.lead_agency.slug, summaries.get(task.pk, ""),
                   task_grades.get(task.pk, "")]
    institutions = Agency.objects.filter(
        pk__in={*institution_grades, *institution_summaries}).order_by("slug")
    for agency in institutions:
        yield ["institution", "", agency.slug, institution_summaries.get(agency.pk, ""),
               institution_grades.get(agency.pk, "")]


ROWS = {"tasks": rows_of_tasks, "milestones": rows_of_milestones, "budgets": rows_of_budgets,
        "results": rows_of_results}


def records(data_set: DataSet, plan: Plan):
    names = [column.name for column in data_set.fields]
    for row in data_set.rows(plan):
        yield dict(zip(names, row, strict=True))
