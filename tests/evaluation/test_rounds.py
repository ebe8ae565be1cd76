"""The evaluation round: its steps in order, its dates in order, grades while it is evaluated
and never after approval, and the grade distribution on the years page once approved."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import translation

from tests.factories import AgencyFactory, PlanFactory, TaskFactory, evaluator
from tests.helpers import plan_manager, take_step
from tracker.evaluation import services as evaluation
from tracker.models import EvaluationRound, Grade, GradeLevel, RoundState

pytestmark = pytest.mark.django_db

DAY = datetime.date


def dated_round(plan):
    return evaluation.create_round(
        plan=plan, submission_opens=DAY(2025, 1, 6), submission_closes=DAY(2025, 1, 31),
        evaluation_closes=DAY(2025, 2, 28), meeting_number=38, meeting_date=DAY(2025, 3, 28),
        held_in_writing=True, published_on=DAY(2025, 4, 15))


def evaluated(round_, grades):
    evaluation.advance(round_, RoundState.SUBMISSION, user=plan_manager(), reason="시험 진행")
    experts = [evaluator(f"expert-{n}") for n in range(round_.evaluators_per_unit)]
    for task in evaluation.graded_tasks(round_):
        for expert in experts:
            evaluation.assign(round_=round_, evaluator=expert, task=task, user=plan_manager())
    evaluation.advance(round_, RoundState.EVALUATION, user=plan_manager(), reason="시험 진행")
    for task, grade in grades:
        evaluation.set_grade(round_, task=task, grade=grade, reason="No scores in this test.",
                             user=plan_manager())
    return round_


def test_a_round_moves_one_step_at_a_time_to_publication(plan):
    task = TaskFactory(plan=plan)
    round_ = evaluated(dated_round(plan), [(task, GradeLevel.OUTSTANDING)])

    with translation.override("en"), pytest.raises(ValidationError, match="cannot move"):
        evaluation.advance(round_, RoundState.PUBLISHED, user=plan_manager(), reason="시험 진행")
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    evaluation.advance(round_, RoundState.PUBLISHED, user=plan_manager(), reason="시험 진행")

    round_.refresh_from_db()
    assert round_.state == RoundState.PUBLISHED


@pytest.mark.parametrize("step, field, words", [
    (RoundState.SUBMISSION, "submission_closes", "the day submission closes"),
    (RoundState.EVALUATION, "evaluation_closes", "the day evaluation closes"),
])
def test_a_step_needs_its_dates(plan, step, field, words):
    round_ = dated_round(plan)
    setattr(round_, field, None)
    round_.save()
    if step == RoundState.EVALUATION:
        evaluation.advance(round_, RoundState.SUBMISSION, user=plan_manager(), reason="시험 진행")

    with translation.override("en"), pytest.raises(ValidationError, match=words):
        evaluation.advance(round_, step, user=plan_manager(), reason="시험 진행")


def test_approval_needs_grades_and_then_nothing_of_the_round_changes(plan):
    task = TaskFactory(plan=plan)
    round_ = evaluated(dated_round(plan), [])

    with translation.override("en"), pytest.raises(ValidationError, match="the grades"):
        evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    evaluation.set_grade(round_, task=task, grade=GradeLevel.EXCELLENT, reason="Read.",
                         user=plan_manager())
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")

    with translation.override("en"), pytest.raises(ValidationError, match="approved"):
        evaluation.set_grade(round_, task=task, grade=GradeLevel.OUTSTANDING, user=plan_manager())
    assert Grade.objects.get(task=task).grade == GradeLevel.EXCELLENT


def test_evaluation_starts_once_every_unit_has_its_evaluators(plan):
    task = TaskFactory(plan=plan)
    round_ = dated_round(plan)
    evaluation.advance(round_, RoundState.SUBMISSION, user=plan_manager(), reason="시험 진행")
    evaluation.assign(round_=round_, evaluator=evaluator("only-one"), task=task,
                      user=plan_manager())

    with translation.override("en"), pytest.raises(ValidationError, match="at least 2 evaluators"):
        evaluation.advance(round_, RoundState.EVALUATION, user=plan_manager(), reason="시험 진행")
    evaluation.assign(round_=round_, evaluator=evaluator("second-one"), task=task,
                      user=plan_manager())
    evaluation.advance(round_, RoundState.EVALUATION, user=plan_manager(), reason="시험 진행")


def test_grades_are_given_only_while_the_round_is_evaluated_and_to_its_own_tasks(plan):
    round_ = dated_round(plan)
    other = TaskFactory(plan=PlanFactory(year=2023))

    with translation.override("en"):
        with pytest.raises(ValidationError, match="being evaluated"):
            evaluation.set_grade(round_, task=TaskFactory(plan=plan), grade=GradeLevel.EXCELLENT,
                                 user=plan_manager())
        evaluated(round_, [])
        with pytest.raises(ValidationError, match="another plan"):
            evaluation.set_grade(round_, task=other, grade=GradeLevel.EXCELLENT,
                                 user=plan_manager())
        with pytest.raises(ValidationError, match="either a task or an institution"):
            evaluation.set_grade(round_, task=other, agency=AgencyFactory(), grade="excellent",
                                 user=plan_manager())
    assert not Grade.objects.exists()


@pytest.mark.parametrize("changes", [
    {"submission_opens": DAY(2025, 2, 1)},  # after submission closes
    {"meeting_date": DAY(2025, 2, 1)},  # before evaluation closes
    {"published_on": DAY(2025, 3, 1)},  # before the meeting
    {"state": RoundState.APPROVED, "meeting_date": None, "published_on": None},
])
def test_the_database_refuses_dates_out_of_order_and_a_decision_without_a_meeting(plan,
                                                                                   changes):
    round_ = dated_round(plan)

    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationRound.objects.filter(pk=round_.pk).update(**changes)


def test_the_admin_shows_a_decided_round_read_only(client, superuser, plan):
    round_ = evaluated(dated_round(plan), [(TaskFactory(plan=plan), GradeLevel.SATISFACTORY)])
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    client.force_login(superuser)

    page = client.get(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="meeting_date"' not in body and 'name="criteria-0-weight"' not in body


def test_the_step_page_moves_a_round_on_or_says_why_not(client, superuser, plan):
    ready = dated_round(plan)
    unready = EvaluationRound.objects.create(plan=PlanFactory(year=2023),
                                             submission_closes=None)
    client.force_login(superuser)

    moved = take_step(client, ready, reason="지침대로 시작", HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("admin:tracker_evaluationround_step", args=[unready.pk]),
                      HTTP_ACCEPT_LANGUAGE="en")

    assert moved.status_code == 302
    body = page.content.decode()
    assert "The step cannot be taken yet" in body and "the day submission opens" in body
    assert "<button" not in body.split("Steps taken")[0].split("cannot be taken yet")[1]
    ready.refresh_from_db()
    unready.refresh_from_db()
    assert (ready.state, unready.state) == (RoundState.SUBMISSION, RoundState.PREPARING)


def test_the_years_page_draws_the_grades_of_approved_rounds_only(client, manager):
    approved_plan, open_plan = PlanFactory(year=2024), PlanFactory(year=2025)
    grades = [GradeLevel.OUTSTANDING, GradeLevel.EXCELLENT, GradeLevel.EXCELLENT,
              GradeLevel.SATISFACTORY]
    round_ = evaluated(dated_round(approved_plan),
                      [(TaskFactory(plan=approved_plan), grade) for grade in grades])
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    evaluated(dated_round(open_plan), [(TaskFactory(plan=open_plan), GradeLevel.INSUFFICIENT)])
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:years"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    table = body[body.index("as the Council approved them"):]
    table = table[:table.index("</table>")]
    assert '<th scope="row">2024</th><td class="num">1</td><td class="num">2</td>' in table
    assert '<td class="num">0</td><td class="num">4</td>' in table  # none insufficient; 4 graded
    assert "2025" not in table
    assert 'id="chart-grades-title"' in body


def test_plan_managers_move_rounds_and_agency_staff_cannot(client, manager, staff, plan):
    round_ = dated_round(plan)
    url = reverse("admin:tracker_evaluationround_step", args=[round_.pk])
    client.force_login(staff)

    refused = client.post(url, {"reason": "x", "seen": ""})
    round_.refresh_from_db()
    assert refused.status_code in (403, 404) and round_.state == RoundState.PREPARING
    with pytest.raises(PermissionDenied):
        evaluation.advance(round_, RoundState.SUBMISSION, user=staff, reason="시험 진행")

    client.force_login(manager)
    listed = client.get(reverse("admin:tracker_evaluationround_changelist")).content.decode()
    take_step(client, round_, reason="시작")

    assert url in listed  # the list links each round to its next step
    round_.refresh_from_db()
    assert round_.state == RoundState.SUBMISSION


def test_a_graded_task_cannot_be_deleted(plan):
    task = TaskFactory(plan=plan)
    evaluated(dated_round(plan), [(task, GradeLevel.EXCELLENT)])

    with pytest.raises(ProtectedError), transaction.atomic():
        task.delete()

    assert Grade.objects.filter(task=task).exists()


def test_the_public_sees_grades_once_published_not_when_approved(client, settings, plan):
    settings.KIPPLAN_PUBLIC_PAGES = True
    round_ = evaluated(dated_round(plan), [(TaskFactory(plan=plan), GradeLevel.OUTSTANDING)])
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    url = reverse("tracker:years")

    approved = client.get(url).content.decode()
    evaluation.advance(round_, RoundState.PUBLISHED, user=plan_manager(), reason="시험 진행")
    published = client.get(url).content.decode()

    assert 'id="chart-grades-title"' not in approved
    assert 'id="chart-grades-title"' in published
