"""
Real-browser tests: Playwright for Python driving Debian's Chromium against Django's live server.
They skip, saying why, where Chromium or Playwright is missing (`make test` still passes there);
CI installs both, and fails rather than skips without them. Screenshots go to
test-artifacts/screenshots/.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import load_demo, need

CHROMIUM = os.environ.get("KIPPLAN_CHROMIUM", "/usr/bin/chromium")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None



def missing():
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt install chromium)"
    return None

# Playwright's sync API runs an event loop in this thread; the test's own database calls are
# synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    need(missing())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def server_url(live_server):
    """Where the browser goes: Django's live server; a test may serve itself otherwise
    (test_cycle_2025.py: gunicorn on production's settings)."""
    return live_server.url


@pytest.fixture
def new_page(chromium, server_url):
    """new_page(language="ko", **options) -> a page in a fresh browser context (its own
    cookies); options go to Playwright's new_context."""
    contexts = []

    def make(language="ko", **options):
        context = chromium.new_context(base_url=server_url, locale=language,
                                       extra_http_headers={"Accept-Language": language},
                                       accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


_demo_snapshot = {}  # this worker's in-memory SQLite database with the demo loaded, once


@pytest.fixture
def demo(db):
    """The demo data (its users belong to the roles, which post_migrate makes again after a
    transactional test's flush). On the in-memory SQLite test database, the first test of a
    worker loads it and keeps a copy of the whole database (SQLite's backup API); the next
    tests, whose database the flush has emptied, get that copy back in milliseconds instead of
    a second of loaddata each. Elsewhere (PostgreSQL) every test loads it."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        load_demo()
        return
    connection.ensure_connection()
    if "copy" not in _demo_snapshot:
        import sqlite3

        load_demo()
        _demo_snapshot["copy"] = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(_demo_snapshot["copy"])
    else:
        _demo_snapshot["copy"].backup(connection.connection)
        # The flush made the content types and permissions again, under other ids: the copy
        # has the first ones, so what Django remembers of them is forgotten.
        ContentType.objects.clear_cache()






@pytest.fixture
def production_server(demo, smtp_inbox, tmp_path):
    """gunicorn on production's settings (kipplan.settings: DEBUG off, both authentication
    backends, axes, the database task queue with its worker, mail by SMTP to ``smtp_inbox``),
    serving the test's own PostgreSQL database, with ``db_worker`` beside it; its address. None
    on SQLite, whose test database another process cannot share. Both processes are stopped
    (killed if they do not stop) before the test's database is emptied."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import quote

    from django.contrib.auth import get_user_model
    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    root = Path(__file__).resolve().parents[2]
    db = connection.settings_dict
    # Production knows only PBKDF2: the demo's users get back the fixture's own hashes, which
    # load_demo replaced with the tests' fast ones.
    for item in json.loads((root / "fixtures" / "demo.json").read_text(encoding="utf-8")):
        if item["model"] == "auth.user":
            get_user_model().objects.filter(username=item["fields"]["username"]).update(
                password=item["fields"]["password"])
    # gunicorn gets the socket bound here (no other process can take the port meanwhile).
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    # The database URL's own options; kipplan.settings adds its own as production does (a
    # bool such as server_side_binding cannot be written in a URL, and needs no writing).
    options = "&".join(f"{key}={quote(str(value), safe='')}"
                       for key, value in db.get("OPTIONS", {}).items()
                       if isinstance(value, str | int) and not isinstance(value, bool))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kipplan.settings",
        "DATABASE_URL": (f"postgres://{quote(db['USER'] or '', safe='')}:"
                         f"{quote(db['PASSWORD'] or '', safe='')}@"
                         f"{quote(db['HOST'] or '127.0.0.1', safe='')}:{db['PORT'] or 5432}/"
                         f"{quote(db['NAME'], safe='')}" + (f"?{options}" if options else "")),
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "kipplan-walk-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1", "DJANGO_EMAIL_PORT": str(smtp_inbox.port),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "KIPPLAN_EVIDENCE_ROOT": str(tmp_path / "evidence"),
        "KIPPLAN_SITE_URL": f"http://127.0.0.1:{port}", "REDIS_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, cwd=root,
                   check=True)
    processes = []
    try:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kipplan.wsgi", "--bind",
             f"fd://{listener.fileno()}", "--workers", "2", "--log-level", "warning"],
            env=env, cwd=root, pass_fds=[listener.fileno()], start_new_session=True))
        processes.append(subprocess.Popen([*manage, "db_worker", "--interval", "0.5"],
                                          env=env, cwd=root, start_new_session=True))
        deadline = time.monotonic() + 30
        while True:  # /readyz answers once the database does
            stopped = [process.args for process in processes if process.poll() is not None]
            if stopped:
                raise RuntimeError(f"stopped at startup: {stopped}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                    break
            except urllib.error.HTTPError as error:
                raise RuntimeError(f"/readyz answered {error.code}") from error
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer /readyz within 30 s") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
        stopped = [process.args for process in processes if process.poll() is not None]
        assert not stopped, f"stopped during the test: {stopped}"
    finally:
        listener.close()
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
