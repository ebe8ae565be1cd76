"""The plan as open data: each year's data sets as UTF-8 CSV and JSON with their dictionary and
licence, only what the published pages show, results and grades once the evaluation is
published."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MilestoneFactory, build_plan, evaluator, round_at
from tests.helpers import internal_texts
from tracker.models import Grade, GradeLevel, Result, ResultState, RoundState, Task
from tracker.publishing import open_data

pytestmark = pytest.mark.django_db


def body(response):
    assert response.status_code == 200, response
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(client, year, data_set):
    raw = body(client.get(reverse("tracker:open_data_csv", args=[year, data_set])))
    assert raw.startswith("\ufeff".encode())  # UTF-8, with the mark that lets Excel read Korean
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def json_of(client, year, data_set):
    return json.loads(body(client.get(reverse("tracker:open_data_json", args=[year, data_set]))))


@pytest.fixture
def public(settings):
    settings.KIPPLAN_PUBLIC_PAGES = True


def test_every_data_set_has_its_dictionary_and_the_files_follow_it(client, public, task):
    MilestoneFactory(task=task)

    for slug, data_set in open_data.DATA_SETS.items():
        if data_set.needs_published_results:
            continue
        names = [column.name for column in data_set.fields]
        rows = csv_rows(client, 2024, slug)
        data = json_of(client, 2024, slug)
        assert rows[0] == names
        assert [column["name"] for column in data["fields"]] == names
        assert all(column["name_ko"] and column["name_en"] and column["type"]
                   for column in data["fields"])
        assert len(rows) - 1 == len(data["records"]) >= 1
        assert all(list(record) == names for record in data["records"])


def test_tasks_are_named_by_their_codes_and_agencies_by_their_slugs(client, public, task, kista):
    task.supporting_agencies.add(kista)

    record = json_of(client, 2024, "tasks")["records"][0]

    assert (record["code"], record["lead_agency"], record["supporting_agencies"]) == (
        "2024-17", "kipo", "kista")
    assert record["status"] in open_data.TASKS.fields[14].allowed


def test_the_licence_is_the_settings_choice(client, public, settings, task):
    settings.KIPPLAN_OPEN_DATA_LICENCE = "kogl-3"

    data = json_of(client, 2024, "tasks")
    page = client.get(reverse("tracker:open_data")).content.decode()

    assert data["licence"]["name_ko"] == "공공누리 제3유형: 출처표시, 변경금지"
    assert "공공누리 제3유형" in page


def test_results_and_grades_are_open_data_once_the_evaluation_is_published(
        client, public, plan, task):
    round_ = round_at(RoundState.APPROVED, plan)
    Result.objects.create(task=task, state=ResultState.SUBMITTED, summary_public="공개 요약",
                          achievements="내부 성과 서술", submitted_at=timezone.now())
    Grade.objects.create(round=round_, task=task, grade=GradeLevel.EXCELLENT)
    url = reverse("tracker:open_data_json", args=[2024, "results"])

    before = client.get(url)
    round_.state = RoundState.PUBLISHED
    round_.save()
    after = json_of(client, 2024, "results")

    assert before.status_code == 404
    assert after["records"] == [{"unit": "task", "task_code": "2024-17", "agency": "kipo",
                                 "summary": "공개 요약", "grade": "excellent"}]
    assert "내부 성과 서술" not in json.dumps(after, ensure_ascii=False)


def test_a_draft_is_not_open_data_and_a_graded_institution_is(client, public, plan, task,
                                                               other_agency):
    round_ = round_at(RoundState.PUBLISHED, plan)
    Result.objects.create(task=task, state=ResultState.DRAFT, summary_public="초안 요약")
    Grade.objects.create(round=round_, agency=other_agency, grade=GradeLevel.OUTSTANDING)

    records = json_of(client, 2024, "results")["records"]

    assert records == [{"unit": "institution", "task_code": "", "agency": "mcst",
                        "summary": "", "grade": "outstanding"}]


def test_no_file_holds_what_the_published_pages_keep_internal(client, public, demo):
    secrets = internal_texts()
    texts = []
    for plan_year in (2024, 2025):
        for slug in open_data.DATA_SETS:
            for view in ("tracker:open_data_csv", "tracker:open_data_json"):
                response = client.get(reverse(view, args=[plan_year, slug]))
                if response.status_code == 200:
                    texts.append(body(response).decode("utf-8-sig"))
    assert len(texts) >= 14
    for kind in ("report notes", "contribution notes", "milestone reasons", "review comments"):
        assert not [text for text in secrets[kind] for file in texts if text in file], kind


def test_a_cell_a_spreadsheet_would_run_is_written_inert(client, public, task):
    Task.objects.filter(pk=task.pk).update(title_ko='=HYPERLINK("http://evil.example")')

    rows = csv_rows(client, 2024, "tasks")

    assert rows[1][5] == "'=HYPERLINK(\"http://evil.example\")"


def test_visitors_are_sent_to_log_in_while_the_pages_are_not_published(client, task):
    for url in (reverse("tracker:open_data"),
                reverse("tracker:open_data_csv", args=[2024, "tasks"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_evaluators_are_refused_while_the_pages_are_not_published(client, task):
    client.force_login(evaluator())

    assert client.get(reverse("tracker:open_data")).status_code == 403


def test_before_the_pages_are_published_staff_are_refused_and_managers_check_the_files(
        client, task, staff, manager):
    client.force_login(staff)
    refused = [client.get(reverse("tracker:open_data")),
               client.get(reverse("tracker:open_data_csv", args=[2024, "tasks"]))]
    staff_page = client.get(reverse("tracker:task_list", args=[2024])).content.decode()
    client.force_login(manager)

    assert [response.status_code for response in refused] == [403, 403]
    assert reverse("tracker:open_data") not in staff_page  # no link to it either
    assert json_of(client, 2024, "tasks")["records"][0]["code"] == "2024-17"


@pytest.mark.parametrize("url", ["/open-data/1999/tasks.csv", "/open-data/2024/nothing.json",
                                 "/open-data/99999/tasks.json"])
def test_a_year_or_data_set_that_does_not_exist_is_a_404(client, public, task, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("slug", ["tasks", "milestones", "budgets"])
def test_queries_do_not_grow_with_the_plan(client, public, slug):
    build_plan(10, year=2024)
    build_plan(100, year=2025)

    def queries(year):
        with CaptureQueriesContext(connection) as captured:
            body(client.get(reverse("tracker:open_data_json", args=[year, slug])))
        return len(captured)

    assert queries(2024) == queries(2025) <= 10


def test_the_page_lists_each_year_with_its_files_and_the_dictionary(client, public, task):
    page = client.get(reverse("tracker:open_data")).content.decode()

    assert reverse("tracker:open_data_csv", args=[2024, "tasks"]) in page
    assert reverse("tracker:open_data_json", args=[2024, "milestones"]) in page
    assert reverse("tracker:open_data_json", args=[2024, "results"]) not in page
    assert "lead_agency_name_ko" in page and "주관기관 식별자" in page


def test_a_plan_of_headline_figures_alone_offers_no_files(client, public, task):
    from tests.factories import PlanFactory

    PlanFactory(year=2022, announced_task_count=70)

    page = client.get(reverse("tracker:open_data")).content.decode()

    assert reverse("tracker:open_data_csv", args=[2024, "tasks"]) in page
    assert reverse("tracker:open_data_csv", args=[2022, "tasks"]) not in page
