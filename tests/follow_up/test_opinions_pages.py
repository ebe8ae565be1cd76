"""Improvement opinions beyond the admin: they follow their tasks into next year's plan, show
on the task page, the agency scorecard and the dashboard (within the pages' query bounds), and
send_reminders reminds of them, once a period."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import TaskFactory, build_plan
from tracker.follow_up import opinions
from tracker.loading.carry_over import carry_over
from tracker.models import Opinion, Profile, Reminder, Status, Task

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def issue(plan, manager, *, task=None, agency=None, text="지표를 보완할 것", issued_on=None,
          answer_due=None):
    issued_on = issued_on or TODAY - datetime.timedelta(days=60)
    return opinions.issue_opinion(plan=plan, task=task, agency=agency, text=text,
                                  issued_on=issued_on,
                                  answer_due=answer_due or TODAY + datetime.timedelta(days=30),
                                  user=manager)


# -- Carry-over -------------------------------------------------------------------------------

def test_open_opinions_follow_their_tasks_into_next_years_plan(plan, task, manager, strategy,
                                                               agency):
    finished = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=18,
                           status=Status.COMPLETED, progress=100)
    following = issue(plan, manager, task=task, text="따라가는 의견")
    closed = issue(plan, manager, task=task, text="닫힌 의견")
    opinions.close_opinion(opinion=closed, note="", user=manager)
    left = issue(plan, manager, task=finished, text="완료된 과제")
    on_agency = issue(plan, manager, agency=agency)

    carry_over(plan.year, plan.year + 1)

    new = Task.objects.get(plan__year=plan.year + 1, number=task.number)
    following.refresh_from_db(), closed.refresh_from_db(), left.refresh_from_db()
    on_agency.refresh_from_db()
    assert following.carried_to == new
    assert closed.carried_to is None and left.carried_to is None
    assert on_agency.carried_to is None
    # And on again, the year after: from the carried task to its own copy.
    carry_over(plan.year + 1, plan.year + 2)
    following.refresh_from_db()
    assert following.carried_to == Task.objects.get(plan__year=plan.year + 2,
                                                    number=task.number)


# -- Pages ------------------------------------------------------------------------------------

def test_the_task_page_shows_its_open_opinions_and_the_carried_ones(client, manager, plan,
                                                                     task, english):
    issue(plan, manager, task=task, text="과제에 대한 의견")
    carry_over(plan.year, plan.year + 1)
    client.force_login(manager)

    here = client.get(reverse("tracker:task_detail", args=[plan.year, task.number]))
    there = client.get(reverse("tracker:task_detail", args=[plan.year + 1, task.number]))

    for response in (here, there):
        body = response.content.decode()
        assert "Open improvement opinions" in body and "과제에 대한 의견" in body
    assert f"from the {plan.title_en}" in there.content.decode()


def test_closed_opinions_leave_the_task_page(client, manager, plan, task, english):
    opinion = issue(plan, manager, task=task, text="닫힐 의견")
    opinions.close_opinion(opinion=opinion, note="", user=manager)
    client.force_login(manager)

    body = client.get(reverse("tracker:task_detail", args=[plan.year, task.number])
                      ).content.decode()
    assert "닫힐 의견" not in body and "No open improvement opinion." in body


def test_the_agency_scorecard_shows_its_opinions_only_to_its_staff(
        client, manager, plan, task, agency, staff, other_agency, make_staff, english):
    issue(plan, manager, task=task, text="과제 의견")
    issue(plan, manager, agency=agency, text="기관 의견")
    url = reverse("tracker:agency_detail", args=[agency.slug]) + f"?year={plan.year}"

    for user in (manager, staff):
        client.force_login(user)
        body = client.get(url).content.decode()
        assert "과제 의견" in body and "기관 의견" in body

    client.force_login(make_staff(other_agency))
    response = client.get(url)
    assert response.status_code == 200  # the agency's page, without its opinions
    assert "과제 의견" not in response.content.decode()
    assert "기관 의견" not in response.content.decode()


def test_the_public_pages_show_no_opinions(client, settings, manager, plan, task, agency):
    issue(plan, manager, task=task, text="내부 의견")
    settings.KIPPLAN_PUBLIC_PAGES = True

    for url in (reverse("tracker:task_detail", args=[plan.year, task.number]),
                reverse("tracker:agency_detail", args=[agency.slug]) + f"?year={plan.year}",
                reverse("tracker:plan", args=[plan.year])):
        response = client.get(url)
        assert response.status_code == 200
        assert "내부 의견" not in response.content.decode()
        assert reverse("admin:tracker_opinion_changelist") not in response.content.decode()


def test_the_dashboard_counts_open_and_overdue_opinions(client, manager, staff, plan, task,
                                                        english):
    issue(plan, manager, task=task)  # open, answer not yet due
    issue(plan, manager, task=task, answer_due=TODAY - datetime.timedelta(days=1))
    answered = issue(plan, manager, task=task)
    opinions.answer_opinion(opinion=answered, text="계획", user=staff,
                            actions=[("조치", TODAY - datetime.timedelta(days=2))])
    client.force_login(manager)

    response = client.get(reverse("tracker:plan", args=[plan.year]))

    assert response.context["opinion_counts"] == opinions.Counts(3, 1, 1)
    body = response.content.decode()
    changelist = reverse("admin:tracker_opinion_changelist")
    assert f'href="{changelist}?year={plan.year}&amp;state=answer_overdue"' in body
    assert f'href="{changelist}?year={plan.year}&amp;state=actions_overdue"' in body


def test_the_dashboard_counts_only_the_opinions_staff_see(client, manager, plan, strategy,
                                                          task, other_agency, make_staff):
    issue(plan, manager, task=task)
    client.force_login(make_staff(other_agency))

    response = client.get(reverse("tracker:plan", args=[plan.year]))

    assert response.context["opinion_counts"] == opinions.Counts(0, 0, 0)


def with_opinions(plan, manager):
    """An opinion on every task of the plan and one on each of its agencies: half answered,
    with an overdue action."""
    staff_user = manager  # the records' authors; the services' rules are tested elsewhere
    tasks = list(plan.tasks.order_by("number"))
    rows = [Opinion(plan=plan, task=task, text=f"의견 {task.number}", issued_on=TODAY,
                    answer_due=TODAY, issued_by=staff_user) for task in tasks]
    Opinion.objects.bulk_create(rows)


@pytest.mark.parametrize("page", ["dashboard", "task", "agency"])
def test_pages_with_opinions_run_as_many_queries_for_a_plan_ten_times_larger(
        client, manager, page):
    from tests.helpers import page_urls

    small, large = build_plan(10, year=2024), build_plan(100, year=2025)
    with_opinions(small, manager)
    with_opinions(large, manager)
    client.force_login(manager)

    counts = []
    for plan in (small, large):
        url = page_urls(plan)[page]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert "의견 1" in response.content.decode() or page == "dashboard"
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 15, counts


# -- Reminders --------------------------------------------------------------------------------

def remind(*args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):  # the command's own output; each email has its language
        call_command("send_reminders", "--opinions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_unanswered_opinions_are_reminded_once_a_period(settings, manager, plan, task, staff,
                                                        make_staff, agency, other_agency):
    settings.KIPPLAN_OPINION_REMINDER_DAYS = 7
    soon = issue(plan, manager, task=task, answer_due=TODAY + datetime.timedelta(days=3))
    issue(plan, manager, task=task, answer_due=TODAY + datetime.timedelta(days=20))  # not yet
    make_staff(other_agency)  # not theirs
    Profile.objects.create(user=staff, language="en")
    mail.outbox.clear()

    out, _ = remind()

    [message] = mail.outbox
    assert message.to == [staff.email]
    assert "1 improvement opinion item" in message.subject
    assert f"/admin/tracker/opinion/{soon.pk}/answer/" in message.body
    assert Reminder.objects.get().items == [f"opinion:{soon.pk}"]
    assert "1 reminder queued" in out

    out, _ = remind()  # again within the period: nothing new
    assert len(mail.outbox) == 1 and "0 reminders queued" in out


def test_a_missing_answer_is_news_again_once_overdue(settings, manager, plan, task, staff):
    settings.KIPPLAN_OPINION_REMINDER_DAYS = 7
    opinion = issue(plan, manager, task=task, answer_due=TODAY + datetime.timedelta(days=3))
    remind()
    Opinion.objects.filter(pk=opinion.pk).update(answer_due=TODAY - datetime.timedelta(days=1))
    mail.outbox.clear()

    remind()

    [message] = mail.outbox
    assert Reminder.objects.order_by("-sent_at").first().items == [f"late-opinion:{opinion.pk}"]
    assert "2 items" not in message.subject


def test_overdue_actions_are_reminded_until_implemented(settings, manager, plan, task, staff):
    opinion = issue(plan, manager, task=task)
    action = opinions.answer_opinion(
        opinion=opinion, text="계획", user=staff,
        actions=[("조치", TODAY - datetime.timedelta(days=1))]).actions.get()
    mail.outbox.clear()

    remind()
    assert Reminder.objects.get().items == [f"action:{action.pk}"]
    assert f"/admin/tracker/opinion/{opinion.pk}/change/" in mail.outbox[0].body

    Reminder.objects.all().delete()
    opinions.report_action(action=action, status="implemented", note="", user=staff)
    mail.outbox.clear()
    out, _ = remind()
    assert mail.outbox == [] and "0 reminders queued" in out


def test_the_reminder_speaks_the_recipients_language(manager, plan, task, staff, agency,
                                                     make_staff):
    korean = make_staff(agency, username="kipo-ko")
    Profile.objects.create(user=staff, language="en")
    issue(plan, manager, task=task, answer_due=TODAY + datetime.timedelta(days=1))
    mail.outbox.clear()

    remind()

    by_user = {message.to[0]: message.body for message in mail.outbox}
    day = TODAY + datetime.timedelta(days=1)
    assert f"due {day.day} {day:%b} {day.year}" in by_user[staff.email]
    assert f"{day.year}. {day.month}. {day.day}." in by_user[korean.email]
