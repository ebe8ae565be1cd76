"""Improvement opinions in the admin, through HTTP: managers issue, check and close; the
answering agency's staff answer and report; another agency's staff reach nothing."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse

from tests.helpers import answer_form, issue_form
from tracker.follow_up import opinions
from tracker.models import ActionCheck, CheckedBy, ImprovementAction, Opinion, OpinionAnswer

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 4, 1)
LATER = datetime.date(2099, 1, 1)  # an answer not yet due, whenever the tests run


@pytest.fixture
def english(client, settings):
    """The client reads the pages in English (tests that match English words)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def opinion(plan, task, manager):
    return opinions.issue_opinion(plan=plan, task=task, text="지표를 보완할 것", issued_on=DAY,
                                  answer_due=LATER, user=manager)


@pytest.fixture
def outsider(other_agency, make_staff):
    return make_staff(other_agency, username="mcst-staff")


def action_of(opinion, staff):
    return opinions.answer_opinion(opinion=opinion, text="개선계획", user=staff,
                                   actions=[("지표 재설정", DAY)]).actions.get()


def urls(opinion, action):
    admin = "admin:tracker_opinion_"
    return {
        "list": reverse(f"{admin}changelist"),
        "list filtered": reverse(f"{admin}changelist") + f"?year={opinion.plan.year}&state=open",
        "change": reverse(f"{admin}change", args=[opinion.pk]),
        "history": reverse(f"{admin}history", args=[opinion.pk]),
        "delete": reverse(f"{admin}delete", args=[opinion.pk]),
        "answer": reverse(f"{admin}answer", args=[opinion.pk]),
        "close": reverse(f"{admin}close", args=[opinion.pk]),
        "status": reverse(f"{admin}action_status", args=[opinion.pk, action.pk]),
    }


# -- Issuing ----------------------------------------------------------------------------------



def test_a_manager_issues_an_opinion_in_the_admin(client, manager, plan, task, staff,
                                                  django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:tracker_opinion_add"), issue_form(plan, task))

    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.task, opinion.issued_by) == (task, manager)
    assert response["Location"] == reverse("admin:tracker_opinion_changelist")
    assert task.code in LogEntry.objects.get(object_id=str(opinion.pk)).object_repr
    assert [message.to for message in mail.outbox] == [[staff.email]]


def test_dates_out_of_order_are_refused_with_a_message(client, manager, plan, task, english):
    client.force_login(manager)
    response = client.post(reverse("admin:tracker_opinion_add"),
                           issue_form(plan, task, answer_due="2025-03-01"))

    assert response.status_code == 200
    assert "cannot be due before the opinion is issued" in response.content.decode()
    assert not Opinion.objects.exists()


def test_staff_cannot_issue(client, staff, plan, task):
    client.force_login(staff)
    assert client.get(reverse("admin:tracker_opinion_add")).status_code == 403
    assert client.post(reverse("admin:tracker_opinion_add"),
                       issue_form(plan, task)).status_code == 403
    assert not Opinion.objects.exists()


# -- Answering, reporting, checking, closing --------------------------------------------------



def test_staff_answer_with_an_improvement_plan(client, staff, opinion, english):
    client.force_login(staff)
    url = reverse("admin:tracker_opinion_answer", args=[opinion.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, answer_form(("하나", "2025-06-30"), ("둘", "2025-09-30")))

    assert response.status_code == 302
    answer = OpinionAnswer.objects.get()
    assert [a.description for a in answer.actions.all()] == ["하나", "둘"]
    page = client.get(reverse("admin:tracker_opinion_change", args=[opinion.pk]))
    body = page.content.decode()
    assert "Improvement plan submitted by kipo-staff" in body and "하나" in body


def test_an_action_due_before_the_opinion_is_refused_on_the_page(client, staff, opinion,
                                                                 english):
    client.force_login(staff)
    response = client.post(reverse("admin:tracker_opinion_answer", args=[opinion.pk]),
                           answer_form(("하나", "2025-03-01")))

    assert response.status_code == 200
    assert "Action 1: its due date cannot be before" in response.content.decode()
    assert not OpinionAnswer.objects.exists()


def test_an_answer_after_closing_is_refused_on_the_page(client, staff, manager, opinion,
                                                        english):
    opinions.close_opinion(opinion=opinion, note="", user=manager)
    client.force_login(staff)
    response = client.post(reverse("admin:tracker_opinion_answer", args=[opinion.pk]),
                           answer_form(("하나", "2025-06-30")))

    assert response.status_code == 200
    assert "The opinion was closed" in response.content.decode()
    assert not OpinionAnswer.objects.exists()


def test_staff_report_and_managers_check_on_the_status_page(client, staff, manager, opinion):
    action = action_of(opinion, staff)
    url = reverse("admin:tracker_opinion_action_status", args=[opinion.pk, action.pk])

    client.force_login(staff)
    assert client.post(url, {"status": "implemented", "note": "완료"}).status_code == 302
    client.force_login(manager)
    assert client.post(url, {"status": "in_progress", "note": "일부"}).status_code == 302

    assert list(ActionCheck.objects.values_list("by", "status", "checked_by")) == [
        (CheckedBy.AGENCY, "implemented", staff.pk), (CheckedBy.COUNCIL, "in_progress",
                                                      manager.pk)]


def test_the_councils_check_has_no_status_chosen_in_advance(client, staff, manager, opinion):
    action = action_of(opinion, staff)
    url = reverse("admin:tracker_opinion_action_status", args=[opinion.pk, action.pk])
    client.force_login(manager)

    page = client.get(url).content.decode()
    assert re.findall(r"<option[^>]*selected[^>]*>", page) == ['<option value="" selected>']

    response = client.post(url, {"status": "", "note": "확인 전"})
    assert response.status_code == 200 and response.context["form"].errors["status"]
    assert "확인 전" in response.content.decode()  # what was typed stays
    assert not ActionCheck.objects.filter(by=CheckedBy.COUNCIL).exists()


def test_a_manager_closes_the_opinion(client, manager, opinion):
    client.force_login(manager)
    response = client.post(reverse("admin:tracker_opinion_close", args=[opinion.pk]),
                           {"note": "이행 완료"})

    assert response.status_code == 302
    opinion.refresh_from_db()
    assert not opinion.is_open and opinion.closed_by == manager


def test_staff_cannot_close_or_check(client, staff, opinion):
    action = action_of(opinion, staff)
    client.force_login(staff)
    assert client.post(reverse("admin:tracker_opinion_close", args=[opinion.pk]),
                       {"note": ""}).status_code == 403
    assert opinion.answers.count() == 1 and Opinion.objects.get().is_open
    assert not ActionCheck.objects.filter(by=CheckedBy.COUNCIL).exists()
    assert action.withdrawn_at is None


def test_nothing_is_changed_or_deleted_in_the_admin(client, manager, opinion):
    client.force_login(manager)
    assert client.post(reverse("admin:tracker_opinion_delete", args=[opinion.pk]),
                       {"post": "yes"}).status_code == 403
    change = client.post(reverse("admin:tracker_opinion_change", args=[opinion.pk]),
                         {"text": "고침"})
    assert change.status_code == 403
    assert Opinion.objects.get().text == "지표를 보완할 것"


# -- Scoping ----------------------------------------------------------------------------------

# As for tasks (tests/test_permissions.py): the change and history pages give the admin's "no
# such object" redirect, delete is refused to everyone, the opinion's own pages are a 404.
@pytest.mark.parametrize("page, status", [("change", 302), ("history", 302), ("delete", 403),
                                          ("answer", 404), ("close", 404), ("status", 404)])
def test_another_agencys_staff_reach_nothing(client, staff, outsider, opinion, page, status):
    action = action_of(opinion, staff)
    client.force_login(outsider)

    response = client.get(urls(opinion, action)[page], follow=status == 302)
    if status == 302:
        assert response.redirect_chain[0] == (reverse("admin:index"), 302)
        assert opinion.text not in response.content.decode()
    else:
        assert response.status_code == status
    if page in ("answer", "close", "status"):
        assert client.post(urls(opinion, action)[page], {"status": "implemented",
                                                         "note": ""}).status_code == 404
    assert not ActionCheck.objects.exists() and Opinion.objects.get().is_open


@pytest.mark.parametrize("page", ["list", "list filtered"])
def test_another_agencys_staff_list_nothing(client, staff, outsider, opinion, page):
    action = action_of(opinion, staff)
    client.force_login(staff)
    assert list(client.get(urls(opinion, action)[page]).context["cl"].result_list) == [opinion]

    client.force_login(outsider)
    response = client.get(urls(opinion, action)[page])

    assert response.status_code == 200
    assert opinion.text not in response.content.decode()
    assert list(response.context["cl"].result_list) == []


def test_autocomplete_gives_another_agencys_staff_none_of_our_tasks(client, staff, outsider,
                                                                     opinion, task):
    url = reverse("admin:autocomplete") + (
        f"?app_label=tracker&model_name=opinion&field_name=task&term={task.code}")
    client.force_login(staff)
    assert [r["id"] for r in client.get(url).json()["results"]] == [str(task.pk)]

    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_evaluators_see_no_opinions(client, opinion, agency):
    from tests.factories import evaluator

    client.force_login(evaluator("lee", agency))
    assert client.get(reverse("admin:tracker_opinion_changelist")).status_code == 403
    assert client.get(reverse("admin:tracker_opinion_change",
                              args=[opinion.pk])).status_code == 403


def test_the_list_filters_by_state(client, manager, opinion, plan, task, english):
    overdue = opinions.issue_opinion(plan=plan, task=task, text="늦은 의견", issued_on=DAY,
                                     answer_due=DAY, user=manager)
    client.force_login(manager)
    response = client.get(reverse("admin:tracker_opinion_changelist")
                          + f"?year={plan.year}&state=answer_overdue")

    assert list(response.context["cl"].result_list) == [overdue]
    assert "Answer overdue" in response.content.decode()
    assert ImprovementAction.objects.count() == 0


def test_the_plan_filter_takes_the_opinions_carried_into_the_plan(client, manager, opinion,
                                                                   plan, task):
    from tracker.loading.carry_over import carry_over

    carry_over(plan.year, plan.year + 1)
    client.force_login(manager)
    response = client.get(reverse("admin:tracker_opinion_changelist")
                          + f"?year={plan.year + 1}")

    assert list(response.context["cl"].result_list) == [opinion]
    empty = client.get(reverse("admin:tracker_opinion_changelist") + "?year=1999")
    assert list(empty.context["cl"].result_list) == []


def test_a_supporting_agencys_staff_see_the_task_but_not_the_lead_agencys_opinion(
        client, staff, opinion, task, other_agency, outsider):
    task.supporting_agencies.add(other_agency)
    action = action_of(opinion, staff)
    client.force_login(outsider)

    assert list(client.get(urls(opinion, action)["list"]).context["cl"].result_list) == []
    assert client.get(urls(opinion, action)["answer"]).status_code == 404
    page = client.get(reverse("tracker:task_detail", args=[task.plan.year, task.number]))
    assert page.status_code == 200 and opinion.text not in page.content.decode()


@pytest.mark.parametrize("year", ["²", "9" * 5000, "-1", "2024x"])
def test_a_tampered_year_filter_lists_nothing(client, manager, opinion, year):
    client.force_login(manager)

    response = client.get(reverse("admin:tracker_opinion_changelist"), {"year": year})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_the_answer_page_refuses_a_plan_submitted_meanwhile(client, staff, make_staff, opinion,
                                                           english):
    first = action_of(opinion, staff).answer
    form = {"text": "늦은 개정안", "revises": str(first.pk),
            "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "1", "actions-MAX_NUM_FORMS": "1000",
            "actions-0-description": "늦은 조치", "actions-0-due_on": DAY.isoformat()}
    colleague = make_staff(opinion.task.lead_agency, username="colleague")
    client.force_login(colleague)
    assert client.post(urls(opinion, first.actions.get())["answer"],
                       {**form, "text": "동료의 개정안",
                        "actions-0-description": "동료 조치"}).status_code == 302

    client.force_login(staff)
    response = client.post(urls(opinion, first.actions.get())["answer"], form)

    assert response.status_code == 200
    assert "after you opened this page" in response.content.decode()
    assert not OpinionAnswer.objects.filter(text="늦은 개정안").exists()
    assert opinion.answers.count() == 2
