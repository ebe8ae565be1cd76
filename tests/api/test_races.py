"""API writes racing on PostgreSQL, through the test client in threads (each with its own
connection): one version, one report; one Idempotency-Key, one report."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import TaskFactory
from tracker.models import ApiToken, IdempotentRequest, ProgressUpdate

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serialises writes)"),
    pytest.mark.django_db(transaction=True),
]

REPORT = {"status": "on_track", "progress": 45, "budget_executed": 0, "note": "", "version": 1}


def race(key, bodies, headers):
    """Each body posted from its own thread at once; their status codes."""
    url = reverse("api:task-reports", args=[2024, 17])
    barrier = threading.Barrier(len(bodies))
    answers = []

    def post(body):
        try:
            client = Client()
            barrier.wait(timeout=10)
            answers.append(client.post(url, json.dumps(body), content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Bearer {key}", **headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(answers)


@pytest.fixture
def key(plan, strategy, agency, staff):
    TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=17)
    return ApiToken.objects.issue(user=staff, name="system", days=30)[1]


def test_reports_racing_on_one_version_record_one(key):
    answers = race(key, [{**REPORT, "progress": 40 + n} for n in range(6)], {})

    assert answers == [201] + [409] * 5
    assert ProgressUpdate.objects.count() == 1


def test_retries_racing_with_one_key_record_one_report(key):
    answers = race(key, [REPORT] * 4, {"HTTP_IDEMPOTENCY_KEY": "5f0c-retry"})

    assert answers == [201] * 4  # the first's answer, given to each
    assert ProgressUpdate.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
