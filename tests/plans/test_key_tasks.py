"""Key tasks (중점과제): the plan's structure is strategy → key task → task. The dashboard rolls up
by key task, the task list filters by it, import and export carry it, carry-over keeps it."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import (
    KST,
    AgencyFactory,
    KeyTaskFactory,
    PlanFactory,
    ProgressUpdateFactory,
    StrategyFactory,
    TaskFactory,
    build_plan,
)
from tracker import roles
from tracker.loading.carry_over import carry_over
from tracker.loading.imports import PlanImportError, import_plan
from tracker.models import KeyTask, Plan, Status, Task, key_task_code
from tracker.progress import exports
from tracker.progress import selectors as reports

pytestmark = pytest.mark.django_db

EOK = 100_000_000  # one 억원 (10^8 won)


@pytest.fixture(autouse=True)
def english(client, admin_client):
    """Messages in English, in the tests and on the pages."""
    for each in (client, admin_client):
        each.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def structure(db):
    """The 2024 plan: strategy 1 with key tasks 1-1 and 1-2, strategy 2 with 2-1; five tasks,
    one of them under no key task."""
    plan = PlanFactory(year=2024, total_budget=1000 * EOK)
    first = StrategyFactory(plan=plan, number=1, title_en="Create IP")
    second = StrategyFactory(plan=plan, number=2, title_en="Protect IP")
    key = {
        "1-1": KeyTaskFactory(strategy=first, number=1, title_ko="국가전략산업 핵심 IP 창출",
                              title_en="Core IP in strategic industries"),
        "1-2": KeyTaskFactory(strategy=first, number=2, title_ko="기술이전·사업화",
                              title_en="Technology transfer", is_illustrative=True),
        "2-1": KeyTaskFactory(strategy=second, number=1, title_ko="국가핵심기술 보호",
                              title_en="Protecting core technologies"),
    }
    tasks = {
        1: TaskFactory(plan=plan, strategy=first, key_task=key["1-1"], number=1,
                       budget=100 * EOK, status=Status.COMPLETED, progress=100,
                       budget_executed=80 * EOK),
        2: TaskFactory(plan=plan, strategy=first, key_task=key["1-1"], number=2,
                       budget=300 * EOK, status=Status.ON_TRACK, progress=40,
                       budget_executed=10 * EOK),
        3: TaskFactory(plan=plan, strategy=first, key_task=key["1-2"], number=3,
                       budget=200 * EOK, status=Status.DELAYED, progress=10),
        4: TaskFactory(plan=plan, strategy=first, key_task=None, number=4,
                       budget=50 * EOK),
        5: TaskFactory(plan=plan, strategy=second, key_task=key["2-1"], number=5,
                       budget=350 * EOK, status=Status.ON_TRACK, progress=60,
                       budget_executed=100 * EOK),
    }
    return plan, key, tasks


def dashboard(plan, as_of=None):
    return reports.dashboard(plan, Task.objects.filter(plan=plan),
                             reports.Moment.of(as_of, year=plan.year),
                             restricted=False, public=False)


def figures(score):
    label = score.key_task.code if score.key_task else None
    return (label, score.tasks, score.completed, score.delayed, score.budget, score.executed,
            round(score.progress, 2), round(score.weighted_progress, 2))


# The dashboard --------------------------------------------------------------------------------


def test_the_dashboard_rolls_each_strategy_up_by_key_task(structure):
    plan, _, _ = structure

    first, second = dashboard(plan).strategies

    assert [figures(row) for row in first.key_tasks] == [
        # tasks, completed, delayed, budget, executed, average and budget-weighted progress
        ("1-1", 2, 1, 0, 400 * EOK, 90 * EOK, 70.0, 55.0),  # (100·100 + 40·300) / 400
        ("1-2", 1, 0, 1, 200 * EOK, 0, 10.0, 10.0),
        (None, 1, 0, 0, 50 * EOK, 0, 0.0, 0.0),  # no key task, last
    ]
    assert [figures(row) for row in second.key_tasks] == [
        ("2-1", 1, 0, 0, 350 * EOK, 100 * EOK, 60.0, 60.0)]
    assert (first.tasks, first.budget) == (4, 650 * EOK)  # the sum of its key tasks


def test_the_dashboard_as_of_a_day_rolls_up_the_history_the_same_way(structure):
    plan, _, tasks = structure
    ProgressUpdateFactory(task=tasks[2], status=Status.ON_TRACK, progress=20,
                          budget_executed=5 * EOK,
                          reported_at=datetime.datetime(2024, 3, 1, 10, tzinfo=KST))
    ProgressUpdateFactory(task=tasks[1], status=Status.COMPLETED, progress=100,
                          budget_executed=80 * EOK,
                          reported_at=datetime.datetime(2024, 6, 1, 10, tzinfo=KST))

    first, _ = dashboard(plan, as_of=datetime.date(2024, 4, 30)).strategies

    assert figures(first.key_tasks[0]) == (
        "1-1", 2, 0, 0, 400 * EOK, 5 * EOK, 10.0, 15.0)  # only task 2 had reported
    assert figures(first.key_tasks[1]) == ("1-2", 1, 0, 0, 200 * EOK, 0, 0.0, 0.0)


def test_a_plan_without_key_tasks_shows_every_task_under_no_key_task(client, manager):
    plan = build_plan(6, strategies=2)
    client.force_login(manager)

    response = client.get(reverse("tracker:plan", args=[plan.year]))

    assert response.status_code == 200
    rows = [figures(row)[:2] for row in response.context["strategies"][0].key_tasks]
    assert rows == [(None, 3)]
    assert "No key task" in response.content.decode()


def test_the_dashboard_shows_the_key_tasks_under_their_strategies(client, manager, structure):
    plan, _, _ = structure
    client.force_login(manager)

    body = client.get(reverse("tracker:plan", args=[plan.year])).content.decode()

    tasks = reverse("tracker:task_list", args=[plan.year])
    assert '<th scope="rowgroup" colspan="8">1. Create IP</th>' in body
    assert f'<a href="{tasks}?key_task=1-1">1-1 Core IP in strategic industries</a>' in body
    assert f'<a href="{tasks}?strategy=1&amp;key_task=none">No key task</a>' in body
    assert body.index("1-1 Core IP") < body.index("1-2 Technology") < body.index(
        "No key task") < body.index("2-1 Protecting")


# The task list --------------------------------------------------------------------------------


def listed(client, plan, **params):
    response = client.get(reverse("tracker:task_list", args=[plan.year]), params)
    assert response.status_code == 200
    return response, [task.number for task in response.context["object_list"]]


def test_the_task_list_filters_by_key_task(client, manager, structure):
    plan, _, _ = structure
    client.force_login(manager)

    assert listed(client, plan, key_task="1-1")[1] == [1, 2]
    assert listed(client, plan, key_task="2-1")[1] == [5]
    assert listed(client, plan, key_task="none")[1] == [4]
    assert listed(client, plan, key_task="none", strategy="2")[1] == []


def test_the_key_task_filter_offers_the_plans_key_tasks_by_code_and_title(
    client, manager, structure
):
    plan, _, _ = structure
    PlanFactory(year=2025)
    KeyTaskFactory(strategy=StrategyFactory(plan=Plan.objects.get(year=2025), number=1),
                   number=9, title_en="Another plan's")
    client.force_login(manager)

    response, _ = listed(client, plan)

    choices = response.context["filter"].form.fields["key_task"].choices
    assert list(choices) == [
        ("", "All key tasks"), ("1-1", "1-1 Core IP in strategic industries"),
        ("1-2", "1-2 Technology transfer"), ("2-1", "2-1 Protecting core technologies"),
        ("none", "No key task")]
    assert '<option value="1-2">1-2 Technology transfer</option>' in response.content.decode()


@pytest.mark.parametrize("value", ["1-9", "1-1'--", "x" * 300, "1-9-1"])
def test_a_key_task_the_plan_lacks_is_the_filters_error_and_lists_nothing(
    client, manager, structure, value
):
    plan, _, _ = structure
    client.force_login(manager)

    response, numbers = listed(client, plan, key_task=value)

    assert numbers == []
    assert set(response.context["filter"].form.errors) == {"key_task"}
    assert "Some filters are not valid" in response.content.decode()
    export = client.get(reverse("tracker:task_export_csv", args=[plan.year]),
                        {"key_task": value})
    assert export.status_code == 200


# Export and import ----------------------------------------------------------------------------


def exported(client, plan, fmt="csv"):
    response = client.get(reverse(f"tracker:task_export_{fmt}", args=[plan.year]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        return body, list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    header, *rows = load_workbook(io.BytesIO(body), read_only=True).active.values
    return body, [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_writes_each_tasks_key_task_code(client, manager, structure, fmt):
    plan, _, _ = structure
    client.force_login(manager)

    _, rows = exported(client, plan, fmt)

    empty = "" if fmt == "csv" else None  # openpyxl reads an empty cell as None
    assert [row["key_task"] for row in rows] == ["1-1", "1-1", "1-2", empty, "2-1"]
    assert exports.COLUMNS.index("key_task") == 19  # after the columns of earlier exports


def test_the_exports_code_is_the_key_tasks_own(structure):
    _, key, _ = structure
    assert {key_task_code(k.strategy.number, k.number) for k in key.values()} == set(key)


def as_csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def row(number, strategy, **cells):
    return {"number": number, "strategy": strategy, "title_ko": f"과제 {number}",
            "lead_agency": "imported-lead", "budget": EOK, "start_date": "2024-01-01",
            "end_date": "2024-12-31", **cells}


@pytest.fixture
def lead(db):
    return AgencyFactory(slug="imported-lead")


def key_tasks_of(plan):
    return sorted((k.code, k.title_ko, k.title_en, k.is_illustrative)
                  for k in KeyTask.objects.filter(strategy__plan=plan).select_related("strategy"))


def key_task_codes(year):
    return {task.number: task.key_task.code if task.key_task else None
            for task in Task.objects.filter(plan__year=year).select_related(
                "key_task__strategy")}


def test_an_import_puts_each_task_under_the_key_task_of_its_code_or_number(structure, lead):
    plan, _, _ = structure
    Task.objects.filter(plan=plan).delete()
    data = as_csv([row(1, 1, key_task="1-2"), row(2, 2, key_task="2-1"),
                   row(3, 1, key_task="2"), row(4, 1, key_task="")])

    import_plan("plan.csv", data, 2024)

    assert key_task_codes(2024) == {1: "1-2", 2: "2-1", 3: "1-2", 4: None}


def test_an_import_without_the_key_task_column_gives_no_key_task(structure, lead):
    data = as_csv([row(11, 1), row(12, 2)])

    import_plan("plan.csv", data, 2024)

    assert Task.objects.filter(number__in=[11, 12], key_task__isnull=True).count() == 2


@pytest.mark.parametrize(("code", "message"), [
    ("1-9", "Strategy 1 has no key task 1-9."),
    ("9", "Strategy 1 has no key task 1-9."),
    ("2-1", "Key task 2-1 is under strategy 2, but the task's strategy is 1."),
    ("2024-01-02 00:00:00", "“2024-01-02 00:00:00” is not a key task; write its code"),
    ("one", "“one” is not a key task"),
])
def test_an_unknown_key_task_or_one_of_another_strategy_is_refused_and_nothing_is_stored(
    structure, lead, code, message
):
    data = as_csv([row(11, 1, key_task="1-1"), row(12, 1, key_task=code)])

    with pytest.raises(PlanImportError) as caught:
        import_plan("plan.csv", data, 2024)

    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "key_task")
    assert problem.message.startswith(message), problem.message
    assert not Task.objects.filter(number__in=[11, 12]).exists()


def test_a_key_task_of_a_strategy_the_plan_lacks_reports_the_strategy_only(structure, lead):
    with pytest.raises(PlanImportError) as caught:
        import_plan("plan.csv", as_csv([row(11, 9, key_task="9-1")]), 2024)

    assert [(p.column, p.message) for p in caught.value.problems] == [
        ("strategy", "The plan has no strategy 9.")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_plan_imports_into_a_new_year_with_its_key_tasks(
    client, manager, structure, fmt
):
    plan, _, _ = structure
    client.force_login(manager)
    body, before = exported(client, plan, fmt)

    result = import_plan(f"plan.{fmt}", body, 2025)

    new = result.plan
    assert key_tasks_of(new) == key_tasks_of(plan)
    _, after = exported(client, new, fmt)
    assert [r["key_task"] for r in after] == [r["key_task"] for r in before]
    assert all(t.key_task.strategy_id == t.strategy_id
               for t in new.tasks.exclude(key_task=None).select_related("key_task"))


def test_an_exported_plan_imported_back_into_its_emptied_year_is_the_same(
    client, manager, structure
):
    plan, _, _ = structure
    client.force_login(manager)
    body, before = exported(client, plan)
    Task.objects.filter(plan=plan).delete()

    import_plan("plan.csv", body, 2024)

    # The time of the last report is the import's where the tasks had none.
    _, after = exported(client, plan)
    assert [{**r, "last_reported_at": ""} for r in after] == [
        {**r, "last_reported_at": ""} for r in before]
    assert [r["key_task"] for r in after] == ["1-1", "1-1", "1-2", "", "2-1"]
    assert KeyTask.objects.count() == 3


# Carry-over -----------------------------------------------------------------------------------


def test_carry_over_copies_the_key_tasks_and_each_task_keeps_its_own(structure):
    plan, _, _ = structure

    carry_over(2024, 2025)

    new = Plan.objects.get(year=2025)
    assert key_tasks_of(new) == key_tasks_of(plan)
    # Task 1 is completed and stays behind.
    assert key_task_codes(2025) == {2: "1-1", 3: "1-2", 4: None, 5: "2-1"}
    assert all(t.key_task.strategy.plan_id == new.pk
               for t in new.tasks.exclude(key_task=None).select_related("key_task__strategy"))


def test_carry_over_into_an_existing_plan_uses_its_key_tasks_and_adds_the_missing(structure):
    new = PlanFactory(year=2025)
    first = StrategyFactory(plan=new, number=1, title_en="Create IP")
    StrategyFactory(plan=new, number=2, title_en="Protect IP")
    own = KeyTaskFactory(strategy=first, number=1, title_ko="2025년 제목")

    carry_over(2024, 2025)

    assert Task.objects.get(plan=new, number=2).key_task == own
    assert KeyTask.objects.get(pk=own.pk).title_ko == "2025년 제목"  # its own, untouched
    assert [k[0] for k in key_tasks_of(new)] == ["1-1", "1-2", "2-1"]
    assert key_task_codes(2025) == {2: "1-1", 3: "1-2", 4: None, 5: "2-1"}


def queries_of(action):
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_carry_over_runs_as_many_queries_for_four_times_the_tasks_and_key_tasks(db):
    # 40 tasks, so that every bulk insert still takes one statement on SQLite.
    build_plan(10, year=2024, key_tasks=1)
    build_plan(40, year=2030, key_tasks=4)

    small = queries_of(lambda: carry_over(2024, 2025))
    large = queries_of(lambda: carry_over(2030, 2031))

    assert small == large, (small, large)
    assert KeyTask.objects.filter(strategy__plan__year=2031).count() == 20


# Every page, flat -----------------------------------------------------------------------------


PAGES = {
    "dashboard": ("tracker:plan", {}),
    "dashboard as of": ("tracker:plan", {"as_of": "2024-05-01"}),
    "task list": ("tracker:task_list", {}),
    "task list by key task": ("tracker:task_list", {"key_task": "1-1"}),
    "task list, no key task": ("tracker:task_list", {"key_task": "none"}),
    "csv export": ("tracker:task_export_csv", {"key_task": "1-1"}),
    "xlsx export": ("tracker:task_export_xlsx", {}),
}


@pytest.mark.parametrize("page", PAGES)
def test_pages_run_as_many_queries_for_ten_times_the_tasks_and_key_tasks(client, manager, page):
    name, params = PAGES[page]
    plans = [build_plan(10, year=2024, key_tasks=1), build_plan(100, year=2025, key_tasks=10)]
    if params.get("key_task") != "1-1":  # which a plan without key tasks lacks
        plans.append(build_plan(10, year=2026))
    client.force_login(manager)

    counts = []
    for plan in plans:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, args=[plan.year]), params)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(queries))

    # The bound on the count is tests/progress/test_pages.py's; here, key tasks add none.
    assert len(set(counts)) == 1, counts


# The admin ------------------------------------------------------------------------------------


def key_task_post(strategy, **form):
    return {
        "plan": strategy.plan_id, "number": strategy.number, "title_ko": strategy.title_ko,
        "title_en": strategy.title_en,
        "key_tasks-TOTAL_FORMS": 1, "key_tasks-INITIAL_FORMS": 0,
        "key_tasks-MIN_NUM_FORMS": 0, "key_tasks-MAX_NUM_FORMS": 1000,
        **{f"key_tasks-0-{field}": value for field, value in form.items()},
    }


def test_a_plan_administrator_adds_a_key_task_under_a_strategy(admin_client, strategy):
    url = reverse("admin:tracker_strategy_change", args=[strategy.pk])
    assert "key_tasks-TOTAL_FORMS" in admin_client.get(url).content.decode()

    response = admin_client.post(url, key_task_post(
        strategy, number=3, title_ko="선제적 법제도 정비", title_en="Legal reform"))

    assert response.status_code == 302, response.context and response.context["errors"]
    key_task = KeyTask.objects.get(strategy=strategy)
    assert (key_task.code, key_task.title_en) == ("1-3", "Legal reform")


def test_agency_staff_get_no_permission_on_key_tasks(client, staff, strategy):
    client.force_login(staff)
    url = reverse("admin:tracker_strategy_change", args=[strategy.pk])

    assert not any(staff.has_perm(f"tracker.{action}_keytask")
                   for action in ("add", "change", "delete", "view"))
    assert client.get(url).status_code == 403
    assert client.post(url, key_task_post(strategy, number=3, title_ko="과제")).status_code == 403
    assert not KeyTask.objects.exists()


def test_plan_managers_read_key_tasks_but_cannot_add_them(client, manager, strategy):
    KeyTaskFactory(strategy=strategy, number=1, title_ko="읽기만")
    client.force_login(manager)
    url = reverse("admin:tracker_strategy_change", args=[strategy.pk])

    assert "읽기만" in client.get(url).content.decode()
    assert client.post(url, key_task_post(strategy, number=3, title_ko="과제")).status_code == 403
    assert KeyTask.objects.count() == 1


def task_post(task, key_task):
    return {
        "plan": task.plan_id, "strategy": task.strategy_id, "key_task": key_task.pk,
        "number": task.number, "title_ko": task.title_ko, "lead_agency": task.lead_agency_id,
        "budget": task.budget, "start_date": "2024-01-01", "end_date": "2024-12-31",
        "milestones-TOTAL_FORMS": 0, "milestones-INITIAL_FORMS": 0,
    }


def test_the_task_admin_sets_a_key_task_of_the_tasks_strategy_only(admin_client, structure):
    _, key, tasks = structure
    url = reverse("admin:tracker_task_change", args=[tasks[4].pk])
    form = admin_client.get(url).context["adminform"].form
    assert ("key_task" in form.fields
            and form.fields["key_task"].label_from_instance(key["1-2"]) == (
                "2024 1-2 Technology transfer"))

    refused = admin_client.post(url, task_post(tasks[4], key["2-1"]))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["key_task"] == [
        "The key task belongs to another strategy."]
    accepted = admin_client.post(url, task_post(tasks[4], key["1-2"]))
    assert accepted.status_code == 302
    assert Task.objects.get(pk=tasks[4].pk).key_task == key["1-2"]


def test_the_task_admin_list_filters_by_key_task(admin_client, structure):
    plan, key, _ = structure
    changelist = reverse("admin:tracker_task_changelist")

    def numbers(value):
        response = admin_client.get(changelist, {"key_task": value, "plan__id__exact": plan.pk})
        return sorted(task.number for task in response.context["cl"].result_list)

    assert numbers(key["1-1"].pk) == [1, 2]
    assert numbers("none") == [4]
    body = admin_client.get(changelist, {"plan__id__exact": plan.pk}).content.decode()
    assert "2024 2-1 Protecting core technologies" in body


def test_the_roles_give_agency_staff_nothing_on_key_tasks():
    assert not [c for c in roles.ROLES[roles.AGENCY_STAFF] if c.endswith("_keytask")]
    assert [c for c in roles.ROLES[roles.PLAN_MANAGERS] if c.endswith("_keytask")] == [
        "view_keytask"]
