"""An evaluator's queue: the open round first, what is still to score first, each unit with
its lead agency, budget and whether its results were submitted; saving goes on to the next.
On the list it replaces, last year's finished assignments came first, with no filter."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PlanFactory, TaskFactory, evaluator, round_at
from tests.helpers import plan_manager, score_data
from tracker.evaluation import services as evaluation
from tracker.models import Assignment, EvaluationRound, Result, ResultState, RoundState

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(db):
    """Last year's round, published, with a finished assignment; this year's being evaluated,
    with three projects (one with results submitted) assigned to the same evaluator."""
    expert = evaluator("panel-kim")
    old_plan, plan = PlanFactory(year=2023), PlanFactory(year=2024)
    old_round = round_at(RoundState.SUBMISSION, old_plan)
    old_task = TaskFactory(plan=old_plan, number=1, title_ko="지난해 과제")
    old = evaluation.assign(round_=old_round, evaluator=expert, task=old_task,
                            user=plan_manager())
    round_ = round_at(RoundState.SUBMISSION, plan)
    tasks = [TaskFactory(plan=plan, number=n, title_ko=f"올해 과제 {n}", budget=n * 10**9)
             for n in (1, 2, 3)]
    current = [evaluation.assign(round_=round_, evaluator=expert, task=task,
                                 user=plan_manager()) for task in tasks]
    Result.objects.create(task=tasks[0], state=ResultState.SUBMITTED, achievements="성과",
                          submitted_at=timezone.now())
    EvaluationRound.objects.filter(pk__in=[old_round.pk, round_.pk]).update(
        state=RoundState.EVALUATION)
    evaluation.score(assignment=old, user=expert, values={
        c.pk: 80 for c in evaluation.applicable_criteria(old)}, comment="", expected_version=0)
    EvaluationRound.objects.filter(pk=old_round.pk).update(state=RoundState.PUBLISHED,
                                                          meeting_date="2024-03-19")
    return {"expert": expert, "old": old, "current": current, "tasks": tasks}


def test_the_open_round_and_what_is_still_to_score_come_first(client, queue):
    client.force_login(queue["expert"])

    page = client.get(reverse("admin:tracker_assignment_changelist"),
                      HTTP_ACCEPT_LANGUAGE="en")

    listed = list(page.context["cl"].result_list)
    assert listed == [*queue["current"], queue["old"]]
    body = page.content.decode()
    assert "Still to score" in body  # the filter
    rows = body.split('id="result_list"', 1)[1].split("</table>", 1)[0].split("<tr")[2:]
    assert "1 billion won" in rows[0] and ">submitted<" in rows[0]
    assert "2 billion won" in rows[1] and ">not submitted<" in rows[1]
    to_score = client.get(reverse("admin:tracker_assignment_changelist") + "?to_score=yes")
    assert list(to_score.context["cl"].result_list) == queue["current"]


def test_saving_goes_on_to_the_next_still_to_score(client, queue):
    expert = queue["expert"]
    first, second, _third = queue["current"]
    client.force_login(expert)
    url = reverse("admin:tracker_assignment_change", args=[first.pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post(url, {**score_data(first, "85"), "_next": "1"})

    assert "Save and score the next" in page and "Lead agency:" in page
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_assignment_change", args=[second.pk])
    assert Assignment.objects.with_progress().get(pk=first.pk).scored == 3


def test_the_last_one_saved_goes_back_to_what_is_left(client, queue):
    expert = queue["expert"]
    *done, last = queue["current"]
    for assignment in done:
        evaluation.score(assignment=assignment, user=expert, values={
            c.pk: 70 for c in evaluation.applicable_criteria(assignment)}, comment="",
            expected_version=0)
    client.force_login(expert)
    url = reverse("admin:tracker_assignment_change", args=[last.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {**score_data(last, "85"), "_save": "1"})

    assert "_next" not in page  # nothing follows
    assert response["Location"].endswith("?to_score=yes")
