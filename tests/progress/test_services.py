import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import MilestoneFactory, TaskFactory
from tracker.common.stale import StaleEdit
from tracker.models import (
    ContributionNote,
    MilestoneChange,
    ProgressUpdate,
    ReviewAssessment,
    Status,
    Task,
)
from tracker.progress import services

pytestmark = pytest.mark.django_db

BUDGET = 10_000_000_000


def report(task, user, **values):
    values = {"status": Status.ON_TRACK, "progress": 60, "budget_executed": 1_000_000_000,
              "note": "", **values}
    return services.report_progress(
        task=task, user=user, expected_version=values.pop("version", task.version), **values
    )


def test_a_report_becomes_the_task_current_state_and_its_history(task, staff):
    before = timezone.now()

    update = report(task, staff, progress=35, budget_executed=2_000_000_000, note="착수")

    task.refresh_from_db()
    assert (task.status, task.progress, task.budget_executed) == (
        Status.ON_TRACK, 35, 2_000_000_000
    )
    assert task.last_reported_at == update.reported_at >= before
    assert task.version == 2
    assert list(task.updates.all()) == [update]
    assert update.reported_by == staff


# (what is wrong, the task's state before, the report, the field that says so)
BAD_REPORTS = [
    ("progress above 100", {}, {"progress": 101}, "progress"),
    ("progress below 0", {}, {"progress": -1}, "progress"),
    ("completed below 100%", {}, {"status": Status.COMPLETED, "progress": 90}, "progress"),
    ("needs attention without a note", {}, {"status": Status.NEEDS_ATTENTION}, "note"),
    ("delayed without a note", {}, {"status": Status.DELAYED}, "note"),
    ("suspended without a note", {}, {"status": Status.SUSPENDED}, "note"),
    ("progress going back without a note", {"progress": 70}, {"progress": 50}, "note"),
    ("negative budget executed", {}, {"budget_executed": -1}, "budget_executed"),
    ("budget executed above the budget without a note", {},
     {"budget_executed": BUDGET + 1}, "note"),
    ("reopening a completed task without a note",
     {"status": Status.COMPLETED, "progress": 100}, {"status": Status.ON_TRACK, "progress": 100},
     "note"),
    ("reopening a suspended task without a note",
     {"status": Status.SUSPENDED, "progress": 30}, {"status": Status.ON_TRACK, "progress": 30},
     "note"),
    ("an unknown status", {}, {"status": "finished"}, "status"),
    ("ten times the last budget executed without a note", {"budget_executed": 100_000_000},
     {"budget_executed": 1_000_000_000}, "note"),
]
NOTE_RULES = [case for case in BAD_REPORTS if case[3] == "note"]


@pytest.mark.parametrize("case, before, values, field", BAD_REPORTS,
                         ids=[c[0] for c in BAD_REPORTS])
def test_a_bad_report_is_refused_with_a_clear_message_and_stores_nothing(
    plan, strategy, agency, staff, case, before, values, field
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, budget=BUDGET, **before)

    with pytest.raises(ValidationError) as error:
        report(task, staff, **values)

    assert field in error.value.message_dict
    assert all(message.strip() for message in error.value.message_dict[field])
    assert not ProgressUpdate.objects.exists()
    assert Task.objects.get(pk=task.pk).version == 1


@pytest.mark.parametrize("case, before, values, field", NOTE_RULES,
                         ids=[c[0] for c in NOTE_RULES])
def test_the_same_report_with_a_note_is_accepted(
    plan, strategy, agency, staff, case, before, values, field
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, budget=BUDGET, **before)

    report(task, staff, note="사유를 적습니다.", **values)

    assert list(ProgressUpdate.objects.values_list("note", flat=True)) == ["사유를 적습니다."]
    assert Task.objects.get(pk=task.pk).status == values.get("status", Status.ON_TRACK)


def test_a_blank_note_does_not_count_as_a_reason(task, staff):
    with pytest.raises(ValidationError):
        report(task, staff, status=Status.DELAYED, note="   ")


def test_completed_to_completed_and_continuing_is_not_a_reopening(task, staff):
    report(task, staff, status=Status.COMPLETED, progress=100)
    task.refresh_from_db()

    report(task, staff, status=Status.COMPLETED_CONTINUING, progress=100)

    assert Task.objects.get(pk=task.pk).status == Status.COMPLETED_CONTINUING


def test_a_report_against_an_old_version_is_refused_and_says_who_changed_it(task, staff):
    report(task, staff, progress=40)

    with pytest.raises(StaleEdit) as error:
        report(task, staff, progress=45, version=1)

    assert "kipo-staff" in str(error.value)
    assert "40%" in str(error.value)
    assert ProgressUpdate.objects.count() == 1
    assert Task.objects.get(pk=task.pk).progress == 40


@pytest.mark.parametrize(
    "who, allowed",
    [("lead", True), ("parent of lead", True), ("sub-agency of lead", False),
     ("supporting", False), ("unrelated", False), ("manager", False), ("superuser", True)],
)
def test_who_may_report_on_a_task(
    plan, strategy, agency, kista, team, other_agency, make_staff, manager, superuser, who,
    allowed,
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=kista,
                       supporting_agencies=[other_agency])
    user = {
        "lead": lambda: make_staff(kista), "parent of lead": lambda: make_staff(agency),
        "sub-agency of lead": lambda: make_staff(team),
        "supporting": lambda: make_staff(other_agency), "unrelated": lambda: make_staff(
            TaskFactory().lead_agency), "manager": lambda: manager,
        "superuser": lambda: superuser,
    }[who]()

    if allowed:
        report(task, user)
        assert ProgressUpdate.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            report(task, user)
        assert not ProgressUpdate.objects.exists()


def test_supporting_staff_add_a_contribution_without_changing_the_status(
    plan, strategy, agency, other_agency, make_staff
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                       supporting_agencies=[other_agency], status=Status.ON_TRACK, progress=30)
    helper = make_staff(other_agency)

    note = services.add_contribution(task=task, user=helper, note="자료 제공")

    assert (note.agency, note.author, note.note) == (other_agency, helper, "자료 제공")
    task.refresh_from_db()
    assert (task.status, task.progress, task.version) == (Status.ON_TRACK, 30, 1)


def test_lead_staff_cannot_add_a_contribution_note_and_empty_notes_are_refused(
    plan, strategy, agency, other_agency, make_staff, staff
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                       supporting_agencies=[other_agency])

    with pytest.raises(PermissionDenied):
        services.add_contribution(task=task, user=staff, note="x")
    with pytest.raises(ValidationError):
        services.add_contribution(task=task, user=make_staff(other_agency), note="  ")
    assert not ContributionNote.objects.exists()


def test_moving_a_due_date_needs_a_reason_kept_in_the_history(task, staff):
    milestone = MilestoneFactory(task=task, baseline_date=datetime.date(2024, 7, 31))
    later = datetime.date(2024, 9, 30)

    with pytest.raises(ValidationError) as error:
        services.update_milestone(milestone=milestone, user=staff, due_date=later,
                                  completed_on=None)
    assert "reason" in error.value.message_dict
    assert not MilestoneChange.objects.exists()

    change = services.update_milestone(milestone=milestone, user=staff, due_date=later,
                                       completed_on=None, reason="재공고")

    milestone.refresh_from_db()
    assert (milestone.baseline_date, milestone.due_date) == (datetime.date(2024, 7, 31), later)
    assert milestone.slippage_days == 61
    assert (change.old_due_date, change.new_due_date, change.reason, change.changed_by) == (
        datetime.date(2024, 7, 31), later, "재공고", staff
    )


def test_completing_a_milestone_needs_no_reason_but_not_a_future_date(task, staff):
    milestone = MilestoneFactory(task=task)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        services.update_milestone(milestone=milestone, user=staff,
                                  due_date=milestone.due_date, completed_on=tomorrow)
    assert "completed_on" in error.value.message_dict

    services.update_milestone(milestone=milestone, user=staff, due_date=milestone.due_date,
                              completed_on=datetime.date(2024, 4, 29))
    milestone.refresh_from_db()
    assert milestone.completed_on == datetime.date(2024, 4, 29)


def test_staff_of_another_agency_cannot_touch_a_milestone(task, other_agency, make_staff):
    milestone = MilestoneFactory(task=task)

    with pytest.raises(PermissionDenied):
        services.update_milestone(milestone=milestone, user=make_staff(other_agency),
                                  due_date=milestone.due_date, completed_on=None)


def test_managers_record_reviews_and_amber_or_red_needs_a_comment(task, manager, staff):
    with pytest.raises(ValidationError):
        services.record_review(task=task, user=manager, light="red")
    with pytest.raises(PermissionDenied):
        services.record_review(task=task, user=staff, light="green")

    review = services.record_review(task=task, user=manager, light="amber", comment="점검")

    assert ReviewAssessment.objects.get() == review
    task.refresh_from_db()
    assert task.version == 1  # a review never changes the agency's own status


def test_history_rules_hold_in_the_database(task, staff):
    milestone = MilestoneFactory(task=task)
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneChange.objects.create(
            milestone=milestone, changed_by=staff, old_due_date=milestone.due_date,
            new_due_date=milestone.due_date + datetime.timedelta(days=1), reason="",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionNote.objects.create(task=task, agency=task.lead_agency, author=staff,
                                        note="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewAssessment.objects.create(task=task, reviewer=staff, light="blue")


@pytest.mark.parametrize("last, new", [(100_000_000, 999_999_999), (0, 1_000_000_000)])
def test_less_than_ten_times_the_last_budget_executed_needs_no_note(
    plan, strategy, agency, staff, last, new
):
    """Nine times and a bit is a fast quarter, not a slip of the unit; from nothing there is
    no ratio to judge."""
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, budget=BUDGET,
                       budget_executed=last)

    report(task, staff, budget_executed=new)

    assert Task.objects.get(pk=task.pk).budget_executed == new
