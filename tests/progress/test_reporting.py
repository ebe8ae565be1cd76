"""Reporting progress through the admin, as agency staff and plan managers do it."""

import datetime
import threading

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.factories import MilestoneFactory, PlanFactory, StrategyFactory, TaskFactory
from tests.helpers import NO_CHANGES, form_data, report_url
from tracker.common.stale import StaleEdit
from tracker.models import MilestoneChange, ProgressUpdate, Status, Task
from tracker.progress import services

pytestmark = pytest.mark.django_db






def change_url(task):
    return reverse("admin:tracker_task_change", args=[task.pk])




def test_staff_report_progress_in_a_few_clicks(client, task, staff):
    client.force_login(staff)

    page = client.get(change_url(task))
    assert report_url(task) in page.content.decode()
    form = client.get(report_url(task))
    assert form.context["form"].initial["version"] == 1
    response = client.post(report_url(task), form_data(task, note="상반기 점검 완료"),
                           follow=True)

    assert response.redirect_chain[-1][0] == change_url(task)
    task.refresh_from_db()
    assert (task.status, task.progress, task.budget_executed) == ("on_track", 55, 3_000_000_000)
    assert "상반기 점검 완료" in response.content.decode()
    [message] = [str(m) for m in response.context["messages"]]
    assert "2024-17" in message and "55%" in message


def test_every_report_shows_in_the_task_history_with_who_and_when(client, task, staff):
    client.force_login(staff)
    client.post(report_url(task), form_data(task))

    entry = LogEntry.objects.get(object_id=str(task.pk))
    history = client.get(reverse("admin:tracker_task_history", args=[task.pk]))

    assert entry.user == staff
    assert "kipo-staff" in history.content.decode()
    timeline = client.get(change_url(task)).context["timeline"]
    assert [(type(e).__name__, e.who) for e in timeline] == [("Report", staff)]


@pytest.mark.parametrize(
    "values, field",
    [({"status": "delayed"}, "note"),
     ({"progress": 150}, "progress"),
     ({"progress": "abc"}, "progress"),
     ({"budget_executed": -5}, "budget_executed"),
     ({"status": "completed", "progress": 80}, "progress"),
     ({"status": "no-such-status"}, "status"),
     ({"version": "x"}, "version")],
    ids=["delayed without note", "progress 150", "progress not a number",
         "negative spending", "completed at 80%", "unknown status", "bad version"],
)
def test_bad_input_in_the_report_form_shows_a_message_and_saves_nothing(
    client, task, staff, values, field
):
    client.force_login(staff)

    response = client.post(report_url(task), form_data(task, **values))

    assert response.status_code == 200
    message = response.context["form"].errors[field][0]
    assert message and message in response.content.decode()
    assert not ProgressUpdate.objects.exists()
    assert Task.objects.get(pk=task.pk).version == 1


def test_the_second_of_two_simultaneous_reports_is_refused_and_told_who_and_when(
    client, task, staff, make_staff, django_user_model
):
    colleague = make_staff(task.lead_agency, username="kipo-colleague")
    other = client.__class__()
    client.force_login(staff)
    other.force_login(colleague)
    client.get(report_url(task))
    other.get(report_url(task))  # both open the form at version 1

    first = client.post(report_url(task), form_data(task, progress=60, note="첫 보고"))
    second = other.post(report_url(task), form_data(task, progress=45, note="두 번째"))

    assert first.status_code == 302
    assert second.status_code == 200
    text = second.context["form"].non_field_errors()[0]
    assert "kipo-staff" in text and "60%" in text
    with translation.override("ko"):  # the time as Korean writes it, in Seoul
        reported = ProgressUpdate.objects.get().reported_at
        assert date_format(timezone.localtime(reported), "SHORT_DATETIME_FORMAT") in text
    assert list(ProgressUpdate.objects.values_list("note", flat=True)) == ["첫 보고"]
    assert Task.objects.get(pk=task.pk).progress == 60
    # The form keeps what the second user typed, now against the current version ...
    assert second.context["form"]["progress"].value() == "45"
    assert second.context["form"]["version"].value() == 2
    # ... so submitting again, having seen the current values, is accepted.
    again = other.post(report_url(task), {**form_data(task, progress=65, note="확인 후"),
                                          "version": 2})
    assert again.status_code == 302
    assert Task.objects.get(pk=task.pk).progress == 65


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite serialises writes)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_on_postgresql_lose_nothing(plan, strategy, agency, make_staff):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency)
    writers = [make_staff(agency, username=f"writer-{n}") for n in range(8)]
    barrier = threading.Barrier(len(writers))
    accepted, refused = [], []

    def write(user, progress):
        try:
            current = Task.objects.get(pk=task.pk)
            barrier.wait(timeout=10)
            update = services.report_progress(
                task=current, user=user, status=Status.ON_TRACK, progress=progress,
                budget_executed=0, note="", expected_version=current.version,
            )
            accepted.append(update.pk)
        except StaleEdit:
            refused.append(user.username)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(user, 10 + n))
               for n, user in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Every writer read version 1 before any wrote: exactly one report can be accepted.
    assert len(accepted) + len(refused) == len(writers)
    assert len(accepted) == 1
    history = ProgressUpdate.objects.filter(task=task)
    assert sorted(history.values_list("pk", flat=True)) == sorted(accepted)
    task.refresh_from_db()
    assert task.version == 1 + len(accepted)
    latest = history.latest()
    assert (task.progress, task.last_reported_at) == (latest.progress, latest.reported_at)


def test_staff_change_list_shows_their_tasks_with_the_reporting_filters(
    client, agency, other_agency, staff
):
    today = timezone.localdate()
    plan = PlanFactory(year=today.year)  # a plan in its year: staleness counts up to today
    strategy = StrategyFactory(plan=plan)
    old = timezone.now() - datetime.timedelta(days=120)
    overdue = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                          end_date=today - datetime.timedelta(days=1),
                          start_date=today - datetime.timedelta(days=200), last_reported_at=old)
    fresh = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                        end_date=today + datetime.timedelta(days=100),
                        last_reported_at=timezone.now())
    TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency)
    client.force_login(staff)
    changelist = reverse("admin:tracker_task_changelist")

    def codes(**params):
        response = client.get(changelist, params)
        assert response.status_code == 200
        return {task.code for task in response.context["cl"].result_list}

    assert codes() == {overdue.code, fresh.code}
    assert codes(overdue="yes") == {overdue.code}
    assert codes(overdue="no") == {fresh.code}
    assert codes(reported="stale") == {overdue.code}
    assert codes(reported="recent") == {fresh.code}
    assert codes(status__exact="not_started") == {overdue.code, fresh.code}
    assert codes(strategy__id__exact=strategy.pk) == {overdue.code, fresh.code}


def test_staff_move_a_milestone_with_a_reason_through_the_admin(client, task, staff):
    milestone = MilestoneFactory(task=task)
    url = reverse("admin:tracker_milestone_change", args=[milestone.pk])
    client.force_login(staff)
    data = {"due_date": "2024-06-30", "completed_on": "", "reason": "", **NO_CHANGES}

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "reason" in refused.context["adminform"].form.errors

    accepted = client.post(url, {**data, "reason": "협의 지연"})
    assert accepted.status_code == 302
    milestone.refresh_from_db()
    assert milestone.due_date == datetime.date(2024, 6, 30)
    assert milestone.baseline_date == datetime.date(2024, 4, 30)
    change = MilestoneChange.objects.get()
    assert (change.changed_by, change.reason) == (staff, "협의 지연")
    timeline = client.get(change_url(task)).context["timeline"]
    assert timeline[0].change == change


def test_staff_cannot_change_a_baseline_date(client, task, staff):
    milestone = MilestoneFactory(task=task)
    client.force_login(staff)

    client.post(reverse("admin:tracker_milestone_change", args=[milestone.pk]), {
        "baseline_date": "2023-01-01", "due_date": milestone.due_date.isoformat(),
        "completed_on": "", "reason": "", **NO_CHANGES,
    })

    milestone.refresh_from_db()
    assert milestone.baseline_date == datetime.date(2024, 4, 30)


def test_supporting_staff_add_a_contribution_note_through_the_admin(
    client, plan, strategy, agency, other_agency, make_staff
):
    task = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                       supporting_agencies=[other_agency])
    helper = make_staff(other_agency)
    client.force_login(helper)
    url = reverse("admin:tracker_task_contribute", args=[task.pk])

    assert url in client.get(change_url(task)).content.decode()
    assert client.post(url, {"note": ""}).status_code == 200
    assert client.post(url, {"note": "전문가 자문 지원"}).status_code == 302

    timeline = client.get(change_url(task)).context["timeline"]
    assert [e.note.note for e in timeline] == ["전문가 자문 지원"]
    assert Task.objects.get(pk=task.pk).version == 1


def test_manager_review_shows_beside_the_agency_status(client, task, staff, manager):
    services.report_progress(task=task, user=staff, status=Status.ON_TRACK, progress=50,
                             budget_executed=0, expected_version=1)
    client.force_login(manager)
    url = reverse("admin:tracker_task_review", args=[task.pk])

    assert client.post(url, {"light": "red", "comment": ""}).status_code == 200
    assert client.post(url, {"light": "red", "comment": "재검토 필요"}).status_code == 302

    page = client.get(change_url(task))
    assert page.context["review_differs"] is True
    body = page.content.decode()
    assert "재검토 필요" in body
    listing = client.get(reverse("admin:tracker_task_changelist"))
    assert listing.context["cl"].result_list[0].review_light == "red"
    assert "kipplan-differs" in listing.content.decode()


@pytest.mark.parametrize("amount, unit, won", [
    ("3,000,000,000", "won", 3_000_000_000),
    ("3000000000", "", 3_000_000_000),  # no unit: won
    ("3,000", "million", 3_000_000_000),
    ("30", "eok", 3_000_000_000),
    ("29.99", "eok", 2_999_000_000),
    (" 1,980.5 ", "million", 1_980_500_000),
])
def test_staff_report_the_budget_executed_in_won_millions_or_eok(
    client, task, staff, amount, unit, won
):
    client.force_login(staff)

    response = client.post(report_url(task), form_data(task, budget_executed=amount,
                                                       budget_unit=unit))

    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).budget_executed == won


@pytest.mark.parametrize("amount, unit, words", [
    ("lots", "eok", "1,980.7"),
    ("-5", "won", "zero or more"),
    ("1.5", "won", "whole number of won"),
    ("1.123456789", "eok", "whole number of won"),
    ("1e30", "eok", "far larger than any budget"),
])
def test_an_amount_that_is_not_whole_won_is_refused_and_stores_nothing(
    client, task, staff, amount, unit, words
):
    client.force_login(staff)

    response = client.post(report_url(task), form_data(task, budget_executed=amount,
                                                       budget_unit=unit))

    assert response.status_code == 200
    with translation.override("en"):  # the form's messages are translated when read
        assert words in " ".join(response.context["form"].errors["budget_executed"])
    assert not ProgressUpdate.objects.exists()


def test_the_report_form_shows_the_amount_in_eok_beside_the_budget_and_the_last_report(
    client, task, staff
):
    Task.objects.filter(pk=task.pk).update(budget=12_110_000_000, budget_executed=9_850_000_000)
    task.refresh_from_db()
    client.force_login(staff)

    form = client.get(report_url(task), HTTP_ACCEPT_LANGUAGE="ko").context["form"]
    body = client.get(report_url(task), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert (form["budget_executed"].value(), form["budget_unit"].value()) == ("98.5", "eok")
    assert "121.1억원" in body and "98.5억원" in body and "(81%)" in body


def test_a_tenfold_jump_in_the_budget_executed_needs_a_note(client, task, staff):
    Task.objects.filter(pk=task.pk).update(budget=10**12, budget_executed=1_980_700_000)
    task.refresh_from_db()
    client.force_login(staff)
    zero_too_many = form_data(task, budget_executed="198.07", budget_unit="eok")  # 10×

    refused = client.post(report_url(task), zero_too_many, HTTP_ACCEPT_LANGUAGE="en")
    explained = client.post(report_url(task), {**zero_too_many, "note": "연말 일괄 집행"})

    assert refused.status_code == 200
    assert "10 times the last report" in " ".join(refused.context["form"].errors["note"])
    assert explained.status_code == 302
    assert Task.objects.get(pk=task.pk).budget_executed == 19_807_000_000
    assert ProgressUpdate.objects.get().note == "연말 일괄 집행"


def test_a_report_sent_back_says_the_amount_it_read_in_eok(client, task, staff):
    Task.objects.filter(pk=task.pk).update(budget=10**12, budget_executed=1_980_700_000)
    task.refresh_from_db()
    client.force_login(staff)

    refused = client.post(report_url(task), form_data(task, budget_executed="198.07",
                                                      budget_unit="eok"),
                          HTTP_ACCEPT_LANGUAGE="ko")

    assert "이번 보고 집행액 198.1억원(1%)" in refused.content.decode()
