import io
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from tests.factories import (
    AgencyFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    TaskFactory,
    build_plan,
)
from tracker.models import (
    Agency,
    AnnualReport,
    ApiToken,
    ContributionNote,
    Milestone,
    MilestoneChange,
    Plan,
    ProgressUpdate,
    ReviewAssessment,
    Status,
    Task,
)
from tracker.progress.timeline import Report

pytestmark = pytest.mark.django_db

# kipplan's and Django's models; django-axes' login records and django-tasks-db's task queue
# (tests/test_mail.py) have tests of their own.
REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
    if model._meta.app_label not in {"axes", "django_tasks_database"}
)


# Records made by a service or a command, never added by hand in the admin.
HISTORY_MODELS = {"progressupdate", "contributionnote", "milestonechange", "reviewassessment",
                  "reminder", "outgoingmail"}
# Rows written on pages of their own (a task's results page, a user's API tokens page), never
# through an add page.
WRITTEN_ELSEWHERE = {"result", "budgetadvice", "annualreport", "apitoken"}


def changelist(app_label, model_name):
    return reverse(f"admin:{app_label}_{model_name}_changelist")


@pytest.mark.parametrize("app_label, model_name", REGISTERED)
def test_superuser_opens_every_models_list_and_an_object(
    demo, client, app_label, model_name
):
    if model_name in {"reminder", "outgoingmail"}:  # the demo has none until the command runs
        call_command("send_reminders", "--year", "2024", stdout=io.StringIO())
    if model_name == "annualreport":  # none until a manager generates one
        AnnualReport.objects.create(plan=Plan.objects.get(year=2024))
    if model_name == "apitoken":  # none until a user makes one
        ApiToken.objects.issue(user=get_user_model().objects.get(username="kipo"),
                               name="특허청 과제관리시스템", days=30)
    client.login(username="admin", password="kipplan-demo")
    response = client.get(changelist(app_label, model_name))
    assert response.status_code == 200

    first = response.context["cl"].result_list[0]
    change = reverse(f"admin:{app_label}_{model_name}_change", args=[first.pk])
    # A result's own page is its task's results page, where it is read and written.
    expected = 302 if model_name == "result" else 200
    assert client.get(change).status_code == expected


@pytest.mark.parametrize("app_label, model_name", REGISTERED)
def test_superuser_can_search_every_models_list(demo, admin_client, app_label, model_name):
    response = admin_client.get(changelist(app_label, model_name), {"q": "특허"})
    assert response.status_code == 200


@pytest.mark.parametrize("app_label, model_name", REGISTERED)
def test_superuser_opens_every_add_page_but_history_has_none(
    demo, admin_client, app_label, model_name
):
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    expected = 403 if model_name in HISTORY_MODELS | WRITTEN_ELSEWHERE else 200
    assert response.status_code == expected


def test_manager_sees_the_75_tasks_of_2024(demo, client):
    client.login(username="manager", password="kipplan-demo")

    response = client.get(changelist("tracker", "task"), {"plan__id__exact": 1})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 75
    assert "2024-01" in response.content.decode()
    last_page = client.get(changelist("tracker", "task"), {"plan__id__exact": 1, "p": 2})
    assert "2024-75" in last_page.content.decode()


def test_manager_views_a_task_but_cannot_change_it(demo, client):
    client.login(username="manager", password="kipplan-demo")
    task = Task.objects.get(code="2024-01")
    url = reverse("admin:tracker_task_change", args=[task.pk])

    assert client.get(url).status_code == 200
    assert client.post(url, {"title_ko": "바뀜"}).status_code == 403
    task.refresh_from_db()
    assert task.title_ko != "바뀜"


def test_task_change_page_shows_milestones_and_progress_history(admin_client, task):
    MilestoneFactory(task=task, title_ko="상반기 추진실적 점검")
    ProgressUpdateFactory(task=task, status=Status.DELAYED, progress=35, note="재공고로 지연")

    response = admin_client.get(reverse("admin:tracker_task_change", args=[task.pk]))

    content = response.content.decode()
    assert "상반기 추진실적 점검" in content
    assert "재공고로 지연" in content
    assert [type(event) for event in response.context["timeline"]] == [Report]


def test_task_current_status_is_read_only_in_the_task_form(admin_client, task):
    url = reverse("admin:tracker_task_change", args=[task.pk])
    form = admin_client.get(url).context["adminform"].form

    assert "status" not in form.fields
    assert "progress" not in form.fields
    assert "lead_agency" in form.fields


def test_superuser_adds_a_task_and_it_gets_its_code(admin_client, plan, strategy, agency):
    response = admin_client.post(reverse("admin:tracker_task_add"), {
        "plan": plan.pk, "strategy": strategy.pk, "number": 42, "title_ko": "새 과제",
        "lead_agency": agency.pk, "budget": 5_000_000_000,
        "start_date": "2024-01-01", "end_date": "2024-12-31",
        "milestones-TOTAL_FORMS": 0, "milestones-INITIAL_FORMS": 0,
        "updates-TOTAL_FORMS": 0, "updates-INITIAL_FORMS": 0,
    })

    assert response.status_code == 302
    assert Task.objects.get(number=42).code == "2024-42"


def test_admin_form_refuses_a_task_ending_before_it_starts(admin_client, plan, strategy, agency):
    response = admin_client.post(reverse("admin:tracker_task_add"), {
        "plan": plan.pk, "strategy": strategy.pk, "number": 42, "title_ko": "새 과제",
        "lead_agency": agency.pk, "budget": -1,
        "start_date": "2024-12-31", "end_date": "2024-01-01",
        "milestones-TOTAL_FORMS": 0, "milestones-INITIAL_FORMS": 0,
        "updates-TOTAL_FORMS": 0, "updates-INITIAL_FORMS": 0,
    })

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "end_date" in errors and "budget" in errors
    assert not Task.objects.exists()


def test_progress_history_cannot_be_changed_or_deleted_even_by_a_superuser(admin_client, task):
    update = ProgressUpdateFactory(task=task)

    change = admin_client.post(
        reverse("admin:tracker_progressupdate_change", args=[update.pk]), {"progress": 99}
    )
    delete = admin_client.post(
        reverse("admin:tracker_progressupdate_delete", args=[update.pk]), {"post": "yes"}
    )

    assert change.status_code == 403
    assert delete.status_code == 403
    update.refresh_from_db()
    assert update.progress == 40


def test_plan_list_shows_where_task_budgets_do_not_add_up(admin_client, plan, strategy):
    TaskFactory(plan=plan, strategy=strategy, budget=900_000_000_000)

    with translation.override("ko"):
        response = admin_client.get(changelist("tracker", "plan"), HTTP_ACCEPT_LANGUAGE="ko")

    # 934.1 billion won total, 900 billion allocated: 341억원 unallocated.
    assert "341억원" in response.content.decode()


def test_plan_page_says_when_the_demo_budgets_add_up(demo, admin_client):
    plan = Plan.objects.get(year=2024)

    response = admin_client.get(
        reverse("admin:tracker_plan_change", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "add up to the total of 934,100,000,000 won" in response.content.decode()


# A task's own pages (tracker/progress/admin_pages.py) share one pattern: the task is found through
# the task admin's scoped queryset, the page's check refuses the rest, a valid form saves through
# the service and comes back to the task with a message that the task's history logs too. The
# GET side of who may open which page is in test_permissions.py's matrix.
# (URL name, who may use it, who sees the task but may not use it, a valid form, what it saves,
# a piece of the message that reads the same in both languages.)
TASK_PAGES = [
    pytest.param("tracker_task_report", "lead", "manager",
                 {"status": "on_track", "progress": 55, "budget_executed": 0, "note": "",
                  "version": 1},
                 ProgressUpdate, "2024-17", id="report"),
    pytest.param("tracker_task_contribute", "supporting", "lead", {"note": "전문가 자문 지원"},
                 ContributionNote, "MCST", id="contribute"),
    pytest.param("tracker_task_review", "manager", "lead", {"light": "green", "comment": ""},
                 ReviewAssessment, "정상추진", id="review"),
]


@pytest.fixture
def task_users(task, other_agency, make_staff, manager):
    """The task is led by KIPO and supported by MCST; KCS has nothing to do with it."""
    task.supporting_agencies.add(other_agency)
    stranger = AgencyFactory(name_ko="관세청", abbreviation="KCS", slug="kcs")
    return {"lead": make_staff(task.lead_agency), "supporting": make_staff(other_agency),
            "manager": manager, "stranger": make_staff(stranger)}


@pytest.mark.parametrize("url_name, allowed, refused, data, model, said", TASK_PAGES)
def test_a_task_page_saves_through_the_service_and_comes_back_with_the_message(
    client, task, task_users, url_name, allowed, refused, data, model, said
):
    user = task_users[allowed]
    client.force_login(user)
    url = reverse(f"admin:{url_name}", args=[task.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(reverse("admin:tracker_task_change", args=[task.pk]),
                                        302)]
    assert model.objects.filter(task=task).count() == 1
    [message] = [str(m) for m in response.context["messages"]]
    assert said in message
    entry = LogEntry.objects.get(object_id=str(task.pk))
    assert (entry.user, entry.action_flag, entry.change_message) == (user, CHANGE, message)


@pytest.mark.parametrize("url_name, allowed, refused, data, model, said", TASK_PAGES)
@pytest.mark.parametrize("who, status", [("refused", 403), ("stranger", 404)])
def test_a_task_page_refuses_a_post_it_would_not_show_and_saves_nothing(
    client, task, task_users, url_name, allowed, refused, data, model, said, who, status
):
    client.force_login(task_users[refused if who == "refused" else who])

    response = client.post(reverse(f"admin:{url_name}", args=[task.pk]), data)

    assert response.status_code == status
    assert not model.objects.filter(task=task).exists()
    assert not LogEntry.objects.exists()


def test_the_plan_import_page_is_on_the_plan_list_for_plan_administrators(admin_client):
    import_url = reverse("admin:tracker_plan_import")

    plans = admin_client.get(changelist("tracker", "plan")).content.decode()
    page = admin_client.get(import_url)

    assert import_url in plans
    assert page.status_code == 200
    assert f'<a href="{changelist("tracker", "plan")}">' in page.content.decode()


def test_managers_do_not_see_the_plan_import_on_the_plan_list(client, manager):
    client.force_login(manager)

    response = client.get(changelist("tracker", "plan"))

    assert response.status_code == 200
    assert reverse("admin:tracker_plan_import") not in response.content.decode()


def test_the_plan_import_is_no_longer_a_task_admin_url():
    with pytest.raises(NoReverseMatch):
        reverse("admin:tracker_task_import")


# The query counts: each page is measured on a small plan and on one ten times larger (tasks,
# strategies, agencies, and the first task's history; see build_plan), and must run the same
# number of queries on both, within a bound.


def two_plans():
    """A plan of 10 tasks and one of 100, with ten times the strategies and agencies."""
    return (build_plan(10, year=2024, strategies=1, agencies=2),
            build_plan(100, year=2025, strategies=10, agencies=20))


def plan_agencies(plan):
    return Agency.objects.filter(slug__startswith=f"{plan.year}-agency-")


def plan_rows(model_name, plan):
    """The filter that narrows a model's admin list to one plan, and the plan's rows."""
    return {
        "task": ({"plan__id__exact": plan.pk}, plan.tasks.all()),
        "plan": ({"q": plan.title_ko}, Plan.objects.filter(pk=plan.pk)),
        "strategy": ({"plan__id__exact": plan.pk}, plan.strategies.all()),
        "agency": ({"q": f"{plan.year}-agency-"}, plan_agencies(plan)),
        "milestone": ({"task__plan__id__exact": plan.pk},
                      Milestone.objects.filter(task__plan=plan)),
        "progressupdate": ({"task__plan__id__exact": plan.pk},
                           ProgressUpdate.objects.filter(task__plan=plan)),
    }[model_name]


def measured(client, url, params=None):
    """(the number of queries, the response) of a GET. The content types' cache is emptied
    first: the admin fills it on the first page it shows, whichever plan that page is of."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(queries), response


@pytest.mark.parametrize(
    "model_name", ["task", "plan", "milestone", "progressupdate", "agency", "strategy"]
)
def test_admin_lists_run_as_many_queries_for_a_plan_ten_times_larger(admin_client, model_name):
    counts = []
    for plan in two_plans():
        params, rows = plan_rows(model_name, plan)
        queries, response = measured(admin_client, changelist("tracker", model_name), params)
        assert response.context["cl"].result_count == rows.count()
        counts.append(queries)

    small, large = counts
    assert small == large <= 12, counts


@pytest.mark.parametrize("model_name", ["task", "milestone", "progressupdate"])
def test_staff_admin_lists_run_as_many_queries_for_a_plan_ten_times_larger(
    client, make_staff, model_name
):
    counts = []
    for plan in two_plans():
        client.force_login(make_staff(*plan_agencies(plan), username=f"staff-{plan.year}"))
        _, rows = plan_rows(model_name, plan)
        queries, response = measured(client, changelist("tracker", model_name))
        assert response.context["cl"].result_count == rows.count()  # their plan's, only
        counts.append(queries)

    small, large = counts
    assert small == large <= 15, counts


def first_task(plan):
    return plan.tasks.get(number=1)


def history_size(task):
    return (task.updates.count() + task.contributions.count() + task.reviews.count()
            + MilestoneChange.objects.filter(milestone__task=task).count())


def test_task_change_page_runs_as_many_queries_for_a_task_with_ten_times_the_history(
    admin_client
):
    counts = []
    for plan in two_plans():
        task = first_task(plan)
        queries, response = measured(admin_client,
                                     reverse("admin:tracker_task_change", args=[task.pk]))
        assert len(response.context["timeline"]) == history_size(task)
        assert all(m.title_ko in response.content.decode() for m in task.milestones.all())
        counts.append(queries)

    # The bound includes one query for each select's choices (plan, strategy, key task, lead
    # agency, and the supporting agencies' and technologies' checkboxes), and one for whether the
    # plan has an evaluation round (the link to the task's year-end results).
    small, large = counts
    # 31: with the one that asks whether the Council has fixed the task's grade (Task.locks).
    assert small == large <= 31, counts


def test_staff_task_page_and_report_form_run_as_many_queries_for_ten_times_the_history(
    client, make_staff
):
    pages, forms = [], []
    for plan in two_plans():
        task = first_task(plan)
        client.force_login(make_staff(task.lead_agency, username=f"staff-{plan.year}"))
        queries, page = measured(client, reverse("admin:tracker_task_change", args=[task.pk]))
        assert len(page.context["timeline"]) == history_size(task)
        pages.append(queries)
        queries, form = measured(client, reverse("admin:tracker_task_report", args=[task.pk]))
        assert form.context["form"].initial["version"] == task.version
        forms.append(queries)

    assert pages[0] == pages[1] <= 30, pages
    assert forms[0] == forms[1] <= 15, forms


def test_superuser_sees_and_clears_login_lockouts(admin_client):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="guessed", ip_address="203.0.113.7", user_agent="test", failures_since_start=5,
        get_data="", post_data="", http_accept="", path_info="/accounts/login/",
    )
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "guessed" in listing.content.decode()

    admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
                      {"post": "yes"})

    assert not AccessAttempt.objects.exists()


BRACKETED_PARTICLES = re.compile(r"[을를이가]\s*[(/]\s*[을를이가]\)?|보기위한|뷰 ")


@pytest.mark.parametrize("username", ["admin", "manager", "kipo"])
def test_the_korean_admin_reads_naturally_on_every_list(demo, client, username):
    """kipplan's catalogue rewords the admin's generic sentences ("과제 를(을) 선택")."""
    client.login(username=username, password="kipplan-demo")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    index = client.get(reverse("admin:index"))
    lists = [model["admin_url"] for app in index.context["app_list"] for model in app["models"]]
    assert lists

    for url in lists:
        body = client.get(url).content.decode()
        assert not BRACKETED_PARTICLES.findall(body), (url, BRACKETED_PARTICLES.findall(body))
    task_list = client.get(changelist("tracker", "task")).content.decode()
    assert "<h1>과제 목록</h1>" in task_list


def test_the_korean_admin_confirms_a_change_naturally(demo, client):
    client.login(username="admin", password="kipplan-demo")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    agency = Agency.objects.get(slug="kista")
    page = client.get(reverse("admin:tracker_agency_change", args=[agency.pk]))
    data = {**page.context["adminform"].form.initial, "parent": agency.parent_id or "",
            "note": "메모", "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
            "former_names-TOTAL_FORMS": 0, "former_names-INITIAL_FORMS": 0}
    data = {key: value for key, value in data.items() if value is not None and key != "id"}

    response = client.post(reverse("admin:tracker_agency_change", args=[agency.pk]), data,
                           follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert any("변경을 마쳤습니다" in message for message in messages), messages
