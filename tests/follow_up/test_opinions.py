"""Improvement opinions (개선의견 → 개선계획 → 이행점검): the services' rules, both ways, and the
reads every page shares."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import PlanFactory, TaskFactory, UserFactory
from tracker.follow_up import opinions
from tracker.models import (
    ActionCheck,
    ActionStatus,
    CheckedBy,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
    Profile,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages in English (test_i18n covers Korean); mails are rendered in each
    recipient's own language whatever is active."""
    with translation.override("en"):
        yield

DAY = datetime.date(2025, 4, 1)


def issue(plan, user, *, task=None, agency=None, issued_on=DAY, answer_due=DAY
          + datetime.timedelta(days=30), **fields):
    return opinions.issue_opinion(plan=plan, task=task, agency=agency, text="성과지표를 보완할 것",
                                  issued_on=issued_on, answer_due=answer_due, user=user,
                                  **fields)


def answer(opinion, user, *actions):
    return opinions.answer_opinion(
        opinion=opinion, text="개선계획", user=user,
        actions=list(actions) or [("지표 재설정", DAY + datetime.timedelta(days=60))])


# -- Issuing ----------------------------------------------------------------------------------

def test_a_manager_issues_an_opinion_on_a_task(manager, plan, task):
    opinion = issue(plan, manager, task=task)

    assert opinion.is_open and opinion.issued_by == manager
    assert Opinion.objects.get().task == task


def test_a_manager_issues_an_opinion_on_an_agency(manager, plan, other_agency):
    assert issue(plan, manager, agency=other_agency).agency == other_agency


@pytest.mark.parametrize("who", ["staff", "nobody"])
def test_only_managers_issue_opinions(plan, task, staff, who):
    user = staff if who == "staff" else UserFactory(username="nobody")
    with pytest.raises(ValidationError, match="Only plan managers"):
        issue(plan, user, task=task)
    assert not Opinion.objects.exists()


def test_the_answer_cannot_be_due_before_the_opinion(manager, plan, task):
    with pytest.raises(ValidationError, match="before the opinion is issued"):
        issue(plan, manager, task=task, answer_due=DAY - datetime.timedelta(days=1))
    assert not Opinion.objects.exists()


def test_a_task_of_another_plan_is_refused(manager, plan, strategy, agency):
    other = TaskFactory(plan=PlanFactory(year=plan.year + 1), lead_agency=agency)
    with pytest.raises(ValidationError, match="not one of"):
        issue(plan, manager, task=other)
    assert not Opinion.objects.exists()


def test_an_opinion_is_on_a_task_or_an_agency_not_both(manager, plan, task, other_agency):
    with pytest.raises(ValidationError, match="choose one"):
        issue(plan, manager, task=task, agency=other_agency)
    with pytest.raises(ValidationError, match="choose one"):
        issue(plan, manager)
    assert not Opinion.objects.exists()


def test_the_round_must_be_the_plans(manager, plan, task):
    from tracker.evaluation import services as evaluation

    other_round = evaluation.create_round(plan=PlanFactory(year=plan.year + 1))
    with pytest.raises(ValidationError, match="evaluation round"):
        issue(plan, manager, task=task, round_=other_round)
    assert not Opinion.objects.exists()


# -- Answering --------------------------------------------------------------------------------

def test_the_lead_agencys_staff_answer_with_actions(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)

    answered = answer(opinion, staff, ("하나", DAY), ("둘", DAY + datetime.timedelta(days=9)))

    assert [(a.number, a.description) for a in answered.actions.all()] == [(1, "하나"), (2, "둘")]
    assert answered.submitted_by == staff


def test_staff_of_an_agency_above_answer_for_a_sub_agency(manager, plan, strategy, kista,
                                                          staff):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=kista, number=3)
    opinion = issue(plan, manager, task=task)

    answer(opinion, staff)  # staff belong to KIPO, above KISTA

    assert opinion.answers.count() == 1


def test_staff_of_another_agency_cannot_answer(manager, plan, task, other_agency, make_staff):
    opinion = issue(plan, manager, task=task)
    with pytest.raises(ValidationError, match="Only the staff"):
        answer(opinion, make_staff(other_agency))
    assert not OpinionAnswer.objects.exists() and not ImprovementAction.objects.exists()


def test_managers_do_not_answer_for_the_agency(manager, plan, task):
    opinion = issue(plan, manager, task=task)
    with pytest.raises(ValidationError, match="Only the staff"):
        answer(opinion, manager)


def test_an_agency_opinion_is_answered_by_that_agencys_staff(manager, plan, agency, staff,
                                                             other_agency, make_staff):
    opinion = issue(plan, manager, agency=agency)
    answer(opinion, staff)
    with pytest.raises(ValidationError):
        answer(opinion, make_staff(other_agency))
    assert opinion.answers.count() == 1


def test_an_action_cannot_be_due_before_the_opinion(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    with pytest.raises(ValidationError, match="Action 2: its due date"):
        answer(opinion, staff, ("ok", DAY), ("early", DAY - datetime.timedelta(days=1)))
    assert not OpinionAnswer.objects.exists() and not ImprovementAction.objects.exists()


def test_a_plan_needs_an_action_and_a_text(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    with pytest.raises(ValidationError, match="at least one action"):
        opinions.answer_opinion(opinion=opinion, text="plan", actions=[], user=staff)
    with pytest.raises(ValidationError):
        opinions.answer_opinion(opinion=opinion, text="  ", actions=[("a", DAY)], user=staff)
    assert not OpinionAnswer.objects.exists()


def test_a_revised_plan_withdraws_the_previous_actions_and_keeps_them(manager, plan, task,
                                                                       staff):
    opinion = issue(plan, manager, task=task)
    first = answer(opinion, staff, ("하나", DAY), ("둘", DAY))
    opinions.report_action(action=first.actions.get(number=1), status=ActionStatus.IN_PROGRESS,
                           note="", user=staff)

    second = answer(opinion, staff, ("셋", DAY + datetime.timedelta(days=5)))

    assert opinion.answers.count() == 2
    old = ImprovementAction.objects.filter(answer=first)
    assert old.count() == 2 and all(action.withdrawn_at for action in old)
    assert old.get(number=1).checks.count() == 1  # its history stays
    assert second.actions.get().withdrawn_at is None
    assert OpinionAnswer.objects.get(pk=first.pk).text == "개선계획"


def test_no_answer_after_the_opinion_is_closed(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    opinions.close_opinion(opinion=opinion, note="done", user=manager)
    with pytest.raises(ValidationError, match="closed"):
        answer(opinion, staff)
    assert not OpinionAnswer.objects.exists()


# -- Status and checks ------------------------------------------------------------------------

def answered_action(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    return answer(opinion, staff).actions.get()


def test_the_agency_reports_and_the_council_checks(manager, plan, task, staff):
    action = answered_action(manager, plan, task, staff)

    opinions.report_action(action=action, status=ActionStatus.IMPLEMENTED, note="완료",
                           user=staff)
    opinions.check_action(action=action, status=ActionStatus.IN_PROGRESS, note="일부",
                          user=manager)

    checks = list(ActionCheck.objects.values_list("by", "status", "checked_by"))
    assert checks == [(CheckedBy.AGENCY, "implemented", staff.pk),
                      (CheckedBy.COUNCIL, "in_progress", manager.pk)]
    annotated = opinions.with_action_status(ImprovementAction.objects.all()).get()
    assert (annotated.agency_status, annotated.council_status, annotated.latest_status) == (
        "implemented", "in_progress", "in_progress")


def test_only_managers_check_and_only_the_agency_reports(manager, plan, task, staff,
                                                         other_agency, make_staff):
    action = answered_action(manager, plan, task, staff)
    with pytest.raises(ValidationError, match="Only plan managers"):
        opinions.check_action(action=action, status="implemented", note="", user=staff)
    with pytest.raises(ValidationError, match="Only the staff"):
        opinions.report_action(action=action, status="implemented", note="",
                               user=make_staff(other_agency))
    with pytest.raises(ValidationError, match="Only the staff"):
        opinions.report_action(action=action, status="implemented", note="", user=manager)
    assert not ActionCheck.objects.exists()


def test_a_bad_status_is_refused(manager, plan, task, staff):
    action = answered_action(manager, plan, task, staff)
    with pytest.raises(ValidationError):
        opinions.check_action(action=action, status="finished", note="", user=manager)
    assert not ActionCheck.objects.exists()


def test_withdrawn_actions_and_closed_opinions_take_no_checks(manager, plan, task, staff):
    action = answered_action(manager, plan, task, staff)
    answer(action.opinion, staff, ("다른 조치", DAY + datetime.timedelta(days=90)))  # drops it
    with pytest.raises(ValidationError, match="withdrawn"):
        opinions.check_action(action=action, status="implemented", note="", user=manager)
    current = action.opinion.actions.get(withdrawn_at__isnull=True)
    opinions.close_opinion(opinion=action.opinion, note="", user=manager)
    with pytest.raises(ValidationError, match="closed"):
        opinions.report_action(action=current, status="implemented", note="", user=staff)
    assert not ActionCheck.objects.exists()


def test_a_revision_keeps_unchanged_actions_with_their_checks_and_withdraws_the_rest(
        manager, plan, task, staff):
    kept = answered_action(manager, plan, task, staff)
    opinions.report_action(action=kept, status="implemented", note="", user=staff)
    opinions.check_action(action=kept, status="implemented", note="", user=manager)
    first = kept.answer
    dropped = ("삭제될 조치", DAY + datetime.timedelta(days=30))
    second = answer(kept.opinion, staff, (kept.description, kept.due_on), dropped)
    gone = second.actions.get(description="삭제될 조치")

    third = answer(kept.opinion, staff, ("새 조치", DAY + datetime.timedelta(days=120)),
                   (kept.description, kept.due_on))

    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.withdrawn_at is None and kept.answer == third and kept.number == 2
    assert kept.checks.count() == 2  # its statuses go on with it
    assert gone.withdrawn_at is not None  # on record, withdrawn
    assert [a.description for a in third.actions.order_by("number")] == ["새 조치",
                                                                         kept.description]
    assert list(kept.opinion.answers.order_by("pk")) == [first, second, third]


def test_an_answer_from_a_stale_page_is_refused(manager, plan, task, staff, make_staff):
    opinion = issue(plan, manager, task=task)
    first = answer(opinion, staff)
    colleague = make_staff(task.lead_agency, username="colleague")
    opinions.answer_opinion(opinion=opinion, text="동료의 개정안", user=colleague,
                            actions=[("동료 조치", DAY)], revises=first.pk)

    with pytest.raises(ValidationError, match="after you opened this page"):
        opinions.answer_opinion(opinion=opinion, text="늦은 개정안", user=staff,
                                actions=[("늦은 조치", DAY)], revises=first.pk)
    assert opinion.answers.count() == 2
    assert not opinion.actions.filter(description="늦은 조치").exists()


def test_only_managers_close_and_only_once(manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    with pytest.raises(ValidationError, match="Only plan managers"):
        opinions.close_opinion(opinion=opinion, note="", user=staff)
    opinions.close_opinion(opinion=opinion, note="이행 완료", user=manager)
    with pytest.raises(ValidationError, match="already closed"):
        opinions.close_opinion(opinion=opinion, note="again", user=manager)
    opinion.refresh_from_db()
    assert (opinion.closed_by, opinion.closing_note) == (manager, "이행 완료")


# -- Reads ------------------------------------------------------------------------------------

def test_staff_see_their_agencies_opinions_only(manager, plan, task, agency, other_agency,
                                                staff, make_staff, strategy):
    mine = issue(plan, manager, task=task)
    on_us = issue(plan, manager, agency=agency)
    theirs = issue(plan, manager, task=TaskFactory(plan=plan, strategy=strategy,
                                                   lead_agency=other_agency, number=2))
    on_them = issue(plan, manager, agency=other_agency)

    assert set(Opinion.objects.visible_to(staff)) == {mine, on_us}
    assert set(Opinion.objects.visible_to(make_staff(other_agency))) == {theirs, on_them}
    assert Opinion.objects.visible_to(manager).count() == 4
    assert not Opinion.objects.visible_to(UserFactory(username="plain")).exists()


def test_evaluators_see_no_opinions(manager, plan, task, agency):
    from tests.factories import evaluator

    issue(plan, manager, task=task)
    assert not Opinion.objects.visible_to(evaluator("lee", agency)).exists()


def test_overdue_answers_and_actions(manager, plan, task, staff, strategy):
    late = issue(plan, manager, task=task, answer_due=DAY)
    on_time = issue(plan, manager, task=task, answer_due=DAY + datetime.timedelta(days=30))
    answered = issue(plan, manager, task=task, answer_due=DAY)
    action = answer(answered, staff, ("a", DAY + datetime.timedelta(days=1))).actions.get()
    today = DAY + datetime.timedelta(days=5)

    assert list(opinions.answer_overdue(Opinion.objects.all(), today)) == [late]
    assert list(opinions.actions_overdue(Opinion.objects.all(), today)) == [answered]
    assert opinions.counts(Opinion.objects.all(), today) == opinions.Counts(3, 1, 1)

    # The agency says implemented: no longer overdue; the Council disagrees: overdue again.
    opinions.report_action(action=action, status="implemented", note="", user=staff)
    assert not opinions.actions_overdue(Opinion.objects.all(), today).exists()
    opinions.check_action(action=action, status="in_progress", note="", user=manager)
    assert opinions.actions_overdue(Opinion.objects.all(), today).exists()
    # Closed opinions are not overdue.
    opinions.close_opinion(opinion=late, note="", user=manager)
    opinions.close_opinion(opinion=answered, note="", user=manager)
    assert opinions.counts(Opinion.objects.all(), today) == opinions.Counts(1, 0, 0)
    assert on_time.is_open


# -- Mail at once -----------------------------------------------------------------------------

def test_a_new_opinion_mails_the_lead_agencys_staff_in_their_language(
        manager, plan, task, staff, agency, kista, make_staff, other_agency,
        django_capture_on_commit_callbacks):
    english = make_staff(kista, username="kista-en")  # below the task's lead: not asked
    Profile.objects.create(user=staff, language="en")
    korean = make_staff(agency, username="kipo-ko")
    make_staff(other_agency)
    with django_capture_on_commit_callbacks(execute=True):
        issue(plan, manager, task=task)

    to = {message.to[0]: message for message in mail.outbox}
    assert set(to) == {staff.email, korean.email}
    assert english.email not in to
    assert "improvement opinion" in to[staff.email].subject
    # Each in their language: dates as each language writes them (the words too, once
    # translated).
    assert "Issued on 1 Apr 2025" in to[staff.email].body
    assert "2025. 4. 1." in to[korean.email].body and "1 Apr 2025" not in to[korean.email].body
    assert f"/admin/tracker/opinion/{Opinion.objects.get().pk}/answer/" in to[staff.email].body


def test_a_check_that_differs_from_the_agencys_status_is_mailed(
        manager, plan, task, staff, django_capture_on_commit_callbacks):
    Profile.objects.create(user=staff, language="en")
    action = answered_action(manager, plan, task, staff)
    opinions.report_action(action=action, status="implemented", note="", user=staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        opinions.check_action(action=action, status="implemented", note="", user=manager)
    assert mail.outbox == []  # agrees: nothing to tell

    with django_capture_on_commit_callbacks(execute=True):
        opinions.check_action(action=action, status="not_implemented", note="증빙 없음",
                              user=manager)
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert "differs" in message.subject
    assert "Not implemented" in message.body and "Implemented" in message.body
    assert "증빙 없음" in message.body


def test_a_mail_failure_loses_no_write(manager, plan, task, staff, settings,
                                       django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.follow_up.test_opinions.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        issue(plan, manager, task=task)
    assert Opinion.objects.count() == 1


class RefusingBackend:
    """A mail server out of reach."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_a_check_of_an_action_the_agency_has_not_reported_on_is_mailed(
        manager, plan, task, staff, django_capture_on_commit_callbacks):
    Profile.objects.create(user=staff, language="en")
    action = answered_action(manager, plan, task, staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        opinions.check_action(action=action, status="in_progress", note="", user=manager)

    [message] = mail.outbox
    assert "Your agency has not reported a status for this action yet." in message.body
