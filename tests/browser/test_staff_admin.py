"""
The agency staff's daily screens in a real browser: the admin's task list on a 1366×768 laptop
and a 1920-pixel screen, My work and the report form on a 390-pixel phone, and the way from
login to a saved report. Screenshots of each go to test-artifacts/screenshots/.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.helpers import log_in, screenshot
from tracker.models import ProgressUpdate, Task

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}

# What a list page shows of itself, measured in the browser: the badges (and codes and dates)
# that take more than one line, the rows that fit in the window as the page opens, whether the
# table must scroll sideways, and how wide the sidebars are.
MEASURE_LIST = """() => {
  const oneLine = (el) => {
    const text = document.createRange();
    text.selectNodeContents(el);
    return text.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(el).fontSize);
  };
  const cells = [...document.querySelectorAll(
      "#result_list .status, #result_list .field-code a, .field-last_reported_display")];
  const rows = [...document.querySelectorAll("#result_list tbody tr")];
  const results = document.querySelector("#changelist .results");
  const width = (selector) => {
    const el = document.querySelector(selector);
    return el && el.offsetParent !== null ? el.getBoundingClientRect().width : 0;
  };
  return {
    cells: cells.length,
    broken: cells.filter((el) => !oneLine(el)).map((el) => el.textContent.trim()),
    rows: rows.length,
    visible: rows.filter((row) => row.getBoundingClientRect().bottom <= window.innerHeight).length,
    sideways: results.scrollWidth > results.clientWidth,
    navigation: width("#nav-sidebar"),
    filters: width("#changelist-filter"),
  };
}"""


def document_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_task_list_is_legible_on_a_laptop(demo, new_page, language):
    page = new_page(language, viewport=LAPTOP)
    log_in(page, "kipo", next_url=reverse("admin:tracker_task_changelist"))

    shown = page.evaluate(MEASURE_LIST)

    screenshot(page, f"{language}-admin-task-list-1366")
    assert shown["rows"] > 12 and shown["cells"] > shown["rows"]
    assert shown["broken"] == []
    assert shown["visible"] >= 12, shown
    assert not shown["sideways"], "the list scrolls sideways: some columns are out of sight"
    assert shown["navigation"] < LAPTOP["width"] / 3 and shown["filters"] == 0


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_task_list_on_a_wide_screen_keeps_its_filters_beside_it(demo, new_page, language):
    page = new_page(language, viewport=WIDE)
    log_in(page, "manager", next_url=reverse("admin:tracker_task_changelist"))

    shown = page.evaluate(MEASURE_LIST)

    screenshot(page, f"{language}-admin-task-list-1920")
    assert shown["broken"] == [] and not shown["sideways"]
    assert shown["visible"] >= 12
    assert 0 < shown["filters"] < WIDE["width"] / 5


def test_on_a_laptop_the_filters_open_over_the_list_and_say_when_they_are_in_use(demo, new_page):
    page = new_page("en", viewport=LAPTOP)
    log_in(page, "manager", next_url=reverse("admin:tracker_task_changelist"))
    assert not page.is_visible("#changelist-filter")

    page.check("#kipplan-show-filters")
    page.click("#changelist-filter a:text-is('Delayed')")
    page.wait_for_load_state()

    assert "status__exact=delayed" in page.url
    assert page.inner_text("label.kipplan-filter-toggle").strip() == "Filters (1 in use)"
    codes = page.locator("#result_list .field-code").all_inner_texts()
    assert sorted(codes) == sorted(Task.objects.filter(status="delayed").values_list(
        "code", flat=True))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_my_work_and_the_report_form_fit_a_phone(demo, new_page, language):
    page = new_page(language, viewport=PHONE, is_mobile=True, has_touch=True)
    task = Task.objects.filter(lead_agency__slug="kipo").order_by("number").first()
    log_in(page, "kipo", next_url=reverse("tracker:my_work"))

    assert document_width(page) <= PHONE["width"]
    screenshot(page, f"{language}-my-work-390")
    page.goto(reverse("admin:tracker_task_report", args=[task.pk]))
    assert document_width(page) <= PHONE["width"]
    assert page.is_visible("input[type=submit]")
    screenshot(page, f"{language}-report-form-390")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_screenshots_of_the_staff_pages_at_both_widths(demo, new_page, language):
    task = Task.objects.filter(lead_agency__slug="kipo").order_by("number").first()
    pages = {
        "my-work": reverse("tracker:my_work"),
        "report-form": reverse("admin:tracker_task_report", args=[task.pk]),
        "admin-index": reverse("admin:index"),
    }
    for viewport in (LAPTOP, WIDE):
        page = new_page(language, viewport=viewport)
        page.goto(reverse("password_reset"))
        screenshot(page, f"{language}-password-reset-{viewport['width']}")
        log_in(page, "kipo")
        for name, url in pages.items():
            assert page.goto(url).status == 200, url
            assert document_width(page) <= viewport["width"], (name, viewport)
            screenshot(page, f"{language}-{name}-{viewport['width']}")


def test_from_login_to_a_saved_report_in_four_page_loads(demo, new_page):
    """Staff log in, land on My work, open a task's form from it and save, changing only what
    changed: the form comes filled in with the task's status and amounts."""
    page = new_page("ko")
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    page.goto(reverse("login"))
    page.fill("#id_username", "kipo")
    page.fill("#id_password", "kipplan-demo")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(reverse("tracker:my_work"))
    page.click("main a:text-is('추진상황 보고')")
    page.wait_for_load_state()
    assert "next=" in page.url  # back to My work once saved
    task = Task.objects.get(pk=urlsplit(page.url).path.split("/")[-3])
    page.fill("#id_progress", str(task.progress + 3))
    page.fill("#id_note", "점검 의견을 반영해 다시 보고합니다")
    page.click("input[type=submit][value='저장']")
    page.wait_for_load_state()

    assert len(loads) <= 4, loads
    assert page.url.endswith(reverse("tracker:my_work"))
    assert "추진상황을 보고했습니다" in page.inner_text(".messages")
    saved = ProgressUpdate.objects.filter(task=task).latest("reported_at")
    assert (saved.status, saved.progress, saved.budget_executed) == (
        task.status, task.progress + 3, task.budget_executed)


def test_the_report_form_previews_the_amount_as_it_is_typed(demo, new_page):
    task = Task.objects.filter(lead_agency__slug="kipo", budget__gt=0).order_by("number").first()
    page = new_page("en")
    log_in(page, "kipo", next_url=reverse("admin:tracker_task_report", args=[task.pk]))

    page.fill("#id_budget_executed", "1,000")
    page.select_option("#id_budget_unit", "million")

    share = 10**9 * 100 // task.budget
    assert page.inner_text("output.kipplan-preview") == (
        f"This report: 1 billion won executed ({share}% of the budget)")
