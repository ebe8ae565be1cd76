"""
The progress pages, cached whole, and the data revision that keys them.

A page is rendered once and served from Django's cache framework (``CACHES["default"]``: local
memory in each process by default, Redis where several app servers share one database) until the
data behind it changes. A page is never served after a write that changes it, by construction
rather than by a list of places to remember:

- Every statement that changes rows through Django's connection (INSERT, UPDATE, DELETE,
  TRUNCATE, ...; and SELECT ... FOR UPDATE, which locks them) replaces the token of the one
  ``Revision`` row, in the same transaction (``RevisionWrapper``, installed on every connection):
  on PostgreSQL just before the transaction commits (kipplan.postgresql), on SQLite before the
  statement (in autocommit mode just after, once Django has read what it returns). Forms, the
  admin, services, imports, management commands, fixture loading and
  ``QuerySet.update()`` all write through it. Migrations run with it paused (the table may not
  exist yet), and the token is replaced once they are done. On PostgreSQL every writing
  transaction takes the revision row last, as it commits (after its deferred foreign-key
  checks, which lock the rows they refer to), and holds it for that moment only: writers do not
  take turns on it, and since a transaction holding it waits for nothing but its commit, the
  services' row locks cannot deadlock against it. (SQLite lets one writer at a time in any
  case.) A transaction that reads the token back after writing replaces it then, and holds it
  to its end: a view that writes and then renders a cached page in one transaction.
- A page's key holds the token as read before the page reads anything else (with the signed-in
  user, kipplan.auth), so a page built from data older than a token is never stored under it;
  and everything else the page depends on: the signed-in user's sight (``tracker.access.sight``:
  their flags, permissions and agencies, which decide what they see, with the navigation; users
  of one sight share their pages, an evaluator's are their own), the language, the
  hour (overdue milestones move with the date, and a task turns stale when its reporting period
  runs out, whatever the time of day: so within the hour), kipplan's settings and the release
  (the public mode, the reporting period, the static files' manifest), and the path and query
  (filters, ``as_of``, the year).
- The CSRF token and the user's name are left out of the stored page and put in each
  response; a request carrying
  messages to show, or any method but GET and HEAD, is not cached.

The cache is bounded: local memory keeps at most ``KIPPLAN_CACHE_ENTRIES`` pages a process and
culls the least recently used; Redis evicts by its ``maxmemory`` policy; a page expires at the
end of its hour (or after ``KIPPLAN_PAGE_CACHE_SECONDS``). A cache that fails (Redis down, or
hanging) is logged, and pages are rendered as if uncached until it answers again (``Outage``).
``KIPPLAN_PAGE_CACHE = False`` turns caching off.
"""

import functools
import hashlib
import logging
import re
import secrets
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, connections, transaction
from django.db.models import Subquery
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from tracker.access import sight
from tracker.common.models import Revision

logger = logging.getLogger(__name__)

# -- The revision ---------------------------------------------------------------------------------

REVISION_TABLE = Revision._meta.db_table
REPLACE = (f'INSERT INTO "{REVISION_TABLE}" ("id", "token", "changed_at") VALUES (1, %s, %s) '
           'ON CONFLICT ("id") DO UPDATE SET "token" = excluded."token", '
           '"changed_at" = excluded."changed_at"')
TOKEN = f'SELECT "token" FROM "{REVISION_TABLE}" WHERE "id" = 1'
# Tables whose rows no page shows: sessions, login throttling, the migrations' own record, the
# admin's log, the reminders sent, password reset requests (written by anonymous visitors), the
# users' saved language (a request's language is in the key), their API tokens (their last
# use is written as they are used; the tokens' own page is not cached) and the API's answers
# kept for idempotency keys.
UNSHOWN = frozenset({
    REVISION_TABLE, "django_session", "django_migrations", "axes_accessattempt",
    "axes_accesslog", "axes_accessfailurelog", "axes_accessattemptexpiration",
    "django_admin_log", "tracker_reminder", "tracker_passwordresetrequest", "tracker_profile",
    "django_tasks_database_dbtaskresult", "tracker_apitoken", "tracker_idempotentrequest",
})
# Each login's stamp, shown nowhere: exactly the statement Django's update_last_login makes.
LAST_LOGIN = 'UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s'
ROW_LOCK = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.I)
# What makes a WITH statement a write: its last statement or one of its expressions changes rows
# (a word of these anywhere, even in a name or a text, counts: a read taken for a write only
# empties the cache once more), or locks them (ROW_LOCK).
CHANGES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|REPLACE)\b", re.I)
# The statements that change rows (WITH may, see CHANGES); SELECT ... FOR UPDATE locks them. Schema
# statements (CREATE, ALTER, DROP: migrations, which pause the wrapper, and the test database's
# creation) and the transaction's own (SAVEPOINT, BEGIN, ...) change no page.
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "TRUNCATE", "MERGE", "REPLACE", "COPY"})
FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.I)  # the first table a SELECT reads
NAMED = {"INSERT": 2, "DELETE": 2, "UPDATE": 1}  # where the table is named
LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)  # space and comments


def table_written(sql: str) -> str | None:
    """The table a statement writes to (or locks rows of), "" when it writes but its table is
    not read here, or None for a read."""
    sql = sql[LEADING.match(sql).end():]
    words = sql.split(None, 3)
    verb = words[0].upper() if words else ""
    if verb == "SELECT":
        # A row lock counts as a write (the rows are about to change); but not a lock on a
        # table no page shows (the task worker's poll).
        if not ROW_LOCK.search(sql):
            return None
        table = FROM.search(sql)
        return table.group(1).lower() if table else ""
    if verb == "WITH":  # the evaluation page reads through common table expressions
        return "" if CHANGES.search(sql) or ROW_LOCK.search(sql) else None
    if verb not in WRITES or sql == LAST_LOGIN:
        return None
    place = NAMED.get(verb)  # TRUNCATE may list many tables: a write whatever the first
    if place is None or len(words) <= place:
        return ""
    return words[place].strip('"`,;').lower()


class RevisionWrapper:
    """Installed on every database connection (tracker.apps): replaces the revision's token in
    the transaction of each statement that writes (one made for it in autocommit mode on
    PostgreSQL): on PostgreSQL as the transaction commits, or sooner if it reads the token back
    (kipplan.postgresql); elsewhere before the statement (on SQLite in autocommit mode, just
    after it). Paused while migrations run, when the table may not exist yet (and in
    ``paused()``)."""

    migrating = False  # between pre_migrate and post_migrate
    paused = 0  # how many paused() blocks are open

    def __call__(self, execute, sql, params, many, context):
        if self.migrating or self.paused:
            return execute(sql, params, many, context)
        db = context["connection"]
        at_commit = getattr(db, "replaces_revision_at_commit", False)
        if at_commit and db.revision_pending and isinstance(sql, str) and REVISION_TABLE in sql:
            replace_pending(db)  # the token read back by the transaction that wrote
        table = table_written(sql) if isinstance(sql, str) else ""  # composed SQL: a write
        if table is None or table in UNSHOWN:
            return execute(sql, params, many, context)
        if not db.get_autocommit():
            if at_commit and not in_a_tests_transaction(db):
                db.revision_pending = True
            else:
                replace(db)
            return execute(sql, params, many, context)
        if db.vendor != "sqlite":
            # psycopg reads what a statement returns as it runs: a transaction for the two.
            with transaction.atomic(using=db.alias):
                if at_commit:
                    db.revision_pending = True
                else:
                    replace(db)
                return execute(sql, params, many, context)
        # On SQLite a statement in autocommit mode commits only once Django has read what it
        # returns (INSERT ... RETURNING), after this returns: the token is replaced right after
        # the statement. Until then a reader may be served the page from before the write,
        # never a page stored under a token newer than its data.
        result = execute(sql, params, many, context)
        replace(db)
        return result


revision_wrapper = RevisionWrapper()


def in_a_tests_transaction(db) -> bool:
    """Whether the transaction is a test case's (Django's TestCase, pytest-django), which is
    never committed: the token is then replaced at once, as with SQLite, rather than at a
    commit that never comes. (The tests that commit, transactional ones, use the commit's.)"""
    return bool(db.atomic_blocks) and db.atomic_blocks[0]._from_testcase


def replace(db=connection):
    """A new token for the revision (the row is made if it is missing, as after a flush)."""
    with db.cursor() as cursor:
        cursor.execute(REPLACE, [secrets.token_hex(8), timezone.now()])


def replace_pending(db):
    """The token replaced for a transaction that wrote, if it has not been yet: called by the
    PostgreSQL backend (kipplan.postgresql) just before the transaction commits, and before
    the transaction reads the token back."""
    if getattr(db, "revision_pending", False):
        db.revision_pending = False
        replace(db)


def install(sender, connection, **kwargs):
    """connection_created's receiver: the wrapper on the new connection, once."""
    if revision_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(revision_wrapper)


def pause_for_migrations(**kwargs):
    """pre_migrate's receiver (sent once for each app): paused until post_migrate."""
    revision_wrapper.migrating = True


@contextmanager
def paused():
    """No token replaced inside: for code that migrates without migrate's signals (the tests
    of data migrations run Django's MigrationExecutor), when the table may not exist."""
    revision_wrapper.paused += 1
    try:
        yield
    finally:
        revision_wrapper.paused -= 1


def resume_after_migrations(using="default", **kwargs):
    """After migrate (or flush): a new token, since a migration may change data or the code
    that renders it; a deployment's migrate thus starts every page afresh."""
    revision_wrapper.migrating = False
    db = connections[using]
    if REVISION_TABLE in db.introspection.table_names():
        replace(db)


def token_query():
    """The token as a subquery, for the query that loads the signed-in user (kipplan.auth)."""
    return Subquery(Revision.objects.filter(pk=1).values("token")[:1])


def token_of(request) -> str:
    """The token as read with the request's user, or read now (a visitor of the public
    pages, a user loaded otherwise). Either way before the page reads its data."""
    token = getattr(request.user, "page_token", None)
    return current_token() if token is None else token


def current_token() -> str:
    """The token, read before anything else of the page (one query by primary key)."""
    with connection.cursor() as cursor:
        cursor.execute(TOKEN)
        row = cursor.fetchone()
    return row[0] if row else ""


# -- The cached pages -----------------------------------------------------------------------------

# Stands for the CSRF token in a stored page; unguessable, so no text a user enters matches it.
CSRF_MARK = salted_hmac("kipplan.page_cache", "the CSRF token's mark").hexdigest()[:40]
# Stands for the signed-in user's name, in the header of a page shared by users of one sight.
NAME_MARK = salted_hmac("kipplan.page_cache", "the user's name's mark").hexdigest()[:40]
HEADER = "X-Kipplan-Cache"  # "hit" or "miss", for the tests and an operator's curl


def enabled() -> bool:
    return settings.KIPPLAN_PAGE_CACHE


def has_messages(request) -> bool:
    """Messages to show, or added while the page was rendered: a message is shown once."""
    return bool(len(get_messages(request)))


def cacheable(request) -> bool:
    """GET and HEAD only, and never a request that has messages to show."""
    return enabled() and request.method in ("GET", "HEAD") and not has_messages(request)


@functools.cache
def settings_fingerprint() -> str:
    """kipplan's own settings (KIPPLAN_*: the reporting period, the public mode, ...), which
    change what the pages compute, and the release: a new value or a new release, after a
    restart, is a new set of pages, even in a Redis that outlived the restart. Made once a
    process (again when a test changes a setting)."""
    values = sorted((name, repr(getattr(settings, name)))
                    for name in dir(settings) if name.startswith("KIPPLAN_"))
    # The release: the static files' manifest (whose names change with every changed file)
    # and the CSRF mark (which changes with the secret key).
    release = getattr(staticfiles_storage, "manifest_hash", "")
    return hashlib.sha256(repr([values, release, CSRF_MARK]).encode()).hexdigest()[:16]


@receiver(setting_changed)
def forget_fingerprint(setting, **kwargs):
    if setting.startswith("KIPPLAN_") or setting in ("SECRET_KEY", "STORAGES"):
        settings_fingerprint.cache_clear()
    if setting == "CACHES":
        outage.end()  # another cache


def hour() -> str:
    """The hour a page is kept for: overdue milestones move with the date, and a task turns
    stale at the time its reporting period runs out (tracker.models.stale_condition)."""
    return timezone.localtime().strftime("%Y-%m-%dT%H")


def sight_digest(user) -> str:
    return "sight:" + hashlib.sha256(repr(sight(user)).encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=4096)
def _remembered_sight(pk, token, is_active, is_superuser, is_staff, user) -> str:
    return sight_digest(user)


def sight_of(user, token: str) -> str:
    """Whose page: the user's sight (tracker.access.sight), as a digest ("-" for a visitor),
    worked out once a process for each user and token: whatever changes it (their groups,
    permissions, agencies, flags) is a write, which replaces the token. What it reads, the
    page reads anyway, so a miss costs no query more."""
    if not user.is_authenticated:
        return "-"
    return _remembered_sight(user.pk, token, user.is_active, user.is_superuser, user.is_staff,
                             user)


def rendered_for(user, whose: str) -> bool:
    """Whether the page just rendered was rendered for the sight ``whose`` it is to be stored
    under: the sight worked out again from what the page read of the user (their permissions and
    agencies, kept on the user object: no query). They differ when the user's agencies or roles
    changed between the sight's working out, perhaps by another request under the same token,
    and the page's reading them: such a page is not stored."""
    return not user.is_authenticated or whose == sight_digest(user)


def key_for(request, token: str, whose: str) -> str:
    """Everything a page depends on besides the data, with the data's token, and whose page it
    is (a sight: users of one sight share their pages, each given their own name in the header
    by personal())."""
    # By name, each name's values in their order (the last of a repeated one is the one read).
    query = sorted(request.GET.lists())
    parts = [
        token,
        settings_fingerprint(),
        hour(),
        translation.get_language() or "",
        whose,
        request.path,
        repr(query),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"kipplan:page:{digest}"


def seconds_left_in_the_hour() -> int:
    now = timezone.localtime()
    return 3600 - now.minute * 60 - now.second


class Outage:
    """The cache out of order, as this process knows it. The first failure (an error, or no
    answer within ``KIPPLAN_CACHE_TIMEOUT_SECONDS``: a Redis that hangs or is gone) is logged
    and starts the outage: pages are then rendered without reading or writing the cache, at no
    cost, while a thread asks the cache every ``KIPPLAN_CACHE_PROBE_SECONDS`` until it answers,
    which ends the outage. A hanging cache thus costs one page its timeout, once. Another cache
    (a changed CACHES setting) ends it too."""

    def __init__(self):
        self.since = None  # time.monotonic() of the first failure
        self.number = 0  # of the latest outage, so that a probe ends only its own
        self.lock = threading.Lock()

    def __bool__(self):
        return self.since is not None

    def begin(self, action: str):
        """Called in the except block of a failed cache call."""
        with self.lock:
            if self.since is not None:
                return
            self.since, self.number = time.monotonic(), self.number + 1
            number = self.number
        logger.exception("The page cache could not be %s; pages are served without it until "
                         "it answers again", action)
        threading.Thread(target=self.wait_for_answer, args=(number,),
                         name="kipplan-cache-probe", daemon=True).start()

    def wait_for_answer(self, number: int):
        while self.number == number and self:
            time.sleep(settings.KIPPLAN_CACHE_PROBE_SECONDS)
            try:
                cache.get(PROBE_KEY)  # this thread's own connection to the cache
            except Exception:  # still out of order
                continue
            self.end(number)

    def end(self, number: int | None = None):
        with self.lock:
            if self.since is None or number not in (None, self.number):
                return
            seconds, self.since = time.monotonic() - self.since, None
        logger.warning("The page cache answers again, after %.0f s", seconds)


outage = Outage()
PROBE_KEY = "kipplan:probe"


def lookup(key: str):
    """The stored page, or None; a cache that fails starts an outage, and the page is rendered."""
    if outage:
        return None
    try:
        return cache.get(key)
    except Exception:  # the cache's own errors (redis.ConnectionError, TimeoutError, ...)
        outage.begin("read")
        return None


def store(key: str, content_type: str, body: bytes) -> bool:
    """Kept until the end of the page's hour, after which its key is never made again.
    Whether it was stored."""
    if outage:
        return False
    seconds = min(settings.KIPPLAN_PAGE_CACHE_SECONDS, seconds_left_in_the_hour())
    try:
        cache.set(key, (content_type, body), seconds)
    except Exception:  # as in lookup()
        outage.begin("written")
        return False
    return True


def personal(request, body: bytes) -> bytes:
    """The page with this request's CSRF token and user's name where the stored page has their
    marks."""
    for mark, value in ((CSRF_MARK, get_token), (NAME_MARK, signed_in_name)):
        mark = mark.encode()
        if mark in body:
            body = body.replace(mark, value(request).encode())
    return body


def signed_in_name(request) -> str:
    return escape(request.user.get_username())


def respond(request, content_type: str, body: bytes) -> HttpResponse:
    """A stored page, served."""
    response = HttpResponse(personal(request, body), content_type=content_type)
    response[HEADER] = "hit"
    return response


class CachedPageMixin:
    """For a page view: serve the page from the cache, or render it and store it. First among
    the view's bases: a stored page is served before the view's own access checks, which is
    safe because only a page the user was allowed (a 200) is stored, under the key of that
    user's sight, which users are allowed alike, and whatever changes what a user may see
    (their groups, permissions, agencies, evaluator's assignments, being made inactive, the
    public mode) is a write, or a setting, that changes the key. A page served from the cache
    costs what a trivial logged-in page costs: the session, and the user read with the token
    (kipplan.auth); and, once a process for each user after each write, their sight."""

    page_cache = True  # False in a subclass that is not a page (an export)
    caching = False  # set while the page is rendered to be stored

    def dispatch(self, request, *args, **kwargs):
        if not (self.page_cache and cacheable(request)):
            return super().dispatch(request, *args, **kwargs)
        token = token_of(request)
        whose = sight_of(request.user, token)
        key = key_for(request, token, whose)
        stored = lookup(key)
        if stored is not None:
            return respond(request, *stored)
        self.caching = True
        response = super().dispatch(request, *args, **kwargs)
        if response.streaming:
            return response
        if hasattr(response, "render"):
            response.render()
        if (response.status_code == 200 and not has_messages(request)
                and rendered_for(request.user, whose)
                and store(key, response["Content-Type"], response.content)):
            response[HEADER] = "miss"
        response.content = personal(request, response.content)
        return response

    def get_context_data(self, **kwargs):
        if self.caching:
            # {% csrf_token %} and base.html write the marks; personal() fills them
            kwargs["csrf_token"], kwargs["signed_in_name"] = CSRF_MARK, NAME_MARK
        return super().get_context_data(**kwargs)
