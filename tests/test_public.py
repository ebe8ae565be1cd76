"""Published pages (KIPPLAN_PUBLIC_PAGES) show what a government publishes: status, progress,
budgets and milestones; never usernames, notes written for colleagues or managers' reviews."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from kipplan.page_cache import HEADER
from tests.helpers import internal_texts, leaks, visible_text
from tracker.models import (
    Agency,
    ProgressUpdate,
    StrategicTechnology,
    Task,
)
from tracker.progress import exports

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(settings, demo):
    settings.KIPPLAN_PUBLIC_PAGES = True




def public_urls():
    tasks = Task.objects.filter(plan__year=2024).order_by("number")
    return [
        reverse("tracker:dashboard"),
        reverse("tracker:plan", args=[2024]) + "?as_of=2024-09-30",
        reverse("tracker:task_list", args=[2024]),
        reverse("tracker:agency_list"),
        reverse("tracker:technology_list"),
        *(reverse("tracker:task_detail", args=[2024, task.number]) for task in tasks),
        *(reverse("tracker:agency_detail", args=[slug])
          for slug in Agency.objects.values_list("slug", flat=True)),
        *(reverse("tracker:technology_detail", args=[slug])
          for slug in StrategicTechnology.objects.values_list("slug", flat=True)),
    ]






def warm(client, username, urls):
    """Every URL opened by a demo user first, each page (all cached, kipplan.page_cache)
    rendered for them and stored under the same URL, in the same language, as the next reader
    asks for."""
    language = client.cookies.get("django_language")
    client.force_login(get_user_model().objects.get(username=username))
    for url in urls:
        response = client.get(url)
        assert (response.status_code, response[HEADER]) == (200, "miss"), url
    client.logout()  # which forgets every cookie, the language's too
    if language is not None:
        client.cookies["django_language"] = language.value


@pytest.mark.parametrize("language", ["ko", "en"])
def test_no_public_page_shows_usernames_notes_or_reviews(client, public, language):
    """Even with the manager's pages of the same URLs in the cache: the visitor's are their
    own (a miss), and served again from the cache (a hit) they still show nothing internal."""
    secrets = internal_texts()
    client.cookies["django_language"] = language
    urls = public_urls()
    warm(client, "manager", urls)

    for state in ("miss", "hit"):
        for url in urls:
            response = client.get(url)
            assert (response.status_code, response[HEADER]) == (200, state), url
            assert leaks(visible_text(response.content.decode()), secrets) == [], url


def test_no_public_export_holds_usernames_notes_or_reviews(client, public):
    secrets = internal_texts()
    # The agency columns hold agencies' slugs (kipo, msit), which the demo's staff usernames
    # repeat: they name agencies, not people, and are left out of the search.
    agency_columns = {exports.COLUMNS.index("lead_agency"),
                      exports.COLUMNS.index("supporting_agencies")}

    def text_of(rows):
        return " ".join(str(cell) for row in rows for n, cell in enumerate(row)
                        if cell is not None and n not in agency_columns)

    csv_text = b"".join(client.get(
        reverse("tracker:task_export_csv", args=[2024])).streaming_content).decode("utf-8-sig")
    response = client.get(reverse("tracker:task_export_xlsx", args=[2024]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)

    assert leaks(text_of(csv.reader(io.StringIO(csv_text))), secrets) == []
    assert leaks(text_of(workbook.worksheets[0].iter_rows(values_only=True)), secrets) == []


def test_the_public_task_page_still_shows_the_reported_history(client, public):
    task = Task.objects.filter(plan__year=2024, updates__isnull=False).first()
    update = task.updates.latest()

    body = client.get(reverse("tracker:task_detail", args=[2024, task.number])).content.decode()

    assert update.get_status_display() in body
    assert f"{update.progress}%" in body


def test_signed_in_colleagues_still_see_who_reported_and_why(client, public):
    update = ProgressUpdate.objects.exclude(note="").select_related("task", "reported_by").first()
    client.login(username="manager", password="kipplan-demo")

    body = client.get(reverse("tracker:task_detail", args=[2024, update.task.number]))

    text = visible_text(body.content.decode())
    assert update.reported_by.username in text
    assert update.note in text


def test_staff_reading_published_pages_see_internal_data_of_their_own_tasks_only(client, public):
    secrets = internal_texts()
    secrets["usernames"].discard("mcst")  # the page's header names who is signed in
    user = get_user_model().objects.get(username="mcst")
    theirs = Task.objects.visible_to(user).filter(plan__year=2024)
    others = Task.objects.filter(plan__year=2024).exclude(pk__in=theirs.values("pk"))
    own = ProgressUpdate.objects.filter(task__in=theirs).exclude(note="").select_related(
        "task").first()
    others_urls = [reverse("tracker:task_detail", args=[2024, task.number]) for task in others]
    dashboard_url = reverse("tracker:dashboard")
    mine_url = reverse("tracker:task_detail", args=[2024, own.task.number])
    # The manager's pages of the same URLs, every note on them, are in the cache first.
    warm(client, "manager", [*others_urls, dashboard_url, mine_url])
    # Not client.login: the demo's passwords are rehashed at a first login (the tests' hasher),
    # a write that would start every page afresh, and the cache cold.
    client.force_login(user)

    for url in others_urls:
        body = client.get(url)
        assert (body.status_code, body[HEADER]) == (200, "miss")  # published: every task
        assert leaks(visible_text(body.content.decode()), secrets) == [], url
    dashboard = client.get(dashboard_url)
    assert dashboard[HEADER] == "miss"
    assert leaks(visible_text(dashboard.content.decode()), secrets) == []
    mine = client.get(mine_url)
    assert own.note in visible_text(mine.content.decode())
