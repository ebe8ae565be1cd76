"""The round's steps behind a confirmation: what is incomplete and what the round's own dates
say, a reason to go ahead of them, recorded with the step. Each failed on the one-click action
it replaces, which moved a round with 61 of 63 projects unsubmitted and no question asked."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import TaskFactory, evaluator, round_at
from tests.helpers import plan_manager, take_step
from tracker.evaluation import services as evaluation
from tracker.models import EvaluationRound, Result, ResultState, RoundState, RoundStep

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def open_round(plan, tasks=3, submitted=1, closes_in=10):
    """A round taking results until ``closes_in`` days from today, its projects assigned two
    evaluators each, ``submitted`` of them with their results in."""
    round_ = round_at(RoundState.SUBMISSION, plan,
                      submission_opens=TODAY - datetime.timedelta(days=20),
                      submission_closes=TODAY + datetime.timedelta(days=closes_in),
                      evaluation_closes=TODAY + datetime.timedelta(days=40),
                      meeting_date=None, published_on=None)
    made = [TaskFactory(plan=plan) for _ in range(tasks)]
    experts = [evaluator("expert-a"), evaluator("expert-b")]
    for task in made:
        for expert in experts:
            evaluation.assign(round_=round_, evaluator=expert, task=task, user=plan_manager())
    for task in made[:submitted]:
        Result.objects.create(task=task, state=ResultState.SUBMITTED, achievements="성과",
                              submitted_at=timezone.now())
    return round_


def step_page(round_):
    return reverse("admin:tracker_evaluationround_step", args=[round_.pk])


def test_the_confirmation_says_what_is_incomplete_and_what_the_dates_say(client, manager,
                                                                         plan):
    round_ = open_round(plan, tasks=3, submitted=1, closes_in=10)
    client.force_login(manager)

    body = client.get(step_page(round_), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2 of 3 projects have not submitted their results." in body
    assert "Submission is open until" in body and "10 more days" in body
    assert 'name="reason"' in body


def test_going_ahead_of_the_round_needs_a_reason_which_is_recorded(client, manager, plan):
    round_ = open_round(plan)
    client.force_login(manager)

    refused = take_step(client, round_, reason="  ", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "Say why the round goes ahead" in refused.content.decode()
    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.SUBMISSION

    moved = take_step(client, round_, reason="위원회 일정이 앞당겨짐")
    assert moved.status_code == 302
    step = RoundStep.objects.get()
    assert (step.from_state, step.to_state, step.taken_by, step.reason) == (
        RoundState.SUBMISSION, RoundState.EVALUATION, manager, "위원회 일정이 앞당겨짐")
    assert any("제출하지 않았습니다" in warning for warning in step.warnings)  # as shown
    page = client.get(step_page(round_)).content.decode()
    assert "위원회 일정이 앞당겨짐" in page  # the steps taken, with their reasons


def test_a_step_with_nothing_incomplete_needs_no_reason(client, manager, plan):
    round_ = open_round(plan, tasks=2, submitted=2, closes_in=-1)
    client.force_login(manager)

    assert take_step(client, round_).status_code == 302
    assert RoundStep.objects.get().warnings == []


def test_a_warning_that_appears_after_the_page_was_shown_is_said_again(client, manager, plan):
    round_ = open_round(plan, tasks=2, submitted=2, closes_in=-1)
    client.force_login(manager)
    url = step_page(round_)
    seen = client.get(url).context["form"]["seen"].value()
    Result.objects.update(state=ResultState.DRAFT, submitted_at=None)  # withdrawn meanwhile

    response = client.post(url, {"reason": "이상 없음", "seen": seen},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Something changed since the page was shown" in response.content.decode()
    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.SUBMISSION


def test_the_service_refuses_a_step_past_warnings_without_a_reason(plan):
    round_ = open_round(plan)

    with pytest.raises(ValidationError, match="Say why|사유"):
        evaluation.advance(round_, RoundState.EVALUATION, user=plan_manager())
    assert not RoundStep.objects.exists()


def test_publication_warns_of_projects_without_budget_advice_and_a_passed_notice_day(plan):
    round_ = open_round(plan, tasks=2, submitted=2, closes_in=-10)
    EvaluationRound.objects.filter(pk=round_.pk).update(
        state=RoundState.APPROVED, evaluation_closes=TODAY - datetime.timedelta(days=6),
        meeting_date=TODAY - datetime.timedelta(days=5),
        notice_by=TODAY - datetime.timedelta(days=1))
    round_.refresh_from_db()
    for task in evaluation.graded_tasks(round_):
        round_.grades.create(task=task, grade="satisfactory", reason="")

    warnings = evaluation.warnings_for(round_, RoundState.PUBLISHED)

    assert any("2 graded projects have no budget advice" in w or "재원배분방향" in w
               for w in warnings)
    assert any("notice" in w or "통보" in w for w in warnings)
