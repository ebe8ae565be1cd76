"""Importing a plan from a spreadsheet: the command, the admin page, and every bad file."""

import csv
import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from tracker.loading import imports
from tracker.loading.imports import PlanImportError, import_plan
from tracker.models import BudgetAdvice, EvaluationRound, Opinion, Plan, Task
from tracker.progress import exports

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages in English (test_i18n covers Korean)."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin(client, demo):
    """The demo's superuser, logged in."""
    assert client.login(username="admin", password="kipplan-demo")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # a request leaves its language on
    return client


def export(client, year, fmt="csv"):
    response = client.get(reverse(f"tracker:task_export_{fmt}", args=[year]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def rows_of(csv_bytes):
    return list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))


def as_csv(rows, columns=exports.COLUMNS):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def problems_of(name, data, year=2026, **options):
    with pytest.raises(PlanImportError) as caught:
        import_plan(name, data, year, **options)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


# The round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_exported_plan_imported_into_an_empty_year_is_the_same_plan(admin, fmt,
                                                                        tmp_path):
    exported = export(admin, 2024)
    path = tmp_path / f"plan.{fmt}"
    path.write_bytes(exported if fmt == "csv" else export(admin, 2024, "xlsx"))

    call_command("import_plan", str(path), "--year", "2026", "--total", "934100000000",
                 stdout=io.StringIO())

    before, after = rows_of(exported), rows_of(export(admin, 2026))
    assert len(after) == 75
    # The export's read-only columns describe the plan's context (its year's agency names,
    # its carry-overs), which an import into another year does not bring.
    made_again = {"code", "year", *exports.READ_ONLY_COLUMNS}
    for old, new in zip(before, after, strict=True):
        assert new["code"] == old["code"].replace("2024-", "2026-")
        assert new["year"] == "2026"
        assert {k: v for k, v in new.items() if k not in made_again} == {
            k: v for k, v in old.items() if k not in made_again}
    plan = Plan.objects.get(year=2026)
    assert plan.total_budget == 934_100_000_000
    assert list(plan.strategies.values_list("number", "title_ko")) == list(
        Plan.objects.get(year=2024).strategies.values_list("number", "title_ko"))


def empty_the_evaluation(year):
    """The Council's record of a year, which protects its tasks: opinions, advice, the round."""
    Opinion.objects.filter(plan__year=year).delete()
    BudgetAdvice.objects.filter(round__plan__year=year).delete()
    EvaluationRound.objects.filter(plan__year=year).delete()


def test_the_exported_plan_imported_back_into_its_emptied_year_is_byte_for_byte_the_same(
    admin
):
    exported = export(admin, 2024)
    chains = [row["carried_over"] for row in rows_of(exported)]
    # The year's evaluation first (what followed it, then its grades keep the Council's record of
    # the tasks), then the tasks, and with them their links to 2025.
    empty_the_evaluation(2024)
    Task.objects.filter(plan__year=2024).delete()

    result = import_plan("plan.csv", exported, 2024)

    assert (result.tasks, result.created_plan) == (75, False)
    assert any(chains) and not any(row["carried_over"] for row in rows_of(export(admin, 2024)))
    without_links = exported.decode("utf-8-sig").replace(" → ", "")
    for chain in sorted(set(chains), key=len, reverse=True):
        if chain:
            without_links = without_links.replace(chain.replace(" → ", ""), "")
    assert export(admin, 2024).decode("utf-8-sig") == without_links


def test_a_plan_written_by_hand_needs_only_the_required_columns(demo):
    data = ("number,strategy,title_ko,lead_agency,budget,start_date,end_date,technologies\n"
            "1,2,직접 쓴 과제,지식재산처,1000000,2026-01-01,2026-12-31,반도체·디스플레이;5\n")

    import_plan("plan.csv", data.encode(), 2026)

    task = Task.objects.get(plan__year=2026)
    assert (task.code, task.lead_agency.slug, task.status, task.progress) == (
        "2026-01", "kipo", "not_started", 0)
    assert task.strategy.plan.year == 2026
    assert sorted(task.technologies.values_list("number", flat=True)) == [1, 5]


# Bad rows: every problem at once, nothing stored ---------------------------------------------


BAD_ROWS = [
    # (column, bad value, words of the message)
    ("lead_agency", "no-such-agency", "no-such-agency"),
    ("supporting_agencies", "kipo;ghost-agency", "ghost-agency"),
    ("technologies", "quantum;warp-drive", "warp-drive"),
    ("strategy", "9", "strategy 9"),
    ("start_date", "2024-02-30", "date"),
    ("end_date", "31/12/2024", "date"),
    ("budget", "-5", "0"),
    ("budget", "a lot", "number"),
    ("number", "0", "1"),
    ("status", "finished-ish", "finished-ish"),
    ("progress", "150", "100"),
    ("last_reported_at", "yesterday", "2024-12-31T17:30:00+09:00"),
    ("is_illustrative", "maybe", "yes or no"),
    ("title_ko", "", "required"),
    ("end_date", "9999-12-31", "between 2000-01-01 and 2100-12-31"),
    ("last_reported_at", "0001-01-01T00:00:00+09:00", "between 2000-01-01 and 2100-12-31"),
    ("last_reported_at", "9999-12-31T23:59:59-12:00", "between 2000-01-01 and 2100-12-31"),
    ("last_reported_at", "2099-01-01T09:00:00+09:00", "in the future"),
]


def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_stored(
    admin
):
    rows = rows_of(export(admin, 2024))
    for n, (column, value, _) in enumerate(BAD_ROWS):
        rows[n][column] = value
    rows[20]["number"] = rows[21]["number"]  # a duplicate number
    rows[22]["start_date"], rows[22]["end_date"] = "2024-12-01", "2024-01-01"  # ends first
    rows[23]["status"], rows[23]["progress"] = "completed", "50"  # done at half
    tasks = Task.objects.count()

    problems = problems_of("plan.csv", as_csv(rows))

    for n, (column, value, words) in enumerate(BAD_ROWS):
        found = [message for row, col, message in problems if (row, col) == (n + 2, column)]
        assert found, (column, value, problems)
        assert words.lower() in found[0].lower(), (column, found)
    assert (23, "number", "Task 22 is also in row 22.") in problems
    assert any(row == 24 and column == "end_date" for row, column, _ in problems)
    assert any(row == 25 and column == "progress" for row, column, _ in problems)
    assert len(problems) == len(BAD_ROWS) + 3
    assert Task.objects.count() == tasks
    assert not Plan.objects.filter(year=2026).exists()


def test_a_repeated_number_is_reported_even_in_a_row_with_other_problems(demo):
    data = ("number,strategy,title_ko,lead_agency,budget,start_date,end_date\n"
            "1,1,첫 과제,kipo,100,2026-01-01,2026-12-31\n"
            "1,1,,ghost,100,2026-01-01,2026-12-31\n")

    problems = problems_of("plan.csv", data.encode())

    assert [(row, column) for row, column, _ in problems] == [
        (3, "number"), (3, "title_ko"), (3, "lead_agency")]
    assert problems[0][2] == "Task 1 is also in row 2."
    assert not Plan.objects.filter(year=2026).exists()


@pytest.mark.parametrize("year", [2024, 2026], ids=["existing plan", "new plan"])
def test_an_import_overtaken_by_another_stores_nothing_and_says_so(admin, monkeypatch, year):
    """Two imports of one file into one year at once: the second's checks pass before the
    first writes, and its own writing then finds the plan or the numbers taken."""
    exported = export(admin, 2024)
    empty_the_evaluation(2024)
    Task.objects.filter(plan__year=2024).delete()
    checked = imports.check_rows

    def check_while_the_other_import_finishes(*args, **kwargs):
        drafts = checked(*args, **kwargs)
        monkeypatch.setattr(imports, "check_rows", checked)
        import_plan("plan.csv", exported, year)  # the other import, at the same moment
        return drafts

    monkeypatch.setattr(imports, "check_rows", check_while_the_other_import_finishes)

    problems = problems_of("plan.csv", exported, year=year)

    assert len(problems) == 1 and "import the file again" in problems[0][2], problems
    assert Task.objects.filter(plan__year=year).count() == 75
    assert Plan.objects.filter(year=year).count() == 1


def test_numbers_already_in_the_plan_are_refused(admin):
    exported = export(admin, 2024)

    problems = problems_of("plan.csv", exported, year=2024)

    assert len(problems) == 75
    assert problems[0] == (2, "number", "Task 1 already exists in the 2024 plan.")


def test_budgets_must_add_up_to_the_total_given(admin):
    exported = export(admin, 2024)

    problems = problems_of("plan.csv", exported, total=934_100_000_001)

    assert problems == [(None, "budget", "The budgets add up to 934,100,000,000 won, not to "
                                         "the total of 934,100,000,001 won.")]
    assert not Plan.objects.filter(year=2026).exists()


def broken_xlsx():
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["number", "strategy"])
    workbook.save(buffer)
    return buffer.getvalue()[:200]  # cut off mid-file


def zip_of(name, content):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


HEADER = ",".join(exports.COLUMNS).encode()


@pytest.mark.parametrize(("name", "data", "words"), [
    ("plan.pdf", b"%PDF-1.7", ".pdf"),
    ("plan", b"number", "not"),
    ("plan.xlsx", b"this is not a workbook", "XLSX"),
    ("plan.xlsx", broken_xlsx(), "XLSX"),
    ("plan.xlsx", zip_of("[Content_Types].xml", b"<not xml"), "XLSX"),
    ("plan.xlsx", zip_of("word/document.xml", b"<w:document/>"), "XLSX"),
    ("plan.csv", b"", "empty"),
    ("plan.csv", b"\n\n,,,\n", "empty"),
    ("plan.csv", HEADER + b"\n", "no tasks"),
    ("plan.csv", HEADER + b"\n" + b"1\n" * 20_001, "at most 20000 tasks"),
    ("plan.csv", "과제,예산\n1,2\n".encode("cp949"), "UTF-8"),
    ("plan.csv", b"\x00\x01\x02binary", "CSV"),
    ("plan.csv", b"number,title_ko\n1,x\n", "missing: strategy, lead_agency, budget"),
    ("plan.csv", HEADER + b",colour\n", "colour"),
    ("plan.csv", HEADER + b",budget\n", "twice: budget"),
])
def test_a_bad_file_is_reported_and_nothing_is_stored(demo, name, data, words):
    problems = problems_of(name, data)

    assert any(words in message for _, _, message in problems), problems
    assert not Plan.objects.filter(year=2026).exists()


def test_a_year_with_no_plan_and_none_before_it_is_refused(db):
    data = b"number,strategy,title_ko,lead_agency,budget,start_date,end_date\n"

    problems = problems_of("plan.csv", data + b"1,1,x,kipo,1,2026-01-01,2026-12-31\n")

    assert "no earlier plan" in problems[0][2]


# The command ---------------------------------------------------------------------------------


def test_dry_run_checks_and_stores_nothing(admin, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(export(admin, 2024))
    out = io.StringIO()

    call_command("import_plan", str(path), "--year", "2026", "--dry-run", stdout=out)

    assert "75 tasks would be imported into the 2026 plan" in out.getvalue()
    assert not Plan.objects.filter(year=2026).exists()


def test_the_command_lists_every_problem_and_fails(admin, tmp_path):
    rows = rows_of(export(admin, 2024))
    rows[0]["lead_agency"], rows[4]["budget"] = "nobody", "-1"
    path = tmp_path / "plan.csv"
    path.write_bytes(as_csv(rows))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_plan", str(path), "--year", "2026", stderr=err)

    assert "row 2, column lead_agency" in err.getvalue()
    assert "row 6, column budget" in err.getvalue()


@pytest.mark.parametrize(("name", "year", "message"), [
    ("no-such-file.csv", "2026", "Cannot read"),
    ("plan.csv", "1800", "Give a year between 2000 and 2100"),
    ("plan.csv", "99999", "Give a year between 2000 and 2100"),
])
def test_the_command_refuses_a_missing_file_or_a_wild_year(demo, tmp_path, name, year, message):
    (tmp_path / "plan.csv").write_bytes(b"number,strategy\n")
    err = io.StringIO()
    plans = list(Plan.objects.values_list("year", flat=True))

    with pytest.raises(CommandError) as refused:
        call_command("import_plan", str(tmp_path / name), "--year", year, stderr=err)

    assert message in f"{refused.value}\n{err.getvalue()}"
    assert list(Plan.objects.values_list("year", flat=True)) == plans


def upload(client, data, name="plan.csv", **fields):
    return client.post(reverse("admin:tracker_plan_import"), {
        "year": 2026, "file": SimpleUploadedFile(name, data), **fields})


def test_an_administrator_imports_a_plan_from_the_admin(admin):
    changelist = admin.get(reverse("admin:tracker_task_changelist")).content.decode()
    assert reverse("admin:tracker_plan_import") in changelist

    response = upload(admin, export(admin, 2024, "xlsx"), name="plan.xlsx")

    plan = Plan.objects.get(year=2026)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?plan__id__exact={plan.pk}")
    assert plan.tasks.count() == 75


def test_the_admin_page_lists_the_problems_and_stores_nothing(admin):
    rows = rows_of(export(admin, 2024))
    rows[2]["technologies"] = "warp-drive"

    response = upload(admin, as_csv(rows))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>4</td><td>technologies</td>" in body
    assert "warp-drive" in body
    assert not Plan.objects.filter(year=2026).exists()


def test_the_admin_page_checks_only_when_asked(admin):
    response = upload(admin, export(admin, 2024), dry_run="on")

    assert response.status_code == 200
    assert "75 tasks would be imported into the 2026 plan" in response.content.decode()
    assert not Plan.objects.filter(year=2026).exists()


@pytest.mark.parametrize("fields", [{"year": "twenty"}, {"year": "99999"}, {"total": "-1"}])
def test_the_admin_page_refuses_bad_fields(admin, fields):
    response = upload(admin, b"number\n", **fields)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Plan.objects.filter(year=2026).exists()


@pytest.mark.parametrize("username", ["manager", "kipo"])
def test_only_plan_administrators_may_import(client, demo, username):
    client.login(username=username, password="kipplan-demo")

    assert client.get(reverse("admin:tracker_plan_import")).status_code == 403
    assert upload(client, b"number\n").status_code == 403
    changelist = client.get(reverse("admin:tracker_task_changelist")).content.decode()
    assert reverse("admin:tracker_plan_import") not in changelist
