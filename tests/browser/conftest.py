"""
Real-browser tests: Playwright for Python driving Debian's Chromium against Django's live server.
They skip, saying why, where Chromium or Playwright is missing (`make test` still passes there);
CI installs both, and fails rather than skips without them. Screenshots go to
test-artifacts/screenshots/.
"""

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


@pytest.fixture
def demo(db):
    """The demo data (its users belong to the roles, which post_migrate makes again after a
    transactional test's flush)."""
    load_demo()






@pytest.fixture
def production_server(demo, smtp_inbox, tmp_path):
    """gunicorn on production's settings (kipplan.settings: DEBUG off, both authentication
    backends, axes, the database task queue with its worker, mail by SMTP to ``smtp_inbox``),
    serving the test's own PostgreSQL database, with ``db_worker`` beside it; its address. None
    on SQLite, whose test database another process cannot share."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from urllib.parse import quote

    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    root = Path(__file__).resolve().parents[2]
    db = connection.settings_dict
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kipplan.settings",
        "DATABASE_URL": (f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@"
                         f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"),
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "kipplan-walk-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1", "DJANGO_EMAIL_PORT": str(smtp_inbox.port),
        "KIPPLAN_EVIDENCE_ROOT": str(tmp_path / "evidence"),
        "KIPPLAN_SITE_URL": f"http://127.0.0.1:{port}", "REDIS_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    # Production knows only PBKDF2: the demo's users get back the fixture's own hashes, which
    # load_demo replaced with the tests' fast ones.
    from django.contrib.auth import get_user_model

    for item in json.loads((root / "fixtures" / "demo.json").read_text(encoding="utf-8")):
        if item["model"] == "auth.user":
            get_user_model().objects.filter(username=item["fields"]["username"]).update(
                password=item["fields"]["password"])
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, cwd=root,
                   check=True)
    processes = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "kipplan.wsgi", "--bind",
                          f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
                         env=env, cwd=root),
        subprocess.Popen([*manage, "db_worker", "--interval", "0.5"], env=env, cwd=root),
    ]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    raise RuntimeError("gunicorn did not answer /healthz within 30 s") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
