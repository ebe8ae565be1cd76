"""내 업무: the start page of agency staff, and where each role lands after login."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
    ReviewFactory,
    StrategyFactory,
    TaskFactory,
)
from tracker.models import Status, Task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username, lands_on", [
    ("kipo", "/my-work/"), ("manager", "/"), ("admin", "/admin/"),
])
def test_each_role_lands_where_its_work_is_after_login(client, demo, username, lands_on):
    response = client.post(reverse("login"), {"username": username,
                                              "password": "kipplan-demo"}, follow=True)

    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200


def plan_for(agency, other_agency, tasks=2):
    """A plan of this year with, for each agency, a task of each kind that needs action."""
    plan = PlanFactory(year=timezone.localdate().year)
    strategy = StrategyFactory(plan=plan)
    made = {}
    for lead in (agency, other_agency):
        for n in range(tasks):
            late = TaskFactory(plan=plan, strategy=strategy, lead_agency=lead,
                               title_ko=f"{lead.slug} 늦은 단계 {n}")
            MilestoneFactory(task=late, baseline_date=timezone.localdate()
                             - datetime.timedelta(days=3), title_ko=f"{lead.slug} 단계 {n}")
            silent = TaskFactory(plan=plan, strategy=strategy, lead_agency=lead,
                                 title_ko=f"{lead.slug} 무보고 {n}")
            reviewed = TaskFactory(plan=plan, strategy=strategy, lead_agency=lead,
                                   title_ko=f"{lead.slug} 검토 {n}")
            update = ProgressUpdateFactory(task=reviewed, reported_at=timezone.now(),
                                           status=Status.ON_TRACK)
            Task.objects.filter(pk=reviewed.pk).update(**update.task_state())
            ReviewFactory(task=reviewed, light="red", comment="재검토")
            Task.objects.filter(pk=late.pk).update(**ProgressUpdateFactory(
                task=late, reported_at=timezone.now()).task_state())
            made.setdefault(lead.slug, []).append((late, silent, reviewed))
    return plan, made


def test_staff_see_what_their_tasks_need_each_one_click_from_its_form(
    client, agency, other_agency, staff
):
    plan, made = plan_for(agency, other_agency)
    client.force_login(staff)

    response = client.get(reverse("tracker:my_work"), HTTP_ACCEPT_LANGUAGE="en")

    work, body = response.context["work"], response.content.decode()
    mine = made[agency.slug]
    assert [m.task for m in work.overdue_milestones] == [late for late, _, _ in mine]
    assert set(work.stale_tasks) == {silent for _, silent, _ in mine}
    assert set(work.disagreements) == {reviewed for _, _, reviewed in mine}
    for late, silent, reviewed in mine:
        milestone = late.milestones.get()
        assert reverse("admin:tracker_milestone_change", args=[milestone.pk]) in body
        assert reverse("admin:tracker_task_report", args=[silent.pk]) in body
        assert reverse("admin:tracker_task_report", args=[reviewed.pk]) in body
    assert other_agency.slug not in body  # another agency's tasks: none of them


def test_the_start_page_asks_as_many_queries_for_ten_times_the_work(
    client, agency, other_agency, staff
):
    def queries(tasks):
        Task.objects.all().delete()
        plan_for(agency, other_agency, tasks)
        client.force_login(staff)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("tracker:my_work"))
        assert response.context["work"].count == 3 * tasks
        return len(captured)

    assert queries(1) == queries(10)


def test_the_start_page_needs_a_login(client):
    response = client.get(reverse("tracker:my_work"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_find_their_work_from_the_pages_and_the_admin(client, demo):
    client.login(username="kipo", password="kipplan-demo")

    page = client.get(reverse("tracker:dashboard")).content.decode()
    admin = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("tracker:my_work")}"' in page
    assert f'href="{reverse("tracker:my_work")}"' in admin


def report_data(task, **changes):
    return {"status": task.status, "progress": task.progress,
            "budget_executed": task.budget_executed, "budget_unit": "won",
            "note": "다시 보고", "version": task.version, **changes}


def test_a_report_opened_from_my_work_returns_there_once_saved(client, demo):
    task = Task.objects.filter(lead_agency__slug="kipo").order_by("number").first()
    client.force_login(task.lead_agency.memberships.first().user)
    url = reverse("admin:tracker_task_report", args=[task.pk])
    back = reverse("tracker:my_work")

    form = client.get(url, {"next": back})
    saved = client.post(url, report_data(task, next=back))

    assert f'name="next" value="{back}"' in form.content.decode()
    assert saved.status_code == 302 and saved["Location"] == back


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_a_report_never_returns_to_another_site(client, demo, elsewhere):
    task = Task.objects.filter(lead_agency__slug="kipo").order_by("number").first()
    client.force_login(task.lead_agency.memberships.first().user)
    url = reverse("admin:tracker_task_report", args=[task.pk])

    form = client.get(url, {"next": elsewhere})
    saved = client.post(url, report_data(task, next=elsewhere))

    assert elsewhere not in form.content.decode()
    assert saved["Location"] == reverse("admin:tracker_task_change", args=[task.pk])


def year_end_duties(agency, other_agency, staff, manager, tasks=2):
    """Last year's plan with its round taking results, tasks of each agency (one with a draft,
    one submitted, one with nothing), and opinions on each agency's first task: one unanswered,
    one answered with an action due and one implemented."""
    from tests.factories import round_at
    from tracker.evaluation import services as results
    from tracker.follow_up import opinions
    from tracker.models import RoundState

    year = timezone.localdate().year - 1
    plan = PlanFactory(year=year)
    strategy = StrategyFactory(plan=plan)
    round_at(RoundState.SUBMISSION, plan, submission_opens=datetime.date(year + 1, 1, 2),
             submission_closes=datetime.date(year + 1, 1, 15), evaluation_closes=None,
             meeting_date=None, published_on=None)
    today = timezone.localdate()
    for lead in (agency, other_agency):
        for n in range(tasks):
            draft, done, _none = (TaskFactory(plan=plan, strategy=strategy, lead_agency=lead,
                                              title_ko=f"{lead.slug} {kind} {n}")
                                  for kind in ("초안", "제출", "없음"))
            writer = staff if lead == agency else None
            if writer is not None:
                results.save_result(task=draft, user=writer, achievements="초안",
                                    problems="", next_steps="", expected_version=0)
                results.save_result(task=done, user=writer, achievements="성과", problems="",
                                    next_steps="", expected_version=0)
                results.submit_result(task=done, user=writer)
            unanswered = opinions.issue_opinion(
                plan=plan, task=draft, text=f"{lead.slug} 답할 의견 {n}", issued_on=today,
                answer_due=today + datetime.timedelta(days=30), user=manager)
            answered = opinions.issue_opinion(
                plan=plan, task=done, text="답한 의견", issued_on=today - datetime.timedelta(
                    days=40), answer_due=today - datetime.timedelta(days=10), user=manager)
            assert unanswered.pk
            if writer is not None:
                opinions.answer_opinion(opinion=answered, text="개선계획", user=writer,
                                        actions=[(f"조치 {n}", today - datetime.timedelta(
                                            days=1)), (f"끝난 조치 {n}", today)])
                finished = answered.actions.get(description=f"끝난 조치 {n}")
                opinions.report_action(action=finished, status="implemented", note="",
                                       user=writer)
    return plan


def test_my_work_lists_the_year_end_results_and_the_opinions_owed_with_their_deadlines(
        client, agency, other_agency, staff, manager):
    year_end_duties(agency, other_agency, staff, manager)
    client.force_login(staff)

    response = client.get(reverse("tracker:my_work"), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    states = sorted(duty.state for duty in response.context["results"])
    assert states == ["draft", "draft", "none", "none", "submitted", "submitted"]
    assert {duty.task.lead_agency for duty in response.context["results"]} == {agency}
    assert "Write and submit the results" in body and "See or correct the results" in body
    assert "15 Jan" in body  # the round's deadline
    owed = response.context["opinions"]
    assert [o.text for o in owed.to_answer] == [f"{agency.slug} 답할 의견 {n}" for n in (0, 1)]
    assert sorted(a.description for a in owed.actions) == ["조치 0", "조치 1"]
    assert all(action.is_overdue for action in owed.actions)
    for opinion in owed.to_answer:
        assert reverse("admin:tracker_opinion_answer", args=[opinion.pk]) in body
    assert other_agency.slug not in body
    # Two results to write (draft, none) a task pair, two plans and two actions owed, besides
    # the in-year duties (the tasks have no progress report yet).
    assert response.context["to_do"] == response.context["work"].count + 4 + 2 + 2


def test_in_year_reports_and_year_end_results_have_names_that_cannot_be_confused(
        client, agency, other_agency, staff, manager):
    year_end_duties(agency, other_agency, staff, manager, tasks=1)
    plan_for(agency, other_agency, tasks=1)
    client.force_login(staff)

    korean = client.get(reverse("tracker:my_work")).content.decode()
    english = client.get(reverse("tracker:my_work"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "추진상황 보고" in korean and "추진실적 보고" not in korean
    assert "추진실적" in korean  # the year-end results keep the decree's word
    assert "Report progress" in english and "Year-end results" in english


def test_my_work_with_year_end_duties_asks_as_many_queries_for_five_times_the_work(
        client, agency, other_agency, staff, manager):
    def queries(tasks):
        from tracker.models import EvaluationRound, Opinion, Plan

        Opinion.objects.all().delete()
        EvaluationRound.objects.all().delete()
        Task.objects.all().delete()
        Plan.objects.all().delete()
        year_end_duties(agency, other_agency, staff, manager, tasks)
        client.force_login(staff)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("tracker:my_work"))
        return len(captured)

    assert queries(1) == queries(5)
