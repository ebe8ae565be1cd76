"""What people do with kipplan, in a real browser against the live server."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.helpers import log_in, role, screenshot
from tracker import roles
from tracker.models import Agency, ProgressUpdate, Status, Task

# Transactional: the live server, in another thread, reads what the test writes.
pytestmark = pytest.mark.django_db(transaction=True)


def reportable_task(agency_slug="kipo"):
    return Task.objects.filter(
        lead_agency__slug=agency_slug, status__in=[Status.ON_TRACK, Status.NOT_STARTED],
        progress__lte=90,
    ).order_by("number").first()


def report_url(task):
    return reverse("admin:tracker_task_report", args=[task.pk])


def test_staff_report_progress_and_see_it_on_the_dashboard(demo, new_page):
    task = reportable_task()
    page = new_page("ko")
    log_in(page, "kipo", next_url=report_url(task))

    page.select_option("#id_status", Status.ON_TRACK)
    page.fill("#id_progress", str(task.progress + 7))
    page.fill("#id_note", "브라우저에서 보고한 실적")
    page.click("input[type=submit][value='저장']")
    page.wait_for_load_state()

    assert "추진상황을 보고했습니다" in page.content()
    page.goto(reverse("tracker:plan", args=[task.plan.year]))
    latest = page.locator("section, table").filter(has_text=task.code).first
    assert latest.is_visible()
    assert f"{task.progress + 7}%" in page.content()
    screenshot(page, "dashboard-after-report")
    saved = ProgressUpdate.objects.filter(task=task).order_by("-reported_at").first()
    assert (saved.note, saved.progress) == ("브라우저에서 보고한 실적", task.progress + 7)


def test_a_second_staff_user_editing_the_same_task_is_told_of_the_conflict(demo, new_page):
    task = reportable_task()
    colleague = UserFactory(username="kipo-colleague", password="colleague-pass-123")
    colleague.groups.add(role(roles.AGENCY_STAFF))
    MembershipFactory(user=colleague, agency=Agency.objects.get(slug="kipo"))
    first, second = new_page("en"), new_page("en")
    log_in(first, "kipo", next_url=report_url(task))
    log_in(second, "kipo-colleague", password="colleague-pass-123", next_url=report_url(task))

    first.fill("#id_progress", str(task.progress + 5))
    first.click("input[type=submit][value='Save']")
    first.wait_for_load_state()
    second.fill("#id_progress", str(task.progress + 9))
    second.fill("#id_note", "second opinion")
    second.click("input[type=submit][value='Save']")
    second.wait_for_load_state()

    error = second.locator(".errornote").inner_text()
    assert "kipo" in error and f"{task.progress + 5}%" in error
    assert second.input_value("#id_progress") == str(task.progress + 9)  # their input is kept
    screenshot(second, "report-conflict")
    assert Task.objects.get(pk=task.pk).progress == task.progress + 5


def test_a_manager_filters_the_task_list_and_downloads_it_as_csv(demo, new_page):
    page = new_page("en")
    log_in(page, "manager", next_url=reverse("tracker:task_list", args=[2024]))

    page.check("input[name=status][value=delayed]")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "status=delayed" in page.url
    delayed = Task.objects.filter(plan__year=2024, status=Status.DELAYED)
    assert f"{delayed.count()} tasks" in page.content()
    screenshot(page, "task-list-filtered")
    with page.expect_download() as download_info:
        page.click("text=Download CSV")
    download = download_info.value

    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert download.suggested_filename == "kipplan-2024-tasks.csv"
    assert sorted(row["code"] for row in rows) == sorted(delayed.values_list("code", flat=True))
    assert {row["status"] for row in rows} == {"delayed"}


def test_a_user_switches_language_and_it_is_remembered(demo, new_page):
    page = new_page("ko")
    log_in(page, "manager")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "상태별 과제" in page.content()

    page.click("header button[value=en]")
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert "Tasks by status" in page.content()
    other_browser = new_page("ko")
    log_in(other_browser, "manager")
    assert "Tasks by status" in other_browser.content()
    other_browser.click("header button[value=ko]")
    other_browser.wait_for_load_state()
    assert "상태별 과제" in other_browser.content()


def test_staff_cannot_open_another_agencys_task(demo, new_page):
    theirs = Task.objects.filter(lead_agency__slug="kipo").exclude(
        supporting_agencies__slug="msit").order_by("number").first()
    page = new_page("en")
    log_in(page, "msit")

    public = page.goto(reverse("tracker:task_detail", args=[2024, theirs.number]))
    assert public.status == 404
    page.goto(reverse("admin:tracker_task_change", args=[theirs.pk]))
    assert theirs.title_ko not in page.content() and theirs.title_en not in page.content()
    report = page.goto(report_url(theirs))
    assert report.status in (403, 404)
    page.goto(reverse("admin:tracker_task_changelist"))
    assert theirs.code not in page.content()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_screenshots_of_the_main_pages(demo, new_page, language):
    page = new_page(language)
    page.goto(reverse("login"))
    screenshot(page, f"{language}-login")
    log_in(page, "admin")
    pages = {
        "dashboard": reverse("tracker:plan", args=[2024]),
        "task-list": reverse("tracker:task_list", args=[2024]),
        "task": reverse("tracker:task_detail", args=[2024, 1]),
        "agency": reverse("tracker:agency_detail", args=["kista"]),
        "technology": reverse("tracker:technology_detail", args=["semiconductor-display"]),
        "admin-task": reverse("admin:tracker_task_change", args=[
            Task.objects.get(plan__year=2024, number=1).pk]),
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("html").get_attribute("lang") == language
        screenshot(page, f"{language}-{name}")
