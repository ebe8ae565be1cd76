"""Performance indicators (성과지표) imported with the plan: the performance_indicators column."""

import csv
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from tests.factories import round_at
from tracker.loading.imports import MAX_INDICATORS, PlanImportError, import_plan
from tracker.models import PerformanceIndicator, Plan, RoundState, Task

pytestmark = pytest.mark.django_db

COLUMNS = ["number", "strategy", "title_ko", "lead_agency", "budget", "start_date", "end_date",
           "performance_indicators"]


@pytest.fixture(autouse=True)
def english():
    """Messages in English (test_i18n covers Korean)."""
    with translation.override("en"):
        yield


@pytest.fixture
def earlier_plan(strategy, agency):
    """The 2024 plan, with strategy 1 and KIPO, for an import into a new 2025 plan."""
    return strategy.plan


def row(number, indicators="", **cells):
    return {"number": number, "strategy": 1, "title_ko": f"과제 {number}", "lead_agency": "kipo",
            "budget": 1_000_000, "start_date": "2025-01-01", "end_date": "2025-12-31",
            "performance_indicators": indicators, **cells}


def as_csv(rows, columns=COLUMNS):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(rows, columns=COLUMNS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for cells in rows:
        sheet.append([cells.get(column) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILES = {"csv": as_csv, "xlsx": as_xlsx}


def indicators_of(number, year=2025):
    return list(PerformanceIndicator.objects.filter(task__plan__year=year, task__number=number)
                .order_by("number")
                .values_list("number", "name_ko", "name_en", "unit", "target"))


def problems_of(name, data, year=2025, **options):
    with pytest.raises(PlanImportError) as caught:
        import_plan(name, data, year, **options)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def nothing_stored():
    return (not Plan.objects.filter(year=2025).exists() and not Task.objects.exists()
            and not PerformanceIndicator.objects.exists())


# Good files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_task_gets_the_indicators_of_its_cell_numbered_in_order(earlier_plan, fmt):
    rows = [
        row(1, "특허분석 보고서 | 건 | 12; 상담 기업 | 개사 | 1,300 | Companies advised"),
        row(2, "교육 이수자|명|2500.5\n만족도 | 점 | 0\n"),  # lines, no spaces, a trailing break
        row(3),  # none
    ]

    result = import_plan(f"plan.{fmt}", FILES[fmt](rows), 2025)

    assert (result.tasks, result.created_plan) == (3, True)
    assert indicators_of(1) == [
        (1, "특허분석 보고서", "", "건", Decimal("12")),
        (2, "상담 기업", "Companies advised", "개사", Decimal("1300")),
    ]
    assert indicators_of(2) == [(1, "교육 이수자", "", "명", Decimal("2500.5")),
                                (2, "만족도", "", "점", Decimal("0"))]
    assert indicators_of(3) == []
    assert PerformanceIndicator.objects.filter(actual__isnull=False).count() == 0


def test_a_file_without_the_column_imports_without_indicators(earlier_plan):
    data = as_csv([row(1, "ignored | 건 | 1")], columns=COLUMNS[:-1])

    import_plan("plan.csv", data, 2025)

    assert Task.objects.filter(plan__year=2025).count() == 1
    assert not PerformanceIndicator.objects.exists()


def test_indicators_go_into_an_existing_plan_whose_round_is_being_prepared(earlier_plan):
    round_at(RoundState.PREPARING, earlier_plan)

    import_plan("plan.csv", as_csv([row(7, "특허 | 건 | 3", start_date="2024-01-01",
                                         end_date="2024-12-31")]), 2024)

    assert indicators_of(7, year=2024) == [(1, "특허", "", "건", Decimal("3"))]


# Bad cells: a problem with its row and column, nothing stored -------------------------------


BAD_CELLS = [
    # (cell, words of the message)
    ("특허분석 보고서 | 12", "write it as name | unit | target"),
    ("특허분석 보고서", "write it as name | unit | target"),
    ("a | b | 1 | d | e", "write it as name | unit | target"),
    (" | 건 | 12", "the name is missing"),
    ("특허분석 보고서 |  | 12", "the unit is missing"),
    ("특허분석 보고서 | 건 |", "the target is missing"),
    ("특허분석 보고서 | 건 | -3", "the target “-3” is not a number of 0 or more"),
    ("특허분석 보고서 | 건 | 열두", "the target “열두” is not a number of 0 or more"),
    ("특허분석 보고서 | 건 | 95%", "the target “95%” is not a number of 0 or more"),
    ("특허분석 보고서 | 건 | 1,00", "the target “1,00” is not a number of 0 or more"),
    ("특허분석 보고서 | 건 | 1.125", "no more than 2 decimal places"),
    ("특허분석 보고서 | 건 | 1000000000000", "no more than 12 digits"),
    ("특허분석 보고서 | " + "개" * 31 + " | 1", "unit: Ensure this value has at most 30"),
    ("지" * 201 + " | 건 | 1", "name (Korean): Ensure this value has at most 200"),
    ("좋음 | 건 | 1; 나쁨 | 건 | -1", "Indicator 2 (“나쁨 | 건 | -1”)"),
    ("; ".join(["지표 | 건 | 1"] * (MAX_INDICATORS + 1)),
     f"at most {MAX_INDICATORS} performance indicators"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("cell", "words"), BAD_CELLS,
                         ids=[words[:40] for _, words in BAD_CELLS])
def test_a_bad_cell_is_a_problem_of_its_row_and_column_and_nothing_is_stored(
    earlier_plan, fmt, cell, words
):
    rows = [row(1, "좋은 지표 | 건 | 1"), row(2, cell), row(3, "다른 지표 | 건 | 2")]

    problems = problems_of(f"plan.{fmt}", FILES[fmt](rows))

    [(number, column, message)] = problems
    assert (number, column) == (3, "performance_indicators")
    assert words in message, message
    assert nothing_stored()


def test_every_bad_indicator_of_every_row_is_reported_at_once(earlier_plan):
    rows = [row(1, "a | 건 | x; b |  | 1"), row(2, "좋음 | 건 | 1"), row(3, "c | 12")]

    problems = problems_of("plan.csv", as_csv(rows))

    assert [(number, column) for number, column, _message in problems] == [
        (2, "performance_indicators"), (4, "performance_indicators")]
    first = problems[0][2]
    assert "Indicator 1 (“a | 건 | x”): the target “x”" in first
    assert "Indicator 2 (“b |  | 1”): the unit is missing." in first
    assert "Indicator 1 (“c | 12”)" in problems[1][2]
    assert nothing_stored()


@pytest.mark.parametrize("state", [RoundState.SUBMISSION, RoundState.EVALUATION])
def test_a_plan_whose_round_has_started_takes_no_indicators(earlier_plan, state):
    round_at(state, earlier_plan)
    rows = [row(7, "특허 | 건 | 3", start_date="2024-01-01", end_date="2024-12-31"),
            row(8, start_date="2024-01-01", end_date="2024-12-31")]

    problems = problems_of("plan.csv", as_csv(rows), year=2024)

    assert [(number, column) for number, column, _message in problems] == [
        (2, "performance_indicators")]
    assert "evaluation round has started" in problems[0][2]
    assert not Task.objects.exists() and not PerformanceIndicator.objects.exists()


# Dry runs and the pages that report ----------------------------------------------------------


def test_a_dry_run_checks_the_indicators_and_stores_nothing(earlier_plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(as_xlsx([row(1, "특허 | 건 | 3; 상담 | 개사 | 10"), row(2, "교육 | 명 | 5")]))
    out = io.StringIO()

    result = import_plan("plan.xlsx", path.read_bytes(), 2025, dry_run=True)
    call_command("import_plan", str(path), "--year", "2025", "--dry-run", stdout=out)

    assert result.dry_run and result.tasks == 2
    assert "2 tasks would be imported into the 2025 plan" in out.getvalue()
    assert nothing_stored()


def test_a_dry_run_reports_bad_indicators(earlier_plan, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(as_csv([row(1, "특허 | 건 | lots")]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_plan", str(path), "--year", "2025", "--dry-run", stderr=err)

    assert "row 2, column performance_indicators: Indicator 1" in err.getvalue()
    assert nothing_stored()


def test_the_admin_import_page_lists_indicator_problems_and_stores_nothing(
    client, superuser, earlier_plan
):
    client.force_login(superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = as_csv([row(1, "특허 | 건 | 3"), row(2, "특허 | 건")])

    response = client.post(reverse("admin:tracker_plan_import"), {
        "year": 2025, "file": SimpleUploadedFile("plan.csv", data)})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>3</td><td>performance_indicators</td>" in body
    assert "write it as name | unit | target" in body
    assert nothing_stored()


def test_the_admin_import_page_stores_the_indicators(client, superuser, earlier_plan):
    client.force_login(superuser)
    data = as_xlsx([row(1, "특허 | 건 | 3; 상담 | 개사 | 10")])

    response = client.post(reverse("admin:tracker_plan_import"), {
        "year": 2025, "file": SimpleUploadedFile("plan.xlsx", data)})

    assert response.status_code == 302
    assert [name for _n, name, *_rest in indicators_of(1)] == ["특허", "상담"]
