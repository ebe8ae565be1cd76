"""The year-end evaluation in the admin: a task's results page (write, submit, withdraw, files),
assignments with the conflict rule, an evaluator's scoring page (their own only; a stale tab
never overwrites), the round's grades page (bands, reasons) and its criteria fixed once scoring
starts."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import (
    AgencyFactory,
    PerformanceIndicatorFactory,
    TaskFactory,
    evaluator,
    round_at,
)
from tests.helpers import plan_manager, post_result, results_data, results_url, score_data, scoring
from tracker.evaluation import services as evaluation
from tracker.models import (
    AgencyKind,
    Assignment,
    EvaluationRound,
    Grade,
    GradeLevel,
    Result,
    ResultState,
    RoundState,
    Score,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"






# -- Results -----------------------------------------------------------------------------------

def test_lead_staff_write_submit_and_withdraw_results_with_indicators(client, staff, task,
                                                                      plan):
    round_at(RoundState.SUBMISSION, plan, submission_closes=datetime.date(2099, 1, 31),
             evaluation_closes=None, meeting_date=None, published_on=None)
    indicator = PerformanceIndicatorFactory(task=task, target=200)
    client.force_login(staff)

    saved = post_result(client, task, **{f"actual_{indicator.pk}": "150"})
    submitted = client.post(results_url(task), results_data(task, "submit"), follow=True)
    page = client.get(results_url(task), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(results_url(task), results_data(task, "withdraw"))

    assert saved.status_code == 302 and submitted.status_code == 200
    assert "특허 분석 120건" in page and "75.0%" in page and "submitted" in page
    result = Result.objects.get(task=task)
    assert result.state == ResultState.DRAFT and result.submitted_at is None
    indicator.refresh_from_db()
    assert indicator.actual == 150


def test_a_submission_after_the_deadline_is_accepted_and_marked_late(client, staff, task,
                                                                     plan):
    round_at(RoundState.SUBMISSION, plan, submission_closes=datetime.date(2020, 1, 31),
             submission_opens=datetime.date(2020, 1, 2))
    client.force_login(staff)
    post_result(client, task)

    response = client.post(results_url(task), results_data(task, "submit"), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    withdraw = client.post(results_url(task), results_data(task, "withdraw"), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")

    assert "marked late" in response.content.decode()
    assert "deadline has passed" in withdraw.content.decode()
    result = Result.objects.get(task=task)
    assert result.submitted and result.is_late


def test_a_second_tab_never_overwrites_the_first_results(client, staff, task, plan):
    round_at(RoundState.SUBMISSION, plan)
    client.force_login(staff)
    post_result(client, task, version=0, achievements="first tab")

    stale = post_result(client, task, version=0, achievements="second tab")

    assert stale.status_code == 200 and "after you opened this page" in stale.content.decode()
    assert Result.objects.get(task=task).achievements == "first tab"


def test_results_are_refused_before_the_round_opens_and_after_approval(client, staff, task,
                                                                       plan):
    round_ = round_at(RoundState.PREPARING, plan)
    client.force_login(staff)

    with translation.override("en"):
        before = client.post(results_url(task), {"action": "save", "achievements": "x",
                                                 "version": 0}, follow=True,
                             HTTP_ACCEPT_LANGUAGE="en")
        EvaluationRound.objects.filter(pk=round_.pk).update(state=RoundState.APPROVED)
        after = client.post(results_url(task), results_data(task, "submit"), follow=True,
                            HTTP_ACCEPT_LANGUAGE="en")

    assert "opens for submission" in before.content.decode()
    assert "has been approved" in after.content.decode()
    assert not Result.objects.exists()


def test_other_agencies_cannot_see_or_write_a_tasks_results(client, task, plan, make_staff,
                                                            other_agency):
    round_at(RoundState.SUBMISSION, plan)
    supporter = make_staff(other_agency)
    task.supporting_agencies.add(other_agency)
    stranger = make_staff(AgencyFactory(slug="stranger"))

    client.force_login(supporter)
    read = client.get(results_url(task))
    write = post_result(client, task)
    client.force_login(stranger)
    hidden = client.get(results_url(task))

    assert read.status_code == 200 and 'name="achievements"' not in read.content.decode()
    assert write.status_code == 403 and hidden.status_code == 404
    assert not Result.objects.exists()


def test_an_evidence_file_is_uploaded_listed_and_withdrawn(client, staff, task, plan):
    round_at(RoundState.SUBMISSION, plan)
    client.force_login(staff)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(results_url(task), results_data(
        task, files=SimpleUploadedFile("보고서.pdf", PDF)))
    stored = Result.objects.get(task=task).evidence.get()
    bad = client.post(results_url(task), results_data(
        task, files=SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" * 10)),
        HTTP_ACCEPT_LANGUAGE="en")
    client.post(results_url(task), results_data(task, f"withdraw_evidence:{stored.pk}"))
    page = client.get(results_url(task), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert "보고서.pdf" in page and "withdrawn" in page
    stored.refresh_from_db()
    assert stored.withdrawn and Result.objects.get(task=task).evidence.count() == 1


# -- Assignments and scores ---------------------------------------------------------------------

def test_managers_assign_evaluators_and_the_conflict_rule_is_said(client, manager, task, plan,
                                                                 agency, kista):
    round_ = round_at(RoundState.SUBMISSION, plan)
    outsider, insider = evaluator("outsider"), evaluator("insider", kista)  # KISTA is KIPO's child
    client.force_login(manager)
    url = reverse("admin:tracker_assignment_add")

    ok = client.post(url, {"round": round_.pk, "evaluator": outsider.pk, "task": task.pk})
    refused = client.post(url, {"round": round_.pk, "evaluator": insider.pk, "task": task.pk},
                          HTTP_ACCEPT_LANGUAGE="en")
    twice = client.post(url, {"round": round_.pk, "evaluator": outsider.pk, "task": task.pk},
                        HTTP_ACCEPT_LANGUAGE="en")

    assert ok.status_code == 302
    assert "cannot evaluate it" in refused.content.decode()
    assert "already assigned" in twice.content.decode()
    assert list(Assignment.objects.values_list("evaluator__username", flat=True)) == ["outsider"]


def test_an_institution_is_assigned_and_scored_on_its_own_criteria(plan, strategy):
    incheon = AgencyFactory(name_ko="인천광역시", slug="incheon", kind=AgencyKind.METROPOLITAN)
    TaskFactory(plan=plan, strategy=strategy, lead_agency=incheon, number=3)
    round_ = round_at(RoundState.SUBMISSION, plan)
    expert = evaluator("expert")
    assignment = evaluation.assign(round_=round_, evaluator=expert, agency=incheon,
                                   user=plan_manager())

    assert evaluation.applicable_criteria(assignment).count() == 5
    assert evaluation.applicable_criteria(
        Assignment(round=round_, task=TaskFactory(plan=plan, strategy=strategy, number=4))
    ).count() == 3






def test_an_evaluator_scores_their_assignment_and_sees_no_other(client, task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, second, mine, theirs = scoring(round_, task)
    client.force_login(first)

    listing = client.get(reverse("admin:tracker_assignment_changelist")).content.decode()
    saved = client.post(reverse("admin:tracker_assignment_change", args=[mine.pk]),
                        score_data(mine, "91"))
    other = client.get(reverse("admin:tracker_assignment_change", args=[theirs.pk]))
    tasks = client.get(reverse("admin:tracker_task_changelist"))

    assert saved.status_code == 302
    assert "second" not in listing and str(task.title) in listing
    assert other.status_code == 302  # the admin's "no such object"
    assert tasks.status_code == 403
    assert set(Score.objects.values_list("assignment__evaluator__username", flat=True)) == {
        "first"}
    assert evaluation.unit_mean(round_, task=task) == Decimal("91.00")


def test_scores_out_of_the_scale_are_refused_and_nothing_is_stored(client, task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, _second, mine, _theirs = scoring(round_, task)
    client.force_login(first)

    response = client.post(reverse("admin:tracker_assignment_change", args=[mine.pk]),
                           score_data(mine, "101"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Score.objects.exists()


def test_a_second_tab_of_an_evaluator_never_overwrites_the_first(client, task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, _second, mine, _theirs = scoring(round_, task)
    client.force_login(first)
    url = reverse("admin:tracker_assignment_change", args=[mine.pk])

    client.post(url, score_data(mine, "80", version=0, comment="first tab"))
    stale = client.post(url, score_data(mine, "60", version=0, comment="second tab"),
                        HTTP_ACCEPT_LANGUAGE="en")

    assert stale.status_code == 200 and "another tab" in stale.content.decode()
    mine.refresh_from_db()
    assert mine.comment == "first tab"
    assert set(mine.scores.values_list("value", flat=True)) == {Decimal("80")}


def test_a_score_for_another_rounds_criterion_is_refused(task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, _second, mine, _theirs = scoring(round_, task)
    from tests.factories import PlanFactory

    foreign = round_at(RoundState.EVALUATION, PlanFactory(year=2023)).criteria.first()
    mine.refresh_from_db()

    with translation.override("en"), pytest.raises(Exception, match="not this round"):
        evaluation.score(assignment=mine, user=first, values={foreign.pk: Decimal(50)},
                         comment="", expected_version=mine.version)
    assert not Score.objects.exists()


# -- Grades --------------------------------------------------------------------------------------

def test_the_grades_page_shows_means_and_bands_and_asks_a_reason_to_depart(client, manager,
                                                                           task, plan):
    round_ = round_at(RoundState.SUBMISSION, plan)
    Result.objects.create(task=task, state=ResultState.SUBMITTED, achievements="성과",
                          submitted_at=timezone.now())
    first, second, mine, theirs = scoring(round_, task)
    for who, assignment, value in [(first, mine, 90), (second, theirs, 80)]:
        evaluation.score(assignment=assignment, user=who,
                         values={c.pk: Decimal(value)
                                 for c in evaluation.applicable_criteria(assignment)},
                         comment="", expected_version=0)
    client.force_login(manager)
    url = reverse("admin:tracker_evaluationround_grades", args=[round_.pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    departing = client.post(url, {f"task-{task.pk}-grade": "outstanding",
                                  f"task-{task.pk}-reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    in_band = client.post(url, {f"task-{task.pk}-grade": "excellent",
                                f"task-{task.pk}-reason": ""})

    assert "85.00" in page and "Excellent" in page
    assert "say why the grade is different" in departing.content.decode()
    assert in_band.status_code == 302
    assert Grade.objects.get(task=task).mean == Decimal("85.00")


def test_a_unit_that_submitted_nothing_is_graded_above_insufficient_only_with_a_reason(
        client, manager, task, plan):
    round_ = round_at(RoundState.EVALUATION, plan)
    client.force_login(manager)
    url = reverse("admin:tracker_evaluationround_grades", args=[round_.pk])

    refused = client.post(url, {f"task-{task.pk}-grade": "outstanding",
                                f"task-{task.pk}-reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    insufficient = client.post(url, {f"task-{task.pk}-grade": "insufficient",
                                     f"task-{task.pk}-reason": "실적 미제출"})

    assert "submitted no results" in refused.content.decode()
    assert insufficient.status_code == 302
    assert Grade.objects.get(task=task).grade == GradeLevel.INSUFFICIENT


def test_criteria_and_scale_are_fixed_once_scoring_starts(client, manager, plan):
    round_ = round_at(RoundState.EVALUATION, plan)
    client.force_login(manager)

    page = client.get(reverse("admin:tracker_evaluationround_change", args=[round_.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="criteria-0-weight"' not in body and 'name="scale_max"' not in body


def test_a_rounds_dates_out_of_order_are_refused_with_a_message(client, manager, plan):
    round_ = round_at(RoundState.PREPARING, plan)
    client.force_login(manager)
    url = reverse("admin:tracker_evaluationround_change", args=[round_.pk])
    page = client.get(url)
    data = {**page.context["adminform"].form.initial,
            "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0,
            "grades-TOTAL_FORMS": 0, "grades-INITIAL_FORMS": 0}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data.update({"submission_opens": "2025-02-10", "submission_closes": "2025-01-31"})

    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "This date comes before" in response.content.decode()
    round_.refresh_from_db()
    assert round_.submission_opens == datetime.date(2025, 1, 2)


def test_a_new_round_made_in_the_admin_takes_the_default_criteria(client, manager, plan):
    client.force_login(manager)

    response = client.post(reverse("admin:tracker_evaluationround_add"), {
        "plan": plan.pk, "scale_min": "0", "scale_max": "100", "band_outstanding": "90",
        "band_excellent": "80", "band_satisfactory": "60", "evaluators_per_unit": "2",
        "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0,
        "grades-TOTAL_FORMS": 0, "grades-INITIAL_FORMS": 0})

    assert response.status_code == 302
    round_ = EvaluationRound.objects.get(plan=plan)
    assert list(round_.criteria.values_list("name_ko", "weight")) == [
        ("정책품질", 40), ("파급효과", 30), ("전략성", 30), ("지역특화 전략", 20),
        ("수요 대응", 20)]


def test_one_action_grades_every_unit_by_its_band_and_leaves_the_empty_ones(
        client, manager, plan):
    from tests.factories import TaskFactory

    round_ = round_at(RoundState.SUBMISSION, plan)
    scored, empty, unscored = (TaskFactory(plan=plan) for _ in range(3))
    for task in (scored, empty):
        first, second, mine, theirs = scoring(round_, task)
        for who, assignment, value in [(first, mine, 90), (second, theirs, 80)]:
            evaluation.score(assignment=assignment, user=who,
                             values={c.pk: Decimal(value)
                                     for c in evaluation.applicable_criteria(assignment)},
                             comment="", expected_version=0)
    Result.objects.create(task=scored, state=ResultState.SUBMITTED, achievements="성과",
                          submitted_at=timezone.now())
    client.force_login(manager)
    url = reverse("admin:tracker_evaluationround_grades", args=[round_.pk])

    response = client.post(url, {"apply_bands": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    said = " ".join(str(m) for m in response.context["messages"])
    assert "Graded 1 unit by its band." in said and "2 units are left for you" in said
    assert list(Grade.objects.values_list("task", "grade", "reason")) == [
        (scored.pk, GradeLevel.EXCELLENT, "")]
    # Then an override, with a reason, on the same page.
    override = client.post(url, {f"task-{scored.pk}-grade": "outstanding",
                                 f"task-{scored.pk}-reason": "정책 파급효과가 큼"})
    assert override.status_code == 302
    assert Grade.objects.get(task=scored).grade == GradeLevel.OUTSTANDING
