"""
The year-end evaluation in a real browser, in English: an evaluator scores (a score out of the
scale refused and said) and the manager reads the mean; and the results page's file checks (a
file over the limit refused before it uploads, a refused file keeping the text). The whole 2025
cycle, in Korean, is tests/browser/test_cycle_2025.py. Screenshots go to
test-artifacts/screenshots/.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PerformanceIndicatorFactory,
    PlanFactory,
    StrategyFactory,
    TaskFactory,
    UserFactory,
    evaluator,
    round_at,
)
from tests.helpers import log_in, pdf_bytes, plan_manager, screenshot
from tracker import roles
from tracker.evaluation import evidence
from tracker.evaluation import services as evaluation
from tracker.evaluation import services as results
from tracker.models import (
    Result,
    RoundState,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's
ACHIEVEMENTS = "특허 빅데이터 분석 보고서 150건을 발간하고 중소기업 40곳을 지원했습니다."
FILE_NAME = "2024년_추진실적_증빙.pdf"
# The round's dates: results taken until a deadline still ahead, so the submission is on time.
DATES = {"submission_closes": datetime.date(2099, 1, 31),
         "evaluation_closes": datetime.date(2099, 3, 7),
         "meeting_date": datetime.date(2099, 3, 28), "published_on": datetime.date(2099, 4, 30)}


PDF = pdf_bytes()


@pytest.fixture
def story(db):
    """The 2024 plan with one task of KIPO's and its indicator; KIPO's staff, a plan manager,
    two outside evaluators (one of a ministry with no part in the task) and the plan's round,
    taking results."""
    plan = PlanFactory(year=2024)
    strategy = StrategyFactory(plan=plan, number=1)
    kipo = AgencyFactory(name_ko="특허청", name_en="Korean Intellectual Property Office",
                         abbreviation="KIPO", slug="kipo")
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=kipo, number=17,
                       title_ko="특허 빅데이터 분석 지원", title_en="Patent big data analysis")
    indicator = PerformanceIndicatorFactory(task=task, number=1, name_ko="특허 분석 건수",
                                            name_en="Patents analysed", unit="건", target=200)
    staff = UserFactory(username="kipo-staff")
    staff.groups.add(Group.objects.get(name=roles.AGENCY_STAFF))
    MembershipFactory(user=staff, agency=kipo)
    manager = UserFactory(username="plan-manager")
    manager.groups.add(Group.objects.get(name=roles.PLAN_MANAGERS))
    panel = [evaluator("panel-kim"), evaluator("panel-lee", AgencyFactory(slug="mcst"))]
    round_ = round_at(RoundState.SUBMISSION, plan, **DATES)
    return {"plan": plan, "task": task, "indicator": indicator, "staff": staff,
            "manager": manager, "panel": panel, "round": round_}


def click_and_wait(page, selector):
    """Click what submits a form or follows a link, and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def messages(page):
    return page.inner_text("ul.messagelist") if page.locator("ul.messagelist").count() else ""


def move_round(page, round_, reason="기한 전이지만 위원회 일정에 맞춰 진행"):
    """The manager's next step: from the round's page to the step's confirmation, a reason
    typed where something is incomplete or early, and the step taken."""
    page.goto(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))
    click_and_wait(page, ".object-tools a.kipplan-primary")
    if page.locator("#id_reason").count():
        page.fill("#id_reason", reason)
    click_and_wait(page, "#content-main form button.default")


@pytest.fixture
def evaluated(story):
    """The story with the results submitted and two evaluators assigned, the round being
    evaluated: set up through the services."""
    task, staff = story["task"], story["staff"]
    results.save_result(task=task, user=staff, achievements=ACHIEVEMENTS, problems="",
                        next_steps="", actuals={story["indicator"].pk: Decimal(150)},
                        expected_version=0)
    evidence.add_evidence(task=task, user=staff, upload=SimpleUploadedFile(FILE_NAME, PDF))
    results.submit_result(task=task, user=staff)
    for expert in story["panel"]:
        evaluation.assign(round_=story["round"], evaluator=expert, task=task, user=plan_manager())
    evaluation.advance(story["round"], RoundState.EVALUATION, user=plan_manager(),
                       reason="시험 진행")
    return story


def test_in_english_an_evaluator_scores_and_the_manager_reads_the_mean(evaluated, new_page):
    task, round_ = evaluated["task"], evaluated["round"]

    staff = new_page("en")
    log_in(staff, "kipo-staff", PASSWORD,
           next_url=reverse("admin:tracker_task_change", args=[task.pk]))
    click_and_wait(staff, ".object-tools a:text-is('Year-end results')")
    assert "submitted" in staff.inner_text("#content-main")
    screenshot(staff, "en-evaluation-1-results-page")

    for expert, value in zip(evaluated["panel"], ["70", "80"], strict=True):
        page = new_page("en")
        log_in(page, expert.username, PASSWORD, next_url=reverse("tracker:start"))
        click_and_wait(page, "#result_list tbody tr a")
        assert "Your scores" in page.inner_text("#content-main")
        assert page.locator(f"#content-main a:text-is('{FILE_NAME}')").count() == 1
        page.fill("input[name^=criterion_] >> nth=0", "101")
        click_and_wait(page, "button[name=_save]")
        assert page.locator(".errorlist").count() >= 1  # out of the scale: refused, said
        scores = page.locator("input[name^=criterion_]")
        for n in range(scores.count()):
            scores.nth(n).fill(value)
        if expert == evaluated["panel"][0]:
            screenshot(page, "en-evaluation-2-scoring-page")
        click_and_wait(page, "button[name=_save]")
        assert "Saved your scores for" in messages(page)
        assert page.goto(reverse("tracker:my_work")).status == 403

    manager = new_page("en")
    log_in(manager, "plan-manager", PASSWORD,
           next_url=reverse("admin:tracker_evaluationround_grades", args=[round_.pk]))
    row = manager.locator("table.kipplan-grades tbody tr", has_text=task.title_en)
    assert "75.00" in row.inner_text() and "Satisfactory" in row.inner_text()
    screenshot(manager, "en-evaluation-3-grades-page")
    manager.goto(reverse("tracker:evaluation", args=[evaluated["plan"].year]))
    assert "panel-kim" in manager.inner_text("main")  # the managers follow the panel
    screenshot(manager, "en-evaluation-5-evaluation-page")


def test_the_scoring_form_says_its_scale_in_plain_numbers(evaluated, new_page):
    page = new_page("en")
    log_in(page, "panel-kim", PASSWORD, next_url=reverse("tracker:start"))
    click_and_wait(page, "#result_list tbody tr a")

    help_texts = page.locator("#content-main form .help").all_inner_texts()

    assert help_texts and all(text.strip() == "From 0 to 100." for text in help_texts)


def test_the_task_page_writes_the_deadline_once_in_korean(evaluated, new_page):
    page = new_page("ko")
    log_in(page, "kipo-staff", PASSWORD,
           next_url=reverse("tracker:task_detail", args=[2024, evaluated["task"].number]))

    text = page.inner_text("main")

    assert "2099. 1. 31." in text and "31.." not in text


def test_a_file_over_the_limit_is_refused_before_it_uploads_and_nothing_typed_is_lost(
        story, new_page, settings):
    settings.KIPPLAN_EVIDENCE_MAX_MB = 1
    task = story["task"]
    staff = new_page("ko")
    log_in(staff, "kipo-staff", PASSWORD,
           next_url=reverse("admin:tracker_task_results", args=[task.pk]))
    staff.fill("#id_achievements", ACHIEVEMENTS)
    staff.set_input_files("#id_files", files=[
        {"name": "큰파일.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * 1_200_000}])

    refusal = staff.locator(".kipplan-file-error")
    assert refusal.is_visible() and "큰파일.pdf" in refusal.inner_text()
    posts = []
    staff.on("request", lambda request: posts.append(request) if request.method == "POST"
             else None)
    staff.click("button[name=action][value=save]")
    staff.wait_for_timeout(300)
    assert posts == [] and staff.input_value("#id_achievements") == ACHIEVEMENTS
    screenshot(staff, "ko-results-file-too-large")

    # A file the server refuses (not a PDF inside): the text is saved, the error on top, focused.
    staff.set_input_files("#id_files", files=[
        {"name": "가짜.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 10}])
    click_and_wait(staff, "button[name=action][value=save]")
    assert staff.evaluate("document.activeElement.className") == "kipplan-error-summary"
    assert "가짜.pdf" in staff.inner_text(".kipplan-error-summary")
    assert staff.input_value("#id_achievements") == ACHIEVEMENTS
    assert Result.objects.get(task=task).achievements == ACHIEVEMENTS
    screenshot(staff, "ko-results-error-summary")
