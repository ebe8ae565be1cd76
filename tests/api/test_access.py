"""The API reads by the pages' rules: who may read at all, which tasks each reader sees, and no
internal field for those who read only because the pages are published."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import (
    MilestoneFactory,
    ProgressUpdateFactory,
    ReviewFactory,
    TaskFactory,
    evaluator,
)
from tests.helpers import internal_texts
from tracker.api.permissions import ReadsThePlan
from tracker.models import Task

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "root": lambda: reverse("api:api-root"),
    "plans": lambda: reverse("api:plan-list"),
    "plan": lambda: reverse("api:plan-detail", args=[2024]),
    "tasks": lambda: reverse("api:task-list", args=[2024]),
    "task": lambda: reverse("api:task-detail", args=[2024, 17]),
    "agencies": lambda: reverse("api:agency-list"),
    "agency": lambda: reverse("api:agency-detail", args=["kipo"]),
    "technologies": lambda: reverse("api:technology-list"),
    "indicators": lambda: reverse("api:plan-indicators", args=[2024]),
    "statistics": lambda: reverse("api:statistic-list"),
}


@pytest.fixture
def records(task, other_agency):
    """KIPO's task 17 with a report, a milestone and a review; MCST's task 18."""
    ProgressUpdateFactory(task=task, note="내부 메모: 예산 조정 협의 중")
    MilestoneFactory(task=task)
    ReviewFactory(task=task, comment="관리자 검토 의견")
    TaskFactory(plan=task.plan, strategy=task.strategy, lead_agency=other_agency, number=18)
    return task


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_visitors_read_nothing_while_the_pages_are_closed(client, records, endpoint):
    response = client.get(ENDPOINTS[endpoint]())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "API 토큰" in response.json()["detail"]  # how to sign in, in Korean by default


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_evaluators_read_nothing_while_the_pages_are_closed(client, records, endpoint):
    client.force_login(evaluator())

    response = client.get(ENDPOINTS[endpoint]())

    assert response.status_code == 403
    assert response.json()["detail"] == str(ReadsThePlan.message)  # the reason, translated


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_and_managers_read_every_endpoint(client, records, staff, manager, endpoint):
    for user in (staff, manager):
        client.force_login(user)
        assert client.get(ENDPOINTS[endpoint]()).status_code == 200, user


def test_staff_see_their_agencies_tasks_only(client, records, staff):
    client.force_login(staff)

    listed = client.get(reverse("api:task-list", args=[2024])).json()
    other = client.get(reverse("api:task-detail", args=[2024, 18]))

    assert [task["number"] for task in listed["results"]] == [17]
    assert listed["count"] == 1
    assert other.status_code == 404


def test_staff_of_a_supporting_agency_see_the_task(client, records, other_agency, make_staff):
    records.supporting_agencies.add(other_agency)
    client.force_login(make_staff(other_agency))

    listed = client.get(reverse("api:task-list", args=[2024])).json()

    assert [task["number"] for task in listed["results"]] == [17, 18]


def test_managers_see_every_task_with_its_internal_history(client, records, manager):
    client.force_login(manager)

    listed = client.get(reverse("api:task-list", args=[2024])).json()
    task = client.get(reverse("api:task-detail", args=[2024, 17])).json()

    assert listed["count"] == 2
    kinds = {event["kind"]: event for event in task["history"]}
    assert kinds["report"]["note"] == "내부 메모: 예산 조정 협의 중"
    assert kinds["report"]["who"]
    assert kinds["review"]["note"] == "관리자 검토 의견"


def test_a_user_made_inactive_reads_nothing(client, records, staff):
    client.force_login(staff)
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)

    assert client.get(reverse("api:task-list", args=[2024])).status_code == 401


INTERNAL_KEYS = {"who", "note", "source", "light"}


def keys_in(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def test_published_data_to_visitors_has_no_internal_field(client, settings, demo):
    settings.KIPPLAN_PUBLIC_PAGES = True
    secrets = internal_texts()
    urls = [reverse("api:plan-list"), reverse("api:plan-detail", args=[2024]),
            reverse("api:task-list", args=[2024]) + "?page_size=500",
            reverse("api:agency-list") + "?page_size=500", reverse("api:technology-list"),
            reverse("api:plan-evaluation", args=[2024]),
            reverse("api:plan-indicators", args=[2024]), reverse("api:statistic-list"),
            *(reverse("api:task-detail", args=[2024, number]) for number in
              Task.objects.filter(plan__year=2024).values_list("number", flat=True))]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not keys_in(json.loads(body)) & INTERNAL_KEYS, url
        for kind in ("report notes", "contribution notes", "milestone reasons",
                     "review comments"):
            assert not [text for text in secrets[kind] if json.dumps(text)[1:-1] in body], (
                url, kind)


def test_published_history_to_visitors_keeps_reports_and_milestone_moves(client, settings,
                                                                          records):
    settings.KIPPLAN_PUBLIC_PAGES = True

    task = client.get(reverse("api:task-detail", args=[2024, 17])).json()

    assert [event["kind"] for event in task["history"]] == ["report"]
    assert set(task["history"][0]) == {"kind", "at", "status", "progress", "budget_executed"}


def test_staff_read_their_own_tasks_internal_history_while_the_pages_are_published(
        client, settings, records, staff, other_agency, make_staff):
    settings.KIPPLAN_PUBLIC_PAGES = True
    client.force_login(staff)
    own = client.get(reverse("api:task-detail", args=[2024, 17])).json()
    client.force_login(make_staff(other_agency))
    others = client.get(reverse("api:task-detail", args=[2024, 17])).json()

    reports = [event for event in own["history"] if event["kind"] == "report"]
    assert reports[0]["note"] == "내부 메모: 예산 조정 협의 중"
    assert [event["kind"] for event in others["history"]] == ["report"]
    assert "note" not in others["history"][0]


def test_evaluators_read_the_published_data_when_the_pages_are_published(client, settings,
                                                                        records):
    settings.KIPPLAN_PUBLIC_PAGES = True
    client.force_login(evaluator())

    task = client.get(reverse("api:task-detail", args=[2024, 17])).json()

    assert "who" not in task["history"][0]
