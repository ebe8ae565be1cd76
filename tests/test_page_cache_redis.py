"""The cached pages with Redis, through Django's own backend, as where several app servers share
one database (REDIS_URL): against a real Redis server, at KIPPLAN_TEST_REDIS_URL (CI starts one;
the database number given there is emptied by these tests)."""

import os
import re

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from kipplan import page_cache
from kipplan import settings as production
from tracker.models import Plan

REDIS_URL = os.environ.get("KIPPLAN_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.skipif(
        not REDIS_URL,
        reason="no Redis server: set KIPPLAN_TEST_REDIS_URL=redis://127.0.0.1:6379/1 "
               "(a database these tests may empty) to run them; CI does"),
]
HEADER = page_cache.HEADER
# Each of make test's workers (pytest-xdist) keeps its keys under a prefix of its own and empties
# only those: the workers share the database.
PREFIX = f"kipplan-tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def forget(cache):
    """This worker's keys, taken out of the database."""
    client = cache._cache.get_client(write=True)
    keys = client.keys(f"{PREFIX}:*")
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def redis_cache():
    # production's cache, with its timeouts
    with override_settings(CACHES={"default": production.redis_cache(REDIS_URL, PREFIX)}):
        forget(caches["default"])
        yield caches["default"]
        forget(caches["default"])


def get(client, url, language="en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_the_cache_is_redis(redis_cache):
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(redis_cache, RedisCache)
    redis_cache.set("kipplan:probe", b"1")
    assert redis_cache.get("kipplan:probe") == b"1"


def test_a_page_is_served_from_redis_until_the_data_changes(client, manager, task):
    client.force_login(manager)
    url = reverse("tracker:plan", args=[task.plan.year])

    first, second = get(client, url), get(client, url)
    Plan.objects.filter(pk=task.plan_id).update(title_en="Renamed in the Redis test")
    third = get(client, url)

    assert [r[HEADER] for r in (first, second, third)] == ["miss", "hit", "miss"]
    assert "Renamed in the Redis test" in third.content.decode()


def test_redis_keeps_each_users_and_languages_pages_apart(client, manager, staff, task):
    url = reverse("tracker:task_list", args=[task.plan.year])
    client.force_login(manager)
    get(client, url)

    client.force_login(staff)
    as_staff = get(client, url)
    client.force_login(manager)
    in_korean = get(client, url, language="ko")

    assert as_staff[HEADER] == "miss" and "kipo-staff" in as_staff.content.decode()
    assert "plan-manager" not in as_staff.content.decode()
    assert in_korean[HEADER] == "miss" and '<html lang="ko">' in in_korean.content.decode()


def test_a_page_from_redis_carries_this_requests_csrf_token(client, manager, task):
    client.force_login(manager)
    url = reverse("tracker:plan", args=[task.plan.year])
    get(client, url)

    hit = get(client, url)

    assert hit[HEADER] == "hit"
    assert page_cache.CSRF_MARK not in hit.content.decode()
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]{64}"', hit.content.decode())


def test_every_page_in_redis_expires(client, manager, task, settings):
    settings.KIPPLAN_PAGE_CACHE_SECONDS = 600
    client.force_login(manager)
    get(client, reverse("tracker:plan", args=[task.plan.year]))

    redis = caches["default"]._cache.get_client(write=False)
    keys = redis.keys(f"{PREFIX}:*:kipplan:page:*")
    assert keys and all(0 < redis.ttl(key) <= 600 for key in keys)
