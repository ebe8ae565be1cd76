"""
The 2025 cycle walked through the screens only, on the demo, in a real browser: the manager
opens the round; KIPO's staff and Incheon (which leads no task) submit results with evidence;
the manager assigns both evaluators to every unit; both evaluators score; the manager grades,
approves and publishes behind the confirmations; gives budget advice; issues an improvement
opinion, which KIPO answers with a plan and the Council checks; and the annual report is made.
Mail goes to a real SMTP server (aiosmtpd) through Django's SMTP backend.

On PostgreSQL the walk runs against gunicorn on production's settings (DEBUG off, both
authentication backends, axes, the database task queue with ``db_worker`` sending the mail:
``production_server`` in tests/browser/conftest.py), serving the test's database; on SQLite,
against Django's live server. CI runs the suite on both, so both pass.

Each step counts its page loads against a budget (results with evidence ≤ 4, assigning every
unit ≤ 5, scoring ≤ 2 a unit, grading all ≤ 3, each round step ≤ 2), and every mail the cycle
should send is checked. Screenshots of each screen, in Korean, then the managers' screens in
English, go to test-artifacts/screenshots/cycle-*.png.

What the walk leaves to other tests: each evaluator scores three units here (the queue's save
and next), not all 160 places, to keep `make test` within its three minutes; the other units
are graded by the manager with a reason, which the approval step then lists as incomplete.
"""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers import log_in, pdf_bytes, screenshot
from tracker.evaluation import services as evaluation
from tracker.models import (
    ActionCheck,
    Assignment,
    EvaluationRound,
    Grade,
    Opinion,
    OutgoingMail,
    Result,
    RoundState,
    RoundStep,
    Task,
)
from tracker.publishing.models import AnnualReport

pytestmark = pytest.mark.django_db(transaction=True)

PDF = pdf_bytes()
REASON = "위원회 일정에 맞춰 진행(기록용)"


class Loads:
    """The page loads of one browser page, counted step by step."""

    def __init__(self, page):
        self.count = 0
        page.on("load", lambda _page: self.tick())

    def tick(self):
        self.count += 1

    @contextmanager
    def at_most(self, budget, what):
        start = self.count
        yield
        used = self.count - start
        assert used <= budget, f"{what}: {used} page loads, the budget is {budget}"


def wait(page, selector):
    """Click what submits a form or follows a link, and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def said(page):
    locator = page.locator("ul.messagelist, ul.messages")
    return locator.inner_text() if locator.count() else ""


def glance(page, name):
    """A screenshot of what the screen shows (the long pages, whole, cost seconds each)."""
    from tests.helpers import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def day(offset):
    return (timezone.localdate() + datetime.timedelta(days=offset)).strftime("%Y. %-m. %-d.")


def take_step(page, loads, round_, name):
    """The round's next step from its page, with a reason where one is asked."""
    page.goto(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))
    with loads.at_most(2, f"the step to {name}"):
        wait(page, ".object-tools a.kipplan-primary")
        screenshot(page, f"cycle-step-{name}")
        if page.locator("#id_reason").count():
            page.fill("#id_reason", REASON)
        wait(page, "#content-main form button.default")
    assert "단계" in said(page) or "이제" in said(page), said(page)


@pytest.fixture
def server_url(request, production_server):
    return production_server or request.getfixturevalue("live_server").url


def test_the_2025_cycle_through_the_screens(demo, new_page, smtp_inbox, production_server):
    round_ = EvaluationRound.objects.get(plan__year=2025)
    plan = round_.plan
    units = evaluation.graded_tasks(round_).count() + evaluation.graded_institutions(
        round_).count()

    # 1. The manager opens the round: its dates, in the form the site shows them, then the step.
    manager = new_page("ko")
    manager_loads = Loads(manager)
    log_in(manager, "manager", next_url=reverse("admin:tracker_evaluationround_change",
                                                 args=[round_.pk]))
    manager.fill("#id_submission_opens", "2026. 1. 2.")
    manager.fill("#id_evaluation_closes", day(7))
    manager.fill("#id_meeting_number", "39")
    manager.fill("#id_meeting_date", day(14))
    manager.fill("#id_published_on", day(21))
    screenshot(manager, "cycle-1-round-dates")
    wait(manager, "input[name=_continue]")
    assert "errornote" not in manager.content(), manager.inner_text("#content-main")[:500]
    take_step(manager, manager_loads, round_, "submission")
    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.SUBMISSION

    # 2. KIPO's staff: from My work to a task's results; text, indicators and a file; submit.
    kipo = new_page("ko")
    kipo_loads = Loads(kipo)
    log_in(kipo, "kipo", next_url=reverse("tracker:my_work"))
    screenshot(kipo, "cycle-2-kipo-my-work")
    with kipo_loads.at_most(4, "KIPO's results with evidence"):
        wait(kipo, "main a[href*='/results/']")
        task = Task.objects.get(pk=int(kipo.url.rstrip("/").split("/")[-2]))
        kipo.fill("#id_achievements", "특허 빅데이터 분석 보고서 150건 발간(예시)")
        for field in kipo.locator("input[name^=actual_]").all():
            field.fill("120")
        kipo.set_input_files("#id_files", files=[
            {"name": "2025_추진실적_증빙.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        screenshot(kipo, "cycle-2-kipo-results-form")
        wait(kipo, "button[name=action][value=submit]")
    assert "추진실적을 제출했습니다" in said(kipo), said(kipo)
    assert Result.objects.get(task=task).submitted

    # Incheon, which leads no task in 2025, submits its own results as an institution.
    incheon = new_page("ko")
    incheon_loads = Loads(incheon)
    log_in(incheon, "incheon", next_url=reverse("tracker:my_work"))
    with incheon_loads.at_most(4, "Incheon's results with evidence"):
        wait(incheon, "main a[href*='/institution/']")
        incheon.fill("#id_achievements", "인천 지식재산센터 운영, 지역 IP 창출 지원 120건(예시)")
        incheon.fill("#id_indicators-0-name_ko", "지역 IP 창출 지원(예시)")
        incheon.fill("#id_indicators-0-unit", "건")
        incheon.fill("#id_indicators-0-target", "100")
        incheon.fill("#id_indicators-0-actual", "120")
        incheon.set_input_files("#id_files", files=[
            {"name": "인천_기관실적.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        screenshot(incheon, "cycle-2-incheon-institution-form")
        wait(incheon, "button[name=action][value=submit]")
    assert "추진실적을 제출했습니다" in said(incheon), said(incheon)
    assert Result.objects.get(plan=plan, institution__slug="incheon").submitted

    # 3. The manager assigns both evaluators to every unit in one step.
    manager.goto(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))
    with manager_loads.at_most(5, "assigning every unit"):
        wait(manager, ".object-tools a[href$='/assign/']")
        glance(manager, "cycle-3-assign-proposal")
        wait(manager, "button[name=save]")
    assert Assignment.objects.filter(round=round_).count() == 2 * units, said(manager)
    take_step(manager, manager_loads, round_, "evaluation")

    # 4. Both evaluators score from their queue: the units with results, then the next. Each
    #    sees their own assignments only, reads the results and downloads the evidence; the
    #    site's pages refuse them with a page of kipplan's, with a way back.
    for username, other in (("evaluator-lee", "evaluator-park"),
                            ("evaluator-park", "evaluator-lee")):
        page = new_page("ko")
        loads = Loads(page)
        log_in(page, username, next_url=reverse("tracker:start"))
        assert "/admin/tracker/assignment/" in page.url
        assert other not in page.inner_text("#content-main")
        for unit, value in ((task.code, "92"), ("인천광역시", "88")):
            page.goto(reverse("admin:tracker_assignment_changelist"))
            with loads.at_most(2, f"scoring {unit}"):
                wait(page, f"#result_list tbody tr:has-text('{unit}') th a, "
                           f"#result_list tbody tr:has-text('{unit}') td a")
                if unit == task.code:
                    assert "특허 빅데이터 분석 보고서 150건" in page.inner_text("#content-main")
                    with page.expect_download() as downloading:
                        page.click("#content-main a:text-is('2025_추진실적_증빙.pdf')")
                    with open(downloading.value.path(), "rb") as handle:
                        assert handle.read() == PDF
                for field in page.locator("input[name^=criterion_]").all():
                    field.fill(value)
                if unit == task.code and username == "evaluator-lee":
                    screenshot(page, "cycle-4-scoring")
                wait(page, "button[name=_next]")
        assert "점수를 저장했습니다" in said(page)
        with loads.at_most(2, "scoring the next in the queue"):
            for field in page.locator("input[name^=criterion_]").all():
                field.fill("75")
            wait(page, "button[name=_save]")
        refused = page.goto(reverse("tracker:dashboard"))
        assert refused.status == 403 and "이 페이지를 열 수 없습니다" in page.inner_text("main")
        if production_server:  # PostgreSQL: gunicorn on production's settings answered
            assert refused.headers["server"].startswith("gunicorn")
        assert page.locator("main a[href='/start/']").count() == 1
        if username == "evaluator-lee":
            screenshot(page, "cycle-4-evaluator-403")
    assert evaluation.unit_mean(round_, task=task) == Decimal("92.00")

    # 5. The manager grades every unit: the bands first, then the rest with a reason.
    manager.goto(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))
    with manager_loads.at_most(3, "grading every unit"):
        manager.goto(reverse("admin:tracker_evaluationround_grades", args=[round_.pk]))
        wait(manager, "button[name=apply_bands]")
        assert "구간 등급을 주었습니다" in said(manager), said(manager)
        manager.evaluate("""() => {
            for (const select of document.querySelectorAll("select[name$='-grade']")) {
                if (!select.value) {
                    select.value = "insufficient";
                    const reason = document.querySelector(
                        `textarea[name='${select.name.replace('-grade', '-reason')}']`);
                    reason.value = "추진실적 미제출 또는 채점 미완료";
                }
            }
        }""")
        glance(manager, "cycle-5-grades")
        wait(manager, "#content-main form:not(.kipplan-apply-bands) input[type=submit].default")
    assert Grade.objects.filter(round=round_).count() == units, said(manager)
    assert Grade.objects.get(round=round_, task=task).grade == "outstanding"
    take_step(manager, manager_loads, round_, "approval")

    # 6. Budget advice on KIPO's graded project.
    manager.goto(reverse("admin:tracker_budgetadvice_round", args=[round_.pk]))
    manager.select_option(f"select[name='task-{task.pk}-recommendation']", index=1)
    manager.fill(f"textarea[name='task-{task.pk}-reason']", "성과 우수, 확대 권고(예시)")
    screenshot(manager, "cycle-6-advice")
    wait(manager, "#content-main input[type=submit].default")
    assert "재원배분방향" in said(manager), said(manager)
    take_step(manager, manager_loads, round_, "publication")
    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.PUBLISHED
    assert RoundStep.objects.filter(round=round_).count() == 4

    # KIPO's staff see the grade on the task's page, never the panel's names or mean.
    kipo.goto(reverse("tracker:task_detail", args=[plan.year, task.number]))
    text = kipo.inner_text("main")
    assert "최우수" in kipo.inner_text("p.grade")
    assert "evaluator-lee" not in text and "92.00" not in text
    screenshot(kipo, "cycle-6-kipo-task-page")

    # 7. An improvement opinion on KIPO's task: its staff are mailed, answer, the Council checks.
    manager.goto(reverse("admin:tracker_opinion_add"))
    plan_value = [option.get_attribute("value") for option in
                  manager.locator("#id_plan option").all() if "2025" in option.inner_text()][0]
    manager.select_option("#id_plan", value=plan_value)
    manager.locator("span[aria-labelledby=select2-id_task-container]").first.click()
    manager.locator(".select2-search__field").fill(task.code)
    manager.locator(".select2-results__option", has_text=task.code).first.click()
    manager.fill("#id_text", "성과지표 산출 근거를 보완할 것(예시)")
    manager.fill("#id_answer_due", "")  # the decree's 30 days
    screenshot(manager, "cycle-7-opinion")
    wait(manager, "input[name=_save]")
    opinion = Opinion.objects.get(task=task, text__startswith="성과지표 산출 근거")
    assert (opinion.answer_due - opinion.issued_on).days == 30
    # The mail reaches a real SMTP server, sent with production's authentication backends.
    smtp_inbox.wait_for(lambda inbox: "kipo@demo.kipplan.invalid" in inbox.to())

    kipo.goto(reverse("tracker:my_work"))
    with kipo_loads.at_most(3, "answering the opinion"):
        wait(kipo, f"main a[href$='/opinion/{opinion.pk}/answer/']")
        kipo.fill("#id_text", "산출 근거를 별첨으로 제출(예시)")
        kipo.fill("#id_actions-0-description", "근거 자료 정리(예시)")
        kipo.fill("#id_actions-0-due_on",  # a date picker: ISO
                  (timezone.localdate() + datetime.timedelta(days=20)).isoformat())
        screenshot(kipo, "cycle-7-answer")
        wait(kipo, "#content-main form [type=submit]")
    action = opinion.actions.get()
    # Every mail queued so far has arrived (the worker sends them a moment after each page):
    # what comes next is the check's.
    smtp_inbox.wait_for(lambda inbox: not OutgoingMail.objects.exclude(
        state=OutgoingMail.State.SENT).exists())
    before = len(smtp_inbox.envelopes)
    manager.goto(reverse("admin:tracker_opinion_action_status", args=[opinion.pk, action.pk]))
    manager.select_option("#id_status", "in_progress")
    manager.fill("#id_note", "일부 이행 확인(예시)")
    wait(manager, "#content-main form [type=submit]")
    assert ActionCheck.objects.filter(action=action, by="council").exists()
    # The Council's check differs from the agency's (none reported): the agency is told.
    smtp_inbox.wait_for(lambda inbox: any(
        "kipo@demo.kipplan.invalid" in envelope.rcpt_tos
        for envelope in inbox.envelopes[before:]))

    # 8. The annual report on 2025, made in the background: on production's settings the page
    #    follows the worker's making and shows the files when they are made.
    manager.goto(reverse("tracker:annual_report", args=[plan.year]))
    wait(manager, "form[action$='/generate/'] button")
    if production_server:
        screenshot(manager, "cycle-8-annual-report-making")
    manager.wait_for_selector("a[href$='/files/ko-hwpx/']", timeout=180_000)
    screenshot(manager, "cycle-8-annual-report")
    assert AnnualReport.objects.get(plan=plan).generated_at is not None

    # The managers' screens in English.
    english = new_page("en")
    log_in(english, "manager", next_url=reverse("admin:tracker_evaluationround_change",
                                                 args=[round_.pk]))
    screenshot(english, "cycle-en-round")
    for name, url in [
            ("grades", reverse("admin:tracker_evaluationround_grades", args=[round_.pk])),
            ("assign", reverse("admin:tracker_evaluationround_assign", args=[round_.pk])),
            ("step", reverse("admin:tracker_evaluationround_step", args=[round_.pk])),
            ("institution", reverse("admin:tracker_institution_results", args=[
                round_.pk, Result.objects.get(plan=plan, institution__slug="incheon")
                .institution_id])),
            ("evaluation", reverse("tracker:evaluation", args=[plan.year]))]:
        english.goto(url)
        assert english.locator("html[lang=en]").count() == 1
        glance(english, f"cycle-en-{name}")
