"""
Parts that hang, for real: a database behind a proxy that stops forwarding (the server, or a
pooler in front of it, holds the connection open and says nothing), and a Redis process stopped
with SIGSTOP. kipplan answers within seconds rather than hanging its workers.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from kipplan import page_cache
from kipplan.settings import redis_cache
from tests.hanging import HangingProxy
from tests.helpers import transaction_held_open

HEADER = page_cache.HEADER

# Run in a fresh process whose database is reached through the proxy: each answer as {status,
# seconds, retry_after, body}; "warm" once the database connection is open and kept.
GET_PAGES = """
import json
import sys
import time

import django

django.setup()
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
client = Client(raise_request_exception=False)


def timed(url):
    start = time.monotonic()
    response = client.get(url)
    return {"status": response.status_code, "seconds": time.monotonic() - start,
            "retry_after": response.get("Retry-After"), "body": response.content.decode()}


answers = {"page before": timed("/plans/"), "readyz before": timed("/readyz")}
print("warm", flush=True)
sys.stdin.readline()  # the proxy hangs now
answers["page"] = timed("/plans/")  # on the kept connection
answers["readyz"] = timed("/readyz")
answers["page again"] = timed("/plans/")  # on a new connection
print(json.dumps(answers), flush=True)
"""


@pytest.fixture
def database_hangs(db):
    """kipplan's answers, from a process whose PostgreSQL (the test database, its tables empty)
    stops answering after its first page; found once for the module's tests."""
    if connection.vendor != "postgresql":
        pytest.skip("the answer limit is PostgreSQL's (kipplan.database); SQLite is a local file")
    if not _answers:
        _answers.update(answers_of_a_database_that_hangs(connection.settings_dict))
    return _answers


_answers = {}


def answers_of_a_database_that_hangs(db_settings):
    upstream = (db_settings["HOST"] or "127.0.0.1", int(db_settings["PORT"] or 5432))
    with HangingProxy(upstream) as proxy:
        host, port = proxy.address
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("DJANGO_", "DATABASE_", "KIPPLAN_", "REDIS_"))}
        process = subprocess.Popen(
            [sys.executable, "-c", GET_PAGES],
            env={**clean, "DJANGO_SETTINGS_MODULE": "kipplan.test_settings",
                 "KIPPLAN_PUBLIC_PAGES": "1",
                 "DATABASE_URL": f"postgres://{db_settings['USER']}:{db_settings['PASSWORD']}@"
                                 f"{host}:{port}/{db_settings['NAME']}"},
            cwd=settings.BASE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            assert process.stdout.readline() == "warm\n", process.stderr.read()
            proxy.hang()
            process.stdin.write("go\n")
            process.stdin.flush()
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, err
    return json.loads(out)


def test_pages_and_readyz_answer_through_the_proxy_while_it_forwards(database_hangs):
    assert database_hangs["page before"]["status"] == 200
    assert database_hangs["readyz before"]["status"] == 200


def test_a_page_on_a_database_that_hangs_answers_503_within_5_seconds(database_hangs):
    for name in ("page", "page again"):
        page = database_hangs[name]
        assert (page["status"], page["retry_after"]) == (503, "30"), name
        assert page["seconds"] < 5, name
        assert '<html lang="ko">' in page["body"]


def test_readyz_reports_a_database_that_hangs_within_2_seconds(database_hangs):
    readyz = database_hangs["readyz"]
    assert (readyz["status"], readyz["body"]) == (503, "database unavailable: default")
    assert readyz["seconds"] < 2



# -- Redis ----------------------------------------------------------------------------------------


@pytest.fixture
def redis_process(tmp_path):
    """A Redis server of the test's own, on a Unix socket, to stop and continue; its URL."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server (CI installs it)")
    path = tmp_path / "redis.sock"
    process = subprocess.Popen([server, "--port", "0", "--unixsocket", str(path), "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not path.exists():
            assert time.monotonic() < deadline and process.poll() is None, "no Redis"
            time.sleep(0.02)
        process.url = f"unix://{path}"
        yield process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def timed_get(client, url):
    start = time.monotonic()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    return response, time.monotonic() - start


def test_a_redis_that_hangs_costs_one_page_its_timeout_then_pages_skip_it_until_it_answers(
        client, manager, task, redis_process, caplog):
    url = reverse("tracker:plan", args=[task.plan.year])
    client.force_login(manager)
    timeout = settings.KIPPLAN_CACHE_TIMEOUT_SECONDS
    with override_settings(CACHES={"default": redis_cache(redis_process.url, "faults")},
                           KIPPLAN_CACHE_PROBE_SECONDS=0.1):
        assert timed_get(client, url)[0][HEADER] == "miss"
        assert timed_get(client, url)[0][HEADER] == "hit"

        redis_process.send_signal(signal.SIGSTOP)  # it holds its connections, and says nothing
        first, seconds = timed_get(client, url)
        assert first.status_code == 200 and HEADER not in first
        assert timeout <= seconds < 2 * timeout + 0.25  # its timeout, once, and the page
        assert "pages are served without it" in caplog.text
        for _ in range(3):  # the cache skipped: no time lost waiting for it
            response, seconds = timed_get(client, url)
            assert response.status_code == 200 and HEADER not in response
            assert seconds < timeout

        redis_process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 10
        while page_cache.outage and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "The page cache answers again" in caplog.text
        assert timed_get(client, url)[0][HEADER] in ("hit", "miss")


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="the answer limit is PostgreSQL's (kipplan.database)")
@pytest.mark.django_db(transaction=True)
def test_a_statement_waiting_for_a_lock_past_the_limit_is_waited_for_not_given_up(task):
    """The database answers a new connection: the statement is waiting, not lost."""
    from kipplan.database import answers_within
    from tracker.models import Task

    with transaction_held_open(lambda: Task.objects.select_for_update().get(pk=task.pk)) as end:
        threading.Timer(2.5, end.set).start()  # the lock is held past the limit (1 s)
        start = time.monotonic()
        with answers_within(1):
            Task.objects.filter(pk=task.pk).update(title_en="Waited for")
        waited = time.monotonic() - start

    assert waited >= 2
    assert Task.objects.get(pk=task.pk).title_en == "Waited for"
