"""
No cached page is ever stale (kipplan.page_cache): every way data is written, through the path a
user or an operator really takes, is followed by a page that shows it.

Each test reads a page twice (the second read is the cache's: ``X-Kipplan-Cache: hit``) and
checks that it does not show the value yet; writes; and reads the page again, rendered afresh
(``miss``) with the value on it. The writers: agency staff's reports, supporting agencies'
notes, managers' reviews, milestone moves, the superuser's admin edits and deletions, the plan
import, the carry-over, fixture loading, each step of the year-end evaluation, opinions and
budget advice, and the writes below the services (``QuerySet.update()``, raw SQL). A write
rolled back, or refused by a form, leaves the cached page as it was. Raw SQL counts too, on
lines of its own, after a comment or behind WITH.
"""

import datetime
import html
import io
import json
import re

import pytest
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from kipplan.page_cache import HEADER
from tests.factories import TechnologyFactory, evaluator, round_at
from tests.helpers import (
    NO_CHANGES,
    answer_form,
    form_data,
    issue_form,
    plan_manager,
    post_result,
    report_url,
    results_data,
    results_url,
    round_form,
    round_page,
    score_data,
    scoring,
    take_step,
)
from tracker.evaluation import services as evaluation
from tracker.evaluation.models import NEXT
from tracker.follow_up import opinions
from tracker.models import Grade, GradeLevel, Milestone, RoundState, Status, Task
from tracker.progress import services

pytestmark = pytest.mark.django_db

NEW = "Brand-new words no page shows yet"  # what a write puts on a page


# -- Reading the pages --------------------------------------------------------------------------

def browser(user=None):
    """A browser of its own (its own session and messages) reading English, signed in as
    ``user`` (anonymous without)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def read(client, url):
    """(the cache's header, the page's text with the tags taken out and spaces folded)."""
    response = client.get(url)
    assert response.status_code == 200, url
    body = html.unescape(re.sub(r"<[^>]*>", " ", response.content.decode()))
    return response[HEADER], " ".join(body.split())


def warm(client, url, *absent):
    """The page read twice, the second time from the cache, without any of ``absent``."""
    first, _ = read(client, url)
    second, body = read(client, url)
    assert (first, second) == ("miss", "hit"), url
    for value in absent:
        assert value not in body, (url, value)
    return body


def fresh(client, url, *present, absent=()):
    """The page after a write: rendered again, with ``present`` on it and not ``absent``."""
    state, body = read(client, url)
    assert state == "miss", url
    for value in present:
        assert value in body, (url, value)
    for value in absent:
        assert value not in body, (url, value)
    return body


def still_cached(client, url, *absent):
    """The page after something that stored nothing: served from the cache, unchanged."""
    state, body = read(client, url)
    assert state == "hit", url
    for value in absent:
        assert value not in body, (url, value)


def task_page(task):
    return reverse("tracker:task_detail", args=[task.plan.year, task.number])


def task_list(year=2024):
    return reverse("tracker:task_list", args=[year])


def evaluation_page(year=2024):
    return reverse("tracker:evaluation", args=[year])


def short_date(day):
    with translation.override("en"):
        return date_format(day, "SHORT_DATE_FORMAT")


def label(choice):
    """A choice's label as the English pages write it."""
    with translation.override("en"):
        return str(choice.label)


def admin_form(page, **changes):
    """An admin change page's form (and its inlines') as the browser posts it back, with
    ``changes``."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {field.html_name: field.value() for form in forms for field in form}
    return {**{name: value for name, value in data.items() if value is not None}, **changes}


@pytest.fixture
def reader(manager):
    """A plan manager reading the pages: they see every task, its history and the evaluation."""
    return browser(manager)


@pytest.fixture
def admin_browser(superuser):
    return browser(superuser)


@pytest.fixture
def technology(task):
    technology = TechnologyFactory(slug="ai", name_en="Artificial intelligence")
    task.technologies.add(technology)
    return technology


# -- A task's own admin pages: report, contribution note, review, milestone ----------------------

# Every page the report reaches, with what it shows of a report of 73% with 4,321,000,000 won
# executed of the 10,000,000,000 budgeted (each page showed the task at 0% before).
REPORTED_ON = [
    pytest.param("tracker:dashboard", [], "73.0%", id="dashboard"),
    pytest.param("tracker:plan", [2024], "73.0%", id="plan dashboard"),
    pytest.param("tracker:years", [], "(43%)", id="years"),
    pytest.param("tracker:task_list", [2024], "73%", id="task list"),
    pytest.param("tracker:task_detail", [2024, 17], "On track 73%", id="task"),
    pytest.param("tracker:agency_list", [], "73.0%", id="agencies"),
    pytest.param("tracker:agency_detail", ["kipo"], "73%", id="agency"),
    pytest.param("tracker:technology_list", [], "73.0%", id="technologies"),
    pytest.param("tracker:technology_detail", ["ai"], "73%", id="technology"),
]


@pytest.mark.parametrize("url_name, args, shown", REPORTED_ON)
def test_a_progress_report_by_agency_staff_in_the_admin_shows_on_every_page(
    task, technology, staff, reader, url_name, args, shown
):
    url = reverse(url_name, args=args)
    warm(reader, url, shown)

    response = browser(staff).post(report_url(task), form_data(
        task, progress=73, budget_executed=4_321_000_000, note=NEW))

    assert response.status_code == 302
    fresh(reader, url, shown)


def test_the_reporting_staff_and_the_manager_each_see_the_report_on_their_own_copy(
    task, staff, reader
):
    writer = browser(staff)
    url = task_page(task)
    warm(writer, url, NEW)
    warm(reader, url, NEW)

    # Followed to the admin's task page, which shows the message the report leaves (a request
    # with a message to show is never cached).
    writer.post(report_url(task), form_data(task, progress=73, note=NEW), follow=True)

    fresh(writer, url, NEW, "On track 73%")
    fresh(reader, url, NEW, "On track 73%")


def test_a_contribution_note_by_a_supporting_agency_shows_on_the_task_page(
    task, other_agency, make_staff, reader
):
    task.supporting_agencies.add(other_agency)
    helper = browser(make_staff(other_agency))
    warm(reader, task_page(task), NEW)

    response = helper.post(reverse("admin:tracker_task_contribute", args=[task.pk]),
                           {"note": NEW})

    assert response.status_code == 302
    fresh(reader, task_page(task), NEW)


def test_a_managers_review_shows_on_the_task_page(task, manager, reader):
    warm(reader, task_page(task), "Manager's review", NEW)

    response = browser(manager).post(reverse("admin:tracker_task_review", args=[task.pk]),
                                     {"light": "red", "comment": NEW})

    assert response.status_code == 302
    fresh(reader, task_page(task), "Manager's review", NEW)


def test_a_milestone_moved_by_agency_staff_shows_its_new_date(task, staff, reader):
    milestone = Milestone.objects.create(task=task, title_ko="점검", title_en="Check-up",
                                         baseline_date=datetime.date(2024, 4, 30),
                                         due_date=datetime.date(2024, 4, 30))
    moved = short_date(datetime.date(2024, 6, 30))
    warm(reader, task_page(task), moved, NEW)

    response = browser(staff).post(
        reverse("admin:tracker_milestone_change", args=[milestone.pk]),
        {"due_date": "2024-06-30", "completed_on": "", "reason": NEW, **NO_CHANGES})

    assert response.status_code == 302
    fresh(reader, task_page(task), f"Check-up {short_date(milestone.baseline_date)} {moved} 61",
          NEW)


# -- The superuser's admin edits ------------------------------------------------------------------

def test_a_title_changed_by_the_superuser_in_the_admin_shows(task, admin_browser, reader):
    url = reverse("admin:tracker_task_change", args=[task.pk])
    for page in (task_page(task), task_list()):
        warm(reader, page, NEW)

    response = admin_browser.post(url, admin_form(admin_browser.get(url), title_en=NEW))

    assert response.status_code == 302
    for page in (task_page(task), task_list()):
        fresh(reader, page, NEW)


@pytest.mark.parametrize("how", ["delete page", "delete action"])
def test_a_task_deleted_in_the_admin_leaves_the_pages(task, admin_browser, reader, how):
    title = task.title_en
    assert title in warm(reader, task_list())

    if how == "delete page":
        response = admin_browser.post(
            reverse("admin:tracker_task_delete", args=[task.pk]), {"post": "yes"})
    else:
        response = admin_browser.post(reverse("admin:tracker_task_changelist"), {
            "action": "delete_selected", "_selected_action": [task.pk], "post": "yes"})

    assert response.status_code == 302
    assert not Task.objects.exists()
    fresh(reader, task_list(), absent=[title])


def test_a_membership_added_in_the_admin_shows_the_agencys_tasks_to_its_new_member(
    task, agency, other_agency, make_staff, admin_browser
):
    """A page is each user's own, but what a user may see is data too: the cached page of a
    member of another agency goes stale when the superuser makes them KIPO's."""
    newcomer = make_staff(other_agency)
    their_browser = browser(newcomer)
    warm(their_browser, task_list(), task.title_en)
    url = reverse("admin:tracker_agency_change", args=[agency.pk])

    response = admin_browser.post(url, admin_form(admin_browser.get(url), **{
        "memberships-TOTAL_FORMS": 1, "memberships-0-user": newcomer.pk}))

    assert response.status_code == 302
    assert agency.memberships.filter(user=newcomer).exists()
    fresh(their_browser, task_list(), task.title_en)


# -- Import, carry-over, fixtures: the operators' writes -------------------------------------

IMPORTED = ("number,strategy,title_ko,title_en,lead_agency,budget,start_date,end_date\n"
            f"42,1,가져온 과제,{NEW},kipo,1000000,2024-01-01,2024-12-31\n")


@pytest.mark.parametrize("how", ["command", "admin page"])
def test_a_task_imported_into_the_plan_shows_on_its_list(task, admin_browser, reader,
                                                        tmp_path, how):
    warm(reader, task_list(), NEW, "2024-42")

    if how == "command":
        path = tmp_path / "plan.csv"
        path.write_text(IMPORTED, encoding="utf-8")
        call_command("import_plan", str(path), "--year", "2024", stdout=io.StringIO())
    else:
        response = admin_browser.post(reverse("admin:tracker_plan_import"), {
            "year": 2024, "file": SimpleUploadedFile("plan.csv", IMPORTED.encode()),
            "total": "", "dry_run": ""})
        assert response.status_code == 302

    fresh(reader, task_list(), NEW, "2024-42")


def test_the_carry_over_command_shows_the_next_years_plan(task, reader):
    warm(reader, task_page(task), "2025-17")
    warm(reader, reverse("tracker:years"), "2025")

    call_command("carry_over", "2024", "2025", stdout=io.StringIO())

    fresh(reader, task_page(task), "Across the years", "2025 2025-17")
    fresh(reader, reverse("tracker:years"), "2025")


def test_loaddata_of_a_changed_row_shows_its_new_title(task, reader, tmp_path):
    [row] = json.loads(serializers.serialize("json", [Task.objects.get(pk=task.pk)]))
    row["fields"]["title_en"] = NEW
    fixture = tmp_path / "retitled.json"
    fixture.write_text(json.dumps([row]), encoding="utf-8")
    warm(reader, task_page(task), NEW)

    call_command("loaddata", str(fixture), verbosity=0)

    fresh(reader, task_page(task), f"2024-17 {NEW}")


def test_loaddata_of_a_new_row_shows_it(task, reader, tmp_path):
    fixture = tmp_path / "milestone.json"
    fixture.write_text(json.dumps([{"model": "tracker.milestone", "fields": {
        "task": task.pk, "title_ko": "새 단계", "title_en": NEW, "baseline_date": "2024-09-30",
        "due_date": "2024-09-30"}}]), encoding="utf-8")
    warm(reader, task_page(task), NEW)

    call_command("loaddata", str(fixture), verbosity=0)

    fresh(reader, task_page(task), NEW, absent=["No milestones."])


# -- The year-end evaluation ----------------------------------------------------------------------

def test_results_submitted_by_the_lead_agency_show_on_the_task_and_evaluation_pages(
    task, plan, staff, reader
):
    round_at(RoundState.SUBMISSION, plan, submission_closes=datetime.date(2099, 1, 31),
             evaluation_closes=None, meeting_date=None, published_on=None)
    writer = browser(staff)
    assert post_result(writer, task, achievements=NEW).status_code == 302  # a draft
    warm(reader, task_page(task), NEW)
    warm(reader, evaluation_page(), "1 results submitted")

    response = writer.post(results_url(task), results_data(task, "submit"))

    assert response.status_code == 302
    fresh(reader, task_page(task), NEW, "Submitted")
    fresh(reader, evaluation_page(), "1 results submitted")


def test_an_evaluators_scores_show_on_the_evaluation_page(task, plan, reader):
    round_ = round_at(RoundState.SUBMISSION, plan)
    first, _second, mine, _theirs = scoring(round_, task)
    warm(reader, evaluation_page(), "91.00")

    response = browser(first).post(
        reverse("admin:tracker_assignment_change", args=[mine.pk]), score_data(mine, "91"))

    assert response.status_code == 302
    fresh(reader, evaluation_page(), "91.00")


def test_a_grade_set_on_the_rounds_grades_page_shows_on_the_task_page(task, plan, manager,
                                                                       reader):
    round_ = round_at(RoundState.EVALUATION, plan)
    warm(reader, task_page(task), "Grade:")

    response = browser(manager).post(
        reverse("admin:tracker_evaluationround_grades", args=[round_.pk]),
        {f"task-{task.pk}-grade": GradeLevel.EXCELLENT, f"task-{task.pk}-reason": NEW})

    assert response.status_code == 302
    fresh(reader, task_page(task), f"Grade: {label(GradeLevel.EXCELLENT)}")


def evaluators_assigned(round_, task):
    for n in range(round_.evaluators_per_unit):
        evaluation.assign(round_=round_, evaluator=evaluator(f"expert-{n}"), task=task,
                          user=plan_manager())


def graded(round_, task):
    evaluation.set_grade(round_, task=task, grade=GradeLevel.EXCELLENT, reason="Read.",
                         user=plan_manager())


@pytest.mark.parametrize("state, ready", [
    (RoundState.PREPARING, None),
    (RoundState.SUBMISSION, evaluators_assigned),
    (RoundState.EVALUATION, graded),
    (RoundState.APPROVED, None),
], ids=["to submission", "to evaluation", "to approval", "to publication"])
def test_each_step_of_the_round_taken_in_the_admin_shows_on_the_evaluation_page(
    task, plan, manager, reader, state, ready
):
    round_ = round_at(state, plan)
    if ready:
        ready(round_, task)
    following = RoundState(NEXT[state])
    warm(reader, evaluation_page(), f"State {label(following)}")

    response = take_step(browser(manager), round_, reason="시험 진행")

    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.state == following
    fresh(reader, evaluation_page(), f"State {label(following)}",
          absent=[f"State {label(RoundState(state))}"])


def test_publication_shows_the_grades_to_the_public(task, plan, manager, settings):
    settings.KIPPLAN_PUBLIC_PAGES = True
    round_ = round_at(RoundState.EVALUATION, plan)
    graded(round_, task)
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")
    anyone = browser()
    warm(anyone, task_page(task), "Grade:")
    warm(anyone, evaluation_page(), label(GradeLevel.EXCELLENT))

    response = take_step(browser(manager), round_, reason="시험 진행")

    assert response.status_code == 302
    fresh(anyone, task_page(task), f"Grade: {label(GradeLevel.EXCELLENT)}")
    fresh(anyone, evaluation_page(), label(GradeLevel.EXCELLENT),
          absent=["has not been published yet"])


# -- What follows the evaluation: opinions and budget advice --------------------------------------

def test_an_opinion_issued_in_the_admin_shows_on_the_task_page(task, plan, manager, reader):
    warm(reader, task_page(task), NEW)

    response = browser(manager).post(reverse("admin:tracker_opinion_add"),
                                     issue_form(plan, task, text=NEW))

    assert response.status_code == 302
    fresh(reader, task_page(task), NEW, absent=["No open improvement opinion."])


def test_an_answer_to_an_opinion_shows_on_the_task_page(task, plan, manager, staff, reader):
    opinion = opinions.issue_opinion(plan=plan, task=task, text=NEW, user=manager,
                                     issued_on=datetime.date(2025, 4, 1),
                                     answer_due=datetime.date(2099, 1, 1))
    assert "Awaiting the answer" in warm(reader, task_page(task), "Answered")

    response = browser(staff).post(reverse("admin:tracker_opinion_answer", args=[opinion.pk]),
                                   answer_form(("지표 재설정", "2099-06-30")))

    assert response.status_code == 302
    fresh(reader, task_page(task), "Answered", absent=["Awaiting the answer"])


def test_budget_advice_given_on_the_rounds_page_shows_on_the_advice_page(task, plan, manager,
                                                                         reader):
    round_ = round_at(RoundState.EVALUATION, plan)
    Grade.objects.create(round=round_, task=task, grade=GradeLevel.EXCELLENT, mean="88.40")
    writer = browser(manager)
    url = reverse("tracker:budget_advice", args=[2024])
    warm(reader, url, NEW)

    response = writer.post(round_page(round_), round_form(writer.get(round_page(round_)), {
        task.number: ("increase", NEW)}))

    assert response.status_code == 302
    fresh(reader, url, NEW)


# -- Writes below the services: every statement counts -------------------------------------------

def retitle_with_update(task):
    Task.objects.filter(pk=task.pk).update(title_en=NEW)


def retitle_with_bulk_update(task):
    task.title_en = NEW
    Task.objects.bulk_update([task], ["title_en"])


def retitle_with_sql(sql):
    def retitle(task):
        with connection.cursor() as cursor:
            cursor.execute(sql, [NEW, task.pk])
    return retitle


def retitle_with_executemany(task):
    with connection.cursor() as cursor:
        cursor.executemany('UPDATE "tracker_task" SET "title_en" = %s WHERE "id" = %s',
                           [[NEW, task.pk]])


BULK_WRITES = [
    pytest.param(retitle_with_update, id="QuerySet.update()"),
    pytest.param(retitle_with_bulk_update, id="bulk_update()"),
    pytest.param(retitle_with_sql('UPDATE "tracker_task" SET "title_en" = %s WHERE "id" = %s'),
                 id="raw SQL"),
    pytest.param(retitle_with_sql("update tracker_task set title_en = %s where id = %s"),
                 id="raw SQL in lower case"),
    pytest.param(retitle_with_executemany, id="raw SQL, executemany"),
    # Statements that do not start with their verb: a write all the same.
    pytest.param(retitle_with_sql("""
        UPDATE tracker_task
           SET title_en = %s
         WHERE id = %s"""), id="raw SQL on lines of its own"),
    pytest.param(retitle_with_sql("/* retitle */ UPDATE tracker_task SET title_en = %s "
                                  "WHERE id = %s"), id="raw SQL after a comment"),
    pytest.param(retitle_with_sql("WITH new AS (SELECT %s AS title) UPDATE tracker_task "
                                  "SET title_en = (SELECT title FROM new) WHERE id = %s"),
                 id="raw SQL with a common table expression"),
]


@pytest.mark.parametrize("write", BULK_WRITES)
def test_a_write_below_the_orms_save_shows(task, reader, write):
    warm(reader, task_page(task), NEW)

    write(task)

    fresh(reader, task_page(task), f"2024-17 {NEW}")


# -- Writes that store nothing ---------------------------------------------------------------------

class Undone(Exception):
    pass


def report_through_the_service(task, staff):
    services.report_progress(task=task, user=staff, status=Status.DELAYED, progress=73,
                             budget_executed=0, note=NEW, expected_version=task.version)


def update_through_the_orm(task, staff):
    retitle_with_update(task)


@pytest.mark.parametrize("write", [update_through_the_orm, report_through_the_service],
                         ids=["QuerySet.update()", "a service's report"])
def test_a_write_rolled_back_leaves_the_cached_page(task, staff, reader, write):
    warm(reader, task_page(task), NEW)

    with pytest.raises(Undone), transaction.atomic():
        write(task, staff)
        raise Undone

    still_cached(reader, task_page(task), NEW)


# Each prepares its refused form (what it needs is made before the page is cached) and returns
# the POST that sends it.

def bad_report(task, users):
    writer = browser(users["staff"])
    return lambda: writer.post(report_url(task), form_data(task, progress=150, note=NEW))


def bad_title_edit(task, users):
    writer = browser(users["superuser"])
    url = reverse("admin:tracker_task_change", args=[task.pk])
    data = admin_form(writer.get(url), title_en=NEW, end_date="2023-01-01")
    return lambda: writer.post(url, data)


def bad_milestone_move(task, users):
    milestone = Milestone.objects.create(task=task, title_ko="점검", title_en="Check-up",
                                         baseline_date=datetime.date(2024, 4, 30),
                                         due_date=datetime.date(2024, 4, 30))
    writer = browser(users["staff"])
    return lambda: writer.post(
        reverse("admin:tracker_milestone_change", args=[milestone.pk]),
        {"due_date": "2024-06-30", "completed_on": "", "reason": "", **NO_CHANGES})


def bad_grade(task, users):
    round_ = round_at(RoundState.EVALUATION, task.plan)
    writer = browser(users["manager"])
    return lambda: writer.post(
        reverse("admin:tracker_evaluationround_grades", args=[round_.pk]),
        {f"task-{task.pk}-grade": GradeLevel.EXCELLENT, f"task-{task.pk}-reason": ""})


@pytest.mark.parametrize("prepare", [bad_report, bad_title_edit, bad_milestone_move, bad_grade],
                         ids=["report at 150%", "task ending before it starts",
                              "milestone moved without a reason", "grade without a reason"])
def test_a_form_refused_in_the_admin_stores_nothing_and_the_page_stays_cached(
    task, staff, manager, superuser, reader, prepare
):
    post = prepare(task, {"staff": staff, "manager": manager, "superuser": superuser})
    warm(reader, task_page(task), NEW)

    response = post()

    assert response.status_code == 200
    still_cached(reader, task_page(task), NEW)


def test_a_round_step_refused_stores_nothing_and_the_page_stays_cached(task, plan, manager,
                                                                       reader):
    # No evaluator is assigned: advance() refuses, after taking the round's row FOR UPDATE
    # (a write to the revision on PostgreSQL, undone with the refusal's rollback).
    round_ = round_at(RoundState.SUBMISSION, plan)
    warm(reader, evaluation_page(), "State Being evaluated")

    response = take_step(browser(manager), round_, reason="시험")

    assert response.status_code == 200
    assert "kipplan-error-summary" in response.content.decode()
    round_.refresh_from_db()
    assert round_.state == RoundState.SUBMISSION
    still_cached(reader, evaluation_page(), "State Being evaluated")
