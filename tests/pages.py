"""
Every kind of page a person opens in kipplan, with the demo data loaded: what the HTML
validator (tests/test_html.py) and the accessibility checks (tests/browser/test_accessibility.py)
visit, in both languages; and what the tests of the page cache (kipplan.page_cache) ask of a
page.
"""

import re
from datetime import date
from urllib.parse import urlsplit

from django.core.cache import cache
from django.urls import resolve, reverse

from kipplan.page_cache import CachedPageMixin
from tracker.models import (
    Agency,
    AgencyKind,
    Assignment,
    EvaluationRound,
    Indicator,
    Opinion,
    Plan,
    RoundState,
    Task,
)

PASSWORD = "kipplan-demo"  # every demo user's


def site_pages():
    """[(name, url, username or None for anonymous, expected status)], demo data loaded."""
    first = Task.objects.get(plan__year=2024, number=1)
    kipo_task = Task.objects.filter(plan__year=2024, lead_agency__slug="kipo").order_by(
        "number").first()
    tasks = reverse("tracker:task_list", args=[2024])
    kipo = Agency.objects.get(slug="kipo")
    # The demo's 2024 round is published; its 2025 round is opened for results here, so that
    # the results page shows its forms.
    round, _created = EvaluationRound.objects.get_or_create(plan=first.plan)
    EvaluationRound.objects.filter(plan__year=2025, state=RoundState.PREPARING).update(
        state=RoundState.SUBMISSION, submission_opens=date(2026, 1, 5),
        submission_closes=date(2099, 1, 30))
    city_opinion = Opinion.objects.get(agency__slug="incheon", plan__year=2024)
    carried_opinion = Opinion.objects.filter(carried_to__isnull=False).select_related(
        "carried_to").first()
    kipo_2025 = Task.objects.filter(plan__year=2025, lead_agency__slug="kipo").order_by(
        "number").first()
    lee = Assignment.objects.filter(evaluator__username="evaluator-lee").order_by("pk")
    carried = Task.objects.filter(plan__year=2025, carried_from__isnull=False).order_by(
        "number").first()
    evaluation = reverse("tracker:evaluation", args=[2024])
    without_round = Plan.objects.filter(evaluation_round__isnull=True).order_by("-year").first()
    # A task with its year-end results (the demo's 2024 round), and a metropolitan government.
    with_results = Task.objects.filter(plan__year=2024, result__isnull=False).order_by(
        "number").first() or first
    city = Agency.objects.filter(kind=AgencyKind.METROPOLITAN, led_tasks__plan__year=2024
                                 ).order_by("slug").first()
    return [
        ("login", reverse("login"), None, 200),
        ("admin login", reverse("admin:login"), None, 200),
        ("password reset", reverse("password_reset"), None, 200),
        ("password reset sent", reverse("password_reset_done"), None, 200),
        ("password reset, invalid link",
         reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "no-such-token"}),
         None, 200),
        ("password reset complete", reverse("password_reset_complete"), None, 200),
        ("dashboard", reverse("tracker:plan", args=[2024]), "manager", 200),
        ("dashboard as of a day", reverse("tracker:plan", args=[2024]) + "?as_of=2024-06-30",
         "manager", 200),
        ("task list", tasks, "manager", 200),
        ("task list, filtered", tasks + "?status=delayed&status=on_track&sort=-progress"
         "&technology=semiconductor-display", "manager", 200),
        ("task list, bad filters", tasks + "?status=nonsense&as_of=2024-13-45&lead=%27%3B--",
         "manager", 200),
        ("task", reverse("tracker:task_detail", args=[2024, first.number]), "manager", 200),
        ("no such task", reverse("tracker:task_detail", args=[2024, 999]), "manager", 404),
        ("agencies", reverse("tracker:agency_list"), "manager", 200),
        ("agency", reverse("tracker:agency_detail", args=["kista"]), "manager", 200),
        ("agency with former names", reverse("tracker:agency_detail", args=["kipo"])
         + "?year=2024", "manager", 200),
        ("plans by year", reverse("tracker:years"), "manager", 200),
        ("plan by its headline figures", reverse("tracker:plan", args=[2022]), "manager", 200),
        ("task carried over", reverse("tracker:task_detail", args=[2025, carried.number]),
         "manager", 200),
        ("technologies", reverse("tracker:technology_list"), "manager", 200),
        ("technology", reverse("tracker:technology_detail", args=["semiconductor-display"]),
         "manager", 200),
        ("my work", reverse("tracker:my_work"), "kipo", 200),
        ("evaluation", evaluation, "manager", 200),
        ("evaluation, agency staff", evaluation, "kipo", 200),
        ("budget advice", reverse("tracker:budget_advice", args=[2024]), "manager", 200),
        ("budget advice, agency staff", reverse("tracker:budget_advice", args=[2024]), "kipo",
         200),
        ("admin budget advice, staff", reverse("admin:tracker_budgetadvice_changelist"), "kipo",
         200),
        ("admin budget advice of a round", reverse("admin:tracker_budgetadvice_round",
                                                   args=[round.pk]), "manager", 200),
        ("annual report", reverse("tracker:annual_report", args=[2024]), "manager", 200),
        ("admin annual reports", reverse("admin:tracker_annualreport_changelist"), "manager",
         200),
        ("admin opinions", reverse("admin:tracker_opinion_changelist"), "manager", 200),
        ("admin opinion", reverse("admin:tracker_opinion_change", args=[city_opinion.pk]),
         "manager", 200),
        ("admin opinion, the agency's answer", reverse("admin:tracker_opinion_answer",
                                                      args=[city_opinion.pk]), "incheon", 200),
        ("admin opinion, an action's status", reverse(
            "admin:tracker_opinion_action_status",
            args=[city_opinion.pk, city_opinion.actions.first().pk]), "incheon", 200),
        ("task with an opinion carried over", reverse(
            "tracker:task_detail", args=[2025, carried_opinion.carried_to.number]), "manager", 200),
        *([("evaluation without a round", reverse("tracker:evaluation",
                                                  args=[without_round.year]), "manager", 200)]
          if without_round else []),
        ("task with results", reverse("tracker:task_detail", args=[2024, with_results.number]),
         "manager", 200),
        *([("metropolitan government", reverse("tracker:agency_detail", args=[city.slug])
            + "?year=2024", "manager", 200)] if city else []),
        ("admin index", reverse("admin:index"), "admin", 200),
        ("admin task list", reverse("admin:tracker_task_changelist"), "admin", 200),
        ("admin plan import", reverse("admin:tracker_plan_import"), "admin", 200),
        ("admin agency", reverse("admin:tracker_agency_change", args=[kipo.pk]), "admin", 200),
        ("admin plans", reverse("admin:tracker_plan_changelist"), "admin", 200),
        ("admin strategy", reverse("admin:tracker_strategy_change", args=[
            first.strategy_id]), "admin", 200),
        ("admin indicator", reverse("admin:tracker_indicator_change", args=[
            Indicator.objects.order_by("pk").first().pk]), "admin", 200),
        ("admin evaluation round", reverse("admin:tracker_evaluationround_change",
                                            args=[round.pk]), "admin", 200),
        ("admin agency rename", reverse("admin:tracker_agency_rename", args=[kipo.pk]), "admin",
         200),
        ("admin task change", reverse("admin:tracker_task_change", args=[first.pk]), "admin",
         200),
        ("admin task, staff", reverse("admin:tracker_task_change", args=[kipo_task.pk]), "kipo",
         200),
        ("admin progress report", reverse("admin:tracker_task_report", args=[kipo_task.pk]),
         "kipo", 200),
        ("admin year-end results, open", reverse("admin:tracker_task_results",
                                                  args=[kipo_2025.pk]), "kipo", 200),
        ("admin year-end results, approved", reverse("admin:tracker_task_results",
                                                      args=[kipo_task.pk]), "kipo", 200),
        ("admin results list", reverse("admin:tracker_result_changelist"), "kipo", 200),
        ("admin round grades", reverse("admin:tracker_evaluationround_grades",
                                       args=[round.pk]), "manager", 200),
        ("admin assignments, manager", reverse("admin:tracker_assignment_changelist"),
         "manager", 200),
        ("admin assignment, add", reverse("admin:tracker_assignment_add"), "manager", 200),
        ("admin assignments, evaluator", reverse("admin:tracker_assignment_changelist"),
         "evaluator-lee", 200),
        ("admin scoring page, a project", reverse("admin:tracker_assignment_change",
                                                  args=[lee.filter(task__isnull=False)
                                                        .first().pk]), "evaluator-lee", 200),
        ("admin scoring page, an institution", reverse(
            "admin:tracker_assignment_change",
            args=[lee.filter(agency__isnull=False).first().pk]), "evaluator-lee", 200),
    ]


def kept(url):
    """Whether the page cache keeps the URL's page."""
    view = getattr(resolve(urlsplit(url).path).func, "view_class", None)
    return view is not None and issubclass(view, CachedPageMixin) and view.page_cache


def without_csrf(body):
    """The page less its CSRF tokens, masked anew in every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def rendered(client, url, *args, **kwargs):
    """GET a page rendered afresh rather than served from the page cache (kipplan.page_cache),
    for a test that reads the response's template context (a stored page has none)."""
    cache.clear()
    return client.get(url, *args, **kwargs)
