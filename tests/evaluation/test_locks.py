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
