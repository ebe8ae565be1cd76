"""
What the tests share, besides the fixtures (conftest.py) and the factories: the pages a person
opens with the demo loaded, the forms the tests post, the outside tools some tests need, and the
browser's log-in. No test file imports another; they import this.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import threading
from contextlib import contextmanager
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import resolve, reverse
from django.utils import timezone

from kipplan.page_cache import CachedPageMixin
from tests.factories import (
    AgencyFactory,
    UserFactory,
    build_plan,
    evaluator,
    round_at,
)
from tracker import roles
from tracker.evaluation import services as evaluation
from tracker.models import (
    ActionCheck,
    ActionStatus,
    Agency,
    AgencyKind,
    Assignment,
    CheckedBy,
    ContributionNote,
    EvaluationRound,
    Grade,
    GradeLevel,
    ImprovementAction,
    Indicator,
    IndicatorValue,
    MilestoneChange,
    Opinion,
    OpinionAnswer,
    PerformanceIndicator,
    Plan,
    ProgressUpdate,
    Result,
    ResultState,
    ReviewAssessment,
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
    round_, _created = EvaluationRound.objects.get_or_create(plan=first.plan)
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
        ("API tokens", reverse("tracker:api_tokens"), "kipo", 200),
        ("open data, before the pages are published", reverse("tracker:open_data"), "manager",
         200),
        ("evaluation", evaluation, "manager", 200),
        ("evaluation, agency staff", evaluation, "kipo", 200),
        ("budget advice", reverse("tracker:budget_advice", args=[2024]), "manager", 200),
        ("budget advice, agency staff", reverse("tracker:budget_advice", args=[2024]), "kipo",
         200),
        ("admin budget advice, staff", reverse("admin:tracker_budgetadvice_changelist"), "kipo",
         200),
        ("admin budget advice of a round", reverse("admin:tracker_budgetadvice_round",
                                                   args=[round_.pk]), "manager", 200),
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
                                            args=[round_.pk]), "admin", 200),
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
                                       args=[round_.pk]), "manager", 200),
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


# -- Outside tools some tests need ------------------------------------------------------------
# Outside tools some tests need: Chromium, Node's packages (axe-core, vnu-jar), Java and GNU
# gettext. Where one
# is missing the test skips and says how to get it, so `make test` passes on a machine with only
# Python; on CI (CI=true), which installs them all, a missing tool fails the test instead.

NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
NPM_HINT = "`make test` installs it with npm (npm ci --prefix tests/node)"


def npm_package(path, name):
    """Why the npm package at path is unusable, or None."""
    if not path.exists():
        if not shutil.which("npm"):
            return f"{name} needs Node.js and npm, which are not installed"
        return f"{name} is not installed; {NPM_HINT}"
    return None


def java():
    """Why Java is unusable, or None."""
    if shutil.which("java"):
        return None
    return "Java is not installed (Debian: apt install default-jre-headless)"


def gettext():
    """Why GNU gettext (for makemessages) is unusable, or None."""
    if shutil.which("xgettext"):
        return None
    return "GNU gettext (xgettext) is not installed (Debian: apt install gettext)"


def need(*reasons):
    """Skip (fail on CI) for the first reason a tool is missing; reasons that are None pass."""
    for reason in reasons:
        if reason:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must provide this tool: {reason}")
            pytest.skip(reason)


NO_CHANGES = {"changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0}  # the inline's management


def report_url(task):
    return reverse("admin:tracker_task_report", args=[task.pk])


def form_data(task, **values):
    return {"status": "on_track", "progress": 55, "budget_executed": 3_000_000_000,
            "note": "", "version": task.version, **values}


def issue_form(plan, task, **changes):
    return {"plan": plan.pk, "round": "", "task": task.pk, "agency": "", "text": "보완 필요",
            "issued_on": "2025-04-01", "answer_due": "2025-05-01", **changes}


def answer_form(*actions, text="개선계획"):
    data = {"text": text, "actions-TOTAL_FORMS": str(len(actions)),
            "actions-INITIAL_FORMS": "0", "actions-MIN_NUM_FORMS": "1",
            "actions-MAX_NUM_FORMS": "1000"}
    for n, (description, due_on) in enumerate(actions):
        data[f"actions-{n}-description"] = description
        data[f"actions-{n}-due_on"] = due_on
    return data


def results_url(task):
    return reverse("admin:tracker_task_results", args=[task.pk])


def take_step(client, round_, reason="", **kwargs):
    """The round's next step as a manager takes it: its page opened, the reason typed, the
    button pressed. Returns the response to the post."""
    url = reverse("admin:tracker_evaluationround_step", args=[round_.pk])
    page = client.get(url, **kwargs)
    if page.status_code != 200:
        return page
    seen = page.context["form"]["seen"].value()
    return client.post(url, {"reason": reason, "seen": seen}, **kwargs)


def results_data(task, action="save", **changes):
    """What the results page's one form sends, as a browser would: the stored text, actual
    values and version as the page shows them, with the changes typed, the files chosen
    (``files=``) and the button pressed (``action``)."""
    from tracker.models import Result

    result = Result.objects.filter(task=task).first()
    data = {"action": action, "version": result.version if result else 0}
    for name in ("achievements", "problems", "next_steps", "summary_public"):
        data[name] = getattr(result, name) if result else ""
    for indicator in task.performance_indicators.all():
        data[f"actual_{indicator.pk}"] = "" if indicator.actual is None else str(indicator.actual)
    return {**data, **changes}


def post_result(client, task, version=0, **fields):
    data = {"action": "save", "achievements": "특허 분석 120건", "problems": "",
            "next_steps": "", "summary_public": "", "version": version, **fields}
    return client.post(results_url(task), data, HTTP_ACCEPT_LANGUAGE="en")


def scoring(round_, task):
    first, second = evaluator("first"), evaluator("second")
    mine = evaluation.assign(round_=round_, evaluator=first, task=task, user=plan_manager())
    theirs = evaluation.assign(round_=round_, evaluator=second, task=task, user=plan_manager())
    EvaluationRound.objects.filter(pk=round_.pk).update(state=RoundState.EVALUATION)
    return first, second, mine, theirs


def score_data(assignment, value, version=0, comment="좋음"):
    return {**{f"criterion_{c.pk}": value for c in evaluation.applicable_criteria(assignment)},
            "comment": comment, "version": version}


def round_page(round_):
    return reverse("admin:tracker_budgetadvice_round", args=[round_.pk])


def round_form(page, changes=None):
    """The round page's form as the browser would post it, with ``changes`` by task number:
    (recommendation, reason)."""
    data = {}
    for row in page.context["rows"]:
        form, prefix = row.form, row.prefix
        recommendation, reason = (changes or {}).get(row.task.number, (
            form.initial["recommendation"], form.initial["reason"]))
        version = form.initial["version"]
        data.update({f"{prefix}-recommendation": recommendation, f"{prefix}-reason": reason,
                     f"{prefix}-version": "" if version is None else version})
    return data


def internal_texts():
    """Every username, report note, contribution note, milestone reason and review comment of
    the demo, each category checked to be there."""
    texts = {
        "usernames": set(get_user_model().objects.values_list("username", flat=True)),
        "report notes": set(ProgressUpdate.objects.exclude(note="").values_list("note", flat=True)),
        "contribution notes": set(ContributionNote.objects.values_list("note", flat=True)),
        "milestone reasons": set(
            MilestoneChange.objects.exclude(reason="").values_list("reason", flat=True)),
        "review comments": set(
            ReviewAssessment.objects.exclude(comment="").values_list("comment", flat=True)),
    }
    assert all(texts.values()), {kind: len(found) for kind, found in texts.items()}
    return texts


def visible_text(html):
    """What a reader sees: the page without its tags and attributes (links' addresses hold
    agency slugs, which are not usernames)."""
    return unescape(re.sub(r"<[^>]*>", " ", html))


def leaks(text, secrets):
    found = []
    for kind, values in secrets.items():
        for value in values:
            # Usernames are short words (kipo, msit): whole words only, as written.
            pattern = rf"(?<![\w-]){re.escape(value)}(?![\w-])" if kind == "usernames" else None
            if (re.search(pattern, text) if pattern else value in text):
                found.append((kind, value))
    return found


ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username, password="kipplan-demo", next_url="/"):
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit], main input[type=submit]")
    page.wait_for_load_state()


def page_urls(plan):
    task = plan.tasks.order_by("number").first()
    agency = task.lead_agency
    technology = task.technologies.first()
    year = plan.year
    return {
        "dashboard": reverse("tracker:plan", args=[year]),
        "dashboard as of": reverse("tracker:plan", args=[year]) + f"?as_of={year}-05-01",
        "task list": reverse("tracker:task_list", args=[year]),
        "task list filtered": reverse("tracker:task_list", args=[year])
        + f"?status=on_track&status=delayed&overdue=yes&agency={agency.slug}&sort=-progress",
        "task list as of": reverse("tracker:task_list", args=[year]) + f"?as_of={year}-05-01",
        "task": reverse("tracker:task_detail", args=[year, task.number]),
        "agencies": reverse("tracker:agency_list") + f"?year={year}",
        "agency": reverse("tracker:agency_detail", args=[agency.slug]) + f"?year={year}",
        "technologies": reverse("tracker:technology_list") + f"?year={year}",
        "technology": reverse("tracker:technology_detail", args=[technology.slug])
        + f"?year={year}",
        "csv export": reverse("tracker:task_export_csv", args=[year]),
        "xlsx export": reverse("tracker:task_export_xlsx", args=[year]),
    }


def reportable(tasks=20, year=2024, state=RoundState.APPROVED):
    """A plan of ``tasks`` tasks (build_plan's) with a round in ``state``: every task but the
    last has a submitted result with a Korean summary and an indicator; every task graded in
    turn 최우수, 우수, 보통, 미흡; Incheon graded 최우수 as an institution; one opinion answered
    with two actions (one checked implemented); an outcome indicator with a sourced value."""
    plan = build_plan(tasks, year=year)
    round_ = round_at(state, plan)
    tasks = list(plan.tasks.order_by("number"))
    now = timezone.now()
    Result.objects.bulk_create(
        Result(task=task, state=ResultState.SUBMITTED, submitted_at=now,
               achievements=f"주요 성과 {task.number}", summary_public=f"성과 요약 {task.number}")
        for task in tasks[:-1])
    PerformanceIndicator.objects.bulk_create(
        PerformanceIndicator(task=task, number=1, name_ko=f"특허 출원 {task.number}",
                             name_en=f"Patent filings {task.number}", unit="건", target=10,
                             actual=8) for task in tasks)
    Grade.objects.bulk_create(
        Grade(round=round_, task=task, grade=list(GradeLevel)[n % 4], mean=90 - n % 4 * 10)
        for n, task in enumerate(tasks))
    incheon = AgencyFactory(name_ko="인천광역시", name_en="Incheon Metropolitan City",
                            slug=f"incheon-{year}", kind=AgencyKind.METROPOLITAN)
    busan = AgencyFactory(name_ko="부산광역시", name_en="Busan Metropolitan City",
                          slug=f"busan-{year}", kind=AgencyKind.METROPOLITAN)
    Grade.objects.create(round=round_, agency=incheon, grade=GradeLevel.OUTSTANDING, mean=95)
    Grade.objects.create(round=round_, agency=busan, grade=GradeLevel.OUTSTANDING, mean=91)
    person = UserFactory(username=f"council-{year}")
    opinion = Opinion.objects.create(
        plan=plan, round=round_, task=tasks[0], text="성과지표를 보완할 것",
        issued_on=datetime.date(year + 1, 4, 1), answer_due=datetime.date(year + 1, 5, 1),
        issued_by=person)
    answer = OpinionAnswer.objects.create(opinion=opinion, text="개선계획", submitted_by=person)
    first, _second = (ImprovementAction.objects.create(
        opinion=opinion, answer=answer, number=n, description=f"조치 {n}",
        due_on=datetime.date(year + 1, 6, 30), created_by=person) for n in (1, 2))
    ActionCheck.objects.create(action=first, by=CheckedBy.COUNCIL,
                               status=ActionStatus.IMPLEMENTED, checked_by=person)
    Opinion.objects.create(plan=plan, agency=incheon, text="기관 의견",
                           issued_on=datetime.date(year + 1, 4, 1),
                           answer_due=datetime.date(year + 1, 5, 1), issued_by=person)
    indicator = Indicator.objects.create(
        plan=plan, number=1, name_ko="지식재산권 무역수지", name_en="IPR trade balance",
        unit_ko="백만 달러", unit_en="US$ million", target_ko="흑자 전환", target_en="a surplus",
        target_year=2026, source_ko="제3차 국가지식재산 기본계획")
    IndicatorValue.objects.create(indicator=indicator, year=year - 1, value=180,
                                  source_ko="한국은행 지식재산권 무역수지(잠정)")
    return plan


def validate(vnu, files):
    """The checker's messages for files, as {file name: [message]} (errors only)."""
    result = subprocess.run(
        ["java", "-Xss4m", "-jar", str(vnu), "--format", "json", "--exit-zero-always",
         *map(str, files)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    errors = {}
    for message in json.loads(result.stderr)["messages"]:
        if message["type"] in ("error", "non-document-error") or message.get("subType") == "fatal":
            name = message.get("url", "").rsplit("/", 1)[-1]
            errors.setdefault(name, []).append(
                f"line {message.get('lastLine', '?')}: {message['message']} "
                f"[{message.get('extract', '').strip()}]"
            )
    return errors


def role(name):
    """The group of one of the roles in tracker.roles (roles.AGENCY_STAFF, roles.PLAN_MANAGERS).
    Migrate makes them, and so does the flush that ends each transactional test."""
    return Group.objects.get(name=name)


def plan_manager(username="plan-manager"):
    """The plan manager (the ``manager`` fixture's), made on first use: also whom the services
    that only managers call are called for, in tests that are about something else."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = UserFactory(username=username)
        user.groups.add(role(roles.PLAN_MANAGERS))
    return user


def load_demo():
    """The demo data, its users with a fast hash of the demo password: the fixture's own hashes
    (production's PBKDF2, a million rounds: a quarter of a second a login) are checked once, by
    tests/test_fixtures.py, and every other test logs in without paying for them."""
    call_command("loaddata", "demo", verbosity=0)
    get_user_model().objects.filter(password__startswith="pbkdf2_").update(
        password=make_password(PASSWORD))


def pdf_bytes():
    """A minimal valid PDF: one empty page, with its cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@contextmanager
def transaction_held_open(work, seconds=10):
    """Inside, another thread's transaction has run ``work()`` and stays open (its locks held)
    until the block ends, or ``seconds`` pass; it then commits. Yields the event that ends it
    early."""
    ready, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                work()
                ready.set()
                release.wait(seconds)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert ready.wait(seconds), "the other transaction did not start"
        yield release
    finally:
        release.set()
        thread.join()
