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
def new_page(chromium, live_server):
    """new_page(language="ko", **options) -> a page in a fresh browser context (its own
    cookies); options go to Playwright's new_context."""
    contexts = []

    def make(language="ko", **options):
        context = chromium.new_context(base_url=live_server.url, locale=language,
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




