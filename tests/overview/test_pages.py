"""The managers' pages, as users see them."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import (
    KST,
    AgencyFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    StrategyFactory,
    TaskFactory,
    TechnologyFactory,
    build_plan,
)
from tests.helpers import page_urls
from tracker.models import (
    Agency,
    Status,
    Task,
)
from tracker.progress import exports

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=KST)




PAGES = ["dashboard", "dashboard as of", "task list", "task list filtered", "task list as of",
         "task", "agencies", "agency", "technologies", "technology", "csv export",
         "xlsx export"]


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def queries_and_body(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = body_of(response)  # a streamed export reads the database as it streams
    assert response.status_code == 200, url
    return len(queries), body


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_as_many_queries_for_a_plan_ten_times_larger(client, manager, page):
    small, large = build_plan(10, year=2024), build_plan(100, year=2025)
    client.force_login(manager)

    small_queries, small_body = queries_and_body(client, page_urls(small)[page])
    large_queries, large_body = queries_and_body(client, page_urls(large)[page])

    assert small_queries == large_queries <= 15, (small_queries, large_queries)
    for plan, body, other in ((small, small_body, large), (large, large_body, small)):
        assert shows(page, plan, body) and not shows(page, other, body), page


def shows(page, plan, body):
    """Whether a page's body shows the plan: a row for each of its tasks in an export, its
    title on a summary page, its first task's code as the task page's heading or in a list of
    tasks."""
    if page in ("csv export", "xlsx export"):
        if page == "csv export":
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        else:
            rows = list(load_workbook(io.BytesIO(body), read_only=True).active.values)
        codes = plan.tasks.order_by("number").values_list("code", flat=True)
        return [row[0] for row in rows[1:]] == list(codes)
    if page in ("dashboard", "dashboard as of", "agencies", "technologies"):
        return plan.title_ko in body.decode()
    if page == "task":
        return f"<h1>{plan.year}-01 " in body.decode()
    return f">{plan.year}-01<" in body.decode()


@pytest.mark.parametrize("page", PAGES)
def test_pages_need_a_login_unless_they_are_made_public(client, settings, page):
    plan = build_plan(5)
    url = page_urls(plan)[page]

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    settings.KIPPLAN_PUBLIC_PAGES = True
    assert client.get(url).status_code == 200


def test_public_pages_are_read_only_and_show_no_admin_links(client, settings):
    settings.KIPPLAN_PUBLIC_PAGES = True
    build_plan(5)

    body = client.get(reverse("tracker:dashboard")).content.decode()

    assert reverse("admin:index") not in body
    assert client.post(reverse("tracker:dashboard")).status_code == 405


def test_the_dashboard_shows_the_latest_plan(client, manager):
    build_plan(3, year=2023)
    build_plan(4, year=2024)
    client.force_login(manager)

    response = client.get(reverse("tracker:dashboard"))

    assert response.context["plan"].year == 2024
    assert response.context["totals"].tasks == 4


def test_staff_see_only_their_agencies_tasks_on_every_page_and_export(
    client, plan, strategy, agency, other_agency, staff
):
    mine = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, title_ko="우리 과제")
    theirs = TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency,
                         title_ko="남의 과제 SECRET")
    client.force_login(staff)
    year = plan.year

    dashboard = client.get(reverse("tracker:plan", args=[year]))
    listing = client.get(reverse("tracker:task_list", args=[year]))
    export = client.get(reverse("tracker:task_export_csv", args=[year]))
    other_page = client.get(reverse("tracker:task_detail", args=[year, theirs.number]))
    other_agency_page = client.get(reverse("tracker:agency_detail", args=[other_agency.slug]))

    assert dashboard.context["totals"].tasks == 1
    assert [t.pk for t in listing.context["object_list"]] == [mine.pk]
    csv_text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "우리 과제" in csv_text and "SECRET" not in csv_text
    assert other_page.status_code == 404
    assert "SECRET" not in other_agency_page.content.decode()
    for response in (dashboard, listing):
        assert "SECRET" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/plans/1999/", "/plans/99999/", "/plans/99999999999999999999/", "/plans/2024/tasks/999/",
     "/plans/2024/tasks/99999999999999999999/", "/plans/1999/tasks/",
     "/plans/1999/tasks/export.csv", "/agencies/no-such-agency/", "/technologies/nope/",
     "/agencies/?year=1999", "/technologies/?year=abc", "/?year=-1"],
)
def test_unknown_plans_tasks_and_agencies_are_404(client, manager, url):
    build_plan(3)
    client.force_login(manager)

    assert client.get(url).status_code == 404


BAD_FILTERS = [
    {"status": "bogus"},
    {"status": ["on_track", "'; DROP TABLE tracker_task; --"]},
    {"strategy": "abc"},
    {"strategy": "99999999999999999999999"},
    {"strategy": "-1"},
    {"lead": "no-such-agency"},
    {"agency": "' OR 1=1 --"},
    {"technology": "<script>alert(1)</script>"},
    {"overdue": "maybe"},
    {"stale": "1; DELETE"},
    {"sort": "password"},
    {"sort": "-lead_agency__memberships__user__password"},
    {"q": "x" * 500},
]
BAD_AS_OF = ["2024-13-45", "99999-01-01", "1900-01-01", "yesterday", "<script>", "2024-02-30",
             "9" * 40]


@pytest.mark.parametrize("params", BAD_FILTERS, ids=[str(p)[:40] for p in BAD_FILTERS])
def test_bad_filters_show_a_clear_message_and_no_tasks(client, manager, params):
    plan = build_plan(5)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_list", args=[plan.year]), params,
                          HTTP_ACCEPT_LANGUAGE="en")
    export = client.get(reverse("tracker:task_export_csv", args=[plan.year]), params)

    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert set(errors) == {next(iter(params))}
    assert "Some filters are not valid" in response.content.decode()
    assert list(response.context["object_list"]) == []
    assert export.status_code == 200
    assert len(list(csv.reader(io.StringIO(
        b"".join(export.streaming_content).decode("utf-8-sig"))))) == 1
    assert Task.objects.count() == 5


@pytest.mark.parametrize("as_of", BAD_AS_OF)
@pytest.mark.parametrize("name", ["tracker:plan", "tracker:task_list"])
def test_a_bad_as_of_date_shows_a_message_and_today(client, manager, as_of, name):
    plan = build_plan(5)
    client.force_login(manager)

    response = client.get(reverse(name, args=[plan.year]), {"as_of": as_of},
                          HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["moment"].as_of is None
    [error] = response.context["as_of_form"].errors["as_of"]
    assert f"As of: {error} Showing today instead." in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "999", "-1", "9" * 30])
def test_a_page_number_out_of_range_is_a_404_not_a_500(client, manager, page):
    plan = build_plan(5)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_list", args=[plan.year]), {"page": page})

    assert response.status_code == 404


def test_as_of_shows_each_tasks_status_on_that_day_from_its_history(
    client, manager, task, staff
):
    ProgressUpdateFactory(task=task, reported_by=staff, reported_at=at(datetime.date(2024, 4, 15)),
                          status=Status.ON_TRACK, progress=20, budget_executed=100)
    ProgressUpdateFactory(task=task, reported_by=staff, reported_at=at(datetime.date(2024, 7, 5)),
                          status=Status.NEEDS_ATTENTION, progress=40, budget_executed=300,
                          note="지연")
    Task.objects.filter(pk=task.pk).update(status=Status.NEEDS_ATTENTION, progress=40,
                                           budget_executed=300)
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])

    def state(as_of):
        row = client.get(url, {"as_of": as_of} if as_of else {}).context["object_list"][0]
        return row.current_status, row.current_progress, row.current_executed

    assert state(None) == ("needs_attention", 40, 300)
    assert state("2024-07-05") == ("needs_attention", 40, 300)
    assert state("2024-07-04") == ("on_track", 20, 100)
    assert state("2024-04-14") == ("not_started", 0, 0)
    dashboard = client.get(reverse("tracker:plan", args=[task.plan.year]),
                           {"as_of": "2024-05-01"})
    counts = {row.status: row.count for row in dashboard.context["breakdown"]}
    assert counts[Status.ON_TRACK] == 1 and counts[Status.NEEDS_ATTENTION] == 0
    export = client.get(reverse("tracker:task_export_csv", args=[task.plan.year]),
                        {"as_of": "2024-07-04"})
    row = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))[1]
    assert row[14:18] == ["on_track", "20", "100", "2024-04-15T10:00:00+09:00"]


def test_task_list_filters_combine_and_live_in_the_url(
    client, manager, plan, strategy, agency, kista, team, other_agency
):
    second = StrategyFactory(plan=plan, number=2)
    ai = TechnologyFactory(slug="ai")
    today = timezone.localdate()
    a = TaskFactory(plan=plan, strategy=strategy, lead_agency=team, status=Status.DELAYED,
                    progress=30, technologies=[ai], title_ko="특허 분석",
                    end_date=today - datetime.timedelta(days=1),
                    start_date=today - datetime.timedelta(days=100))
    b = TaskFactory(plan=plan, strategy=second, lead_agency=other_agency,
                    supporting_agencies=[kista], status=Status.ON_TRACK, progress=60,
                    last_reported_at=timezone.now(), end_date=today + datetime.timedelta(days=90))
    c = TaskFactory(plan=plan, strategy=second, lead_agency=other_agency,
                    status=Status.COMPLETED, progress=100, budget=1)
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[plan.year])

    def numbers(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.context["filter"].form.errors
        return [t.number for t in response.context["object_list"]]

    assert numbers(status=["delayed", "on_track"]) == [a.number, b.number]
    assert numbers(strategy="2") == [b.number, c.number]
    assert numbers(lead=other_agency.slug) == [b.number, c.number]
    assert numbers(agency=agency.slug) == [a.number, b.number]  # KIPO: team leads, KISTA supports
    assert numbers(technology="ai") == [a.number]
    assert numbers(overdue="yes") == [a.number]
    assert numbers(stale="no") == [b.number, c.number]  # a completed task is never stale
    assert numbers(q="특허 분석") == [a.number]
    assert numbers(q=a.code) == [a.number]
    assert numbers(sort="-progress") == [c.number, b.number, a.number]
    assert numbers(sort="budget") == [c.number, a.number, b.number]
    assert numbers(status="on_track", strategy="2") == [b.number]


def test_task_list_rows_link_to_the_task_and_the_form_keeps_the_chosen_filters(
    client, manager, plan, strategy, agency
):
    ai = TechnologyFactory(slug="ai", name_ko="인공지능")
    task = TaskFactory(plan=plan, strategy=strategy, number=17, code="2024-17",
                       lead_agency=agency, technologies=[ai], status=Status.ON_TRACK,
                       progress=45, budget=25 * 10**8, end_date=datetime.date(2024, 12, 31),
                       last_reported_at=datetime.datetime(2024, 6, 30, 20, tzinfo=datetime.UTC))
    client.force_login(manager)

    response = client.get(reverse("tracker:task_list", args=[plan.year]), {
        "technology": "ai", "strategy": str(strategy.number), "lead": agency.slug,
        "overdue": "yes"})

    body = response.content.decode()
    detail = reverse("tracker:task_detail", args=[plan.year, task.number])
    assert f'<a href="{detail}">2024-17</a>' in body
    assert '<progress max="100" value="45" aria-hidden="true"></progress> 45%' in body
    assert "25억원" in body and "2024. 12. 31." in body
    assert "2024. 7. 1." in body  # reported at 20:00 UTC, the next morning in Seoul
    assert '<span class="flag">' in body  # due 2024-12-31 and not finished
    for value in ("ai", str(strategy.number), agency.slug, "yes"):
        assert f'<option value="{value}" selected>' in body


def test_task_list_pages_by_50_and_keeps_the_filter_in_page_links(client, manager):
    plan = build_plan(120)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_list", args=[plan.year]), {"strategy": "1"})

    assert len(response.context["object_list"]) == 24
    searched = client.get(reverse("tracker:task_list", args=[plan.year]), {"q": "과제"})
    assert len(searched.context["object_list"]) == 50
    assert searched.context["paginator"].num_pages == 3
    assert "?q=%EA%B3%BC%EC%A0%9C&amp;page=2" in searched.content.decode()
    last = client.get(reverse("tracker:task_list", args=[plan.year]), {"q": "과제", "page": 3})
    assert len(last.context["object_list"]) == 20


def test_csv_export_is_utf8_with_a_bom_and_the_list_filter(client, manager):
    plan = build_plan(30)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_export_csv", args=[plan.year]),
                          {"status": "delayed"})

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="kipplan-2024-tasks.csv"' in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == exports.COLUMNS
    expected = Task.objects.filter(plan=plan, status="delayed").order_by("number")
    assert [row[0] for row in rows[1:]] == [task.code for task in expected]
    assert rows[1][4].startswith("과제")


def test_csv_export_cells_match_each_task_with_its_lists_merged_in_order(
    client, manager, plan, strategy
):
    lead, helper_a, helper_b = (AgencyFactory(slug=s) for s in ("lead", "b-helper", "a-helper"))
    first, second = TechnologyFactory(number=1, slug="chips"), TechnologyFactory(
        number=2, slug="batteries")
    # Numbers out of creation order, and a task with no lists between two that have them.
    with_lists = TaskFactory(plan=plan, strategy=strategy, number=9, lead_agency=lead,
                             code="2024-09", budget=123, budget_executed=45, progress=30,
                             last_reported_at=datetime.datetime(
                                 2024, 5, 31, 23, 30, 15, 123456, tzinfo=datetime.UTC))
    with_lists.supporting_agencies.set([helper_a, helper_b])
    with_lists.technologies.set([second, first])
    TaskFactory(plan=plan, strategy=strategy, number=5, lead_agency=lead, last_reported_at=None)
    one_each = TaskFactory(plan=plan, strategy=strategy, number=2, lead_agency=helper_a)
    one_each.supporting_agencies.set([lead])
    one_each.technologies.set([second])
    client.force_login(manager)

    response = client.get(reverse("tracker:task_export_csv", args=[plan.year]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [dict(zip(exports.COLUMNS, row, strict=True))
            for row in csv.reader(io.StringIO(text))][1:]
    assert [row["number"] for row in rows] == ["2", "5", "9"]
    assert [(row["supporting_agencies"], row["technologies"]) for row in rows] == [
        ("lead", "batteries"), ("", ""), ("a-helper;b-helper", "chips;batteries")]
    assert rows[2] == {
        "code": "2024-09", "year": "2024", "number": "9", "strategy": str(strategy.number),
        "title_ko": with_lists.title_ko, "title_en": with_lists.title_en,
        "description_ko": with_lists.description_ko,
        "description_en": with_lists.description_en, "lead_agency": "lead",
        "supporting_agencies": "a-helper;b-helper", "technologies": "chips;batteries",
        "budget": "123", "start_date": "2024-01-01", "end_date": with_lists.end_date.isoformat(),
        "status": with_lists.status, "progress": "30", "budget_executed": "45",
        "last_reported_at": "2024-06-01T08:30:15.123456+09:00", "is_illustrative": "no",
        "key_task": "", "lead_agency_name": with_lists.lead_agency.name_ko, "carried_over": "",
    }
    assert rows[1]["last_reported_at"] == ""


def test_csv_export_of_many_tasks_streams_in_chunks_with_every_row(client, manager):
    plan = build_plan(450)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_export_csv", args=[plan.year]))

    chunks = list(response.streaming_content)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(chunks) == 3  # 451 lines, 200 to a chunk
    assert [row[2] for row in rows[1:]] == [str(n) for n in range(1, 451)]
    expected = {task.number: ";".join(sorted(a.slug for a in task.supporting_agencies.all()))
                for task in Task.objects.filter(plan=plan).prefetch_related(
                    "supporting_agencies")}
    assert {int(row[2]): row[9] for row in rows[1:]} == expected


def test_xlsx_export_opens_in_openpyxl_with_the_same_rows(client, manager):
    plan = build_plan(30)
    client.force_login(manager)

    response = client.get(reverse("tracker:task_export_xlsx", args=[plan.year]))

    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.COLUMNS
    assert len(rows) == 31
    assert rows[1][0] == "2024-01" and rows[1][4] == "과제 1"


def test_task_page_shows_budget_milestones_with_slippage_and_the_timeline(
    client, manager, task, staff
):
    MilestoneFactory(task=task, title_ko="상반기 점검", baseline_date=datetime.date(2024, 7, 31),
                     due_date=datetime.date(2024, 9, 30))
    ProgressUpdateFactory(task=task, reported_by=staff, note="보고 메모")
    client.force_login(manager)

    response = client.get(reverse("tracker:task_detail", args=[task.plan.year, task.number]))

    body = response.content.decode()
    assert "상반기 점검" in body and "2024. 9. 30." in body and ">61<" in body
    assert "보고 메모" in body
    assert "budget-bar" in body


def test_dashboard_figures_add_up_by_status_strategy_agency_and_technology(
    client, manager, plan, strategy, agency, other_agency
):
    second = StrategyFactory(plan=plan, number=2, title_ko="둘째 전략", title_en="Second")
    chips = TechnologyFactory(number=1, slug="chips")
    future = timezone.localdate() + datetime.timedelta(days=30)
    reported = timezone.now()
    common = {"plan": plan, "end_date": future, "last_reported_at": reported}
    TaskFactory(**common, strategy=strategy, lead_agency=agency, status=Status.COMPLETED,
                progress=100, budget=600, budget_executed=600, technologies=[chips])
    TaskFactory(**common, strategy=strategy, lead_agency=agency, status=Status.DELAYED,
                progress=20, budget=300, budget_executed=50, technologies=[chips])
    TaskFactory(**common, strategy=second, lead_agency=other_agency, status=Status.ON_TRACK,
                progress=60, budget=100, budget_executed=10)
    TaskFactory(plan=plan, strategy=second, lead_agency=other_agency, status=Status.DELAYED,
                progress=0, budget=0, budget_executed=0, last_reported_at=None,
                end_date=timezone.localdate() - datetime.timedelta(days=1),
                start_date=timezone.localdate() - datetime.timedelta(days=60))
    client.force_login(manager)

    context = client.get(reverse("tracker:plan", args=[plan.year])).context

    totals = context["totals"]
    assert (totals.tasks, totals.completed, totals.delayed) == (4, 1, 2)
    assert (totals.overdue, totals.stale) == (1, 1)
    assert (totals.budget, totals.executed) == (1000, 660)
    assert totals.progress == 45  # (100 + 20 + 60 + 0) / 4
    assert totals.weighted_progress == 72  # (100·600 + 20·300 + 60·100) / 1000
    counts = {row.status: (row.count, row.percent) for row in context["breakdown"]}
    assert counts[Status.DELAYED] == (2, 50.0) and counts[Status.COMPLETED] == (1, 25.0)
    assert sum(count for count, _ in counts.values()) == 4
    segments = [(row.offset, row.share) for row in context["breakdown"] if row.count]
    assert segments[0][0] == 0 and sum(share for _, share in segments) == 100
    assert all(a + w == b for (a, w), (b, _) in zip(segments, segments[1:], strict=False))
    strategies = [(row.strategy, row.tasks, row.budget, row.progress)
                  for row in context["strategies"]]
    assert strategies == [(strategy, 2, 900, 60), (second, 2, 100, 30)]
    agencies = [(row.agency, row.tasks, row.overdue, row.executed)
                for row in context["agencies"]]
    assert agencies == [(agency, 2, 0, 650), (other_agency, 2, 1, 10)]
    [technology] = context["technologies"]
    assert (technology.technology, technology.tasks, technology.budget) == (
        chips, 2, 900)
    english = client.get(reverse("tracker:plan", args=[plan.year]), HTTP_ACCEPT_LANGUAGE="en")
    assert '?strategy=2">2. Second</a>' in english.content.decode()


def test_demo_dashboard_in_korean(client, demo):
    client.login(username="manager", password="kipplan-demo")

    response = client.get(reverse("tracker:plan", args=[2024]), HTTP_ACCEPT_LANGUAGE="ko")

    body = response.content.decode()
    assert response.context["totals"].tasks == 75
    assert "9,341억원" in body
    assert "시연용 데이터" in body
    assert "한국은행" in body  # outcome indicators with their source


def test_demo_dashboard_in_english(client, demo):
    client.login(username="manager", password="kipplan-demo")

    response = client.get(reverse("tracker:plan", args=[2024]), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert "934.1 billion won" in body
    assert "US$698.6 million" in body
    assert "Bank of Korea" in body
    assert "IMD IP-protection rank" in body
    assert response.context["totals"].budget == 934_100_000_000
    agencies = {row.agency.slug: row for row in response.context["agencies"]}
    assert sum(row.tasks for row in agencies.values()) == 75
    assert len(response.context["technologies"]) == 12


def test_demo_dashboard_shows_review_disagreements(client, demo):
    client.login(username="manager", password="kipplan-demo")

    response = client.get(reverse("tracker:plan", args=[2024]))

    codes = {task.code for task in response.context["disagreements"]}
    assert codes
    for task in response.context["disagreements"]:
        assert task.review_differs(task.review_light)


def test_agency_pages_show_what_each_agency_leads_and_supports(client, demo):
    client.login(username="manager", password="kipplan-demo")

    listing = client.get(reverse("tracker:agency_list"), {"year": 2024})
    kista = client.get(reverse("tracker:agency_detail", args=["kista"]), {"year": 2024})

    by_slug = {card.agency.slug: card for card in listing.context["cards"]}
    assert by_slug["kista"].led == Task.objects.filter(
        plan__year=2024, lead_agency__slug="kista").count()
    assert by_slug["kipo"].supported == Agency.objects.get(
        slug="kipo").supported_tasks.filter(plan__year=2024).count()
    assert "국가전략기술특허지원단" in kista.content.decode()
    assert kista.context["led_summary"].tasks == by_slug["kista"].led


def test_the_chosen_agencies_stay_selected_in_the_filter_form(client, manager, task, kista):
    client.force_login(manager)

    response = client.get(reverse("tracker:task_list", args=[task.plan.year]),
                          {"lead": task.lead_agency.slug, "agency": kista.slug})

    body = response.content.decode()
    assert f'<option value="{task.lead_agency.slug}" selected>' in body
    assert f'<option value="{kista.slug}" selected>' in body
    # Each is selected once: in its own select, not in the other, which offers it too.
    assert body.count(f'value="{kista.slug}" selected>') == 1
    assert body.count(f'value="{kista.slug}">') == 1


def test_a_year_written_in_other_digits_is_not_found(client, manager, plan):
    client.force_login(manager)

    assert client.get(reverse("tracker:dashboard"), {"year": "²⁰²⁴"}).status_code == 404
    assert client.get(reverse("tracker:dashboard"), {"year": "２０２４"}).status_code == 404
