import pytest
from django.db import transaction

from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PlanFactory,
    StrategyFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers import load_demo, plan_manager, role
from tracker import roles


@pytest.fixture
def plan(db):
    return PlanFactory()


@pytest.fixture
def strategy(plan):
    return StrategyFactory(plan=plan, number=1)


@pytest.fixture
def agency(db):
    """KIPO, at the top of the tree KIPO → KISTA → Patent Support Team."""
    return AgencyFactory(name_ko="특허청", name_en="Korean Intellectual Property Office",
                         abbreviation="KIPO", slug="kipo")


@pytest.fixture
def kista(agency):
    return AgencyFactory(name_ko="한국특허전략개발원", abbreviation="KISTA", slug="kista",
                         kind="public_institution", parent=agency)


@pytest.fixture
def team(kista):
    return AgencyFactory(name_ko="국가전략기술특허지원단", abbreviation="", slug="team",
                         kind="team", parent=kista)


@pytest.fixture
def other_agency(db):
    return AgencyFactory(name_ko="문화체육관광부", abbreviation="MCST", slug="mcst")


@pytest.fixture
def task(plan, strategy, agency):
    return TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=17)


@pytest.fixture
def make_staff(db):
    """make_staff(agency, ...) -> a user in the Agency staff group, member of those agencies."""

    def make(*agencies, username=None):
        user = UserFactory(username=username or f"staff-{'-'.join(a.slug for a in agencies)}")
        user.groups.add(role(roles.AGENCY_STAFF))
        for agency in agencies:
            MembershipFactory(user=user, agency=agency)
        return user

    return make


@pytest.fixture
def staff(agency, make_staff):
    return make_staff(agency, username="kipo-staff")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def manager(db):
    return plan_manager()


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} {database.get('HOST') or ''}".rstrip()


# The demo data ---------------------------------------------------------------------------------
# Loading the demo (some 750 rows) costs more than most tests. A module's tests that read it
# share one load: it is made inside a transaction that lasts the module and is rolled back at its
# end, and each test runs in a savepoint of it, as Django's TestCase does with setUpTestData.


def shares_the_demo(item):
    return "demo_for_the_module" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    """In each module, the tests sharing the demo run last, so that the module's other tests
    (and transactional ones, which empty the database) run before it is loaded."""
    order, first = {}, {}
    for n, item in enumerate(items):
        order[id(item)] = n
        first.setdefault(item.nodeid.split("::")[0], n)
    items.sort(key=lambda item: (first[item.nodeid.split("::")[0]], shares_the_demo(item),
                                 order[id(item)]))


@pytest.fixture(scope="module")
def demo_for_the_module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic._from_testcase = True  # a test's transaction, never committed, as TestCase's
        atomic.__enter__()
        try:
            load_demo()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_for_the_module, db):
    """The demo data, shared by the module's tests, each in a savepoint of its own.
    (Transactional tests load the demo themselves: they empty the database when they end.)"""


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's evidence folder (kipplan.test_settings makes one in the temp folder)."""
    import shutil
    import tempfile
    from pathlib import Path

    from django.conf import settings

    location = Path(settings.STORAGES["evidence"]["OPTIONS"]["location"])
    if location.parent == Path(tempfile.gettempdir()) and location.name.startswith(
            "kipplan-evidence-"):
        shutil.rmtree(location, ignore_errors=True)


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    """Each test starts with no cached page (kipplan.page_cache): a test's settings or clock
    may differ from the last one's while its data's revision happens to read the same. Pages
    are kept for one hour of a steady clock, so that a test reading a page twice across the
    turn of an hour still finds it (test_page_cache.py turns the real clock back on)."""
    from django.core.cache import cache

    from kipplan import page_cache

    cache.clear()
    monkeypatch.setattr(page_cache, "hour", lambda: "the test's hour")
    monkeypatch.setattr(page_cache, "seconds_left_in_the_hour", lambda: 3600)


@pytest.fixture
def vnu():
    """The Nu HTML Checker's jar (vnu-jar, run with Java); the test skips without them."""
    from tests.helpers import VNU, java, need, npm_package

    need(java(), npm_package(VNU, "The Nu HTML Checker (vnu-jar)"))
    return VNU


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language, whatever the last test (or a request it
    made) left active: a test reads what it asks for, in whatever order the workers run them."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def to(self):
        return sorted(address for e in self.envelopes for address in e.rcpt_tos)

    def wait_for(self, received, timeout=30.0):
        """Wait until ``received(self)`` holds (mail sent by a worker in another process
        arrives a moment after the page that queued it), and say what came if it never does."""
        import time

        deadline = time.monotonic() + timeout
        while not received(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"mail not received within {timeout} s; came: {self.to()}")
            time.sleep(0.1)


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server on loopback (aiosmtpd), and Django's SMTP backend sending to it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()
