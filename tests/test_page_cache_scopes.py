"""No page ever shows another scope's data with the page cache on and warm (kipplan.page_cache).

A stored page is served before the view's own access checks: only its key keeps it to the one
it was rendered for. With the demo loaded, a plan manager (or the superuser) opens every cached
page first; then agency staff, a visitor of the public pages and an evaluator ask for the very
same URLs. Each must get a page rendered for them (a miss: the only page stored under the URL is
the manager's) or their own refusal, never the manager's name or what only the managers see.
Were the key to leave the user out, each of those reads would be a hit of the manager's page.
Then a user's own scope changes, and their page stored before must not be served again: what
keeps it out is the data's token in the key (the change is a write) or the public mode.
"""

from html import escape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from kipplan.page_cache import HEADER
from tests.helpers import internal_texts, kept, leaks, site_pages, visible_text, without_csrf
from tracker import roles
from tracker.models import Agency, AgencyMembership, Task

pytestmark = pytest.mark.django_db


def user(username):
    return get_user_model().objects.get(username=username)


def account(username):
    """How base.html names the signed-in user, in every page's header."""
    return f"<span>{username}</span>"


def get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def cached_urls(*more):
    """Every page of tests/helpers.py that the cache keeps and that opens (200), and more, once
    each: the dashboards, the task list (filtered too), task, agency and technology pages, the
    years, the evaluation and the budget advice."""
    urls = [url for _name, url, _who, status in site_pages() if status == 200 and kept(url)]
    return list(dict.fromkeys([*urls, *more]))


def warm(client, username, urls):
    """{url: body} of the user's pages, each rendered and stored (a miss), then logged out."""
    client.force_login(user(username))
    bodies = {}
    for url in urls:
        response = get(client, url)
        assert (response.status_code, response[HEADER]) == (200, "miss"), url
        bodies[url] = response.content.decode()
    client.logout()
    return bodies


def hidden_from(username):
    """A 2024 task that the user may not see (only the managers do), and its page."""
    task = Task.objects.filter(plan__year=2024).exclude(
        pk__in=Task.objects.visible_to(user(username)).values("pk")).order_by("number").first()
    return task, reverse("tracker:task_detail", args=[2024, task.number])


# Staff of two agencies, each leading tasks of its own; the superuser sees what the managers see.
@pytest.mark.parametrize("warmer, reader", [("manager", "kista"), ("admin", "mcst")])
def test_agency_staff_never_get_a_managers_stored_page(client, demo, warmer, reader):
    """Each of their pages is the one they get with the cache off, never the stored one."""
    task, hidden = hidden_from(reader)
    title, task_list = escape(task.title_en), reverse("tracker:task_list", args=[2024])
    urls = cached_urls(hidden)
    client.force_login(user(reader))
    with override_settings(KIPPLAN_PAGE_CACHE=False):
        uncached = {url: get(client, url) for url in urls}
    stored = warm(client, warmer, urls)
    assert all(account(warmer) in body for body in stored.values())
    assert title in stored[task_list] and title in stored[hidden]
    client.force_login(user(reader))

    responses = {url: get(client, url) for url in urls}

    for url, response in responses.items():
        body = response.content.decode()
        assert account(warmer) not in body, url
        assert response.status_code == uncached[url].status_code, url
        assert without_csrf(body) == without_csrf(uncached[url].content.decode()), url
        if response.status_code == 200:
            assert response[HEADER] == "miss", url  # rendered for them, not the stored page
            assert account(reader) in body, url
        else:
            assert response.status_code in (403, 404) and HEADER not in response, url
    assert responses[hidden].status_code == 404  # no such task, for them
    assert title not in responses[task_list].content.decode()


def test_a_visitor_of_the_public_pages_never_gets_a_managers_stored_page(client, demo,
                                                                        settings):
    settings.KIPPLAN_PUBLIC_PAGES = True
    secrets = internal_texts()  # every username, report note, contribution note, ...
    urls = cached_urls()
    stored = warm(client, "manager", urls)
    assert all(leaks(visible_text(body), secrets) for body in stored.values())  # the name, at least
    notes = secrets["report notes"] | secrets["contribution notes"]
    assert any(leaks(visible_text(body), {"notes": notes}) for body in stored.values())

    responses = {url: get(client, url) for url in urls}

    for url, response in responses.items():
        body = response.content.decode()
        assert leaks(visible_text(body), secrets) == [], url
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            assert response[HEADER] == "miss", url  # rendered for the visitor
            assert f'href="{reverse("login")}?next=' in body, url  # a visitor's: "Log in"
        else:
            assert HEADER not in response, url


def test_an_evaluator_is_refused_though_a_managers_page_of_the_url_is_stored(client, demo):
    urls = cached_urls()
    warm(client, "manager", urls)
    client.force_login(user("evaluator-lee"))

    responses = {url: get(client, url) for url in urls}

    for url, response in responses.items():
        assert response.status_code == 403, url
        assert HEADER not in response, url
        assert account("manager") not in response.content.decode(), url


# -- A user's own scope, changed --------------------------------------------------------------
# What changes what a user may see is a write, which replaces the data's token and so every key:
# the page stored for them before is never served to them again.

def test_staff_taken_off_their_agency_no_longer_get_its_task_from_the_cache(client, task,
                                                                           staff):
    url = reverse("tracker:task_detail", args=[task.plan.year, task.number])
    client.force_login(staff)
    get(client, url)
    assert get(client, url)[HEADER] == "hit"

    AgencyMembership.objects.filter(user=staff).delete()
    response = get(client, url)

    assert response.status_code == 404


def test_a_manager_made_staff_of_another_agency_no_longer_gets_their_stored_pages(
        client, task, manager, other_agency):
    url = reverse("tracker:task_list", args=[task.plan.year])
    link = reverse("tracker:task_detail", args=[task.plan.year, task.number])  # KIPO's task
    client.force_login(manager)
    assert link in get(client, url).content.decode()
    assert get(client, url)[HEADER] == "hit"

    manager.groups.set([Group.objects.get(name=roles.AGENCY_STAFF)])
    AgencyMembership.objects.create(user=manager, agency=other_agency)
    response = get(client, url)

    assert (response.status_code, response[HEADER]) == (200, "miss")
    assert link not in response.content.decode()


def test_a_user_made_inactive_is_not_served_their_stored_page(client, manager, task):
    """Kept out twice: by the token (the change is a write) and by the user (an inactive user
    is a visitor, whose key is not theirs); it would take losing both to fail."""
    url = reverse("tracker:task_list", args=[task.plan.year])
    client.force_login(manager)
    get(client, url)
    assert get(client, url)[HEADER] == "hit"

    get_user_model().objects.filter(pk=manager.pk).update(is_active=False)
    response = get(client, url)

    assert response.status_code == 302 and HEADER not in response


def test_a_visitors_page_is_not_served_once_the_public_pages_are_turned_off(client, task,
                                                                            settings):
    """Kept out by the public mode in the key (and in the fingerprint of kipplan's settings):
    no write happens, the token stays."""
    url = reverse("tracker:task_list", args=[task.plan.year])
    settings.KIPPLAN_PUBLIC_PAGES = True
    get(client, url)
    assert get(client, url)[HEADER] == "hit"

    settings.KIPPLAN_PUBLIC_PAGES = False
    response = get(client, url)

    assert response.status_code == 302 and HEADER not in response


# -- One page for users of one sight ----------------------------------------------------------


def twin(username):
    """A new user with everything of username's that decides what they see (tracker.access.sight):
    flags, roles, own permissions and agencies; nothing else in common."""
    original = user(username)
    other = get_user_model().objects.create_user(
        f"{username}-twin", f"{username}-twin@example.kr", "x", is_staff=original.is_staff,
        is_superuser=original.is_superuser, first_name="Twin")
    other.groups.set(original.groups.all())
    other.user_permissions.set(original.user_permissions.all())
    for membership in AgencyMembership.objects.filter(user=original):
        AgencyMembership.objects.create(user=other, agency=membership.agency)
    return other


def named(body, username):
    """The page with the signed-in user's name (the header's) put back as a mark."""
    return without_csrf(body).replace(account(username), account("SIGNED-IN"))


@pytest.mark.parametrize("username", ["manager", "kipo"])
def test_users_of_one_sight_are_shown_the_same_pages(client, demo, username):
    """What makes the sharing safe: a page rendered afresh for a user and for their twin (same
    sight, another person) is the same page, but for the name in the header. Were a page to read
    anything else of a user (their id, name or e-mail, their own reports), it would differ."""
    other = twin(username)
    urls = cached_urls()
    pages = {}
    with override_settings(KIPPLAN_PAGE_CACHE=False):
        for person in (user(username), other):
            client.force_login(person)
            pages[person.username] = {url: get(client, url) for url in urls}
    for url in urls:
        mine, theirs = pages[username][url], pages[other.username][url]
        assert mine.status_code == theirs.status_code, url
        assert named(mine.content.decode(), username) == named(
            theirs.content.decode(), other.username), url


def test_a_page_stored_for_one_user_is_served_to_another_of_the_same_sight(client, demo):
    other = twin("kipo")
    urls = [url for url in cached_urls() if "/plans/" in url][:6]
    stored = warm(client, "kipo", urls)
    client.force_login(other)

    for url in urls:
        response = get(client, url)
        body = response.content.decode()
        assert response[HEADER] == "hit", url
        assert account(other.username) in body and account("kipo") not in body, url
        assert named(body, other.username) == named(stored[url], "kipo"), url


def test_a_user_given_another_agency_no_longer_shares_the_pages_of_their_old_sight(client,
                                                                                     demo):
    other = twin("kista")
    url = reverse("tracker:task_list", args=[2024])
    warm(client, "kista", [url])
    AgencyMembership.objects.create(user=other, agency=Agency.objects.get(slug="msit"))
    client.force_login(other)

    response = get(client, url)

    assert response[HEADER] == "miss"
    msit_task = Task.objects.filter(plan__year=2024, lead_agency__slug="msit").first()
    assert escape(msit_task.title_en) in response.content.decode()
