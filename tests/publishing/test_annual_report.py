"""
The annual report (연차보고서): its content from the database, the HWPX read back with
python-hwpx, the PDF read back with Poppler (pdftotext, pdffonts, pdftoppm), the services'
rules, and the page's access and downloads. Tests that need WeasyPrint's Pango, the Korean font
or Poppler skip, saying why, where they are missing (and fail on CI, which installs them).
"""

import datetime
import io
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import build_plan, evaluator
from tests.helpers import need, reportable
from tracker.models import (
    AnnualReport,
    GradeLevel,
    Plan,
    RoundState,
    Status,
)
from tracker.publishing import services as annual_report
from tracker.publishing.content import report_content
from tracker.publishing.hwpx import build_hwpx
from tracker.publishing.pdf import build_pdf, pdf_unavailable

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
LEVELS = list(GradeLevel)


def poppler(tool):
    if shutil.which(tool):
        return None
    return f"{tool} is not installed (Debian: apt install poppler-utils)"


def needs_pdf(*tools):
    need(pdf_unavailable(), *(poppler(tool) for tool in tools))


def pdf_text(data, tmp_path, name="report.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout




@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def no_report_files():
    """The test run's private storage lasts the run: each test starts without report files."""
    location = Path(storages["evidence"].location) / "annual-reports"
    shutil.rmtree(location, ignore_errors=True)


@pytest.fixture
def plan_2024(db):
    return reportable()


def report_files():
    """The names of the annual reports' files in the private storage."""
    storage = storages["evidence"]
    try:
        years = storage.listdir("annual-reports")[0]
    except FileNotFoundError:
        return []
    return [name for year in years for name in storage.listdir(f"annual-reports/{year}")[1]]


# -- Content ------------------------------------------------------------------------------------

def test_content_sums_the_plan_by_strategy_and_says_the_grades(plan_2024):
    with translation.override("en"):
        report = report_content(plan_2024)
        outstanding = str(GradeLevel.OUTSTANDING.label)
    assert report.glance.task_count == 20
    assert sum(strategy.line.tasks for strategy in report.glance.strategies) == 20
    assert report.glance.total_budget == "1,000 billion won"
    assert sorted(task.code for task in report.tasks) == [f"2024-{n:02d}" for n in range(1, 21)]
    first = next(task for task in report.tasks if task.code == "2024-01")
    assert first.summary == "성과 요약 1"
    assert first.grade == outstanding
    assert first.indicators[0].rate == "80.0%"
    last = next(task for task in report.tasks if task.code == "2024-20")
    assert last.summary == "No results were submitted."
    assert report.evaluation.rows[-1].counts == [5 + 2, 5, 5, 5]  # projects and institutions
    assert [unit.code for unit in report.evaluation.outstanding][:5] == [
        "2024-01", "2024-05", "2024-09", "2024-13", "2024-17"]
    assert report.evaluation.best_metropolitan == ["Incheon Metropolitan City"]


def test_content_counts_opinions_and_how_far_they_were_acted_on(plan_2024):
    opinions = report_content(plan_2024).opinions
    assert (opinions.issued, opinions.on_tasks, opinions.on_agencies, opinions.answered,
            opinions.open) == (2, 1, 1, 1, 2)
    assert (opinions.actions, opinions.implemented, opinions.not_checked) == (2, 1, 1)
    assert opinions.implemented_rate == "50.0%"


def test_content_gives_outcome_indicators_with_their_sources(plan_2024):
    with translation.override("ko"):
        outcome = report_content(plan_2024).outcomes[0]
    assert outcome.name == "지식재산권 무역수지"
    assert "흑자 전환" in outcome.target and "2026" in outcome.target
    assert outcome.values[0].source == "한국은행 지식재산권 무역수지(잠정)"
    assert outcome.source == "제3차 국가지식재산 기본계획"


def test_content_takes_the_same_queries_at_75_and_750_tasks(db):
    counts = []
    for tasks, year in ((75, 2023), (750, 2024)):
        plan = reportable(tasks, year=year)
        with CaptureQueriesContext(connection) as queries:
            report_content(plan)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 20


@pytest.mark.parametrize("state", [RoundState.SUBMISSION, RoundState.EVALUATION])
def test_before_the_councils_decision_the_report_says_the_evaluation_is_pending(
        db, manager, state, monkeypatch):
    """The law has the report compiled from the submitted results (decree art. 17; the 2022
    report came out the day before the evaluation's approval): it can be made and sent before
    the Council decides, saying the evaluation is pending, with no grade anywhere. Before, it
    could not be made at all."""
    plan = reportable(4, state=state)
    with translation.override("en"):
        report = report_content(plan)
        text = open_hwpx(build_hwpx(report)).text.plain()
    assert "The evaluation of these results is pending" in report.evaluation.pending
    assert report.evaluation.pending in text and "Grades approved" not in text
    assert {task.grade for task in report.tasks} == {""}
    assert all(row.grades == [] for row in report.appendix)
    assert report.tasks[0].summary  # the submitted results are there
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "No PDF in this test.")
    assert annual_report.generate(plan=plan, user=manager)[0].hwpx_en


def test_no_report_before_the_round_takes_results(db, manager):
    plan = reportable(3, state=RoundState.PREPARING)
    with (translation.override("en"),
          pytest.raises(ValidationError, match="has not taken results yet")):
        annual_report.generate(plan=plan, user=manager)
    plan = build_plan(3, year=2031)
    with (translation.override("en"),
          pytest.raises(ValidationError, match="has no evaluation round to take them yet")):
        annual_report.generate(plan=plan, user=manager)
    assert not AnnualReport.objects.exists()


# -- HWPX ---------------------------------------------------------------------------------------

def open_hwpx(data):
    from hwpx import HwpxDocument

    return HwpxDocument.open(io.BytesIO(data))


def test_hwpx_reads_back_with_the_plan_total_a_result_and_a_grade(plan_2024):
    with translation.override("ko"):
        report = report_content(plan_2024, language="ko")
        data = build_hwpx(report)
        grade = str(GradeLevel.OUTSTANDING.label)
    document = open_hwpx(data)
    assert not document.validate().issues
    text = document.text.plain()
    assert "1조원" in text  # the plan's total budget
    assert "성과 요약 7" in text
    assert grade in text
    assert all(f"2024-{n:02d}" in text for n in range(1, 21))


def test_hwpx_has_a_table_per_strategy_with_its_header(plan_2024):
    with translation.override("en"):
        document = open_hwpx(build_hwpx(report_content(plan_2024)))
    # glance (2), two tables a strategy (5), the 시·도, grades, opinions, one outcome, the
    # appendix (no IP statistics in this plan's database)
    assert len(document.tables) == 2 + 2 * 5 + 1 + 1 + 1 + 1 + 1
    tasks, results = document.tables[2], document.tables[3]
    assert [cell.text for cell in tasks.rows[0].cells] == [
        "Code", "Task", "Lead agency", "Budget", "Executed", "Status", "Grade"]
    assert len(tasks.rows) == 1 + 4  # 20 tasks over 5 strategies
    assert [cell.text for cell in results.rows[0].cells] == [
        "Code", "Results", "Performance indicators"]
    assert [row.cells[0].text for row in results.rows[1:]] == [
        row.cells[0].text for row in tasks.rows[1:]]


# -- PDF ----------------------------------------------------------------------------------------

def test_pdf_text_has_korean_every_task_and_the_total(plan_2024, tmp_path):
    needs_pdf("pdftotext")
    with translation.override("ko"):
        data = build_pdf(report_content(plan_2024, language="ko"))
    text = pdf_text(data, tmp_path)
    assert "1조원" in text
    assert "성과 요약 3" in text
    assert "추진전략" in text
    assert all(f"2024-{n:02d}" in text for n in range(1, 21))


def test_pdf_embeds_its_fonts(plan_2024, tmp_path):
    needs_pdf("pdffonts")
    with translation.override("ko"):
        data = build_pdf(report_content(plan_2024, language="ko"))
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert any("Noto-Sans-CJK-KR" in line for line in fonts)
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # the emb column


def test_pdf_of_a_big_plan_runs_to_many_pages_with_headers_repeated(db, tmp_path):
    needs_pdf("pdfinfo", "pdftotext")
    plan = reportable(150)
    with translation.override("en"):
        data = build_pdf(report_content(plan))
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages > 5
    text = pdf_text(data, tmp_path)
    # A strategy's table of 30 tasks breaks across pages: its header comes again.
    assert text.count("Lead agency") > 5 + 1
    assert f"1 / {pages}" in text  # page numbers


def test_pdf_first_pages_kept_as_screenshots(plan_2024, tmp_path):
    needs_pdf("pdftoppm")
    with translation.override("ko"):
        data = build_pdf(report_content(plan_2024, language="ko"))
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = SCREENSHOTS / "annual-report-pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(path),
                    str(prefix)], check=True)
    shots = sorted(SCREENSHOTS.glob("annual-report-pdf-*.png"))
    assert len(shots) >= 2
    assert all(shot.stat().st_size > 1000 for shot in shots)


def test_pdf_unavailable_says_what_to_install_without_weasyprint(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint → ImportError
    assert "WeasyPrint" in pdf_unavailable.__wrapped__()


# -- The services -------------------------------------------------------------------------------

def test_generate_stores_four_files(plan_2024, manager):
    need(pdf_unavailable())
    report, reason = annual_report.generate(plan=plan_2024, user=manager)
    assert reason is None
    assert report.generated_by == manager and report.generated_at is not None
    assert all(getattr(report, name) for name, _language, _kind in annual_report.FILES)
    assert len(report_files()) == 4


def test_generating_again_replaces_the_files(plan_2024, manager, monkeypatch,
                                             django_capture_on_commit_callbacks):
    # the HWPX files only: which files are replaced does not hang on the format
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "No PDF in this test.")
    with django_capture_on_commit_callbacks(execute=True):
        annual_report.generate(plan=plan_2024, user=manager)
    first = set(report_files())
    with django_capture_on_commit_callbacks(execute=True):
        annual_report.generate(plan=plan_2024, user=manager)
    assert len(report_files()) == len(first)
    assert AnnualReport.objects.count() == 1


def test_without_the_pdf_engine_only_hwpx_is_stored(plan_2024, manager, monkeypatch):
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "Pango is missing.")
    report, reason = annual_report.generate(plan=plan_2024, user=manager)
    assert reason == "Pango is missing."
    assert report.hwpx_ko and report.hwpx_en and not report.pdf_ko and not report.pdf_en


def test_only_managers_generate(plan_2024, staff):
    with pytest.raises(PermissionDenied):
        annual_report.generate(plan=plan_2024, user=staff)
    assert not AnnualReport.objects.exists()


# -- The page -----------------------------------------------------------------------------------

def page(year=2024):
    return reverse("tracker:annual_report", args=[year])


MADE = datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC)


def generated(plan, manager, monkeypatch):
    """The report generated with HWPX files only (fast): the page's tests need no PDF. Its
    making is dated 10 March 2025, before the day the tests mark it sent."""
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "No PDF in this test.")
    report = annual_report.generate(plan=plan, user=manager)[0]
    AnnualReport.objects.filter(pk=report.pk).update(generated_at=MADE)
    report.refresh_from_db()
    return report


def test_manager_sees_the_status_and_generates(client, plan_2024, manager, english,
                                               monkeypatch):
    client.force_login(manager)
    response = client.get(page())
    assert response.status_code == 200
    assert "31 March 2025" in response.content.decode() or "March 31, 2025" in \
        response.content.decode()
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "Pango is missing.")
    response = client.post(reverse("tracker:annual_report_generate", args=[2024]), follow=True)
    body = response.content.decode()
    assert "The annual report has been generated." in body
    assert "Pango is missing." in body  # the PDF's reason, on the page
    assert "plan-manager" in body  # generated by
    assert AnnualReport.objects.get(plan=plan_2024).hwpx_ko


def test_generate_for_a_round_not_taking_results_says_so_and_stores_nothing(client, db,
                                                                           manager, english):
    reportable(4, state=RoundState.PREPARING)
    client.force_login(manager)
    page = client.get(reverse("tracker:annual_report", args=[2024])).content.decode()
    assert "has not taken results yet" in page
    response = client.post(reverse("tracker:annual_report_generate", args=[2024]), follow=True)
    assert response.status_code == 200
    assert "has not taken results yet" in response.content.decode()
    assert not AnnualReport.objects.filter(hwpx_ko__gt="").exists()
    assert report_files() == []


def test_page_refuses_staff_evaluators_and_anonymous(client, plan_2024, staff):
    for user, status in ((staff, 403), (evaluator("ev-report"), 403)):
        client.force_login(user)
        assert client.get(page()).status_code == status
        assert client.post(reverse("tracker:annual_report_generate",
                                   args=[2024])).status_code == status
        assert client.post(reverse("tracker:annual_report_sent", args=[2024]),
                           {"sent_on": "2025-03-20"}).status_code == status
    client.logout()
    response = client.get(page())
    assert response.status_code == 302 and "login" in response["Location"]
    assert not AnnualReport.objects.exists()


def stored(plan, manager):
    """The record ``generate`` leaves, with two small HWPX files, without making them: what
    the page reads (making them is tested above)."""
    report = AnnualReport(plan=plan, generated_at=timezone.now(), generated_by=manager)
    for field in ("hwpx_ko", "hwpx_en"):
        getattr(report, field).save(f"{field}.hwpx", ContentFile(b"PK\x05\x06" + bytes(18)),
                                    save=False)
    report.save()
    return report


def test_page_queries_do_not_grow_with_the_plan(client, db, manager,
                                                django_assert_max_num_queries):
    client.force_login(manager)
    for tasks, year in ((75, 2023), (750, 2024)):
        stored(reportable(tasks, year=year), manager)
        with django_assert_max_num_queries(10):
            response = client.get(page(year))
        assert response.status_code == 200
        assert download(year, "ko", "hwpx") in response.content.decode()


def download(year, language, kind):
    return reverse("tracker:annual_report_download", args=[year, f"{language}-{kind}"])


def test_manager_downloads_the_files(client, plan_2024, manager, monkeypatch):
    generated(plan_2024, manager, monkeypatch)
    client.force_login(manager)
    response = client.get(download(2024, "ko", "hwpx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/hwp+zip"
    assert response["Content-Disposition"] == \
        'attachment; filename="kipplan-2024-annual-report-ko.hwpx"'
    assert open_hwpx(b"".join(response.streaming_content)).text.plain()
    assert client.get(download(2024, "ko", "pdf")).status_code == 404  # not made here
    assert client.get(download(2024, "fr", "hwpx")).status_code == 404


def test_download_is_a_404_for_anyone_but_managers(client, plan_2024, manager, staff,
                                                   monkeypatch):
    generated(plan_2024, manager, monkeypatch)
    for user in (staff, evaluator("ev-download")):
        client.force_login(user)
        assert client.get(download(2024, "ko", "hwpx")).status_code == 404
    client.logout()
    assert client.get(download(2024, "ko", "hwpx")).status_code == 302


def test_mark_as_sent(client, plan_2024, manager, monkeypatch, english):
    generated(plan_2024, manager, monkeypatch)
    client.force_login(manager)
    response = client.post(reverse("tracker:annual_report_sent", args=[2024]),
                           {"sent_on": "2025-03-20"}, follow=True)
    assert "The annual report is marked as sent." in response.content.decode()
    report = AnnualReport.objects.get()
    assert report.sent_on == datetime.date(2025, 3, 20) and report.sent_marked_by == manager
    assert annual_report.status_for(plan_2024, today=datetime.date(2025, 4, 30)).overdue is False


@pytest.mark.parametrize("day, message", [
    ("2024-12-31", "is sent after the year has ended"),
    ("2999-01-01", "cannot be in the future"),
    ("not a day", "Enter a valid date."),
])
def test_mark_as_sent_refuses_bad_days(client, plan_2024, manager, monkeypatch, english, day,
                                       message):
    generated(plan_2024, manager, monkeypatch)
    client.force_login(manager)
    response = client.post(reverse("tracker:annual_report_sent", args=[2024]), {"sent_on": day})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert AnnualReport.objects.get().sent_on is None


def test_a_report_is_not_marked_sent_before_the_day_it_was_made(client, plan_2024, manager,
                                                                 monkeypatch, english):
    """Before, a report made today could be marked as sent last month, and the overdue mark
    went away."""
    generated(plan_2024, manager, monkeypatch)
    client.force_login(manager)
    response = client.post(reverse("tracker:annual_report_sent", args=[2024]),
                           {"sent_on": "2025-03-09"})
    assert response.status_code == 400
    assert "it cannot have been sent before that day" in response.content.decode()
    assert AnnualReport.objects.get().sent_on is None
    assert annual_report.status_for(plan_2024, today=datetime.date(2025, 4, 2)).overdue


def test_the_page_keeps_the_history_of_makings_and_the_sending_with_how_late(
        client, plan_2024, manager, monkeypatch, english):
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "No PDF in this test.")
    client.force_login(manager)
    client.post(reverse("tracker:annual_report_generate", args=[2024]))
    AnnualReport.objects.update(generated_at=MADE)
    client.post(reverse("tracker:annual_report_sent", args=[2024]), {"sent_on": "2025-04-03"})
    body = client.get(page()).content.decode()
    assert "3 days after the due day" in body and "sent to the National Assembly" in body
    assert "Made" in body and "plan-manager" in body and "Asked for by" in body
    assert "Only the HWPX files were made: No PDF in this test." in body


def test_mark_as_sent_before_generating_is_refused(plan_2024, manager):
    with translation.override("en"), pytest.raises(ValidationError, match="Generate the report"):
        annual_report.mark_sent(plan=plan_2024, sent_on=datetime.date(2025, 3, 2), user=manager)
    assert not AnnualReport.objects.exists()


def test_status_for_the_dashboard(plan_2024):
    status = annual_report.status_for(plan_2024, today=datetime.date(2025, 4, 1))
    assert status.due == datetime.date(2025, 3, 31)
    assert (status.generated, status.sent, status.overdue) == (False, False, True)
    assert not annual_report.status_for(plan_2024, today=datetime.date(2025, 3, 31)).overdue


def test_status_include_renders(plan_2024, english):
    from django.template.loader import render_to_string

    with translation.override("en"):
        html = render_to_string("tracker/publishing/_annual_report_status.html", {
            "annual_report": annual_report.status_for(plan_2024,
                                                      today=datetime.date(2025, 4, 1))})
    assert "overdue" in html and "not yet" in html


# -- The admin ----------------------------------------------------------------------------------

def test_admin_list_is_the_managers_read_only(client, plan_2024, manager, staff, monkeypatch):
    generated(plan_2024, manager, monkeypatch)
    changelist = reverse("admin:tracker_annualreport_changelist")
    client.force_login(manager)
    response = client.get(changelist)
    assert response.status_code == 200
    assert page(2024) in response.content.decode()
    report = AnnualReport.objects.get()
    change = reverse("admin:tracker_annualreport_change", args=[report.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"sent_on": "2025-01-02"}).status_code == 403
    assert client.get(reverse("admin:tracker_annualreport_add")).status_code == 403
    client.force_login(staff)
    assert client.get(changelist).status_code == 403
    assert client.get(change).status_code == 403
    assert AnnualReport.objects.get().sent_on is None



def test_the_dashboard_shows_managers_the_reports_due_date_generation_and_sending(
        client, plan_2024, manager, staff, monkeypatch, english):
    dashboard = reverse("tracker:plan", args=[2024])
    client.force_login(manager)
    before = client.get(dashboard)
    assert before.context["annual_report"].generated_at is None
    text = " ".join(before.content.decode().split())
    assert "Annual report to the National Assembly" in text and "not yet" in text

    generated(plan_2024, manager, monkeypatch)
    annual_report.mark_sent(plan=plan_2024, sent_on=datetime.date(2025, 3, 20), user=manager)
    status = client.get(dashboard).context["annual_report"]
    assert status.generated_at is not None and status.sent_on == datetime.date(2025, 3, 20)
    assert status.due == datetime.date(2025, 3, 31) and not status.overdue

    client.force_login(staff)  # the report is the managers' work
    response = client.get(dashboard)
    assert response.context["annual_report"] is None
    assert "Annual report to the National Assembly" not in response.content.decode()


def pdf_streams(data):
    """The PDF's streams, inflated (the catalog and its /Lang sit in a compressed one)."""
    for found in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            yield zlib.decompress(found.group(1))
        except zlib.error:
            continue


def test_pdf_never_breaks_a_korean_word_and_is_tagged_with_its_metadata(demo, tmp_path):
    """Korean breaks between words (CSS keep-all, which WeasyPrint lacks: tracker.publishing.
    pdf.keep_korean_words), not syllable by syllable in narrow columns: the demo's report had
    "최우/수" and "완료(계속추/진)". The PDF is tagged, with its title, author, language and
    date."""
    needs_pdf("pdftotext", "pdfinfo")
    with translation.override("ko"):
        data = build_pdf(report_content(Plan.objects.get(year=2024), language="ko"))
        labels = [str(label) for _value, label in [*GradeLevel.choices, *Status.choices]]
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    broken = [label[:cut] + "\n" + label[cut:] for label in labels
              for cut in range(1, len(label)) if label[:cut] + "\n" + label[cut:] in text]
    assert not broken, broken
    assert re.search(r"(^|\s)최우수(\s|$)", text, re.M)
    # the chapters numbered, IP trends first, each series charted above its table
    layout = pdf_text(data, tmp_path)
    assert "1. 지식재산 동향" in layout and "3. 계획 개요" in layout
    assert "지식재산권 무역수지 (백만 달러)" in layout
    assert layout.count("243,310") == 2
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "Tagged:          yes" in info
    assert re.search(r"Title:\s+2024", info) and "Author:          국가지식재산위원회" in info
    assert "CreationDate:" in info
    assert any(re.search(rb"/Lang ?\(ko\)", stream) for stream in pdf_streams(data))
    # the bookmarks read the headings' words, without the joiners that keep them whole
    titles = [title for stream in [data, *pdf_streams(data)]
              for title in re.findall(rb"/Title ?<([0-9a-fA-F]+)>", stream)]
    assert titles and not [title for title in titles if b"2060" in title.lower()]


def test_korean_words_are_joined_letter_by_letter_and_nothing_else_changes():
    from tracker.publishing.pdf import WORD_JOINER, keep_korean_words

    html = ('<html><head><title>미착수</title></head><body><p class="x">R&amp;D와 '
            "미착수 2024-01 9,341억원</p></body></html>")
    kept = keep_korean_words(html)
    assert kept.split("<body>")[0] == html.split("<body>")[0]  # the head as it was
    assert kept.replace(WORD_JOINER, "") == html
    heading = keep_korean_words('<body><h2 class="chapter">1. 지식재산 <span>동향</span></h2>')
    assert 'data-label="1. 지식재산 동향"' in heading and f"지{WORD_JOINER}식" in heading
    assert f"미{WORD_JOINER}착{WORD_JOINER}수" in kept
    assert f"&amp;{WORD_JOINER}D" in kept and "2024-01" in kept


def test_the_report_opens_with_ip_trends_each_figure_with_its_source(demo, tmp_path):
    """The decree's first item (art. 17): IP-related trends, from the IP statistics kept as
    data; the demo's invented series are marked illustrative. Before, there was none."""
    from tracker.models import Statistic

    plan = Plan.objects.get(year=2024)
    with translation.override("ko"):
        report = report_content(plan, language="ko")
        hwpx_text = open_hwpx(build_hwpx(report)).text.plain()
    trends = {trend.name: trend for trend in report.trends}
    assert list(trends) == list(Statistic.objects.order_by("number")
                                .values_list("name_ko", flat=True))
    balance = trends["지식재산권 무역수지"]
    assert [(value.year, value.value, value.kind) for value in balance.values] == [
        (2022, "-1,110", "수정치"), (2023, "180", "잠정치")]  # the figure in force each year
    assert "한국은행" in balance.values[0].source and not balance.illustrative
    assert trends["특허 출원"].illustrative
    assert "지식재산 동향" in hwpx_text and "특허 출원 (건) [예시]" in hwpx_text
    assert hwpx_text.index("지식재산 동향") < hwpx_text.index("계획 개요")
    if shutil.which("fc-match"):  # the Korean font the charts are drawn in
        import zipfile
        with translation.override("ko"):
            data = build_hwpx(report)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pictures = [name for name in archive.namelist() if name.startswith("BinData/")]
            section = archive.read("Contents/section0.xml")
        assert len(pictures) == len(report.trends)  # a chart a series, as in the PDF
        assert section.count(b"<hp:pic ") == len(report.trends)
        assert not open_hwpx(data).validate().issues


def test_the_cover_has_the_councils_title_issuer_day_and_registration_number(
        plan_2024, settings, client, manager):
    """Before: "2024년 국가지식재산 시행계획 연차보고서", no issuer ("kipplan 데이터로
    작성했습니다"), no registration number."""
    client.force_login(manager)
    assert "KIPPLAN_PUBLICATION_NUMBER" in client.get(page()).content.decode()
    settings.KIPPLAN_PUBLICATION_NUMBER = "11-1430000-000123-10"
    assert "KIPPLAN_PUBLICATION_NUMBER" not in client.get(page()).content.decode()
    with translation.override("ko"):
        report = report_content(plan_2024, language="ko")
        text = open_hwpx(build_hwpx(report)).text.plain()
    assert report.title == "2024년 국가지식재산위원회 연차보고서"
    assert report.issuer == "국가지식재산위원회"
    assert "발간등록번호 11-1430000-000123-10" in text and "kipplan" not in text
    with translation.override("en"):
        english = report_content(plan_2024, language="en")
    assert english.title == ("2024 Annual Report of the Presidential Council on Intellectual "
                             "Property")


def test_each_file_reads_one_language_its_own_declared(demo, tmp_path):
    """The demo's notes were one mixed-language field, and the English HWPX declared Korean,
    with a template's metadata (an empty title, "synthetic-fixture-author", 2025-09-17)."""
    plan = Plan.objects.get(year=2024)
    with translation.override("ko"):
        korean = report_content(plan, language="ko")
    with translation.override("en"):
        english = report_content(plan, language="en")
        english_hwpx = build_hwpx(english)
    assert not [note for note in korean.notes
                if re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", note)]
    # Korean terms may stand in English (최우수), never a Korean sentence
    assert not [note for note in english.notes if re.search("[가-힣]+ [가-힣]+", note)]
    for series in [*english.trends, *english.outcomes]:
        assert not re.search("[가-힣]", series.source + "".join(
            value.source + value.note for value in series.values)), series.name
    for series in [*korean.trends, *korean.outcomes]:
        assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", series.source + "".join(
            value.source for value in series.values)), series.name
    import zipfile
    with zipfile.ZipFile(io.BytesIO(english_hwpx)) as archive:
        assert archive.infolist()[0].filename == "mimetype"
        metadata = archive.read("Contents/content.hpf").decode()
    assert "<opf:language>en</opf:language>" in metadata
    assert f"<opf:title>{english.title}</opf:title>" in metadata
    assert "Presidential Council on Intellectual Property" in metadata
    assert "synthetic-fixture-author" not in metadata and "2025-09-17" not in metadata
    assert not open_hwpx(english_hwpx).validate().issues


def test_the_report_has_the_metropolitan_governments_own_results(demo):
    """The 17 시·도, each with its own results as an institution, the national tasks it leads
    and its grade: before, the report had no section on them."""
    from tracker.evaluation import services as evaluation
    from tracker.models import EvaluationRound

    plan = Plan.objects.get(year=2024)
    round_ = EvaluationRound.objects.get(plan=plan)
    incheon = evaluation.graded_institutions(round_).get(slug="incheon")
    from tracker.models import Result, ResultState
    Result.objects.update_or_create(plan=plan, institution=incheon, defaults={
        "state": ResultState.SUBMITTED, "submitted_at": timezone.now(),
        "summary_public": "인천 지식재산센터 운영(예시)"})
    with translation.override("ko"):
        report = report_content(plan, language="ko")
        text = open_hwpx(build_hwpx(report)).text.plain()
    assert len(report.regions) == 17
    row = next(row for row in report.regions if row.name == "인천광역시")
    assert row.submitted and row.summary == "인천 지식재산센터 운영(예시)"
    assert row.grade == "최우수"  # the best metropolitan government of the 2024 results
    assert "시·도 추진실적" in text and "인천 지식재산센터 운영(예시)" in text


def test_the_councils_year_is_kept_as_data_and_reported(demo, client, manager):
    """The Council's meetings, their agenda and decisions, linked by number to what they
    decided in kipplan (plans endorsed, evaluations approved); the report's chapter on the
    Council's activities reads them. Before, the report had no such chapter."""
    from tracker.models import CouncilMeeting
    from tracker.plans.council import decided_at

    with translation.override("en"):
        assert decided_at(CouncilMeeting.objects.get(number=36)) == [
            "endorsed the 2024 National IP Implementation Plan"]
        assert any("approved the evaluation" in line
                   for line in decided_at(CouncilMeeting.objects.get(number=38)))
    plan = Plan.objects.get(year=2024)
    with translation.override("ko"):
        report = report_content(plan, language="ko")
        text = open_hwpx(build_hwpx(report)).text.plain()
    [meeting] = report.meetings  # held in 2024
    assert meeting.title.startswith("제36회 위원회 회의") and "서면" in meeting.title
    assert meeting.agenda == [("1. 2024년도 국가지식재산 시행계획(안)", "원안 의결")]
    assert "위원회 활동" in text and "2024년도 국가지식재산 시행계획(안)" in text
    client.force_login(manager)
    page = client.get(reverse("admin:tracker_councilmeeting_change",
                              args=[CouncilMeeting.objects.get(number=38).pk]))
    assert page.status_code == 200 and "2025" in page.content.decode()



def test_hwpx_is_shaped_as_the_schema_asks(demo):
    """Structural rules of OWPML (KS X 6101) that 한글 relies on; before: the footer inside
    hp:secPr, the page numbered twice, the footer's id and a paragraph id duplicated, headings
    with typed numbers on outline styles, table headers not repeated, a blank preview."""
    import collections
    import zipfile

    from lxml import etree

    hp = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
    with translation.override("ko"):
        report = report_content(Plan.objects.get(year=2024), language="ko")
        data = build_hwpx(report)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        section = etree.fromstring(archive.read("Contents/section0.xml"))
        preview_text = archive.read("Preview/PrvText.txt").decode()
        preview_image = archive.read("Preview/PrvImage.png")
    assert section.find(f".//{hp}secPr/{hp}footer") is None
    assert section.find(f".//{hp}secPr/{hp}footerApply") is None
    assert len(section.findall(f".//{hp}pageNum")) == 1
    assert not section.findall(f".//{hp}autoNum[@numType='PAGE']")
    ids = collections.Counter(element.get("id") for element in section.iter()
                              if element.get("id") not in (None, ""))
    assert [id_ for id_, count in ids.items() if count > 1] == []
    for table in section.iter(f"{hp}tbl"):
        assert table.get("repeatHeader") == "1"
        first_row = table.find(f"{hp}tr")
        assert {cell.get("header") for cell in first_row.findall(f"{hp}tc")} == {"1"}
    from hwpx.tools.toc_author import outline_heading_paragraphs

    headings = [text for _found, _level, text in outline_heading_paragraphs(open_hwpx(data))]
    assert "지식재산 동향" in headings and not [h for h in headings if re.match(r"\d+\.", h)]
    # the contents: 한글's own table of contents, which it numbers again on opening
    fields = section.findall(f".//{hp}fieldBegin[@type='TABLEOFCONTENTS']")
    assert len(fields) == 1 and fields[0].get("dirty") == "1"
    text = open_hwpx(data).text.plain()
    for title in ("지식재산 동향", "위원회 활동", "시·도 추진실적", "부록: 기관별 현황표"):
        assert re.search(rf"{re.escape(title)}\t\d+", text), title  # with its page
    assert preview_text.startswith(report.title) and "위원회 활동" in preview_text
    if shutil.which("fc-match"):
        assert len(preview_image) > 2000  # the cover drawn, not python-hwpx's 1×1 white
    assert not open_hwpx(data).validate().issues
