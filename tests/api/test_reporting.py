"""Reporting through the API: the admin form's service, rules and history; the task's version
for optimistic locking; Idempotency-Key for retries; rate limits per token."""

import datetime
import json

import pytest
from django.urls import reverse

from tests.factories import MilestoneFactory
from tracker.models import ApiToken, MilestoneChange, ProgressUpdate, StateSource, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(staff):
    return ApiToken.objects.issue(user=staff, name="KIPO system", days=30)[1]


def post(client, key, path, data, **headers):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}",
             **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}}
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def reports_url(number=17):
    return reverse("api:task-reports", args=[2024, number])


REPORT = {"status": "on_track", "progress": 45, "budget_executed": 3_000_000_000,
          "note": "상반기 점검 완료", "version": 1}


def test_a_report_through_the_api_is_the_tasks_state_and_history_at_once(client, task, key):
    response = post(client, key, reports_url(), REPORT)

    assert response.status_code == 201
    assert (response.json()["progress"], response.json()["version"]) == (45, 2)
    update = ProgressUpdate.objects.get(task=task)
    assert (update.source, update.note, update.reported_by.username) == (
        StateSource.API, "상반기 점검 완료", "kipo-staff")
    client.force_login(update.reported_by)
    page = client.get(reverse("tracker:task_detail", args=[2024, 17])).content.decode()
    assert "Reported through the API" in page or "API로 보고" in page
    assert "상반기 점검 완료" in page


def test_two_reports_on_the_same_version_one_is_refused_with_the_task_now(client, task, key):
    first = post(client, key, reports_url(), REPORT)
    second = post(client, key, reports_url(), {**REPORT, "progress": 50})

    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["task"]["progress"] == 45
    assert second.json()["task"]["version"] == 2
    assert "kipo-staff" in second.json()["detail"]
    assert ProgressUpdate.objects.count() == 1


def test_a_retried_report_with_the_same_key_is_recorded_once(client, task, key):
    first = post(client, key, reports_url(), REPORT, idempotency_key="7c1e-report-1")
    again = post(client, key, reports_url(), REPORT, idempotency_key="7c1e-report-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ProgressUpdate.objects.count() == 1


def test_a_key_sent_again_with_another_report_is_a_422(client, task, key):
    post(client, key, reports_url(), REPORT, idempotency_key="k-1")

    response = post(client, key, reports_url(), {**REPORT, "progress": 60}, idempotency_key="k-1")

    assert response.status_code == 422
    assert ProgressUpdate.objects.count() == 1


def test_a_report_refused_by_a_rule_leaves_its_key_free_for_the_corrected_one(client, task, key):
    refused = post(client, key, reports_url(), {**REPORT, "status": "delayed", "note": ""},
                   idempotency_key="k-2")
    corrected = post(client, key, reports_url(), {**REPORT, "status": "delayed",
                                                 "note": "장비 도입 지연"}, idempotency_key="k-2")

    assert refused.status_code == 400
    assert "note" in refused.json()
    assert corrected.status_code == 201


@pytest.mark.parametrize("change, field", [({"progress": 150}, "progress"),
                                           ({"status": "finished"}, "status"),
                                           ({"status": "completed", "progress": 80}, "progress"),
                                           ({"budget_executed": -1}, "budget_executed"),
                                           ({"version": "one"}, "version")])
def test_a_report_that_breaks_a_rule_is_a_400_naming_the_field(client, task, key, change, field):
    response = post(client, key, reports_url(), {**REPORT, **change})

    assert response.status_code == 400
    assert field in response.json()
    assert not ProgressUpdate.objects.exists()


def test_staff_may_not_report_on_a_task_their_agency_only_supports(
        client, task, other_agency, make_staff):
    task.supporting_agencies.add(other_agency)
    supporter = make_staff(other_agency)
    other_key = ApiToken.objects.issue(user=supporter, name="MCST", days=30)[1]

    response = post(client, other_key, reports_url(), REPORT)

    assert response.status_code == 403
    assert not ProgressUpdate.objects.exists()


def test_a_task_of_another_agency_is_not_found(client, task, other_agency, make_staff):
    other_key = ApiToken.objects.issue(user=make_staff(other_agency), name="MCST", days=30)[1]

    assert post(client, other_key, reports_url(), REPORT).status_code == 404


def test_a_body_that_is_not_json_is_a_400(client, task, key):
    response = client.post(reports_url(), "status=on_track", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 400


def test_a_signed_in_browser_must_send_the_csrf_token(task, staff):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)

    response = browser.post(reports_url(), json.dumps(REPORT), content_type="application/json")

    assert response.status_code == 403
    assert not ProgressUpdate.objects.exists()


def patch(client, key, milestone, data):
    return client.patch(reverse("api:task-milestone", args=[2024, 17, milestone.pk]),
                        json.dumps(data), content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_milestone_moved_through_the_api_needs_a_reason_and_joins_the_history(
        client, task, key):
    milestone = MilestoneFactory(task=task, baseline_date=datetime.date(2024, 6, 30))

    without = patch(client, key, milestone, {"due_date": "2024-08-31"})
    moved = patch(client, key, milestone, {"due_date": "2024-08-31", "reason": "입찰 재공고"})

    assert without.status_code == 400
    assert "reason" in without.json()
    assert moved.status_code == 200
    assert (moved.json()["baseline_date"], moved.json()["due_date"]) == ("2024-06-30",
                                                                        "2024-08-31")
    assert MilestoneChange.objects.get().reason == "입찰 재공고"


def test_a_milestone_of_another_task_is_not_found(client, task, key, plan, strategy, agency):
    from tests.factories import TaskFactory

    other = MilestoneFactory(task=TaskFactory(plan=plan, strategy=strategy, lead_agency=agency,
                                              number=18))

    response = patch(client, key, other, {"due_date": "2024-08-31", "reason": "x"})

    assert response.status_code == 404


def test_writes_past_the_tokens_limit_are_a_429_with_retry_after(client, settings, task, key):
    settings.KIPPLAN_API_WRITES_PER_MINUTE = 2
    answers = [post(client, key, reports_url(), {**REPORT, "version": version}).status_code
               for version in (1, 2, 3)]

    refused = post(client, key, reports_url(), {**REPORT, "version": 3})

    assert answers == [201, 201, 429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Task.objects.get(pk=task.pk).version == 3
    # reads are counted apart
    assert client.get(reverse("api:task-list", args=[2024]),
                      HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_visitors_of_the_published_pages_may_not_write_even_with_a_key(client, settings, task):
    settings.KIPPLAN_PUBLIC_PAGES = True

    response = client.post(reports_url(), json.dumps(REPORT), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="anonymous-1")

    assert response.status_code == 401
    assert not ProgressUpdate.objects.exists()


def test_someone_who_may_not_report_is_refused_before_the_body_is_read(
        client, settings, task, other_agency, make_staff):
    settings.KIPPLAN_PUBLIC_PAGES = True  # MCST's staff see KIPO's task, published
    other_key = ApiToken.objects.issue(user=make_staff(other_agency), name="MCST", days=30)[1]

    response = post(client, other_key, reports_url(), {"status": "nonsense"})

    assert response.status_code == 403  # not a 400 that would describe the form


def test_a_body_that_is_not_json_with_a_key_is_a_415(client, task, key):
    response = client.post(reports_url(), {"status": "on_track"},
                           HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_IDEMPOTENCY_KEY="form-1")

    assert response.status_code == 415
    assert "JSON" in response.json()["detail"]
    assert not ProgressUpdate.objects.exists()


def test_a_method_an_address_does_not_take_is_a_405_that_names_it(client, task, key):
    response = client.delete(reports_url(), HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 405
    assert "DELETE" in response.json()["detail"]


def test_a_milestone_date_outside_the_years_kipplan_takes_is_a_400(client, task, key):
    milestone = MilestoneFactory(task=task)

    response = patch(client, key, milestone, {"due_date": "0001-01-01", "reason": "x"})

    assert response.status_code == 400
    assert "due_date" in response.json()


def test_a_visitor_cannot_escape_the_rate_limit_by_changing_forwarded_for(client, settings,
                                                                           task):
    settings.KIPPLAN_PUBLIC_PAGES = True
    settings.KIPPLAN_API_READS_PER_MINUTE = 2
    url = reverse("api:task-list", args=[2024])

    answers = [client.get(url, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
               for n in range(3)]

    assert answers == [200, 200, 429]
