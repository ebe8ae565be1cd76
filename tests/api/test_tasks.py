"""The tasks in the API: the task list's filters, pages and ``as_of``, and one task whole."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    KST,
    MilestoneFactory,
    ProgressUpdateFactory,
    TaskFactory,
    TechnologyFactory,
    build_plan,
)
from tracker.models import Status, Task

pytestmark = pytest.mark.django_db


def tasks_of(client, year=2024, query=""):
    response = client.get(reverse("api:task-list", args=[year]) + query)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_task_list_filters_as_the_page_does(client, manager, task, other_agency):
    TaskFactory(plan=task.plan, strategy=task.strategy, lead_agency=other_agency, number=18,
                title_ko="저작권 보호 체계 강화")
    Task.objects.filter(pk=task.pk).update(status=Status.DELAYED, progress=20)
    client.force_login(manager)

    assert [t["code"] for t in tasks_of(client, query="?status=delayed")["results"]] == [
        "2024-17"]
    assert [t["number"] for t in tasks_of(client, query="?lead=mcst")["results"]] == [18]
    assert [t["number"] for t in tasks_of(client, query="?q=저작권")["results"]] == [18]
    assert [t["number"] for t in tasks_of(client, query="?sort=-number")["results"]] == [18, 17]


def test_a_filter_that_is_not_valid_is_a_400_naming_it(client, manager, task):
    client.force_login(manager)

    response = client.get(reverse("api:task-list", args=[2024]) + "?status=finished&lead=nobody")

    assert response.status_code == 400
    assert set(response.json()) == {"status", "lead"}


def test_as_of_gives_each_tasks_state_at_the_end_of_that_day(client, manager, task):
    ProgressUpdateFactory(task=task, progress=30, status=Status.ON_TRACK,
                          reported_at=datetime.datetime(2024, 5, 31, 18, tzinfo=KST))
    ProgressUpdateFactory(task=task, progress=60, status=Status.DELAYED,
                          reported_at=datetime.datetime(2024, 9, 30, 18, tzinfo=KST))
    Task.objects.filter(pk=task.pk).update(status=Status.DELAYED, progress=60)  # as reported
    client.force_login(manager)

    then = tasks_of(client, query="?as_of=2024-06-30")["results"][0]
    now = tasks_of(client)["results"][0]

    assert (then["status"], then["progress"]) == ("on_track", 30)
    assert (now["status"], now["progress"]) == ("delayed", 60)


@pytest.mark.parametrize("as_of", ["2024-02-30", "yesterday", "0001-01-01"])
def test_an_as_of_that_is_not_a_day_is_a_400(client, manager, task, as_of):
    client.force_login(manager)

    response = client.get(reverse("api:task-list", args=[2024]) + f"?as_of={as_of}")

    assert response.status_code == 400
    assert "as_of" in response.json()


def test_tasks_come_fifty_a_page_or_as_many_as_asked_up_to_500(client, manager):
    build_plan(120)
    client.force_login(manager)

    first = tasks_of(client)
    small = tasks_of(client, query="?page_size=7&page=3")
    large = tasks_of(client, query="?page_size=5000")

    assert (first["count"], len(first["results"])) == (120, 50)
    assert first["next"].endswith("?page=2")
    assert [t["number"] for t in small["results"]] == list(range(15, 22))
    assert len(large["results"]) == 120  # 500 at most, so all of them


@pytest.mark.parametrize("url", ["/api/v1/plans/1999/tasks/", "/api/v1/plans/99999/tasks/",
                                 "/api/v1/plans/2024/tasks/99999/", "/api/v1/plans/1999/",
                                 "/api/v1/plans/99999999999999999999/",
                                 "/api/v1/plans/2024/tasks/99999999999999999999/",
                                 "/api/v1/agencies/%00/", "/api/v1/technologies/a%00b/"])
def test_a_plan_or_task_that_does_not_exist_is_a_404(client, manager, task, url):
    client.force_login(manager)

    response = client.get(url)

    assert response.status_code == 404
    if response["Content-Type"] == "application/json":  # a slug no URL takes: the site's 404
        assert response.json()["detail"]


def test_a_task_comes_with_its_agencies_milestones_and_history(client, manager, task, kista):
    task.supporting_agencies.add(kista)
    task.technologies.add(TechnologyFactory(slug="ai"))
    MilestoneFactory(task=task, due_date=datetime.date(2024, 5, 31))
    ProgressUpdateFactory(task=task, progress=40)
    client.force_login(manager)

    data = client.get(reverse("api:task-detail", args=[2024, 17])).json()

    assert data["code"] == "2024-17"
    assert data["lead_agency"]["slug"] == "kipo"
    assert [agency["slug"] for agency in data["supporting_agencies"]] == ["kista"]
    assert data["technologies"] == ["ai"]
    assert data["milestones"][0]["due_date"] == "2024-05-31"
    assert data["history"][0]["progress"] == 40
    assert data["url"].endswith(reverse("tracker:task_detail", args=[2024, 17]))


@pytest.mark.parametrize("endpoint", ["tasks", "task", "plan", "agencies", "indicators"])
def test_queries_do_not_grow_with_the_plan(client, manager, endpoint):
    small, large = build_plan(10, year=2024), build_plan(100, year=2025)
    client.force_login(manager)

    def queries(plan):
        url = {"tasks": reverse("api:task-list", args=[plan.year]) + "?page_size=500",
               "task": reverse("api:task-detail", args=[plan.year, 3]),
               "plan": reverse("api:plan-detail", args=[plan.year]),
               "agencies": reverse("api:agency-list") + "?page_size=500",
               "indicators": reverse("api:plan-indicators", args=[plan.year])}[endpoint]
        client.get(url)  # the session and the user, read once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(small) == queries(large) <= 15
