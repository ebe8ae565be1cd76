"""kipplan's PostgreSQL connections, on a real server: queries bound on the server and prepared
once a connection has sent them a few times (kipplan.settings, DATABASE_PREPARE_THRESHOLD)."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import build_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statements"),
]


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_task_pages_query_is_prepared_once_for_every_task(client, manager):
    plan = build_plan(8, year=2024)
    client.force_login(manager)
    assert connection.connection.prepare_threshold == 5

    for task in plan.tasks.order_by("number"):  # other tasks: the same SQL, other parameters
        response = client.get(reverse("tracker:task_detail", args=[2024, task.number]))
        assert response.status_code == 200

    by_number = '"tracker_task"."number" = $'  # the task page's own query, a parameter
    task_queries = [sql for sql in prepared_statements()
                    if sql.startswith('SELECT "tracker_task"."id"') and by_number in sql]
    assert len(task_queries) == 1  # parsed and planned once, on the server, for all eight


def test_a_query_sent_fewer_times_than_the_threshold_is_not_prepared(manager):
    for _ in range(4):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 41", [1])
            assert cursor.fetchone() == (42,)

    assert not [sql for sql in prepared_statements() if "+ 41" in sql]
