"""Every named URL refuses anonymous users, unless it is meant to be open."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kipplan.page_cache import HEADER
from tests.factories import TechnologyFactory
from tests.helpers import kept

pytestmark = pytest.mark.django_db

OPEN = {"login", "logout", "password_reset", "password_reset_done", "password_reset_confirm",
        "password_reset_complete", "set_language", "healthz", "readyz", "admin:login",
        "admin:logout", "admin:password_reset", "admin_password_reset",
        # The API's schema and its documentation page: how to use it, no data (tracker.api)
        "api:schema", "api:docs"}
SAMPLE_KWARGS = {"year": 2024, "number": 17, "slug": "kipo", "pk": 1, "milestone": 1,
                 "data_set": "tasks"}


def named_patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            prefix = f"{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue  # the admin has its own permission matrix (test_permissions.py)
            yield from named_patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            # path()'s converters, or the named groups of a router's regular expression
            yield f"{namespace}{pattern.name}", list(pattern.pattern.converters
                                                     or pattern.pattern.regex.groupindex)


ROUTES = sorted({(name, tuple(args)) for name, args in named_patterns() if name not in OPEN})


@pytest.mark.parametrize("name, args", ROUTES, ids=[name for name, _ in ROUTES])
def test_every_page_refuses_anonymous_users(client, task, manager, name, args):
    """Even when a manager's page of the URL is in the page cache (kipplan.page_cache), which
    serves a stored page before the view's own access checks: only the key keeps it theirs."""
    TechnologyFactory(slug="kipo")
    missing = [arg for arg in args if arg not in SAMPLE_KWARGS]
    assert not missing, f"add a sample value for {missing} to SAMPLE_KWARGS"
    url = reverse(name, kwargs={arg: SAMPLE_KWARGS[arg] for arg in args})
    client.force_login(manager)
    stored = client.get(url)
    client.logout()

    response = client.get(url)

    if name.startswith("api:"):  # JSON, no login page: asked for a token, with the reason
        assert response.status_code == 401
        assert response.json()["detail"]
        return
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    if kept(url):  # the manager's page was stored: the cache was warm
        assert (stored.status_code, stored[HEADER]) == (200, "miss")


def test_healthz_is_open_and_trivial(client):
    assert client.get(reverse("healthz")).content == b"ok"


def test_the_url_walk_found_the_manager_pages():
    names = {name for name, _ in ROUTES}
    assert {"tracker:dashboard", "tracker:task_list", "tracker:task_detail",
            "tracker:task_export_csv", "tracker:agency_detail", "api:task-list",
            "api:task-detail"} <= names
