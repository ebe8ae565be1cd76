"""The annual report is made in the background (django-tasks, the database backend and its
worker in production, as mail is): the page returns at once, follows the making, shows the files
when they are made and says why when it failed; a second making cannot start while one is under
way; ``manage.py generate_annual_report YEAR`` does the same from the shell. Before, the report
was made inside the request: ten seconds at the demo's size, past gunicorn's timeout at 750
tasks, with no sign of progress."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.helpers import reportable
from tracker.models import AnnualReport, ReportRun
from tracker.publishing import services as annual_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_2024(db, monkeypatch):
    """A reportable plan; the report in HWPX only (fast: these tests are about the making)."""
    monkeypatch.setattr(annual_report, "pdf_unavailable", lambda: "No PDF in this test.")
    return reportable()


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def generate(client):
    return client.post(reverse("tracker:annual_report_generate", args=[2024]), follow=True)


def test_a_making_under_way_shows_its_progress_and_cannot_be_started_twice(
        client, plan_2024, manager, english):
    report = AnnualReport.objects.create(plan=plan_2024)
    ReportRun.objects.create(report=report, requested_by=manager,
                             state=ReportRun.State.RUNNING, started_at=timezone.now(),
                             files_done=1, files_total=2)
    client.force_login(manager)

    page = client.get(reverse("tracker:annual_report", args=[2024])).content.decode()
    assert "1 of 2 files made" in page and 'data-follow="3"' in page
    assert "follow.js" in page
    assert reverse("tracker:annual_report_generate", args=[2024]) not in page  # no button

    again = generate(client).content.decode()
    assert "The report is being made already" in again
    assert report.runs.count() == 1 and AnnualReport.objects.get().generated_at is None


def test_a_making_whose_worker_stopped_no_longer_holds_the_next_back(
        client, plan_2024, manager, english, settings):
    report = AnnualReport.objects.create(plan=plan_2024)
    lost = ReportRun.objects.create(
        report=report, state=ReportRun.State.RUNNING,
        requested_at=timezone.now() - datetime.timedelta(
            minutes=settings.KIPPLAN_REPORT_STUCK_MINUTES + 1))
    client.force_login(manager)

    body = generate(client).content.decode()

    assert "The annual report has been generated." in body
    lost.refresh_from_db()
    assert lost.state == ReportRun.State.FAILED and "Interrupted" in lost.note
    assert report.runs.filter(state=ReportRun.State.DONE).count() == 1


def test_a_failed_making_says_why_on_the_page_and_in_the_log(client, plan_2024, manager,
                                                              english, monkeypatch, caplog):
    def broken(report):
        raise RuntimeError("the template is missing a font")

    monkeypatch.setattr(annual_report, "build_hwpx", broken)
    client.force_login(manager)

    body = generate(client).content.decode()

    assert "could not be made: RuntimeError: the template is missing a font" in body
    page = client.get(reverse("tracker:annual_report", args=[2024])).content.decode()
    assert "The last making failed: RuntimeError: the template is missing a font" in page
    assert "could not be made" in caplog.text
    assert AnnualReport.objects.get().generated_at is None


@pytest.mark.django_db(transaction=True)
def test_in_production_the_page_returns_at_once_and_the_worker_makes_the_files(
        client, plan_2024, manager, english, settings):
    """The database backend: the request only queues; ``db_worker`` makes the files."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(manager)

    body = generate(client).content.decode()

    assert "being made in the background" in body and "0 of 2 files made" in body
    run = ReportRun.objects.get()
    assert run.state == ReportRun.State.QUEUED and not AnnualReport.objects.get().hwpx_ko
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    run.refresh_from_db()
    assert (run.state, run.files_done, run.files_total) == (ReportRun.State.DONE, 2, 2)
    assert AnnualReport.objects.get().hwpx_ko
    assert annual_report.make.call(run.pk) == "gone"  # run once only


def test_the_shell_command_makes_the_report_and_says_so(plan_2024):
    out = io.StringIO()
    call_command("generate_annual_report", "2024", stdout=out)
    report = AnnualReport.objects.get()
    assert report.hwpx_ko and report.hwpx_en and report.generated_by is None
    assert report.runs.get().requested_by is None
    assert "2024" in out.getvalue() and "HWPX" in out.getvalue()


def test_the_shell_command_says_why_it_cannot(db):
    with pytest.raises(CommandError, match="2031"):
        call_command("generate_annual_report", "2031")


def test_the_page_of_a_making_whose_worker_stopped_offers_to_generate_again(
        client, plan_2024, manager, english, settings):
    """Before, the page followed such a making for good, with no button: only the shell
    could set it aside."""
    report = AnnualReport.objects.create(plan=plan_2024)
    lost = timezone.now() - datetime.timedelta(minutes=settings.KIPPLAN_REPORT_STUCK_MINUTES + 1)
    ReportRun.objects.create(report=report, state=ReportRun.State.RUNNING, started_at=lost,
                             requested_at=lost)
    client.force_login(manager)
    page = client.get(reverse("tracker:annual_report", args=[2024])).content.decode()
    assert reverse("tracker:annual_report_generate", args=[2024]) in page
    assert "data-follow" not in page


def test_a_making_long_in_the_queue_is_not_set_aside_while_it_is_being_made(plan_2024,
                                                                            settings):
    report = AnnualReport.objects.create(plan=plan_2024)
    queued_long = timezone.now() - datetime.timedelta(
        minutes=settings.KIPPLAN_REPORT_STUCK_MINUTES + 5)
    ReportRun.objects.create(report=report, state=ReportRun.State.RUNNING,
                             requested_at=queued_long, started_at=timezone.now())
    assert not ReportRun.objects.stuck().exists()


def test_a_report_sent_is_kept_as_sent(client, plan_2024, manager, english):
    AnnualReport.objects.create(plan=plan_2024, generated_at=timezone.now(),
                                sent_on=datetime.date(2025, 3, 30))
    client.force_login(manager)
    body = generate(client).content.decode()
    assert "the files sent are kept as they are" in body
    assert not ReportRun.objects.exists()


def test_following_the_making_asks_for_the_reports_page_even_from_a_forms_answer(
        client, plan_2024, manager, english):
    report = AnnualReport.objects.create(plan=plan_2024, generated_at=timezone.now())
    ReportRun.objects.create(report=report, state=ReportRun.State.QUEUED)
    client.force_login(manager)
    answer = client.post(reverse("tracker:annual_report_sent", args=[2024]),
                         {"sent_on": "not a day"})
    assert answer.status_code == 400
    assert (f'data-follow-url="{reverse("tracker:annual_report", args=[2024])}"'
            in answer.content.decode())


def test_a_report_sent_before_the_councils_decision_leaves_the_budget_advice_open(db):
    """A report made while the evaluation is pending carries no advice: sending it closes
    nothing; once the Council has decided, sending the report closes the advice."""
    from tracker.follow_up.advice import closed_because
    from tracker.models import EvaluationRound, RoundState

    plan = reportable(4, state=RoundState.EVALUATION)
    AnnualReport.objects.create(plan=plan, generated_at=timezone.now(),
                                sent_on=datetime.date(2025, 3, 20))
    round_ = EvaluationRound.objects.select_related("plan__annual_report").get(plan=plan)
    assert closed_because(round_) is None
    round_.state = RoundState.APPROVED
    assert "2025" in closed_because(round_) or "25" in closed_because(round_)
