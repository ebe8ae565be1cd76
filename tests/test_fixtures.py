"""The demo data behind `python manage.py loaddata demo`."""

import importlib.util
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from tracker import roles
from tracker.access import is_evaluator
from tracker.evaluation import services as evaluation
from tracker.loading import carry_over
from tracker.models import (
    ActionCheck,
    ActionStatus,
    Agency,
    AgencyKind,
    AgencyName,
    Assignment,
    BudgetAdvice,
    CheckedBy,
    EvaluationRound,
    EvidenceFile,
    FigureKind,
    Grade,
    GradeLevel,
    Indicator,
    IndicatorValue,
    KeyTask,
    Milestone,
    MilestoneChange,
    Opinion,
    PerformanceIndicator,
    Plan,
    ProgressUpdate,
    Recommendation,
    Result,
    ResultState,
    RoundState,
    Status,
    StrategicTechnology,
    Task,
    advice_year,
)

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
EVALUATORS = ["evaluator-lee", "evaluator-park"]
DEMO_USERS = ["admin", "manager", "kipo", "kista", "kista-team", "msit", "mcst", "incheon",
              *EVALUATORS]


@pytest.fixture
def demo(demo):
    return Plan.objects.get(year=2024)


def test_demo_plan_is_the_endorsed_2024_plan(demo):
    assert demo.title_ko == "2024년도 국가지식재산 시행계획"
    assert demo.endorsed_on.isoformat() == "2024-03-19"
    assert demo.endorsed_by.name_ko == "국가지식재산위원회"
    assert demo.total_budget == 934_100_000_000
    assert demo.strategies.count() == 5


def test_demo_plan_has_75_tasks_numbered_1_to_75_adding_up_to_the_budget(demo):
    tasks = demo.tasks.all()

    assert sorted(tasks.values_list("number", flat=True)) == list(range(1, 76))
    assert tasks.aggregate(total=Sum("budget"))["total"] == 934_100_000_000
    assert sorted(tasks.values_list("code", flat=True)) == [f"2024-{n:02d}" for n in range(1, 76)]
    assert all(task.strategy.plan_id == demo.pk for task in tasks.select_related("strategy"))


def test_no_demo_task_lists_its_lead_agency_among_the_supporting_ones(demo):
    for task in demo.tasks.select_related("lead_agency").prefetch_related("supporting_agencies"):
        assert task.lead_agency not in task.supporting_agencies.all(), task.code


def test_every_status_is_used_in_the_demo(demo):
    used = set(demo.tasks.values_list("status", flat=True))
    reported = set(ProgressUpdate.objects.values_list("status", flat=True))

    assert used == set(Status.values)
    assert reported == set(Status.values)


def test_no_demo_report_spends_more_than_its_tasks_budget(demo):
    # That each task's state is its latest report: test_history.py, the demo state is its
    # history.
    overspent = ProgressUpdate.objects.filter(task__plan=demo,
                                              budget_executed__gt=F("task__budget"))

    assert list(overspent.values_list("task__code", "budget_executed")) == []


# The plans by year, as announced (../shared/domain/evaluation.md): tasks, budget in won,
# Council meeting and its date, all held in writing.
ANNOUNCED = [
    (2022, 112, 990_100_000_000, 31, "2022-03-31"),
    (2023, 107, 1_012_400_000_000, 34, "2023-03-31"),
    (2024, 75, 934_100_000_000, 36, "2024-03-19"),
    (2025, 67, 785_000_000_000, 38, "2025-03-28"),
]
SOURCED_KEY_TASKS = {
    "1-1": "Core IP creation in national strategic industries",
    "1-2": "Technology transfer and commercialisation",
    "1-3": "Pre-emptive legal reform for the digital environment",
    "2-1": "Strategic protection of national core technologies",
    "2-2": "Preventing domestic and overseas infringement",
    "2-3": "The IP dispute-resolution system",
}


@pytest.mark.parametrize(("year", "tasks", "budget", "meeting", "endorsed_on"), ANNOUNCED,
                         ids=[str(row[0]) for row in ANNOUNCED])
def test_each_plan_is_recorded_as_announced(demo, year, tasks, budget, meeting, endorsed_on):
    plan = Plan.objects.get(year=year)

    assert plan.title_ko == f"{year}년도 국가지식재산 시행계획"
    assert plan.title_en == f"{year} National IP Implementation Plan"
    assert (plan.announced_task_count, plan.total_budget, plan.meeting_number) == (
        tasks, budget, meeting)
    assert plan.endorsed_on.isoformat() == endorsed_on
    assert plan.held_in_writing
    assert plan.endorsed_by.name_ko == "국가지식재산위원회"
    assert f"제{meeting}회" in plan.source_note and endorsed_on in plan.source_note
    assert str(plan.won_per_usd) == "1337.04"


def test_the_demo_has_exactly_the_four_plans(demo):
    assert list(Plan.objects.order_by("year").values_list("year", flat=True)) == [
        2022, 2023, 2024, 2025]


@pytest.mark.parametrize("year", [2022, 2023])
def test_the_2022_and_2023_plans_are_headline_figures_only(demo, year):
    plan = Plan.objects.get(year=year)

    assert not plan.tasks.exists()
    assert "Headline figures only" in plan.data_note_en
    assert "2024 plan's reference rate" in plan.data_note_en
    assert "헤드라인 수치만" in plan.data_note_ko and "Headline" not in plan.data_note_ko


@pytest.mark.parametrize(("year", "tasks", "budget"), [(2024, 75, 934_100_000_000),
                                                        (2025, 67, 785_000_000_000)])
def test_the_entered_plans_tasks_match_the_announced_count_and_budget(demo, year, tasks,
                                                                       budget):
    plan = Plan.objects.with_budget_totals().get(year=year)

    assert plan.task_count == plan.announced_task_count == tasks
    assert plan.allocated_budget == plan.total_budget == budget
    assert sorted(plan.tasks.values_list("code", flat=True)) == sorted(
        f"{year}-{number:02d}" for number in plan.tasks.values_list("number", flat=True))


@pytest.mark.parametrize("year", [2024, 2025])
def test_each_entered_plan_has_the_16_key_tasks_six_of_them_sourced(demo, year):
    key_tasks = KeyTask.objects.filter(strategy__plan__year=year).select_related("strategy")

    assert key_tasks.count() == 16
    assert {key_task.strategy.number for key_task in key_tasks} == {1, 2, 3, 4, 5}
    sourced = {key_task.code: key_task.title_en for key_task in key_tasks
               if not key_task.is_illustrative}
    assert sourced == SOURCED_KEY_TASKS
    assert all(key_task.title_ko and key_task.title_en for key_task in key_tasks)
    assert "key tasks 1-1 to 1-3 and 2-1 to 2-3" in Plan.objects.get(year=year).data_note_en


def test_every_task_serves_a_key_task_of_its_own_strategy(demo):
    tasks = Task.objects.select_related("key_task__strategy", "strategy")

    assert tasks.count() == 75 + 67
    assert all(task.key_task and task.key_task.strategy == task.strategy for task in tasks)


@pytest.mark.parametrize(("title_ko", "key_task"), [
    ("국가전략기술특허지원단 출범·운영", "1-1"),
    ("대학 실험실 창업 전주기 지원", "1-2"),
    ("디지털 환경 대응 선제적 지식재산 법제 정비", "1-3"),
    ("기술경찰 확대 및 기술유출 대응 범부처 네트워크 구축", "2-1"),
    ("해외 지식재산 침해 대응 지원", "2-2"),
    ("저작권 분쟁조정 활성화", "2-3"),
])
def test_tasks_serve_the_key_task_their_title_makes_evident(demo, title_ko, key_task):
    task = demo.tasks.select_related("key_task__strategy").get(title_ko=title_ko)

    assert task.key_task.code == key_task


# The 2025 plan: the 2024 plan's unfinished tasks as carry_over makes them, and new ones.

def carried(tasks, years):
    """What carry-over decides about each carried task, with its dates moved back ``years``
    to the source plan's, in number order."""
    tasks = tasks.select_related("strategy", "key_task__strategy").prefetch_related(
        "supporting_agencies", "technologies", "milestones", "updates").order_by("number")
    return [{
        "number": task.number, "carried_from": task.carried_from_id,
        "code": task.code.split("-")[1],
        "titles": (task.title_ko, task.title_en, task.description_ko, task.description_en),
        "lead": task.lead_agency_id,
        "supporting": sorted(agency.pk for agency in task.supporting_agencies.all()),
        "technologies": sorted(technology.pk for technology in task.technologies.all()),
        "budget": task.budget, "strategy": task.strategy.number,
        "key_task": task.key_task.code if task.key_task else None,
        "dates": (carry_over.shift_years(task.start_date, -years),
                  carry_over.shift_years(task.end_date, -years)),
        "state": (task.status, task.progress, task.budget_executed, task.last_reported_at,
                  task.version),
        "is_illustrative": task.is_illustrative, "source_note": task.source_note,
        "milestones": [(m.title_ko, m.title_en, m.baseline_date, m.due_date, m.completed_on,
                        m.is_illustrative) for m in task.milestones.all()],
        "history": len(task.updates.all()),
    } for task in tasks]


def test_the_2025_carried_tasks_are_what_carry_over_makes(demo):
    fixture = carried(Task.objects.filter(plan__year=2025, carried_from__isnull=False), 1)

    carry_over.carry_over(2024, 2026)

    made = carried(Task.objects.filter(plan__year=2026), 2)
    assert len(made) == 30
    assert [task["number"] for task in fixture] == [task["number"] for task in made]
    for ours, theirs in zip(fixture, made, strict=True):
        assert ours == theirs, ours["number"]
    assert not MilestoneChange.objects.filter(milestone__task__plan__year=2025).exists()


def test_the_2025_carried_tasks_keep_their_key_tasks_as_carry_over_does(demo):
    def key_tasks(year):
        return {
            "plan": sorted(KeyTask.objects.filter(strategy__plan__year=year).values_list(
                "strategy__number", "number", "title_ko", "title_en", "is_illustrative")),
            "tasks": list(Task.objects.filter(plan__year=year, carried_from__isnull=False)
                          .order_by("number")
                          .values_list("number", "key_task__strategy__number",
                                       "key_task__number")),
        }

    carry_over.carry_over(2024, 2026)

    assert key_tasks(2026)["plan"] and key_tasks(2026)["tasks"]
    assert key_tasks(2025) == key_tasks(2026)
    assert key_tasks(2025)["plan"] == key_tasks(2024)["plan"]


def test_the_2025_new_tasks_are_illustrative_and_fill_the_plan(demo):
    plan = Plan.objects.get(year=2025)
    carried_over = plan.tasks.filter(carried_from__isnull=False)
    new = plan.tasks.filter(carried_from__isnull=True)

    assert (carried_over.count(), new.count()) == (30, 37)
    assert not new.filter(is_illustrative=False).exists()
    assert new.filter(source_note__contains="kollo.kr").count() == 4
    assert not set(new.values_list("number", flat=True)) & set(
        carried_over.values_list("number", flat=True))
    assert new.aggregate(total=Sum("budget"))["total"] == (
        785_000_000_000 - carried_over.aggregate(total=Sum("budget"))["total"])
    assert not new.filter(budget__lte=0).exists()
    assert not new.exclude(start_date="2025-01-01", end_date="2025-12-31").exists()
    assert new.annotate(n=Count("milestones")).filter(n=0).count() == 0


def test_nothing_has_been_reported_on_the_2025_plan_and_its_state_is_its_history(demo):
    tasks = Task.objects.filter(plan__year=2025).as_of(timezone.localdate())

    assert not ProgressUpdate.objects.filter(task__plan__year=2025).exists()
    assert {(task.status, task.progress, task.budget_executed, task.last_reported_at)
            for task in tasks} == {(Status.NOT_STARTED, 0, 0, None)}
    assert all((task.current_status, task.current_progress, task.current_executed,
                task.current_reported_at) == (task.status, task.progress,
                                              task.budget_executed, task.last_reported_at)
               for task in tasks)


def test_the_2022_trade_balance_was_published_and_then_revised(demo):
    balance = Indicator.objects.get(plan=demo, name_en="IPR trade balance")
    figures = balance.values.filter(year=2022)

    assert [(str(value.value), value.kind, value.published_on.isoformat()) for value in figures
            ] == [("-1330.00", FigureKind.PRELIMINARY, "2023-03-24"),
                  ("-1110.00", FigureKind.REVISED, "2024-03-20")]
    assert all("Bank of Korea" in value.source_en and value.note_ko and value.note_en
               for value in figures)
    assert figures.last().value == -1110  # the latest published is in force


def test_the_2022_copyright_balance_was_published_and_then_revised(demo):
    """+$1.74B is the revised figure; the first published was +$1.52B (plan-2024.md)."""
    balance = Indicator.objects.get(
        plan=demo, name_en="Copyright trade balance (culture, arts, software)")
    figures = balance.values.filter(year=2022)

    assert [(str(value.value), value.kind, value.published_on.isoformat()) for value in figures
            ] == [("1520.00", FigureKind.PRELIMINARY, "2023-03-24"),
                  ("1740.00", FigureKind.REVISED, "2024-03-20")]


def test_2023s_trade_surplus_is_called_a_record(demo):
    [value] = IndicatorValue.objects.filter(indicator__name_en="IPR trade balance", year=2023)
    assert "역대 최대" in value.note_ko and "record" in value.note_en
    assert "두 번째" not in value.note_ko and "second" not in value.note_en


def test_the_master_plans_starting_values_are_baselines_not_preliminary(demo):
    baselines = IndicatorValue.objects.filter(kind=FigureKind.BASELINE)
    assert sorted(baselines.values_list("year", "value")) == [
        (2020, Decimal("-1870")), (2020, Decimal("18")), (2021, Decimal("36"))]
    assert all("Master Plan" in value.source_en for value in baselines)


def test_the_other_indicator_figures_are_preliminary_with_their_source(demo):
    others = IndicatorValue.objects.exclude(year=2022, indicator__name_en__in=[
        "IPR trade balance", "Copyright trade balance (culture, arts, software)"]).exclude(
        kind=FigureKind.BASELINE)

    assert others.count() == 5
    assert set(others.values_list("kind", flat=True)) == {FigureKind.PRELIMINARY}
    assert all(value.source_ko == value.indicator.source_ko for value in others)
    assert not others.filter(published_on__isnull=False).exists()


def test_demo_has_months_of_reports_and_milestones_on_every_task(demo):
    assert demo.tasks.annotate(n=Count("milestones")).filter(n=0).count() == 0
    assert demo.tasks.annotate(n=Count("updates")).filter(n__lt=3).count() == 0
    months = {update.reported_at.month for update in ProgressUpdate.objects.all()}
    assert len(months) >= 4
    assert Milestone.objects.filter(due_date__gt=F("baseline_date")).exists()


def test_demo_has_the_12_technologies_and_the_agency_tree(demo):
    assert list(StrategicTechnology.objects.values_list("number", flat=True)) == list(
        range(1, 13)
    )
    team = Agency.objects.get(name_ko="국가전략기술특허지원단")
    assert team.parent.abbreviation == "KISTA"
    assert team.parent.parent.slug == "kipo"
    assert Agency.objects.count() >= 20


def test_demo_agencies_keep_their_sourced_renames(demo):
    def history(slug):
        agency = Agency.objects.get(slug=slug)
        return (agency.name_ko, agency.abbreviation, str(agency.named_on),
                [(name.name_ko, name.abbreviation, str(name.used_until))
                 for name in agency.former_names.all()])

    assert history("kipo") == ("지식재산처", "MOIP", "2025-10-01",
                               [("특허청", "KIPO", "2025-09-30")])
    assert history("khs") == ("국가유산청", "KHS", "2024-05-17",
                              [("문화재청", "CHA", "2024-05-16")])
    assert all(name.source_note for name in AgencyName.objects.all())


def test_patent_support_team_launch_is_led_by_kista_and_serves_all_12_technologies(demo):
    task = demo.tasks.get(title_ko="국가전략기술특허지원단 출범·운영")

    assert task.lead_agency.abbreviation == "KISTA"
    assert task.technologies.count() == 12
    assert not task.is_illustrative
    assert "2024-03-19" in task.source_note


def test_invented_demo_content_is_marked_illustrative(demo):
    assert all(ko and en for ko, en in Plan.objects.values_list("data_note_ko", "data_note_en"))
    # A task that is not illustrative has its source, or continues a task that has one
    # (carry-over does not copy sources: they speak of the earlier plan).
    unsourced = Task.objects.filter(is_illustrative=False, source_note="")
    assert not unsourced.exclude(carried_from__source_note__gt="").exists()
    assert unsourced.exists()  # sourced 2024 tasks carried into 2025
    assert Task.objects.filter(is_illustrative=True).count() > 50
    assert set(KeyTask.objects.filter(is_illustrative=True).values_list(
        "strategy__number", flat=True)) == {3, 4, 5}
    assert not Milestone.objects.filter(is_illustrative=False).exists()
    assert not ProgressUpdate.objects.filter(is_illustrative=False).exists()


def fixture_password_hashes():
    """{username: password hash} as fixtures/demo.json holds them (the tests' demo gives its
    users a fast hash instead: tests/conftest.py)."""
    objects = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo.json").read_text())
    return {o["fields"]["username"]: o["fields"]["password"] for o in objects
            if o["model"] == "auth.user"}


def test_demo_users_log_in_with_the_demo_password():
    hashes = fixture_password_hashes()
    assert set(DEMO_USERS) <= hashes.keys()
    for username in DEMO_USERS:
        # Production's hasher, and the password the README gives.
        assert hashes[username].startswith("pbkdf2_sha256$"), username
        assert check_password("kipplan-demo", hashes[username]), username
    assert not check_password("not-the-demo-password", hashes[DEMO_USERS[0]])


@pytest.mark.parametrize("username", DEMO_USERS)
def test_demo_users_log_in_through_the_login_page(demo, client, username):
    response = client.post(reverse("login"), {"username": username, "password": "kipplan-demo"})
    assert response.status_code == 302


def test_demo_agency_staff_belong_to_their_agencies(demo):
    User = get_user_model()
    memberships = {
        user.username: [m.agency.slug for m in user.agency_memberships.all()]
        for user in User.objects.prefetch_related("agency_memberships__agency")
    }
    assert memberships["kipo"] == ["kipo"]
    assert memberships["kista"] == ["kista"]
    assert memberships["kista-team"] == ["kista-patent-support-team"]
    assert memberships["msit"] == ["msit"]
    assert memberships["mcst"] == ["mcst"]
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="manager").has_perm("tracker.view_task")


def test_demo_json_is_what_the_generator_builds():
    spec = importlib.util.spec_from_file_location("build_demo", FIXTURES / "build_demo.py")
    build_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_demo)

    assert build_demo.render() == (FIXTURES / "demo.json").read_text(encoding="utf-8"), (
        "fixtures/demo.json is out of date: run `make fixtures`"
    )


def broken_fixture(tmp_path, task_fields):
    """A fixture whose first objects are fine and whose last task breaks a rule."""
    demo = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))
    keep = [o for o in demo if o["model"] in ("tracker.agency", "tracker.strategictechnology")]
    plan = next(o for o in demo if o["model"] == "tracker.plan")
    strategy = next(o for o in demo if o["model"] == "tracker.strategy")
    task = next(o for o in demo if o["model"] == "tracker.task")
    task = {**task, "fields": {**task["fields"], **task_fields}}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(keep + [plan, strategy, task], ensure_ascii=False))
    return path


@pytest.mark.parametrize(
    "task_fields",
    [{"progress": 150}, {"budget": -1}, {"status": "completed", "progress": 40},
     {"start_date": "2024-12-31", "end_date": "2024-01-01"}, {"lead_agency": 9999}],
    ids=["progress 150", "negative budget", "completed at 40%", "end before start",
         "unknown agency"],
)
def test_loading_a_broken_fixture_leaves_the_database_as_it_was(db, tmp_path, task_fields):
    path = broken_fixture(tmp_path, task_fields)

    with pytest.raises((IntegrityError, CommandError)):
        call_command("loaddata", str(path), verbosity=0)

    assert not Agency.objects.exists()
    assert not Plan.objects.exists()
    assert not Task.objects.exists()


def test_loading_a_malformed_fixture_stores_nothing(db, tmp_path):
    path = tmp_path / "truncated.json"
    text = (FIXTURES / "demo.json").read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")

    with pytest.raises(DeserializationError, match="truncated.json"):
        call_command("loaddata", str(path), verbosity=0)

    assert not Agency.objects.exists()


def test_demo_staff_see_their_agencies_tasks_including_sub_agencies(demo):
    User = get_user_model()

    def visible(username):
        return set(Task.objects.visible_to(User.objects.get(username=username)))

    def editable(username):
        return set(Task.objects.reportable_by(User.objects.get(username=username)))

    kista_led = set(Task.objects.filter(lead_agency__slug="kista"))
    team_led = set(Task.objects.filter(lead_agency__slug="kista-patent-support-team"))
    assert kista_led and team_led
    assert kista_led | team_led <= editable("kipo")
    assert kista_led | team_led == editable("kista")
    assert team_led == editable("kista-team")
    assert visible("kista-team") < visible("kista") < visible("kipo") < set(Task.objects.all())
    assert visible("manager") == set(Task.objects.all())
    for username in ("msit", "mcst"):
        assert editable(username) and editable(username) < visible(username)
        assert Task.objects.supported_by(User.objects.get(username=username)).exists()


# The year-end evaluation of the 2024 plan (../shared/domain/evaluation.md): 66 projects of 14
# ministries and the 17 metropolitan governments graded in March 2025; 7 projects rated 최우수,
# among them two the press names; Incheon the best metropolitan government. The rest is
# illustrative.

METROPOLITAN = [
    ("seoul", "서울특별시", "Seoul Metropolitan Government"),
    ("busan", "부산광역시", "Busan Metropolitan City"),
    ("daegu", "대구광역시", "Daegu Metropolitan City"),
    ("incheon", "인천광역시", "Incheon Metropolitan City"),
    ("gwangju", "광주광역시", "Gwangju Metropolitan City"),
    ("daejeon", "대전광역시", "Daejeon Metropolitan City"),
    ("ulsan", "울산광역시", "Ulsan Metropolitan City"),
    ("sejong", "세종특별자치시", "Sejong Special Self-Governing City"),
    ("gyeonggi", "경기도", "Gyeonggi-do"),
    ("gangwon", "강원특별자치도", "Gangwon State"),
    ("chungbuk", "충청북도", "Chungcheongbuk-do"),
    ("chungnam", "충청남도", "Chungcheongnam-do"),
    ("jeonbuk", "전북특별자치도", "Jeonbuk State"),
    ("jeonnam", "전라남도", "Jeollanam-do"),
    ("gyeongbuk", "경상북도", "Gyeongsangbuk-do"),
    ("gyeongnam", "경상남도", "Gyeongsangnam-do"),
    ("jeju", "제주특별자치도", "Jeju Special Self-Governing Province"),
]
NAMED_OUTSTANDING = [("산업기술·영업비밀 보호를 위한 수사 및 협력체계 강화", "moj"),
                     ("온라인 콘텐츠의 저작권 보호 체계 강화", "mcst")]


@pytest.fixture
def round_2024(demo):
    return EvaluationRound.objects.get(plan=demo)


def top_of(agency):
    """The top of an agency's tree: KISTA and its team count under KIPO."""
    while agency.parent_id is not None:
        agency = agency.parent
    return agency


def criteria_of(round_):
    return [(c.name_ko, c.name_en, c.weight, c.institutions_only) for c in round_.criteria.all()]


def test_the_demo_has_the_17_metropolitan_governments_by_their_current_names(demo):
    metropolitan = Agency.objects.filter(kind=AgencyKind.METROPOLITAN).order_by("pk")

    assert [(a.slug, a.name_ko, a.name_en) for a in metropolitan] == METROPOLITAN
    assert not metropolitan.filter(parent__isnull=False).exists()
    assert not AgencyName.objects.filter(agency__in=metropolitan).exists()


def test_the_2024_round_grades_66_projects_led_by_14_central_bodies(round_2024):
    projects = evaluation.graded_tasks(round_2024).select_related(
        "lead_agency__parent__parent")
    tops = {top_of(task.lead_agency) for task in projects}

    assert projects.count() == 66
    assert len(tops) == 14
    assert not any(agency.kind == AgencyKind.METROPOLITAN for agency in tops)
    assert {"kipo", "moj", "mcst"} <= {agency.slug for agency in tops}
    regional = round_2024.plan.tasks.filter(lead_agency__kind=AgencyKind.METROPOLITAN)
    assert regional.count() == 9


def test_all_17_metropolitan_governments_take_part_and_are_graded(round_2024):
    metropolitan = set(Agency.objects.filter(kind=AgencyKind.METROPOLITAN))
    graded = Grade.objects.filter(round=round_2024, agency__isnull=False)

    assert set(evaluation.graded_institutions(round_2024)) == metropolitan
    assert len(metropolitan) == 17
    assert {grade.agency for grade in graded.select_related("agency")} == metropolitan


def test_only_illustrative_leads_became_metropolitan_governments_and_say_so(demo):
    regional = Task.objects.filter(lead_agency__kind=AgencyKind.METROPOLITAN)

    assert regional.filter(plan=demo).count() == 9
    assert not regional.filter(is_illustrative=False).exists()
    assert all("illustrative" in task.source_note and "예시" in task.source_note
               for task in regional.filter(plan=demo))


def test_seven_projects_are_rated_outstanding_among_them_the_two_the_press_names(round_2024):
    outstanding = Grade.objects.filter(round=round_2024, task__isnull=False,
                                       grade=GradeLevel.OUTSTANDING).select_related(
        "task__lead_agency")

    assert outstanding.count() == 7
    named = {(grade.task.title_ko, grade.task.lead_agency.slug) for grade in outstanding}
    assert set(NAMED_OUTSTANDING) <= named
    for title, _lead in NAMED_OUTSTANDING:
        task = round_2024.plan.tasks.get(title_ko=title)
        assert not task.is_illustrative
        assert "March 2025" in task.source_note and "2025년 3월" in task.source_note


def test_incheon_is_the_best_metropolitan_government(round_2024):
    incheon = Agency.objects.get(slug="incheon")
    means = evaluation.unit_means(round_2024)
    institutions = {key: score.mean for key, score in means.items() if key[0] == "agency"}

    assert Grade.objects.get(round=round_2024, agency=incheon).grade == GradeLevel.OUTSTANDING
    assert max(institutions, key=institutions.get) == ("agency", incheon.pk)
    assert sorted(institutions.values())[-2] < institutions["agency", incheon.pk]
    assert "best metropolitan government" in incheon.note and "March 2025" in incheon.note


def test_every_grade_lies_in_the_band_of_the_databases_weighted_mean(round_2024):
    means = evaluation.unit_means(round_2024)
    grades = Grade.objects.filter(round=round_2024)

    assert grades.count() == 66 + 17 == len(means)
    assert evaluation.ungraded_units(round_2024) == []
    for grade in grades:
        key = ("task", grade.task_id) if grade.task_id else ("agency", grade.agency_id)
        assert grade.mean == means[key].mean, key
        assert round_2024.band_for(grade.mean) == grade.grade, key
        assert grade.reason == ""
    # Every grade is used, the way the 2021 results used them.
    assert set(grades.values_list("grade", flat=True)) == set(GradeLevel.values)


def test_every_unit_is_scored_by_both_evaluators_on_each_of_its_criteria(round_2024):
    User = get_user_model()
    evaluators = set(User.objects.filter(username__in=EVALUATORS))
    assignments = Assignment.objects.filter(round=round_2024).with_progress()

    assert evaluation.understaffed_units(round_2024) == {}
    assert assignments.count() == 2 * (66 + 17)
    units = {}
    for assignment in assignments.select_related("evaluator"):
        key = (assignment.task_id, assignment.agency_id)
        units.setdefault(key, set()).add(assignment.evaluator)
        assert assignment.scored == assignment.required == (5 if assignment.agency_id else 3)
        assert assignment.comment.endswith("(예시)")
    assert all(unit == evaluators for unit in units.values())
    assert len(units) == 66 + 17


def test_the_2024_round_is_published_illustrative_and_approved_at_the_38th_meeting(round_2024):
    defaults = settings.KIPPLAN_EVALUATION

    assert (round_2024.state, round_2024.is_illustrative) == (RoundState.PUBLISHED, True)
    assert (round_2024.meeting_number, round_2024.meeting_date.isoformat(),
            round_2024.held_in_writing) == (38, "2025-03-28", True)
    assert (round_2024.submission_opens.year, round_2024.submission_opens.month) == (2025, 1)
    assert (round_2024.submission_closes.year, round_2024.submission_closes.month) == (2025, 1)
    assert round_2024.evaluation_closes.isoformat() <= "2025-03-10"
    assert round_2024.published_on > round_2024.meeting_date
    round_2024.full_clean()
    assert criteria_of(round_2024) == [tuple(row) for row in defaults["criteria"]]
    assert (round_2024.scale_min, round_2024.scale_max) == defaults["scale"]
    assert (round_2024.band_outstanding, round_2024.band_excellent,
            round_2024.band_satisfactory) == tuple(defaults["bands"].values())
    assert round_2024.evaluators_per_unit == defaults["evaluators_per_unit"]


def test_every_2024_task_has_submitted_results_some_late_none_with_evidence(round_2024):
    results = Result.objects.filter(task__plan=round_2024.plan)

    assert results.count() == 75
    assert set(results.values_list("state", flat=True)) == {ResultState.SUBMITTED}
    late = results.filter(is_late=True)
    assert 0 < late.count() <= 6
    for result in results:
        day = timezone.localdate(result.submitted_at)
        assert result.is_late == round_2024.submission_is_late(day), result.task_id
        assert day >= round_2024.submission_opens
        for text in (result.achievements, result.problems, result.next_steps,
                     result.summary_public):
            assert text.endswith("(예시)"), result.task_id
    assert not EvidenceFile.objects.exists()  # a file cannot live in a JSON fixture


def test_every_2024_task_has_one_or_two_illustrative_indicators_with_actual_values(demo):
    counts = demo.tasks.annotate(n=Count("performance_indicators")).values_list("n", flat=True)
    indicators = PerformanceIndicator.objects.filter(task__plan=demo).with_achievement()

    assert set(counts) == {1, 2}
    assert not indicators.filter(actual__isnull=True).exists()
    assert all(i.name_ko.endswith("(예시)") and i.name_en.endswith("(illustrative)") and i.unit
               and i.target > 0 for i in indicators)
    assert indicators.filter(achievement__gte=100).exists()
    assert indicators.filter(achievement__lt=100).exists()


def test_the_2025_round_is_being_prepared_and_a_manager_can_open_submission(demo):
    plan = Plan.objects.get(year=2025)
    round_ = EvaluationRound.objects.get(plan=plan)
    counts = plan.tasks.annotate(n=Count("performance_indicators")).values_list("n", flat=True)

    assert (round_.state, round_.is_illustrative) == (RoundState.PREPARING, True)
    # Only the dates the decree sets (KIPPLAN_CALENDAR), as a new round takes them.
    assert (round_.guideline_by, round_.submission_closes, round_.notice_by) == (
        date(2025, 10, 31), date(2026, 1, 15), date(2026, 3, 31))
    assert (round_.submission_opens, round_.evaluation_closes, round_.meeting_number,
            round_.meeting_date, round_.published_on) == (None,) * 5
    assert criteria_of(round_) == [tuple(row) for row in settings.KIPPLAN_EVALUATION["criteria"]]
    assert set(counts) == {1}
    assert not PerformanceIndicator.objects.filter(task__plan=plan, actual__isnull=False).exists()
    assert not Result.objects.filter(task__plan=plan).exists()

    EvaluationRound.objects.filter(pk=round_.pk).update(
        submission_opens="2026-01-05", submission_closes="2026-01-30")
    evaluation.advance(round_, RoundState.SUBMISSION,
                       user=get_user_model().objects.get(username="manager"), reason="시험 진행")

    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.SUBMISSION


@pytest.mark.parametrize("username", EVALUATORS)
def test_demo_evaluators_are_outside_experts_who_see_no_task(demo, username):
    user = get_user_model().objects.get(username=username)

    assert list(user.groups.values_list("name", flat=True)) == [roles.EVALUATORS]
    assert not user.agency_memberships.exists()
    assert is_evaluator(user)
    assert not Task.objects.visible_to(user).exists()
    assert Assignment.objects.for_evaluator(user).count() == 66 + 17


def test_demo_incheon_staff_report_for_incheons_tasks_only(demo):
    user = get_user_model().objects.get(username="incheon")

    assert [m.agency.slug for m in user.agency_memberships.all()] == ["incheon"]
    assert list(user.groups.values_list("name", flat=True)) == [roles.AGENCY_STAFF]
    led = set(Task.objects.filter(lead_agency__slug="incheon"))
    assert led and set(Task.objects.reportable_by(user)) == led


# -- After the evaluation (illustrative) ---------------------------------------------------------

def test_every_graded_project_of_2024_has_budget_advice_for_2026_in_line_with_its_grade(
        round_2024):
    advice = {a.task_id: a for a in BudgetAdvice.objects.filter(round=round_2024)}
    graded = Grade.objects.filter(round=round_2024, task__isnull=False)

    assert set(advice) == set(graded.values_list("task_id", flat=True)) and len(advice) == 66
    assert {a.for_year for a in advice.values()} == {advice_year(round_2024)} == {2026}
    assert round_2024.is_illustrative  # the pages label the round's follow-up as such
    for grade in graded:
        chosen = advice[grade.task_id].recommendation
        if grade.grade in (GradeLevel.OUTSTANDING, GradeLevel.EXCELLENT):
            assert chosen == Recommendation.INCREASE
        elif grade.grade == GradeLevel.INSUFFICIENT:
            assert chosen in (Recommendation.CUT, Recommendation.CONDITIONAL)
    assert all("(예시)" in a.reason for a in advice.values())


def test_the_demo_opinions_show_each_step_of_the_cycle(round_2024):
    opinions = Opinion.objects.filter(plan=round_2024.plan)

    assert opinions.count() == 4 and all("(예시)" in o.text for o in opinions)
    assert opinions.filter(agency__slug="incheon").count() == 1
    closed = opinions.get(closed_at__isnull=False)
    assert not closed.carried_to_id
    assert opinions.filter(closed_at__isnull=True, answers__isnull=True).count() == 1
    carried = opinions.filter(carried_to__isnull=False)
    assert carried and all(o.carried_to.carried_from_id == o.task_id for o in carried)
    differing = ActionCheck.objects.filter(action__opinion__in=opinions, by=CheckedBy.COUNCIL,
                                           status=ActionStatus.NOT_IMPLEMENTED)
    assert differing.count() == 1
    assert ActionCheck.objects.filter(action=differing.get().action, by=CheckedBy.AGENCY,
                                      status=ActionStatus.IN_PROGRESS).exists()


def test_the_ip_statistics_are_sourced_or_labelled_illustrative_each_text_in_one_language(
        demo):
    from tracker.models import Statistic, StatisticValue

    sourced = Statistic.objects.filter(is_illustrative=False)
    assert sourced.count() == 5 and all("한국은행" in s.source_ko and "Bank of Korea" in
                                        s.source_en for s in sourced)
    assert set(Statistic.objects.filter(is_illustrative=True).values_list("name_en", flat=True)) \
        == {"Patent applications", "PCT international applications", "Trademark applications",
            "Design applications", "Copyright registrations"}
    for value in StatisticValue.objects.all():
        assert not re.search("[A-Za-z]{3}", value.source_ko.replace("PCT", "")), value.source_ko
        assert not re.search("[가-힣]", value.source_en + value.note_en), value.source_en
