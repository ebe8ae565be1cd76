"""
Errors users see: a database that cannot be reached answers 503 with Retry-After, any other
server error 500, both in the site's look and language and without touching the database;
/readyz tells load balancers whether the database answers.

The database is made unreachable for real: kipplan runs in a fresh process whose DATABASE_URL
points at a SQLite file that cannot be opened, or at a PostgreSQL port nobody listens on.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-dir/kipplan/db.sqlite3",
    "postgresql": "postgres://nobody:secret-password@127.0.0.1:9/kipplan?connect_timeout=2",
}

# Run in the fresh process: each response as {status, retry_after, cache_control, body}, in JSON.
GET_PAGES = """
import json

import django

django.setup()
from django.test import Client, override_settings
from django.test.utils import setup_test_environment

setup_test_environment()


def get(url, **cookies):
    client = Client(raise_request_exception=False)
    client.cookies.load(cookies)
    response = client.get(url)
    return {"status": response.status_code, "retry_after": response.get("Retry-After"),
            "cache_control": response.get("Cache-Control"), "body": response.content.decode()}


answers = {
    "healthz": get("/healthz"),
    "readyz": get("/readyz"),
    "page": get("/"),
    "page in English": get("/", django_language="en"),
    # A signed-in user's request fails earlier, at the session, when the admin reads the user.
    "signed in": get("/admin/", sessionid="a-session-the-database-would-know"),
}
with override_settings(KIPPLAN_RETRY_AFTER_SECONDS=120):
    answers["readyz, Retry-After set"] = get("/readyz")
print(json.dumps(answers))
"""

FOOTER = ("kipplan tracks the national IP implementation plan endorsed by the Presidential "
          "Council on Intellectual Property.")


@pytest.fixture(scope="module", params=sorted(UNREACHABLE))
def down(request):
    """kipplan's answers, from a process whose database cannot be reached."""
    if request.param == "postgresql":
        pytest.importorskip("psycopg")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "DATABASE_", "KIPPLAN_"))}
    result = subprocess.run(
        [sys.executable, "-c", GET_PAGES],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kipplan.test_settings",
             "DATABASE_URL": UNREACHABLE[request.param], "KIPPLAN_PUBLIC_PAGES": "1"},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def not_in_the_sites_look(body, language):
    """What body lacks of the site's frame (stylesheet, brand, footer) in language."""
    with translation.override(language):
        parts = [f'<html lang="{language}">', 'href="/static/tracker/site.css"',
                 '<a class="brand" href="/">', gettext(FOOTER)]
    return [part for part in parts if part not in body]


def says(body, language, text):
    with translation.override(language):
        return gettext(text) in body


def test_readyz_answers_503_with_retry_after_while_healthz_stays_ok(down):
    assert (down["healthz"]["status"], down["healthz"]["body"]) == (200, "ok")
    readyz = down["readyz"]

    assert readyz["status"] == 503
    assert readyz["retry_after"] == "30"
    assert "no-cache" in readyz["cache_control"]
    # The database by its alias only: no host, port, user or password.
    assert readyz["body"] == "database unavailable: default"


def test_retry_after_is_the_setting(down):
    assert down["readyz, Retry-After set"]["retry_after"] == "120"


def test_a_page_answers_503_in_korean_by_default(down):
    page = down["page"]

    assert (page["status"], page["retry_after"]) == (503, "30")
    assert not_in_the_sites_look(page["body"], "ko") == []
    assert "국가지식재산위원회" in page["body"]  # the footer, in Korean
    assert says(page["body"], "ko", "kipplan is temporarily unavailable")
    assert "Traceback" not in page["body"] and "Server Error" not in page["body"]


def test_a_page_answers_503_in_english_when_chosen(down):
    page = down["page in English"]

    assert (page["status"], page["retry_after"]) == (503, "30")
    assert not_in_the_sites_look(page["body"], "en") == []
    assert "kipplan is temporarily unavailable" in page["body"]
    assert "Please try again in a few minutes." in page["body"]
    assert "Traceback" not in page["body"] and "OperationalError" not in page["body"]


def test_a_signed_in_users_page_answers_503(down):
    page = down["signed in"]

    assert (page["status"], page["retry_after"]) == (503, "30")
    assert not_in_the_sites_look(page["body"], "ko") == []
    assert says(page["body"], "ko", "kipplan is temporarily unavailable")


@pytest.mark.django_db
def test_readyz_answers_ok_when_the_database_works(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_bug_answers_500_in_the_sites_look_without_reading_the_database(
        language, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    with django_assert_num_queries(0):
        response = client.get("/bug")

    assert response.status_code == 500 and "Retry-After" not in response
    body = response.content.decode()
    assert not_in_the_sites_look(body, language) == []
    assert says(body, language, "Something went wrong")
    assert "Traceback" not in body and "RuntimeError" not in body


@pytest.mark.django_db
@pytest.mark.urls("tests.error_urls")
def test_a_failing_query_on_a_working_database_answers_500_not_503():
    response = Client(raise_request_exception=False).get("/failing-query")

    assert response.status_code == 500 and "Retry-After" not in response
    assert says(response.content.decode(), "ko", "Something went wrong")
