"""Settings come from the environment; these run `kipplan.settings` in a fresh interpreter."""

import json
import os
import subprocess
import sys

from django.conf import settings

SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), "
    "'tz': settings.TIME_ZONE, "
    "'language': settings.LANGUAGE_CODE}))"
)


def run_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kipplan.settings", **env},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )


def test_a_missing_secret_key_with_debug_off_is_a_clear_error():
    result = run_settings()

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_by_default_and_hosts_come_from_the_environment():
    result = run_settings(
        DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="plan.example.kr, www.example.kr"
    )

    shown = json.loads(result.stdout)
    assert shown["debug"] is False
    assert shown["hosts"] == ["plan.example.kr", "www.example.kr"]


def test_the_default_database_is_a_sqlite_file_in_the_project_folder():
    shown = json.loads(run_settings(DJANGO_DEBUG="1").stdout)

    assert shown["debug"] is True
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(settings.BASE_DIR / "db.sqlite3")
    assert (shown["tz"], shown["language"]) == ("Asia/Seoul", "ko")


def test_database_url_selects_postgresql():
    shown = json.loads(
        run_settings(DJANGO_DEBUG="1", DATABASE_URL="postgres://u:p@db.internal:5432/kipplan").stdout
    )

    # Django's backend with the answer limit (kipplan.database), and libpq's timeouts
    assert shown["engine"] == "kipplan.postgresql"
    assert shown["name"] == "kipplan"
    assert shown["options"] == {
        "connect_timeout": 2, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
        "keepalives_count": 3, "tcp_user_timeout": 10000,
        "server_side_binding": True, "prepare_threshold": 5,
        "options": "-c statement_timeout=30000"}


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    shown = json.loads(run_settings(
        DJANGO_DEBUG="1", DATABASE_URL="postgres://u:p@db:5432/kipplan",
        DATABASE_PREPARE_THRESHOLD="off").stdout)

    assert "server_side_binding" not in shown["options"]
    assert "prepare_threshold" not in shown["options"]


def test_a_database_urls_own_options_have_the_last_word():
    shown = json.loads(run_settings(
        DJANGO_DEBUG="1", DATABASE_URL="postgres://u:p@db:5432/kipplan?connect_timeout=7",
        DATABASE_STATEMENT_TIMEOUT_MS="0").stdout)

    assert shown["options"]["connect_timeout"] == 7
    assert shown["options"]["options"] == "-c statement_timeout=0"


def test_manage_py_without_a_secret_key_runs_as_development():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env=clean, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_manage_py_keeps_debug_off_where_a_secret_key_is_set():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.DEBUG)"],
        env={**clean, "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "localhost"},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_an_open_data_licence_that_is_not_a_type_of_kogl_is_a_clear_error():
    result = run_settings(DJANGO_DEBUG="1", KIPPLAN_OPEN_DATA_LICENCE="cc-by")

    assert result.returncode != 0
    assert "KIPPLAN_OPEN_DATA_LICENCE must be kogl-1" in result.stderr


def test_a_prepare_threshold_that_is_neither_a_number_nor_off_is_a_clear_error():
    result = run_settings(DJANGO_DEBUG="1", DATABASE_URL="postgres://u:p@db:5432/kipplan",
                          DATABASE_PREPARE_THRESHOLD="none")

    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be a number" in result.stderr
