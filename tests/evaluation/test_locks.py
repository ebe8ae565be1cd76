"""Locks and rules everywhere: the conflict rule at scoring and before approval, not only at
assignment; a graded task's agencies and budget fixed once the Council has decided, for
superusers too."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import AgencyFactory, MembershipFactory, TaskFactory, round_at
from tests.helpers import plan_manager, scoring
from tracker.evaluation import services as evaluation
from tracker.models import EvaluationRound, RoundState, Task

pytestmark = pytest.mark.django_db


def test_an_evaluator_who_joined_the_agency_since_cannot_score_and_blocks_approval(
        task, plan, agency):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, second, mine, theirs = scoring(round_, task)
    MembershipFactory(user=first, agency=agency)  # joined the lead agency after assignment

    with pytest.raises(ValidationError, match="cannot evaluate it|평가할 수 없습니다"):
        evaluation.score(assignment=mine, user=first, expected_version=0, comment="",
                         values={c.pk: Decimal(80)
                                 for c in evaluation.applicable_criteria(mine)})
    evaluation.set_grade(round_, task=task, grade="insufficient", reason="시험",
                         user=plan_manager())
    missing = evaluation.missing_for(EvaluationRound.objects.get(pk=round_.pk),
                                     RoundState.APPROVED)
    assert any(first.get_username() in what for what in missing)


def test_a_graded_tasks_agencies_and_budget_are_fixed_once_decided_even_for_a_superuser(
        client, superuser, task, plan):
    round_ = round_at(RoundState.EVALUATION, plan)
    evaluation.set_grade(round_, task=task, grade="satisfactory", reason="시험",
                         user=plan_manager())
    other = AgencyFactory(slug="other-lead")
    client.force_login(superuser)
    url = reverse("admin:tracker_task_change", args=[task.pk])
    open_form = client.get(url).context["adminform"].form
    assert "budget" in open_form.fields  # still editable while the round is open

    EvaluationRound.objects.filter(pk=round_.pk).update(state=RoundState.APPROVED,
                                                        meeting_date="2025-03-28")
    form = client.get(url).context["adminform"].form

    for field in ("lead_agency", "supporting_agencies", "budget"):
        assert field not in form.fields
    task.refresh_from_db()
    task.lead_agency = other
    task.budget += 1
    with pytest.raises(ValidationError) as refused:
        task.full_clean()
    assert set(refused.value.message_dict) >= {"lead_agency", "budget"}
    assert Task.objects.get(pk=task.pk).lead_agency != other


def test_an_ungraded_task_of_a_decided_round_stays_editable(plan):
    round_ = round_at(RoundState.APPROVED, plan, meeting_date="2025-03-28")
    ungraded = TaskFactory(plan=plan)
    assert round_.state == RoundState.APPROVED and ungraded.locked_fields() == {}


def test_a_manager_withdraws_a_scored_assignment_turned_conflicted_from_the_step_page(
        client, manager, task, plan, agency):
    """The evaluator scored, then joined the lead agency: approval is blocked, and the step
    page is where the manager takes the assignment back, with a reason kept in the history
    (before, nothing could: a scored assignment could not be deleted)."""
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, second, mine, theirs = scoring(round_, task)
    for assignment, user in ((mine, first), (theirs, second)):
        evaluation.score(assignment=assignment, user=user, expected_version=0, comment="",
                         values={c.pk: Decimal(90)
                                 for c in evaluation.applicable_criteria(assignment)})
    evaluation.set_grade(round_, task=task, grade="outstanding", reason="시험: 결과 미제출",
                         user=plan_manager())  # graded with the panel's mean, 90
    MembershipFactory(user=first, agency=agency)
    step = reverse("admin:tracker_evaluationround_step", args=[round_.pk])
    client.force_login(manager)

    shown = client.get(step)
    assert [a.pk for a in shown.context["conflicted"]] == [mine.pk]
    assert f"id_withdraw_{mine.pk}_reason" in shown.content.decode()

    refused = client.post(step, {"withdraw": mine.pk, "reason": "  "})
    assert refused.status_code == 200
    assert "철회하는 이유를" in refused.content.decode()
    assert evaluation.conflicted(round_) and mine.scores.exists()

    done = client.post(step, {"withdraw": mine.pk, "reason": "평가 후 주관기관으로 전입"},
                       follow=True)
    assert done.redirect_chain[-1][0] == step
    assert not evaluation.conflicted(round_)
    assert list(round_.assignments.all()) == [theirs]
    history = client.get(reverse("admin:tracker_evaluationround_history",
                                 args=[round_.pk])).content.decode()
    assert "평가 후 주관기관으로 전입" in history and "first" in history
    # The grade given with the withdrawn scores in its mean is set aside, to be given again.
    assert not round_.grades.exists() and "최우수" in history
    round_.refresh_from_db()
    assert any("등급" in what for what in evaluation.missing_for(round_, RoundState.APPROVED))
    again = client.post(step, {"withdraw": mine.pk, "reason": "두 번 누름"})
    assert "이미 철회" in again.content.decode()  # a double click, said as such
    evaluation.set_grade(round_, task=task, grade="insufficient", reason="결과 미제출",
                         user=plan_manager())
    round_.refresh_from_db()
    assert evaluation.missing_for(round_, RoundState.APPROVED) == []
    assert any("평가위원 수가" in warning
               for warning in evaluation.warnings_for(round_, RoundState.APPROVED))


def test_only_a_manager_withdraws_and_a_mistyped_id_is_said_not_a_500(
        client, staff, manager, task, plan, agency):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, second, mine, theirs = scoring(round_, task)
    MembershipFactory(user=first, agency=agency)
    step = reverse("admin:tracker_evaluationround_step", args=[round_.pk])
    client.force_login(staff)
    assert client.post(step, {"withdraw": mine.pk, "reason": "x"}).status_code in (403, 302)
    client.force_login(manager)
    for mistyped in ("9" * 5000, "abc", str(theirs.pk + mine.pk + 100)):
        response = client.post(step, {"withdraw": mistyped, "reason": "x"})
        assert response.status_code == 200, mistyped
        assert "kipplan-error-summary" in response.content.decode()
    assert round_.assignments.count() == 2


def test_an_assignment_without_a_conflict_is_not_withdrawn_this_way(task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, second, mine, theirs = scoring(round_, task)
    with pytest.raises(ValidationError, match="conflict|이해충돌"):
        evaluation.withdraw_conflicted(assignment=mine, user=plan_manager(), reason="착오")
    assert round_.assignments.count() == 2
