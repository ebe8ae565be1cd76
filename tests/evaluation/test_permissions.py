"""Who may open what of the year-end evaluation: every role against every admin and site URL of
results, evidence, assignments, scores and grades, and the site's progress pages for evaluators.

Besides the status code, every body is read for what must never leak: another agency's task,
results and evidence; and, for anyone but the plan managers, an evaluator's name, comment and
individual scores and the panel's mean. Then the bad inputs, through the same HTTP endpoints:
each gives a clear message, stores nothing and is never a 500.
"""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kipplan.page_cache import HEADER
from tests.factories import (
    AgencyFactory,
    PerformanceIndicatorFactory,
    PlanFactory,
    TaskFactory,
    evaluator,
    round_at,
)
from tests.helpers import kept, plan_manager, results_data, take_step, without_csrf
from tracker.evaluation import evidence
from tracker.evaluation import services as evaluation
from tracker.evaluation import services as results
from tracker.models import (
    AgencyKind,
    Assignment,
    EvaluationRound,
    EvidenceFile,
    Grade,
    Result,
    ResultState,
    RoundState,
    Score,
)

pytestmark = pytest.mark.django_db

# Each task's title (in both languages) and results text start with a mark of their own.
TARGET = "TARGET-TASK"
TARGET_RESULT = "TARGET-RESULT 대상실적 특허분석"
SECRET = "OTHER-AGENCY-SECRET"
SECRET_RESULT = "SECRET-RESULT 타기관실적"
SECRET_FILE = "secret-moj-evidence.pdf"
REGIONAL = "INCHEON-TASK"
REGIONAL_RESULT = "INCHEON-RESULT 인천실적"
CUSTOMS = "KCS-TASK"
# The panel of the target task: the assigned evaluator and a peer, each with a score of their own
# (every criterion the same), and the mean of the two.
ASSIGNED, PEER = "panel-lee", "panel-peer-kim"
MY_SCORE, PEER_SCORE, MEAN = "88.75", "73.35", "81.05"
MY_COMMENT, PEER_COMMENT = "MY-COMMENT 내의견", "PEER-COMMENT 동료평가의견"

ROLES = ["anonymous", "lead", "parent", "supporting", "unrelated", "metropolitan", "manager",
         "superuser", "evaluator", "unassigned"]
STAFF = ["lead", "parent", "supporting", "unrelated", "metropolitan"]
EVALUATORS = ["evaluator", "unassigned"]
MANAGERS = ["manager", "superuser"]
# Those for whom the target task does not exist: staff of other agencies, an evaluator assigned
# to another unit.
STRANGERS = ["unrelated", "metropolitan", "unassigned"]

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def expect(*, staff=None, evaluators=None, managers=None, **roles):
    """The expected status of each role but the anonymous one (always sent to log in): by
    group, then by role."""
    by_role = {}
    for group, roles_in_it in [(staff, STAFF), (evaluators, EVALUATORS), (managers, MANAGERS)]:
        if group is not None:
            by_role.update(dict.fromkeys(roles_in_it, group))
    by_role.update(roles)
    missing = set(ROLES) - {"anonymous"} - by_role.keys()
    assert not missing, f"no expectation for {missing}"
    return by_role


def titles(mark, korean):
    return {"title_ko": f"{mark} {korean}", "title_en": f"{mark} task"}


# -- The world ------------------------------------------------------------------------------------

@pytest.fixture
def world(plan, strategy, agency, kista, team, make_staff, manager, superuser):
    """KIPO → KISTA → team. The target task is led by KISTA and supported by MSIT; the secret
    task belongs to MOJ, where none of the users works; KCS and Incheon (a metropolitan
    government) lead tasks of their own. Every task's results are submitted with an indicator
    and a PDF; the round is being evaluated, the target task scored by two evaluators; another
    evaluator is assigned to KCS's task only."""
    msit = AgencyFactory(name_ko="과학기술정보통신부", abbreviation="MSIT", slug="msit")
    kcs = AgencyFactory(name_ko="관세청", abbreviation="KCS", slug="kcs")
    moj = AgencyFactory(name_ko="법무부", abbreviation="MOJ", slug="moj")
    incheon = AgencyFactory(name_ko="인천광역시", name_en="Incheon", abbreviation="ICN",
                            slug="incheon", kind=AgencyKind.METROPOLITAN)
    tasks = {
        "target": TaskFactory(plan=plan, strategy=strategy, lead_agency=kista, number=17,
                              **titles(TARGET, "대상과제"), supporting_agencies=[msit]),
        "secret": TaskFactory(plan=plan, strategy=strategy, lead_agency=moj, number=18,
                              **titles(SECRET, "타기관과제")),
        "customs": TaskFactory(plan=plan, strategy=strategy, lead_agency=kcs, number=19,
                               **titles(CUSTOMS, "관세청과제")),
        "regional": TaskFactory(plan=plan, strategy=strategy, lead_agency=incheon, number=20,
                                **titles(REGIONAL, "인천과제")),
    }
    users = {
        "anonymous": None, "lead": make_staff(kista), "parent": make_staff(agency),
        "supporting": make_staff(msit), "unrelated": make_staff(kcs),
        "metropolitan": make_staff(incheon), "manager": manager, "superuser": superuser,
        "evaluator": evaluator(ASSIGNED), "unassigned": evaluator("expert-park"),
    }
    authors = {"target": users["lead"], "secret": make_staff(moj),
               "customs": users["unrelated"], "regional": users["metropolitan"]}
    texts = {"target": TARGET_RESULT, "secret": SECRET_RESULT, "customs": "관세청 실적",
             "regional": REGIONAL_RESULT}
    files = {"target": "target-evidence.pdf", "secret": SECRET_FILE,
             "customs": "customs-evidence.pdf", "regional": "incheon-evidence.pdf"}
    round_ = round_at(RoundState.SUBMISSION, plan)
    for key, task in tasks.items():
        indicator = PerformanceIndicatorFactory(task=task, target=200)
        results.save_result(task=task, user=authors[key], achievements=texts[key],
                            problems="", next_steps="", actuals={indicator.pk: Decimal(150)},
                            expected_version=0)
        evidence.add_evidence(task=task, user=authors[key],
                              upload=SimpleUploadedFile(files[key], PDF))
        results.submit_result(task=task, user=authors[key])
    peer = evaluator(PEER)
    mine = evaluation.assign(round_=round_, evaluator=users["evaluator"], task=tasks["target"],
                             user=plan_manager())
    theirs = evaluation.assign(round_=round_, evaluator=peer, task=tasks["target"],
                               user=plan_manager())
    elsewhere = evaluation.assign(round_=round_, evaluator=users["unassigned"],
                                  task=tasks["customs"], user=plan_manager())
    EvaluationRound.objects.filter(pk=round_.pk).update(state=RoundState.EVALUATION)
    round_.refresh_from_db()
    for who, assignment, value, comment in [(users["evaluator"], mine, MY_SCORE, MY_COMMENT),
                                            (peer, theirs, PEER_SCORE, PEER_COMMENT)]:
        assignment.refresh_from_db()
        evaluation.score(assignment=assignment, user=who,
                         values={c.pk: Decimal(value)
                                 for c in evaluation.applicable_criteria(assignment)},
                         comment=comment, expected_version=assignment.version)
    assert evaluation.unit_mean(round_, task=tasks["target"]) == Decimal(MEAN)
    return {"plan": plan, "round": round_, "tasks": tasks, "users": users, "peer": peer,
            "mine": mine, "theirs": theirs, "elsewhere": elsewhere, "kista": kista,
            "incheon": incheon, "authors": authors}


def evidence_of(world, key):
    return EvidenceFile.objects.get(result__task=world["tasks"][key])


def body_of(response):
    """The response's text: a stream read to its end, an XLSX file's parts unpacked."""
    if getattr(response, "streaming", False):
        # Read to its end, the test client closes it (without closing the test's database
        # connection, as response.close() would on PostgreSQL).
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            data = b"".join(package.read(name) for name in package.namelist())
    return data.decode("utf-8", errors="replace")


def never_leaks(role, body, where):
    """What no body may show a role: another agency's task, results and files; to anyone but
    managers, the panel's names, comments, individual scores and mean."""
    if role in MANAGERS:
        return
    for secret in (SECRET, SECRET_RESULT, SECRET_FILE, PEER, PEER_COMMENT, PEER_SCORE, MEAN):
        assert secret not in body, f"{role} saw {secret!r} at {where}"
    if role != "evaluator":
        for secret in (ASSIGNED, MY_COMMENT, MY_SCORE):
            assert secret not in body, f"{role} saw {secret!r} at {where}"
    if role in STRANGERS:
        for secret in (TARGET, TARGET_RESULT):
            assert secret not in body, f"{role} saw the target task ({secret!r}) at {where}"
    if role != "metropolitan":
        assert REGIONAL_RESULT not in body, f"{role} saw Incheon's results at {where}"


# -- The admin ------------------------------------------------------------------------------------
# URL key -> (method, expected status by role). 302 for anonymous is the admin's login page; 302
# for a user without the object is the admin's "no such object" redirect; 403 for a role
# without the permission.

ADMIN = {
    # A task's year-end results page: read by whoever sees the task, written by its lead
    # agency's staff (with the parent agency's, as reports are). Evaluators read results on
    # their scoring page: the task is not theirs in the admin.
    "results": ("get", expect(lead=200, parent=200, supporting=200, unrelated=404,
                              metropolitan=404, managers=200, evaluators=404)),
    "results_save": ("post", expect(lead=302, parent=302, supporting=403, unrelated=404,
                                    metropolitan=404, manager=403, superuser=302,
                                    evaluators=404)),
    "results_upload": ("post", expect(lead=302, parent=302, supporting=403, unrelated=404,
                                      metropolitan=404, manager=403, superuser=302,
                                      evaluators=404)),
    "result_changelist": ("get", expect(staff=200, managers=200, evaluators=403)),
    # The result's own page sends those who see it to the task's results page.
    "result_change": ("get", expect(staff=302, managers=302, evaluators=403)),
    "result_delete": ("get", expect(staff=403, managers=403, evaluators=403)),
    "assignment_changelist": ("get", expect(staff=403, managers=200, evaluators=200)),
    "assignment_add": ("get", expect(staff=403, managers=200, evaluators=403)),
    "assignment_add_post": ("post", expect(staff=403, managers=302, evaluators=403)),
    # The evaluator's own assignment is their scoring page; the managers read it; another
    # evaluator's is no such object.
    "assignment_change": ("get", expect(staff=403, managers=200, evaluator=200,
                                        unassigned=302)),
    "assignment_score": ("post", expect(staff=403, managers=403, evaluator=302,
                                        unassigned=403)),
    "assignment_history": ("get", expect(staff=302, managers=200, evaluator=200,
                                         unassigned=302)),
    # An assignment is taken back before its evaluator scores, by the managers only.
    "assignment_delete": ("get", expect(staff=403, managers=200, evaluators=403)),
    "assignment_delete_post": ("post", expect(staff=403, managers=302, evaluators=403)),
    "scored_assignment_delete": ("get", expect(staff=403, managers=403, evaluators=403)),
    "round_changelist": ("get", expect(staff=403, managers=200, evaluators=403)),
    "round_change": ("get", expect(staff=403, managers=200, evaluators=403)),
    "round_change_post": ("post", expect(staff=403, managers=302, evaluators=403)),
    "round_history": ("get", expect(staff=403, managers=200, evaluators=403)),
    "round_add": ("get", expect(staff=403, managers=200, evaluators=403)),
    "round_delete": ("get", expect(staff=403, manager=403, superuser=200, evaluators=403)),
    "round_grades": ("get", expect(staff=403, managers=200, evaluators=403)),
    "round_grades_post": ("post", expect(staff=403, managers=302, evaluators=403)),
}


def admin_request(name, world):
    """(URL, POST data or None) of an admin URL key."""
    tasks, round_ = world["tasks"], world["round"]
    target = tasks["target"]
    result = Result.objects.get(task=target)
    indicator = target.performance_indicators.get()
    results_url = reverse("admin:tracker_task_results", args=[target.pk])
    return {
        "results": (results_url, None),
        "results_save": (results_url, {
            "action": "save", "achievements": "TAMPERED 변조", "problems": "",
            "next_steps": "", "summary_public": "", "version": result.version,
            f"actual_{indicator.pk}": "150"}),
        "results_upload": (results_url, {**results_data(world["tasks"]["target"]),
                                         "files": SimpleUploadedFile("추가증빙.pdf", PDF)}),
        "result_changelist": (reverse("admin:tracker_result_changelist"), None),
        "result_change": (reverse("admin:tracker_result_change", args=[result.pk]), None),
        "result_delete": (reverse("admin:tracker_result_delete", args=[result.pk]), None),
        "assignment_changelist": (reverse("admin:tracker_assignment_changelist"), None),
        "assignment_add": (reverse("admin:tracker_assignment_add"), None),
        "assignment_add_post": (reverse("admin:tracker_assignment_add"), {
            "round": round_.pk, "evaluator": world["extra"].pk, "task": tasks["secret"].pk}),
        "assignment_change": (
            reverse("admin:tracker_assignment_change", args=[world["mine"].pk]), None),
        "assignment_score": (
            reverse("admin:tracker_assignment_change", args=[world["mine"].pk]),
            {**{f"criterion_{c.pk}": "50"
                for c in evaluation.applicable_criteria(world["mine"])},
             "comment": "TAMPERED 변조", "version": Assignment.objects.get(
                 pk=world["mine"].pk).version}),
        "assignment_history": (
            reverse("admin:tracker_assignment_history", args=[world["mine"].pk]), None),
        "assignment_delete": (
            reverse("admin:tracker_assignment_delete", args=[world["elsewhere"].pk]), None),
        "assignment_delete_post": (
            reverse("admin:tracker_assignment_delete", args=[world["elsewhere"].pk]),
            {"post": "yes"}),
        "scored_assignment_delete": (
            reverse("admin:tracker_assignment_delete", args=[world["mine"].pk]), None),
        "round_changelist": (reverse("admin:tracker_evaluationround_changelist"), None),
        "round_change": (
            reverse("admin:tracker_evaluationround_change", args=[round_.pk]), None),
        "round_change_post": (
            reverse("admin:tracker_evaluationround_change", args=[round_.pk]), {
                **round_form(round_), "meeting_number": "41"}),
        "round_history": (
            reverse("admin:tracker_evaluationround_history", args=[round_.pk]), None),
        "round_add": (reverse("admin:tracker_evaluationround_add"), None),
        "round_delete": (
            reverse("admin:tracker_evaluationround_delete", args=[round_.pk]), None),
        "round_grades": (
            reverse("admin:tracker_evaluationround_grades", args=[round_.pk]), None),
        "round_grades_post": (
            reverse("admin:tracker_evaluationround_grades", args=[round_.pk]),
            {f"task-{target.pk}-grade": "excellent", f"task-{target.pk}-reason": ""}),
    }[name]


def round_form(round_):
    """The round's change form as the admin posts it while the round is being evaluated (its
    dates editable, its scale and criteria fixed)."""
    def day(value):
        return value.isoformat() if value else ""

    return {
        "submission_opens": day(round_.submission_opens),
        "submission_closes": day(round_.submission_closes),
        "evaluation_closes": day(round_.evaluation_closes),
        "meeting_number": round_.meeting_number or "", "meeting_date": day(round_.meeting_date),
        "published_on": day(round_.published_on),
        "criteria-TOTAL_FORMS": "0", "criteria-INITIAL_FORMS": "0",
        "grades-TOTAL_FORMS": "0", "grades-INITIAL_FORMS": "0",
    }


def admin_effect(name, world):
    """Whether a POST of the matrix changed what it aims at."""
    target = world["tasks"]["target"]
    return {
        "results_save": lambda: Result.objects.get(task=target).achievements == "TAMPERED 변조",
        "results_upload": lambda: EvidenceFile.objects.filter(
            result__task=target, name="추가증빙.pdf").exists(),
        "assignment_add_post": lambda: Assignment.objects.filter(
            evaluator=world["extra"]).exists(),
        "assignment_score": lambda: Assignment.objects.get(
            pk=world["mine"].pk).comment == "TAMPERED 변조",
        "assignment_delete_post": lambda: not Assignment.objects.filter(
            pk=world["elsewhere"].pk).exists(),
        "round_change_post": lambda: EvaluationRound.objects.get(
            pk=world["round"].pk).meeting_number == 41,
        "round_grades_post": lambda: Grade.objects.filter(task=target).exists(),
    }[name]()


def check_admin(client, world, role, name):
    """One role against one admin URL: its status, no leak in its body, and for a POST that
    only a permitted role changed anything."""
    world["extra"] = evaluator("extra-evaluator")
    method, expected_by_role = ADMIN[name]
    url, data = admin_request(name, world)
    client.logout()
    user = world["users"][role]
    if user is not None:
        client.force_login(user)

    response = client.post(url, data) if method == "post" else client.get(url)

    expected = 302 if role == "anonymous" else expected_by_role[role]
    assert response.status_code == expected, (role, name, response.get("Location"))
    if role == "anonymous":
        assert "/admin/login/" in response["Location"]
    never_leaks(role, body_of(response), name)
    if method == "post":
        assert admin_effect(name, world) == (expected == 302 and role != "anonymous"
                                             and role not in STRANGERS), (role, name)


# Reading changes nothing, so one world serves every role; a POST may change it, so each role
# posts into a world of its own.
ADMIN_READS = [name for name, (method, _roles) in ADMIN.items() if method == "get"]
ADMIN_WRITES = [name for name, (method, _roles) in ADMIN.items() if method == "post"]


@pytest.mark.parametrize("name", ADMIN_READS)
def test_admin_evaluation_matrix_reads(client, world, name):
    for role in ROLES:
        check_admin(client, world, role, name)


@pytest.mark.parametrize("name", ADMIN_WRITES)
@pytest.mark.parametrize("role", ROLES)
def test_admin_evaluation_matrix_writes(client, world, role, name):
    check_admin(client, world, role, name)


@pytest.mark.parametrize("role", STAFF + MANAGERS)
def test_the_result_page_sends_only_those_who_see_the_task_to_its_results(client, world, role):
    target = world["tasks"]["target"]
    client.force_login(world["users"][role])

    response = client.get(reverse("admin:tracker_result_change",
                                  args=[Result.objects.get(task=target).pk]))

    to_results = response["Location"].endswith(
        reverse("admin:tracker_task_results", args=[target.pk]))
    assert to_results == (role not in STRANGERS)


@pytest.mark.parametrize("role", STAFF + MANAGERS)
def test_the_results_list_shows_each_role_its_own_tasks(client, world, role):
    client.force_login(world["users"][role])

    body = client.get(reverse("admin:tracker_result_changelist"), {"q": "TASK"}).content.decode()

    assert (TARGET in body) == (role not in STRANGERS)
    assert (SECRET in body) == (role in MANAGERS)
    assert (REGIONAL in body) == (role in MANAGERS + ["metropolitan"])


def test_an_evaluator_lists_and_reads_only_their_assignment(client, world):
    client.force_login(world["users"]["evaluator"])

    listing = body_of(client.get(reverse("admin:tracker_assignment_changelist")))
    scoring = body_of(client.get(reverse("admin:tracker_assignment_change",
                                         args=[world["mine"].pk])))
    other = client.get(reverse("admin:tracker_assignment_change", args=[world["theirs"].pk]))

    assert TARGET in listing and CUSTOMS not in listing
    assert TARGET_RESULT in scoring and "target-evidence.pdf" in scoring
    assert MY_SCORE in scoring and MY_COMMENT in scoring  # their own scores, to correct
    assert reverse("tracker:evidence_download",
                   args=[evidence_of(world, "target").pk]) in scoring
    assert other.status_code == 302


def test_managers_read_the_round_with_its_criteria_and_the_panel_on_the_grades_page(client,
                                                                                    world):
    client.force_login(world["users"]["manager"])
    round_ = world["round"]

    change = body_of(client.get(reverse("admin:tracker_evaluationround_change",
                                        args=[round_.pk])))
    grades = body_of(client.get(reverse("admin:tracker_evaluationround_grades",
                                        args=[round_.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assignments = body_of(client.get(reverse("admin:tracker_assignment_changelist")))

    assert all(name in change for name in ("정책품질", "파급효과", "전략성", "지역특화 전략"))
    assert MEAN in grades and "Excellent" in grades and TARGET in grades
    assert PEER in assignments and ASSIGNED in assignments


# -- The site -------------------------------------------------------------------------------------
# The progress pages are the agencies' and the managers'; an evaluator sees none of them (403)
# unless the pages are published. Evidence downloads follow the task's results: another
# agency's file is the 404 of a file that does not exist.

PAGES = {
    "dashboard": lambda w: reverse("tracker:dashboard"),
    "plan": lambda w: reverse("tracker:plan", args=[w["plan"].year]),
    "years": lambda w: reverse("tracker:years"),
    "task_list": lambda w: reverse("tracker:task_list", args=[w["plan"].year]),
    "task_export_csv": lambda w: reverse("tracker:task_export_csv", args=[w["plan"].year]),
    "task_export_xlsx": lambda w: reverse("tracker:task_export_xlsx", args=[w["plan"].year]),
    "agency_list": lambda w: reverse("tracker:agency_list"),
    "agency_detail": lambda w: reverse("tracker:agency_detail", args=["kista"]),
    "metropolitan_detail": lambda w: reverse("tracker:agency_detail", args=["incheon"]),
    "technology_list": lambda w: reverse("tracker:technology_list"),
    "my_work": lambda w: reverse("tracker:my_work"),
    "evaluation": lambda w: reverse("tracker:evaluation", args=[w["plan"].year]),
    "evaluation_results_csv": lambda w: reverse("tracker:evaluation_results_csv",
                                                args=[w["plan"].year]),
    "evaluation_results_xlsx": lambda w: reverse("tracker:evaluation_results_xlsx",
                                                 args=[w["plan"].year]),
    "evaluation_indicators_csv": lambda w: reverse("tracker:evaluation_indicators_csv",
                                                   args=[w["plan"].year]),
}
SITE = {
    **dict.fromkeys(PAGES, expect(staff=200, managers=200, evaluators=403)),
    # The grades are the Council's: nobody but the managers reads them before approval.
    "evaluation_grades_csv": expect(staff=403, managers=200, evaluators=403),
    "task_detail": expect(lead=200, parent=200, supporting=200, unrelated=404,
                          metropolitan=404, managers=200, evaluators=403),
    "secret_task_detail": expect(staff=404, managers=200, evaluators=403),
    "evidence": expect(lead=200, parent=200, supporting=200, unrelated=404, metropolitan=404,
                       managers=200, evaluator=200, unassigned=404),
    "secret_evidence": expect(staff=404, managers=200, evaluators=404),
    "regional_evidence": expect(staff=404, metropolitan=200, managers=200, evaluators=404),
}


def site_url(name, world):
    year = world["plan"].year
    if name in PAGES:
        return PAGES[name](world)
    return {
        "evaluation_grades_csv": lambda: reverse("tracker:evaluation_grades_csv", args=[year]),
        "task_detail": lambda: reverse("tracker:task_detail", args=[year, 17]),
        "secret_task_detail": lambda: reverse("tracker:task_detail", args=[year, 18]),
        "evidence": lambda: reverse("tracker:evidence_download",
                                    args=[evidence_of(world, "target").pk]),
        "secret_evidence": lambda: reverse("tracker:evidence_download",
                                           args=[evidence_of(world, "secret").pk]),
        "regional_evidence": lambda: reverse("tracker:evidence_download",
                                             args=[evidence_of(world, "regional").pk]),
    }[name]()


# Most of these pages are cached whole (kipplan.page_cache), each user's their own. The site's
# matrices read every URL twice, cold then warm, the managers first each time: their pages, which
# show the most, are in the cache before anyone else asks for the same URL.

READING_ORDER = MANAGERS + [role for role in ROLES if role not in MANAGERS]


def read_cold_then_warm(client, world, url):
    """Yields (role, response, body) as every role reads the URL, in READING_ORDER, twice. A page
    the cache keeps is each role's own: rendered for them (a miss) the first time, though a
    manager's page of the URL is stored by then, and served again (a hit, the same page) the
    second; anything else (a refusal, an export) is not stored, and is the same the second
    time. Were the key to leave the user out, the staff's and evaluators' first reads would be
    hits of a manager's page."""
    cold = {}
    for warm in (False, True):
        for role in READING_ORDER:
            client.logout()
            if world["users"][role] is not None:
                client.force_login(world["users"][role])
            response = client.get(url)
            body = body_of(response)
            if not warm:
                cold[role] = response, body
            else:
                first, first_body = cold[role]
                assert response.status_code == first.status_code, (role, url)
                if kept(url) and first.status_code == 200:
                    assert (first[HEADER], response[HEADER]) == ("miss", "hit"), (role, url)
                    assert without_csrf(body) == without_csrf(first_body), (role, url)
                else:
                    assert HEADER not in first and HEADER not in response, (role, url)
            yield role, response, body


@pytest.mark.parametrize("name", SITE)
def test_site_evaluation_matrix(client, world, name):
    # Reading changes nothing: one world serves every role, and the cache stays warm.
    for role, response, body in read_cold_then_warm(client, world, site_url(name, world)):
        expected = 302 if role == "anonymous" else SITE[name][role]
        assert response.status_code == expected, (role, name)
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]
        never_leaks(role, body, name)


def test_evidence_downloads_as_an_attachment_never_sniffed(client, world):
    client.force_login(world["users"]["evaluator"])

    response = client.get(reverse("tracker:evidence_download",
                                  args=[evidence_of(world, "target").pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response).encode() == PDF


@pytest.mark.parametrize("role", STAFF + MANAGERS + EVALUATORS)
def test_an_evidence_file_is_never_changed_through_its_download(client, world, role):
    client.force_login(world["users"][role])
    url = reverse("tracker:evidence_download", args=[evidence_of(world, "target").pk])

    response = client.post(url, {"file": SimpleUploadedFile("x.pdf", PDF)})

    assert response.status_code == 405
    assert EvidenceFile.objects.count() == 4


@pytest.mark.parametrize("role", EVALUATORS)
def test_an_evaluator_starts_on_their_assignments(client, world, role):
    client.force_login(world["users"][role])

    response = client.get(reverse("tracker:start"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_assignment_changelist")


# -- Bad input, through the HTTP endpoints --------------------------------------------------------

def score_url(world):
    return reverse("admin:tracker_assignment_change", args=[world["mine"].pk])


def score_post(world, value, **more):
    mine = Assignment.objects.get(pk=world["mine"].pk)
    return {**{f"criterion_{c.pk}": value for c in evaluation.applicable_criteria(mine)},
            "comment": "바뀐 의견", "version": mine.version, **more}


def scores_of(world):
    return sorted(Score.objects.filter(assignment=world["mine"]).values_list(
        "criterion_id", "value"))


@pytest.mark.parametrize("value", ["101", "-1", "100.001", "abc", "NaN", "Infinity", "1e400",
                                   "-0.01"])
def test_a_score_outside_the_scale_is_refused_with_a_message(client, world, value):
    client.force_login(world["users"]["evaluator"])
    before, version = scores_of(world), Assignment.objects.get(pk=world["mine"].pk).version

    response = client.post(score_url(world), score_post(world, value), HTTP_ACCEPT_LANGUAGE="en")

    body = body_of(response)
    assert response.status_code == 200 and "errorlist" in body
    assert scores_of(world) == before
    mine = Assignment.objects.get(pk=world["mine"].pk)
    assert (mine.version, mine.comment) == (version, MY_COMMENT)


def test_a_score_for_a_criterion_of_another_round_is_never_stored(client, world):
    foreign = round_at(RoundState.EVALUATION, PlanFactory(year=2023)).criteria.first()
    client.force_login(world["users"]["evaluator"])
    before = scores_of(world)

    response = client.post(score_url(world),
                           score_post(world, MY_SCORE, **{f"criterion_{foreign.pk}": "12"}))

    assert response.status_code == 302  # the evaluator's own scores are saved
    assert not Score.objects.filter(criterion=foreign).exists()
    assert scores_of(world) == before


def test_a_score_for_a_criterion_of_other_units_is_never_stored(client, world):
    """The institutions' own criteria are not scored for a ministry's project."""
    regional_only = world["round"].criteria.filter(institutions_only=True).first()
    client.force_login(world["users"]["evaluator"])

    client.post(score_url(world), score_post(world, MY_SCORE,
                                             **{f"criterion_{regional_only.pk}": "12"}))

    assert not Score.objects.filter(criterion=regional_only).exists()


def test_scores_after_approval_are_refused_with_a_message(client, world):
    EvaluationRound.objects.filter(pk=world["round"].pk).update(state=RoundState.APPROVED)
    client.force_login(world["users"]["evaluator"])
    before = scores_of(world)

    response = client.post(score_url(world), score_post(world, "10"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Scores are given while the round is being evaluated" in body_of(response)
    assert scores_of(world) == before


def test_an_evaluator_cannot_score_another_evaluators_assignment(client, world):
    client.force_login(world["users"]["evaluator"])
    theirs = world["theirs"]

    response = client.post(reverse("admin:tracker_assignment_change", args=[theirs.pk]), {
        **{f"criterion_{c.pk}": "1" for c in evaluation.applicable_criteria(theirs)},
        "comment": "덮어쓰기", "version": Assignment.objects.get(pk=theirs.pk).version})

    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.comment == PEER_COMMENT
    assert set(theirs.scores.values_list("value", flat=True)) == {Decimal(PEER_SCORE)}


def assign_post(client, world, **data):
    return client.post(reverse("admin:tracker_assignment_add"),
                       {"round": world["round"].pk, **data}, HTTP_ACCEPT_LANGUAGE="en")


def test_assigning_an_evaluator_of_the_units_agency_or_its_parent_or_child_is_refused(
        client, world, agency, team):
    client.force_login(world["users"]["manager"])
    target = world["tasks"]["target"]  # KISTA's: KIPO is its parent, the team its child
    insiders = [evaluator("insider-kista", world["kista"]), evaluator("insider-kipo", agency),
                evaluator("insider-team", team)]
    before = Assignment.objects.count()

    responses = [assign_post(client, world, evaluator=who.pk, task=target.pk)
                 for who in insiders]

    for response in responses:
        assert response.status_code == 200
        assert "cannot evaluate it" in body_of(response)
    assert Assignment.objects.count() == before


def test_assigning_twice_or_a_non_evaluator_or_both_a_task_and_an_institution_is_refused(
        client, world):
    client.force_login(world["users"]["manager"])
    target = world["tasks"]["target"]
    before = Assignment.objects.count()

    twice = assign_post(client, world, evaluator=world["users"]["evaluator"].pk,
                        task=target.pk)
    staff = assign_post(client, world, evaluator=world["users"]["unrelated"].pk,
                        task=target.pk)
    both = assign_post(client, world, evaluator=evaluator("both").pk, task=target.pk,
                       agency=world["incheon"].pk)
    neither = assign_post(client, world, evaluator=evaluator("neither").pk)
    regional_task = assign_post(client, world, evaluator=evaluator("city").pk,
                                task=world["tasks"]["regional"].pk)

    assert "already assigned" in body_of(twice)
    for response in (twice, staff, both, neither, regional_task):
        assert response.status_code == 200 and "errornote" in body_of(response)
    assert Assignment.objects.count() == before


def test_assigning_in_an_approved_round_is_refused(client, world):
    EvaluationRound.objects.filter(pk=world["round"].pk).update(state=RoundState.APPROVED)
    client.force_login(world["users"]["manager"])
    before = Assignment.objects.count()

    added = assign_post(client, world, evaluator=evaluator("late").pk,
                        task=world["tasks"]["secret"].pk)
    removed = client.post(reverse("admin:tracker_assignment_delete",
                                  args=[world["elsewhere"].pk]), {"post": "yes"})

    assert added.status_code == 200 and "errornote" in body_of(added)
    assert removed.status_code == 403
    assert Assignment.objects.count() == before


def results_post(client, world, data, role="lead"):
    client.force_login(world["users"][role])
    url = reverse("admin:tracker_task_results", args=[world["tasks"]["target"].pk])
    return client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def approve(world):
    EvaluationRound.objects.filter(pk=world["round"].pk).update(state=RoundState.APPROVED)


def test_submitting_withdrawing_or_saving_results_after_approval_is_refused(client, world):
    approve(world)
    result = Result.objects.get(task=world["tasks"]["target"])
    Result.objects.filter(pk=result.pk).update(state=ResultState.DRAFT, submitted_at=None,
                                              is_late=False)

    target = world["tasks"]["target"]
    responses = [results_post(client, world, data) for data in (
        results_data(target, "submit"), results_data(target, "withdraw"),
        results_data(target, achievements="승인 후 수정"),
        results_data(target, files=SimpleUploadedFile("late.pdf", PDF)),
        results_data(target, f"withdraw_evidence:{evidence_of(world, 'target').pk}"))]

    for response in responses:
        assert response.status_code == 200
        assert "has been approved" in body_of(response)
    after = Result.objects.get(pk=result.pk)
    assert (after.state, after.achievements, after.version) == (
        ResultState.DRAFT, TARGET_RESULT, result.version)
    assert EvidenceFile.objects.filter(result=result, withdrawn_at=None).count() == 1


def test_grades_after_approval_are_refused(client, world):
    approve(world)
    client.force_login(world["users"]["manager"])
    target = world["tasks"]["target"]

    response = client.post(
        reverse("admin:tracker_evaluationround_grades", args=[world["round"].pk]),
        {f"task-{target.pk}-grade": "outstanding", f"task-{target.pk}-reason": "승인 후"})

    assert response.status_code == 403
    assert not Grade.objects.exists()


@pytest.mark.parametrize("grade, reason, message", [
    ("best", "", "Select a valid choice"),
    ("outstanding", "", "say why the grade is different"),
    ("insufficient", "   ", "say why the grade is different"),
])
def test_a_bad_grade_is_refused_on_its_row(client, world, grade, reason, message):
    client.force_login(world["users"]["manager"])
    target = world["tasks"]["target"]

    response = client.post(
        reverse("admin:tracker_evaluationround_grades", args=[world["round"].pk]),
        {f"task-{target.pk}-grade": grade, f"task-{target.pk}-reason": reason},
        HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and message in body_of(response)
    assert not Grade.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"action": "save", "achievements": "x", "version": "0", "actual_{indicator}": "-5"},
     "greater than or equal to 0"),
    ({"action": "save", "achievements": "x", "version": "0", "actual_{indicator}": "abc"},
     "Enter a number"),
    ({"action": "save", "achievements": "x", "version": "zero"}, "Enter a whole number"),
    ({"action": "delete"}, "Choose what to do"),
    ({}, "Choose what to do"),
    ({"action": "withdraw_evidence:../1", "whole form": True}, "No such evidence file"),
    ({"action": "save", "achievements": "x"}, "This field is required"),
])
def test_bad_results_input_gives_a_message_and_stores_nothing(client, world, data, message):
    indicator = world["tasks"]["target"].performance_indicators.get()
    data = {key.format(indicator=indicator.pk): value for key, value in data.items()}
    if data.pop("whole form", False):  # the page's form as it stands, with this button
        data = results_data(world["tasks"]["target"], data["action"])
    before = Result.objects.get(task=world["tasks"]["target"])

    response = results_post(client, world, data)

    assert response.status_code == 200 and message in body_of(response)
    after = Result.objects.get(pk=before.pk)
    assert (after.achievements, after.version) == (before.achievements, before.version)
    indicator.refresh_from_db()
    assert indicator.actual == 150
    assert EvidenceFile.objects.count() == 4


def test_another_agencys_evidence_cannot_be_withdrawn_from_ones_own_task(client, world):
    secret = evidence_of(world, "secret")

    response = results_post(client, world, results_data(
        world["tasks"]["target"], f"withdraw_evidence:{secret.pk}"))

    assert "No such evidence file" in body_of(response)
    secret.refresh_from_db()
    assert not secret.withdrawn


def test_staff_cannot_write_another_agencys_results_by_posting(client, world):
    secret = world["tasks"]["secret"]
    client.force_login(world["users"]["lead"])

    response = client.post(reverse("admin:tracker_task_results", args=[secret.pk]), {
        "action": "save", "achievements": "침투 시도", "version": "1"})

    assert response.status_code == 404
    assert Result.objects.get(task=secret).achievements == SECRET_RESULT


def test_the_round_moves_only_for_managers(client, world):
    round_ = world["round"]
    for task in world["tasks"].values():
        if task.lead_agency.kind != AgencyKind.METROPOLITAN:
            evaluation.set_grade(round_, task=task, grade="satisfactory", reason="근거",
                                 user=plan_manager())
    evaluation.set_grade(round_, agency=world["incheon"], grade="satisfactory", reason="근거",
                         user=plan_manager())
    url = reverse("admin:tracker_evaluationround_step", args=[round_.pk])
    data = {"reason": "의결", "seen": ""}

    refused = {}
    for role in STAFF + EVALUATORS:
        client.force_login(world["users"][role])
        refused[role] = client.post(url, data).status_code
    unchanged = EvaluationRound.objects.get(pk=round_.pk).state
    client.force_login(world["users"]["manager"])
    moved = take_step(client, round_, reason="의결")

    assert set(refused.values()) <= {403, 404}
    assert unchanged == RoundState.EVALUATION
    assert moved.status_code == 302
    assert EvaluationRound.objects.get(pk=round_.pk).state == RoundState.APPROVED


# -- Once the Council has approved the grades ------------------------------------------------------

SECRET_REASON = "SECRET-REASON 타기관등급사유"


def approve_with_grades(world):
    """Grade every unit (the target in its band, the others with reasons) and approve."""
    round_, tasks = world["round"], world["tasks"]
    evaluation.set_grade(round_, task=tasks["target"], grade="excellent", user=plan_manager())
    evaluation.set_grade(round_, task=tasks["secret"], grade="outstanding", reason=SECRET_REASON,
                         user=plan_manager())
    evaluation.set_grade(round_, task=tasks["customs"], grade="satisfactory", reason="근거",
                         user=plan_manager())
    evaluation.set_grade(round_, agency=world["incheon"], grade="outstanding", reason="근거",
                         user=plan_manager())
    evaluation.advance(round_, RoundState.APPROVED, user=plan_manager(), reason="시험 진행")


APPROVED = {
    "evaluation": expect(staff=200, managers=200, evaluators=403),
    "evaluation_grades_csv": expect(staff=200, managers=200, evaluators=403),
    "evaluation_results_csv": expect(staff=200, managers=200, evaluators=403),
    "evaluation_results_xlsx": expect(staff=200, managers=200, evaluators=403),
    "task_detail": SITE["task_detail"],
    "agency_detail": SITE["agency_detail"],
    "metropolitan_detail": SITE["metropolitan_detail"],
    "dashboard": SITE["dashboard"],
}
@pytest.mark.parametrize("name", APPROVED)
def test_after_approval_each_role_reads_only_its_own_grades(client, world, name):
    approve_with_grades(world)
    for role, response, body in read_cold_then_warm(client, world, site_url(name, world)):
        expected = 302 if role == "anonymous" else APPROVED[name][role]
        assert response.status_code == expected, (role, name)
        never_leaks(role, body, name)
        if role not in MANAGERS:
            assert SECRET_REASON not in body, (role, name)


@pytest.mark.parametrize("role", ["lead", "parent", "supporting"])
def test_the_agency_sees_its_grade_on_the_task_page_once_approved(client, world, role):
    client.force_login(world["users"][role])
    url = reverse("tracker:task_detail", args=[world["plan"].year, 17])

    before = body_of(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    approve_with_grades(world)
    after = body_of(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))

    assert TARGET_RESULT in before and TARGET_RESULT in after
    assert "Excellent" not in before
    assert "Excellent" in after
    assert MEAN not in after


def test_the_metropolitan_government_sees_its_institutions_grade(client, world):
    client.force_login(world["users"]["metropolitan"])
    url = reverse("tracker:agency_detail", args=["incheon"])

    before = body_of(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    approve_with_grades(world)
    after = body_of(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))

    assert "Outstanding" not in before and "Outstanding" in after
    assert REGIONAL in after and SECRET not in after


@pytest.mark.parametrize("role", ["anonymous", "evaluator", "unrelated"])
def test_published_pages_show_grades_and_summaries_but_never_the_panel(client, world, settings,
                                                                       role):
    approve_with_grades(world)
    evaluation.advance(world["round"], RoundState.PUBLISHED, user=plan_manager(),
                       reason="시험 진행")
    settings.KIPPLAN_PUBLIC_PAGES = True
    urls = {name: site_url(name, world) for name in (
        "evaluation", "evaluation_grades_csv", "evaluation_results_csv", "task_detail")}
    client.force_login(world["users"]["manager"])
    for url in urls.values():  # the manager's pages, the panel on them, in the cache first
        assert client.get(url).status_code == 200, url
    client.logout()
    user = world["users"][role]
    if user is not None:
        client.force_login(user)

    pages = {name: client.get(url) for name, url in urls.items()}

    for name, response in pages.items():
        assert response.status_code == 200, name
        if kept(urls[name]):
            assert response[HEADER] == "miss", name  # their own page, not the manager's
        body = body_of(response)
        own = (ASSIGNED,) if role == "evaluator" else ()  # their name, as they are logged in
        for secret in {PEER, ASSIGNED, PEER_COMMENT, MY_COMMENT, PEER_SCORE, MY_SCORE, MEAN,
                       SECRET_REASON, SECRET_RESULT, TARGET_RESULT, SECRET_FILE,
                       "target-evidence.pdf"} - set(own):
            assert secret not in body, (role, name, secret)
