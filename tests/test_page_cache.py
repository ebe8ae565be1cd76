"""The cached pages (kipplan.page_cache): served again only while nothing they depend on changed,
each user's their own, with this request's CSRF token, and a bounded cache. The write paths are
tested in test_page_cache_writes.py; the roles, warm, in test_evaluation_permissions.py."""

import re
import resource
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache, caches
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, QueryDict
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kipplan import page_cache
from tests.factories import TaskFactory
from tests.helpers import transaction_held_open, without_csrf
from tracker.models import PasswordResetRequest, Plan, Reminder, Revision, Task

HEADER = page_cache.HEADER
HOUR = page_cache.hour  # the real clock, which tests/conftest.py holds still for other tests


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def get(client, url, **extra):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=extra.pop("language", "en"), **extra)


def dashboard(plan):
    return reverse("tracker:plan", args=[plan.year])


def token():
    return Revision.objects.get(pk=1).token


# -- The revision -------------------------------------------------------------------------------

def test_every_write_replaces_the_token_in_its_own_transaction(task):
    before = token()

    Task.objects.filter(pk=task.pk).update(title_en="Renamed")

    assert token() != before


def test_a_write_rolled_back_takes_its_new_token_back(task):
    before = token()

    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(title_en="Never")
        assert token() != before  # seen inside the transaction...
        raise RuntimeError

    assert token() == before  # ...and gone with it


def test_reads_leave_the_token_alone(task):
    before = token()

    list(Task.objects.all())
    Task.objects.count()

    assert token() == before


@pytest.mark.parametrize(("sql", "table"), [
    ('INSERT INTO "tracker_task" ("a") VALUES (%s)', "tracker_task"),
    ('UPDATE "tracker_task" SET "a" = %s', "tracker_task"),
    ('DELETE FROM "tracker_milestone" WHERE "id" IN (%s)', "tracker_milestone"),
    ('TRUNCATE "django_session", "tracker_plan" RESTART IDENTITY CASCADE;', ""),
    ('SELECT "tracker_task"."id" FROM "tracker_task" FOR UPDATE', "tracker_task"),
    ('SELECT "tracker_task"."id" FROM "tracker_task"', None),
    # The task worker's poll locks rows of a table no page shows (UNSHOWN).
    ('SELECT "id" FROM "django_tasks_database_dbtaskresult" WHERE "status" = %s '
     'FOR UPDATE SKIP LOCKED', "django_tasks_database_dbtaskresult"),
    ('UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s', None),
    ("SAVEPOINT s1", None),
    ("\n   /* why */ -- and how\n update tracker_task set a = 1", "tracker_task"),
    ("WITH x AS (SELECT 1) UPDATE tracker_task SET a = 1", ""),
    ("WITH x AS MATERIALIZED (SELECT 1 AS a) SELECT a FROM x", None),
    ("with x as (delete from tracker_task returning id) select id from x", ""),
    ("WITH x AS (SELECT 1) INSERT INTO tracker_task (a) SELECT 1", ""),
    ("WITH x AS (SELECT id FROM tracker_task FOR UPDATE) SELECT id FROM x", ""),
    ("WITH x AS (SELECT 1) SELECT id FROM tracker_task FOR KEY SHARE", ""),
    ("WITH x AS (SELECT 1 AS a) REPLACE INTO tracker_task (a) SELECT a FROM x", ""),
    ("WITH x AS (SELECT 1) MERGE INTO tracker_task USING x ON true WHEN MATCHED THEN DELETE", ""),
    ('TRUNCATE TABLE "tracker_plan"', ""),
    ('UPDATE "auth_user" SET "last_login" = %s, "is_active" = %s WHERE "auth_user"."id" = %s',
     "auth_user"),
    ('SELECT "id" FROM "tracker_task" FOR NO KEY UPDATE', "tracker_task"),
    ('SELECT "id" FROM "tracker_task" FOR SHARE', "tracker_task"),
    ("CREATE INDEX i ON tracker_task (a)", None),
    ('DROP DATABASE "test_kipplan"', None),
    ('select "id" from "tracker_task" for update', "tracker_task"),
    ("", None),
    ("MERGE INTO tracker_task USING x ON true WHEN MATCHED THEN DELETE", ""),
])
def test_the_statements_that_write_are_told_from_those_that_read(sql, table):
    assert page_cache.table_written(sql) == table


def test_composed_sql_counts_as_a_write(task):
    before = token()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg import sql

            cursor.execute(sql.SQL("UPDATE {} SET title_en = %s").format(
                sql.Identifier("tracker_task")), ["Composed"])
        else:
            pytest.skip("composed SQL is psycopg's")

    assert token() != before


def test_a_login_does_not_change_the_pages(client, manager, task):
    before = token()

    client.force_login(manager)

    assert token() == before


# -- Hits and misses ----------------------------------------------------------------------------

def test_a_page_is_served_again_from_the_cache_until_the_data_changes(client, manager, task):
    client.force_login(manager)
    url = dashboard(task.plan)

    first, second = get(client, url), get(client, url)
    Plan.objects.filter(pk=task.plan_id).update(title_en="The renamed plan")
    third = get(client, url)

    assert [r[HEADER] for r in (first, second, third)] == ["miss", "hit", "miss"]
    assert without_csrf(second.content.decode()) == without_csrf(first.content.decode())
    assert "The renamed plan" in third.content.decode()
    assert "The renamed plan" not in second.content.decode()


def test_a_hit_reads_only_the_session_and_the_user(client, manager, task):
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])
    get(client, url)

    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)

    assert response[HEADER] == "hit"
    # The session and the user, read with the token (kipplan.auth): as a trivial page.
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_a_visitors_hit_reads_only_the_token(client, task, settings):
    settings.KIPPLAN_PUBLIC_PAGES = True
    url = reverse("tracker:task_list", args=[task.plan.year])
    get(client, url)

    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)

    assert response[HEADER] == "hit"
    assert [q["sql"] for q in queries] == [page_cache.TOKEN]


def test_a_miss_costs_no_query_more_than_an_uncached_page(client, manager, task):
    client.force_login(manager)
    url = dashboard(task.plan)
    with override_settings(KIPPLAN_PAGE_CACHE=False), CaptureQueriesContext(connection) as plain:
        assert HEADER not in get(client, url)

    with CaptureQueriesContext(connection) as cached:
        assert get(client, url)[HEADER] == "miss"

    # The token comes with the user; the user's agencies are read for their sight (once a
    # process for each user and token; the pages of agency staff read them anyway).
    assert len(cached) <= len(plain) + 1


@override_settings(KIPPLAN_PAGE_CACHE=False)
def test_the_cache_can_be_turned_off(client, manager, task):
    client.force_login(manager)

    responses = [get(client, dashboard(task.plan)) for _ in range(2)]

    assert all(HEADER not in response for response in responses)


@pytest.mark.parametrize("name", ["task_export_csv", "task_export_xlsx"])
def test_exports_are_never_stored(client, manager, task, name):
    client.force_login(manager)

    response = get(client, reverse(f"tracker:{name}", args=[task.plan.year]))

    assert response.status_code == 200 and HEADER not in response
    assert not cache._cache  # nothing stored


def test_a_page_that_is_not_found_or_refused_is_not_stored(client, manager, staff, task):
    client.force_login(manager)
    missing = reverse("tracker:task_detail", args=[task.plan.year, 999])
    assert get(client, missing).status_code == 404
    client.force_login(staff)
    hidden = TaskFactory(plan=task.plan, number=40, strategy=task.strategy)
    assert get(client, reverse("tracker:task_detail", args=[task.plan.year, hidden.number])
               ).status_code == 404

    assert not cache._cache


# -- What the key holds --------------------------------------------------------------------------

def test_managers_share_a_page_each_with_their_own_name_whatever_their_agencies(
        client, manager, make_staff, agency, task):
    """Plan managers read everything whatever agencies they belong to (tracker.access.sight)."""
    other = make_staff(agency, username="second-manager")
    other.groups.set(manager.groups.all())
    url = dashboard(task.plan)
    client.force_login(manager)
    first = get(client, url)
    with override_settings(KIPPLAN_PAGE_CACHE=False):
        client.force_login(other)
        rendered_for_them = get(client, url)

    response = get(client, url)

    assert (first[HEADER], response[HEADER]) == ("miss", "hit")
    body = response.content.decode()
    assert "second-manager" in body and "plan-manager" not in body
    assert without_csrf(body) == without_csrf(rendered_for_them.content.decode())


@pytest.mark.django_db(transaction=True)
def test_committed_writes_show_and_rolled_back_ones_leave_the_page(client, manager, task):
    """The revision as production replaces it, at each commit (kipplan.postgresql): the test's
    own transaction, which replaces it at once, is not there."""
    client.force_login(manager)
    url = dashboard(task.plan)
    assert get(client, url)[HEADER] == "miss"

    with pytest.raises(RuntimeError), transaction.atomic():
        Plan.objects.filter(pk=task.plan_id).update(title_en="Never committed")
        raise RuntimeError
    assert get(client, url)[HEADER] == "hit"

    with transaction.atomic():
        Plan.objects.filter(pk=task.plan_id).update(title_en="Committed title")
        with transaction.atomic():  # a savepoint, rolled back
            Task.objects.filter(pk=task.pk).update(title_en="Undone")
            transaction.set_rollback(True)
    response = get(client, url)
    assert response[HEADER] == "miss" and "Committed title" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_reads_the_token_after_writing_reads_a_new_one(task):
    before = token()
    with transaction.atomic():
        Plan.objects.filter(pk=task.plan_id).update(title_en="Written")
        during = page_cache.current_token()
    assert before != during == token()


def test_a_visitor_never_gets_a_signed_in_users_page(client, manager, task):
    url = dashboard(task.plan)
    with override_settings(KIPPLAN_PUBLIC_PAGES=True):
        client.force_login(manager)
        get(client, url)
        client.logout()

        response = get(client, url)

    assert response[HEADER] == "miss"
    assert "plan-manager" not in response.content.decode()


def test_public_and_private_pages_are_kept_apart(client, manager, task):
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)

    with override_settings(KIPPLAN_PUBLIC_PAGES=True):
        assert get(client, url)[HEADER] == "miss"


def test_each_language_has_its_own_page(client, manager, task):
    client.force_login(manager)
    url = dashboard(task.plan)
    english = get(client, url, language="en")

    korean = get(client, url, language="ko")

    assert korean[HEADER] == "miss" and korean["Content-Language"] == "ko"
    assert '<html lang="ko">' in korean.content.decode()
    again = get(client, url, language="en")
    assert again[HEADER] == "hit"
    assert without_csrf(again.content.decode()) == without_csrf(english.content.decode())


@pytest.mark.parametrize("query", ["?status=delayed", "?as_of=2024-03-01", "?sort=-progress",
                                   "?q=patent"])
def test_each_filter_and_day_has_its_own_page(client, manager, task, query):
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])
    get(client, url)

    assert get(client, url + query)[HEADER] == "miss"
    assert get(client, url + query)[HEADER] == "hit"


def test_the_order_of_a_querys_names_does_not_matter(client, manager, task):
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])
    get(client, url + "?status=delayed&status=on_track&sort=-progress")

    assert get(client, url + "?sort=-progress&status=delayed&status=on_track")[HEADER] == "hit"


def test_the_order_of_a_repeated_names_values_does(client, manager, task):
    """The last value of a repeated name is the one a single-valued field reads."""
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])
    get(client, url + "?sort=-progress&sort=number")

    assert get(client, url + "?sort=number&sort=-progress")[HEADER] == "miss"


@pytest.fixture
def real_clock(monkeypatch):
    monkeypatch.setattr(page_cache, "hour", HOUR)


def test_a_new_hour_renders_the_pages_anew(client, manager, task, monkeypatch, real_clock):
    """Overdue milestones move with the date, and a task turns stale at the time its reporting
    period runs out: with no write to the data, the next hour's page is rendered anew."""
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)
    later = timezone.now() + timedelta(hours=1)

    monkeypatch.setattr(timezone, "now", lambda: later)

    assert get(client, url)[HEADER] == "miss"


# -- What is never stored ------------------------------------------------------------------------

def csrf_of(response):
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())


def test_each_response_carries_its_own_csrf_token_and_it_works(manager, task):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)

    hit = get(client, url)

    tokens = csrf_of(hit)
    assert hit[HEADER] == "hit" and tokens
    assert page_cache.CSRF_MARK not in hit.content.decode()
    # The token of a page served from the cache is accepted: the language switch posts it.
    switched = client.post(reverse("set_language"), {"language": "ko", "next": url,
                                                     "csrfmiddlewaretoken": tokens[0]})
    assert switched.status_code == 302


def test_a_new_login_gets_its_new_csrf_token_in_a_stored_page(manager, task):
    url = dashboard(task.plan)
    first = Client(enforce_csrf_checks=True)
    first.force_login(manager)
    get(first, url)
    second = Client(enforce_csrf_checks=True)  # another browser: another CSRF secret
    second.force_login(manager)

    hit = get(second, url)

    assert hit[HEADER] == "hit"
    response = second.post(reverse("logout"), {"csrfmiddlewaretoken": csrf_of(hit)[0]})
    assert response.status_code == 302


def test_a_page_with_messages_to_show_is_neither_served_nor_stored(rf, manager, task):
    """A message is shown once: the page that shows it is rendered for that request only."""
    request = rf.get("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    request.user = manager
    assert page_cache.cacheable(request)

    request._messages.add(constants.SUCCESS, "Saved.")

    assert not page_cache.cacheable(request)
    assert len(get_messages(request)) == 1  # still there to be shown


def test_a_message_is_shown_once_even_on_a_cached_page(client, manager, task, rf):
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)
    # A message left for the next page, as a view leaves one before it redirects.
    storage, carrier = CookieStorage(rf.get("/")), HttpResponse()
    storage.add(constants.SUCCESS, "The report was saved.")
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value

    shown, after = get(client, url), get(client, url)

    assert HEADER not in shown and "The report was saved." in shown.content.decode()
    assert after[HEADER] == "hit" and "The report was saved." not in after.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_and_head_are_cached(client, manager, task, method):
    client.force_login(manager)

    getattr(client, method)(dashboard(task.plan))

    assert not cache._cache


def test_head_is_served_from_the_cache_too(client, manager, task):
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)

    response = client.head(url, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and response[HEADER] == "hit"


# -- Bounds --------------------------------------------------------------------------------------

BOUNDED = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                       "LOCATION": "bounded", "OPTIONS": {"MAX_ENTRIES": 50}}}


@override_settings(CACHES=BOUNDED)
def test_the_cache_keeps_at_most_its_entries_over_many_filter_urls(client, manager, task):
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[task.plan.year])

    for n in range(120):
        assert get(client, f"{url}?q=x{n}")[HEADER] == "miss"

    assert len(caches["default"]._cache) <= 50


@override_settings(CACHES={"default": {**BOUNDED["default"], "OPTIONS": {"MAX_ENTRIES": 300}}})
def test_memory_stays_flat_over_a_hundred_thousand_filter_urls(manager):
    """The process's peak memory after 100,000 distinct task-list URLs is what it was after
    2,000 (unbounded, the pages alone would take 2 GB): keys made as a request makes them,
    pages of 20 kB stored as a response stores them."""
    request, page = RequestFactory().get("/plans/2024/tasks/"), b"<p>" + b"x" * 20_000

    def fill(start, stop):
        for n in range(start, stop):
            request.GET = QueryDict(f"q=filter+{n}&status=delayed")
            whose = "-" if n % 2 else f"user:{manager.pk}"
            page_cache.store(page_cache.key_for(request, "token", whose), "text/html", page)

    fill(0, 2_000)
    early = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    fill(2_000, 100_000)
    late = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    assert len(caches["default"]._cache) <= 300
    assert late - early < 50_000, (early, late)  # under 50 MB more, against 2 GB


def test_a_key_is_short_whatever_the_url():
    request = RequestFactory().get("/plans/2024/tasks/", {"q": "과제" * 2_000})
    request.user = AnonymousUser()

    assert len(page_cache.key_for(request, "token", "-")) < 100


def test_keys_differ_by_date_and_hour_not_by_minute(manager, monkeypatch, real_clock):
    request = RequestFactory().get("/plans/2024/")
    request.user = manager
    start = timezone.make_aware(datetime(2030, 1, 1, 9, 0))

    def key_at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return page_cache.key_for(request, "t", "-")

    assert key_at(start) == key_at(start + timedelta(minutes=59))
    assert key_at(start) != key_at(start + timedelta(hours=1))
    assert key_at(start) != key_at(start + timedelta(days=1))


def test_a_message_added_while_rendering_is_shown_and_not_stored(client, manager, task,
                                                                 monkeypatch):
    from django.contrib import messages

    from tracker.overview.views import DashboardView

    rendered = DashboardView.get_context_data

    def with_a_message(view, **kwargs):
        messages.info(view.request, "Shown once.")
        return rendered(view, **kwargs)

    monkeypatch.setattr(DashboardView, "get_context_data", with_a_message)
    client.force_login(manager)

    response = get(client, dashboard(task.plan))

    assert "Shown once." in response.content.decode() and HEADER not in response
    assert not cache._cache


def test_a_page_that_is_not_a_200_is_not_stored_and_has_its_csrf_token(client, manager, task,
                                                                      monkeypatch):
    from tracker.overview.views import DashboardView

    answer = DashboardView.render_to_response

    def refused(view, context, **kwargs):
        return answer(view, context, status=409, **kwargs)

    monkeypatch.setattr(DashboardView, "render_to_response", refused)
    client.force_login(manager)

    response = get(client, dashboard(task.plan))

    assert response.status_code == 409 and HEADER not in response
    assert page_cache.CSRF_MARK not in response.content.decode() and csrf_of(response)
    assert not cache._cache


@pytest.mark.parametrize("write", [
    lambda: PasswordResetRequest.objects.create(email="x@example.kr", client_address="1.2.3.4"),
    lambda: Reminder.objects.create(user=get_user_model().objects.first(), items=["task:1"]),
])
def test_writes_no_page_shows_leave_the_pages_cached(client, manager, task, write):
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)

    write()

    assert get(client, url)[HEADER] == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_write_in_autocommit_mode_replaces_the_token(client, manager, task):
    """Outside any transaction (as a request or a command writes), a statement is its own
    transaction: the token changes with it (PostgreSQL) or just after it (SQLite)."""
    client.force_login(manager)
    url = dashboard(task.plan)
    get(client, url)
    before = token()
    assert connection.get_autocommit()

    Plan.objects.filter(pk=task.plan_id).update(title_en="Renamed in autocommit mode")

    assert token() != before
    response = get(client, url)
    assert response[HEADER] == "miss" and "Renamed in autocommit mode" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_in_autocommit_mode_changes_nothing(task):
    before = token()

    with pytest.raises(IntegrityError):
        Task.objects.create(plan=task.plan, strategy=task.strategy, lead_agency=task.lead_agency,
                            number=task.number, title_ko="같은 번호")

    assert token() == before or connection.vendor == "sqlite"  # SQLite: no write, no replace


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1/0"}})
def test_a_cache_that_fails_is_logged_and_the_page_rendered(client, manager, task, caplog):
    client.force_login(manager)

    response = get(client, dashboard(task.plan))

    assert response.status_code == 200 and HEADER not in response
    assert "The page cache could not be read" in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite lets one writer at a time in any case")
@pytest.mark.django_db(transaction=True)
def test_writers_on_postgresql_do_not_wait_for_one_anothers_transactions(task):
    """A transaction that wrote and is still open holds none of the revision: another writer
    commits meanwhile, and each commit replaces the token (kipplan.postgresql)."""
    other = TaskFactory(plan=task.plan, strategy=task.strategy, lead_agency=task.lead_agency,
                        number=task.number + 1)
    before = token()

    def write_slowly():
        Task.objects.filter(pk=task.pk).update(title_en="Written slowly")

    with transaction_held_open(write_slowly):
        started = time.monotonic()
        Task.objects.filter(pk=other.pk).update(title_en="Written meanwhile")  # autocommit
        finished = time.monotonic() - started
        between = token()

    assert finished < 1  # it would wait for the slow writer's commit, 10 s
    assert len({before, between, token()}) == 3
