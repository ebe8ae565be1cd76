"""Budget advice (재원배분방향): the services (graded projects of the round only, managers only,
a reason, a stale form refused, open from evaluation until publication), the sums by strategy,
lead agency and grade, and who reads what on the site page, its XLSX and the admin."""

import datetime
import io
import re
import threading
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests.factories import (
    AgencyFactory,
    PlanFactory,
    StrategyFactory,
    TaskFactory,
    build_plan,
    evaluator,
    round_at,
)
from tests.helpers import rendered, round_form, round_page
from tracker.common.stale import StaleEdit
from tracker.evaluation.selectors import reader_of
from tracker.follow_up import advice
from tracker.models import (
    Agency,
    AgencyKind,
    BudgetAdvice,
    Grade,
    GradeLevel,
    Recommendation,
    RoundState,
    Task,
)
from tracker.plans import agency_names as names

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages in English (test_i18n covers Korean)."""
    with translation.override("en"):
        yield

INCREASE, KEEP, CUT, CONDITIONAL = (Recommendation.INCREASE, Recommendation.KEEP,
                                    Recommendation.CUT, Recommendation.CONDITIONAL)
REASONS = {17: "성과 우수로 증액 권고", 18: "현 수준 유지 권고", 19: "확대 필요성 인정",
           20: "성과 미흡: 조건부 유지"}


def text_of(response):
    return unescape(re.sub(r"<[^>]*>", " ", response.content.decode()))


def page_url(year=2024):
    return reverse("tracker:budget_advice", args=[year])


def xlsx_url(year=2024):
    return reverse("tracker:budget_advice_xlsx", args=[year])




def set_state(round_, state):
    type(round_).objects.filter(pk=round_.pk).update(state=state)
    round_.refresh_from_db()


@pytest.fixture
def second_strategy(plan):
    return StrategyFactory(plan=plan, number=2)


@pytest.fixture
def incheon(db):
    return AgencyFactory(name_ko="인천광역시", name_en="Incheon", abbreviation="",
                         slug="incheon", kind=AgencyKind.METROPOLITAN)


@pytest.fixture
def projects(plan, strategy, second_strategy, agency, other_agency, incheon):
    """KIPO's 17 (strategy 1) and 18 (strategy 2), MCST's 19 (strategy 1) and 20 (strategy 2),
    MCST's 21 not graded, Incheon's 22 (graded with the institution)."""
    made = {}
    for number, lead, under in [(17, agency, strategy), (18, agency, second_strategy),
                                (19, other_agency, strategy), (20, other_agency, second_strategy),
                                (21, other_agency, strategy), (22, incheon, strategy)]:
        made[number] = TaskFactory(plan=plan, strategy=under, lead_agency=lead, number=number,
                                   title_ko=f"과제 {number}")
    return made


@pytest.fixture
def round_(plan, projects, incheon):
    """Being evaluated, with 17 최우수, 18 보통, 19 우수, 20 미흡 and Incheon graded."""
    round_ = round_at(RoundState.EVALUATION, plan)
    for number, level, mean in [(17, GradeLevel.OUTSTANDING, "95.10"),
                                (18, GradeLevel.SATISFACTORY, "71.00"),
                                (19, GradeLevel.EXCELLENT, "88.40"),
                                (20, GradeLevel.INSUFFICIENT, "52.25")]:
        Grade.objects.create(round=round_, task=projects[number], grade=level, mean=mean)
    Grade.objects.create(round=round_, agency=incheon, grade=GradeLevel.OUTSTANDING, mean=93)
    return round_


@pytest.fixture
def advised(round_, projects, manager):
    """17 and 19 to increase, 18 to keep, 20 on conditions."""
    for number, recommendation in [(17, INCREASE), (18, KEEP), (19, INCREASE),
                                   (20, CONDITIONAL)]:
        advice.set_advice(round_=round_, task=projects[number], recommendation=recommendation,
                          reason=REASONS[number], user=manager)
    return round_


@pytest.fixture
def approved(advised):
    set_state(advised, RoundState.APPROVED)
    return advised


@pytest.fixture
def published(advised):
    set_state(advised, RoundState.PUBLISHED)
    return advised


@pytest.fixture
def sent(published):
    """Published, and its annual report marked as sent: the advice's last use."""
    from tracker.publishing.models import AnnualReport

    AnnualReport.objects.create(plan=published.plan, sent_on=datetime.date(2025, 3, 28),
                                generated_at=timezone.now())
    return published


@pytest.fixture
def mcst_staff(other_agency, make_staff):
    return make_staff(other_agency, username="mcst-staff")


@pytest.fixture
def stranger(make_staff):
    """Staff of an agency that leads none of the plan's tasks."""
    return make_staff(AgencyFactory(slug="kcc", name_ko="방송통신위원회"),
                      username="kcc-staff")


@pytest.fixture
def expert(db):
    return evaluator("ev-advice")


# -- The services ---------------------------------------------------------------------------------

def test_a_manager_advises_a_graded_project_for_the_year_after_next(round_, projects, manager):
    given = advice.set_advice(round_=round_, task=projects[17], recommendation=INCREASE,
                              reason="  성과 우수  ", user=manager)

    stored = BudgetAdvice.objects.get(round=round_, task=projects[17])
    assert (stored.pk, stored.recommendation, stored.reason) == (given.pk, INCREASE, "성과 우수")
    assert stored.for_year == 2026 and stored.version == 1 and stored.updated_by == manager


def test_advice_on_a_project_that_was_not_graded_is_refused(round_, projects, manager):
    with pytest.raises(ValidationError, match="was not graded in this round"):
        advice.set_advice(round_=round_, task=projects[21], recommendation=KEEP,
                          reason="이유", user=manager)
    with pytest.raises(ValidationError, match="was not graded in this round"):
        advice.set_advice(round_=round_, task=projects[22], recommendation=KEEP,  # a city's
                          reason="이유", user=manager)
    assert not BudgetAdvice.objects.exists()


def test_advice_on_a_task_of_another_plans_round_is_refused(round_, manager, agency):
    later = PlanFactory(year=2025)
    theirs = TaskFactory(plan=later, strategy=StrategyFactory(plan=later), lead_agency=agency,
                         number=1)

    with pytest.raises(ValidationError, match="belongs to another plan"):
        advice.set_advice(round_=round_, task=theirs, recommendation=KEEP, reason="이유",
                          user=manager)
    assert not BudgetAdvice.objects.exists()


@pytest.mark.parametrize("who", ["staff", "expert"])
def test_only_managers_give_or_take_back_advice(request, advised, projects, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        advice.set_advice(round_=advised, task=projects[17], recommendation=CUT, reason="삭감",
                          user=user, version=1)
    with pytest.raises(PermissionDenied):
        advice.remove_advice(round_=advised, task=projects[17], user=user, version=1)
    assert BudgetAdvice.objects.get(task=projects[17]).recommendation == INCREASE


@pytest.mark.parametrize("reason", ["", "   "])
def test_advice_without_a_reason_is_refused(round_, projects, manager, reason):
    with pytest.raises(ValidationError) as raised:
        advice.set_advice(round_=round_, task=projects[17], recommendation=INCREASE,
                          reason=reason, user=manager)
    assert "reason" in raised.value.message_dict
    assert not BudgetAdvice.objects.exists()


def test_an_unknown_recommendation_is_refused(round_, projects, manager):
    with pytest.raises(ValidationError) as raised:
        advice.set_advice(round_=round_, task=projects[17], recommendation="double",
                          reason="이유", user=manager)
    assert "recommendation" in raised.value.message_dict
    assert not BudgetAdvice.objects.exists()


def test_a_stale_form_never_overwrites_the_advice(advised, projects, manager):
    task = projects[17]
    # Two managers opened version 1; the first saves, the second is refused.
    advice.set_advice(round_=advised, task=task, recommendation=KEEP, reason="유지로 변경",
                      user=manager, version=1)
    with pytest.raises(StaleEdit, match="after you opened this page"):
        advice.set_advice(round_=advised, task=task, recommendation=CUT, reason="삭감",
                          user=manager, version=1)
    # A form opened when there was no advice yet is stale too.
    with pytest.raises(StaleEdit):
        advice.set_advice(round_=advised, task=task, recommendation=CUT, reason="삭감",
                          user=manager, version=None)
    with pytest.raises(StaleEdit):
        advice.remove_advice(round_=advised, task=task, user=manager, version=1)

    stored = BudgetAdvice.objects.get(task=task)
    assert (stored.recommendation, stored.reason, stored.version) == (KEEP, "유지로 변경", 2)


def test_removed_advice_is_gone_and_a_form_from_before_says_so(advised, projects, manager):
    advice.remove_advice(round_=advised, task=projects[18], user=manager, version=1)

    assert not BudgetAdvice.objects.filter(task=projects[18]).exists()
    with pytest.raises(StaleEdit, match="was removed"):
        advice.set_advice(round_=advised, task=projects[18], recommendation=KEEP, reason="유지",
                          user=manager, version=1)


@pytest.mark.parametrize("state, allowed", [
    (RoundState.PREPARING, False), (RoundState.SUBMISSION, False),
    (RoundState.EVALUATION, True), (RoundState.APPROVED, True), (RoundState.PUBLISHED, True),
])
def test_advice_is_written_from_evaluation_until_the_report_is_sent(round_, projects, manager,
                                                                    state, allowed):
    set_state(round_, state)
    if allowed:
        advice.set_advice(round_=round_, task=projects[17], recommendation=KEEP, reason="유지",
                          user=manager)
        assert BudgetAdvice.objects.count() == 1
    else:
        with pytest.raises(ValidationError, match="published|being evaluated"):
            advice.set_advice(round_=round_, task=projects[17], recommendation=KEEP,
                              reason="유지", user=manager)
        assert not BudgetAdvice.objects.exists()


def test_advice_cannot_be_changed_once_the_annual_report_is_sent(sent, projects, manager):
    with pytest.raises(ValidationError, match="annual report was sent|연차보고서"):
        advice.remove_advice(round_=sent, task=projects[17], user=manager, version=1)
    assert BudgetAdvice.objects.count() == 4


def test_a_published_rounds_advice_is_corrected_until_the_report_is_sent(published, projects,
                                                                         manager):
    advice.set_advice(round_=published, task=projects[17], recommendation=CUT,
                      reason="국회 보고 전 정정", user=manager, version=1)
    assert BudgetAdvice.objects.get(task=projects[17]).recommendation == CUT


def test_the_window_is_a_setting_closing_at_publication_if_asked(published, projects, manager,
                                                                 settings):
    settings.KIPPLAN_ADVICE_OPEN_UNTIL = "publication"
    with pytest.raises(ValidationError, match="published|공개"):
        advice.set_advice(round_=published, task=projects[17], recommendation=CUT,
                          reason="정정", user=manager, version=1)


# -- The sums -------------------------------------------------------------------------------------

def counts(row):
    return {choice.value: projects for choice, projects in row.counts}


def test_the_sums_by_strategy_agency_and_grade_match_a_hand_count(advised, manager, korean):
    summary = advice.advice_summary(advised, reader_of(manager, advised))

    zero = {INCREASE: 0, KEEP: 0, CUT: 0, CONDITIONAL: 0}
    assert counts(summary.total) == {**zero, INCREASE: 2, KEEP: 1, CONDITIONAL: 1}
    assert summary.total.total == 4 and summary.for_year == 2026
    assert [(row.label.split(". ")[0], counts(row)) for row in summary.by_strategy] == [
        ("1", {**zero, INCREASE: 2}), ("2", {**zero, KEEP: 1, CONDITIONAL: 1})]
    assert {row.label: counts(row) for row in summary.by_agency} == {
        "특허청": {**zero, INCREASE: 1, KEEP: 1},
        "문화체육관광부": {**zero, INCREASE: 1, CONDITIONAL: 1}}
    assert [(row.label, counts(row)) for row in summary.by_grade] == [
        (GradeLevel.OUTSTANDING.label, {**zero, INCREASE: 1}),
        (GradeLevel.EXCELLENT.label, {**zero, INCREASE: 1}),
        (GradeLevel.SATISFACTORY.label, {**zero, KEEP: 1}),
        (GradeLevel.INSUFFICIENT.label, {**zero, CONDITIONAL: 1})]
    assert summary.graded == 4 and summary.unadvised == 0


@pytest.fixture
def korean():
    from django.utils import translation

    with translation.override("ko"):
        yield


def test_the_agencies_are_named_as_the_plans_year_names_them(advised, manager, agency, korean):
    names.rename(agency, name_ko="지식재산처", effective=datetime.date(2025, 10, 1))

    summary = advice.advice_summary(advised, reader_of(manager, advised))

    zero = {INCREASE: 0, KEEP: 0, CUT: 0, CONDITIONAL: 0}
    assert {row.label: counts(row) for row in summary.by_agency} == {
        "특허청": {**zero, INCREASE: 1, KEEP: 1},
        "문화체육관광부": {**zero, INCREASE: 1, CONDITIONAL: 1}}


def test_staff_sums_count_their_agencies_projects_once_approved(advised, staff, korean):
    assert advice.advice_summary(advised, reader_of(staff, advised)).total.total == 0
    set_state(advised, RoundState.APPROVED)

    summary = advice.advice_summary(advised, reader_of(staff, advised))

    assert [row.label for row in summary.by_agency] == ["특허청"]
    assert summary.total.total == 2 and summary.graded is None


def test_unadvised_graded_projects_are_counted_for_managers(round_, projects, manager):
    advice.set_advice(round_=round_, task=projects[17], recommendation=INCREASE, reason="증액",
                      user=manager)

    summary = advice.advice_summary(round_, reader_of(manager, round_))

    assert summary.graded == 4 and summary.unadvised == 3


def test_the_2020_agenda_sums_36_to_increase_18_to_keep_and_1_on_conditions(manager):
    """The Council's figures for the 2020 results: 36 to increase (11 rated 우수 or better, 25
    보통), 18 to keep, 1 to keep or cut on conditions."""
    plan = build_plan(55, year=2020)
    round_ = round_at(RoundState.APPROVED, plan)
    tasks = list(Task.objects.filter(plan=plan).order_by("number"))
    plan_of = ([(GradeLevel.EXCELLENT, INCREASE)] * 11 + [(GradeLevel.SATISFACTORY, INCREASE)] * 25
               + [(GradeLevel.SATISFACTORY, KEEP)] * 18 + [(GradeLevel.INSUFFICIENT, CONDITIONAL)])
    Grade.objects.bulk_create(Grade(round=round_, task=task, grade=level)
                              for task, (level, _r) in zip(tasks, plan_of, strict=True))
    BudgetAdvice.objects.bulk_create(
        BudgetAdvice(round=round_, task=task, recommendation=choice, reason="예시", for_year=2022,
                     updated_by=manager)
        for task, (_l, choice) in zip(tasks, plan_of, strict=True))

    summary = advice.advice_summary(round_, reader_of(manager, round_))

    assert (counts(summary.total)[INCREASE], counts(summary.total)[KEEP],
            counts(summary.total)[CONDITIONAL]) == (36, 18, 1)
    by_grade = {row.label: counts(row) for row in summary.by_grade}
    assert by_grade[GradeLevel.EXCELLENT.label][INCREASE] == 11
    assert by_grade[GradeLevel.SATISFACTORY.label][INCREASE] == 25
    assert sum(row.total for row in summary.by_strategy) == 55
    assert sum(row.total for row in summary.by_agency) == 55


# -- The page and its XLSX: who reads what --------------------------------------------------------

def sheets_of(response):
    body = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return {name: [list(row) for row in workbook[name].iter_rows(values_only=True)]
            for name in workbook.sheetnames}, workbook.sheetnames


def reasons_in(text):
    return {number for number, reason in REASONS.items() if reason in text}


@pytest.mark.parametrize("who, state, status, reasons, mean", [
    ("manager", RoundState.EVALUATION, 200, {17, 18, 19, 20}, True),
    ("manager", RoundState.APPROVED, 200, {17, 18, 19, 20}, True),
    ("staff", RoundState.EVALUATION, 200, set(), False),  # the Council's until approved
    ("staff", RoundState.APPROVED, 200, {17, 18}, False),  # KIPO's projects only
    ("mcst_staff", RoundState.APPROVED, 200, {19, 20}, False),
    ("stranger", RoundState.APPROVED, 200, set(), False),
    ("staff", RoundState.PUBLISHED, 200, {17, 18, 19, 20}, False),  # public by then
    ("expert", RoundState.PUBLISHED, 403, set(), False),
    (None, RoundState.PUBLISHED, 302, set(), False),  # to the login page
])
def test_the_page_shows_each_reader_what_they_may_read(request, client, advised, who, state,
                                                       status, reasons, mean):
    set_state(advised, state)
    if who:
        client.force_login(request.getfixturevalue(who))

    response = client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == status
    if status == 200:
        text = text_of(response)
        assert reasons_in(text) == reasons
        assert ("95.10" in text) is mean  # panel means: managers only


def test_the_page_sums_as_the_agenda_does(client, advised, manager):
    client.force_login(manager)

    page = client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en")
    text = " ".join(text_of(page).split())

    assert "4 projects advised" in text and "The advice is for the 2026 budget." in text
    assert "2 Increase 1 Keep 0 Cut 1 Keep or cut on conditions" in text
    assert [table.title for table in page.context["summary"].tables] == [
        "By strategy", "By lead agency", "By grade"]


def test_staff_are_told_the_advice_comes_with_the_councils_approval(client, advised, staff):
    client.force_login(staff)

    text = text_of(client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en"))

    assert "shown once the Council approves it" in text
    assert client.get(xlsx_url()).status_code == 403


def test_managers_are_told_of_graded_projects_without_advice(client, round_, projects, manager):
    advice.set_advice(round_=round_, task=projects[17], recommendation=INCREASE, reason="증액",
                      user=manager)
    client.force_login(manager)

    text = " ".join(text_of(client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en")).split())

    assert "3 graded projects have no advice yet." in text


@pytest.mark.parametrize("state, status, reasons", [
    (RoundState.APPROVED, 200, set()),  # the page says it is not published; the file refuses
    (RoundState.PUBLISHED, 200, {17, 18, 19, 20}),
])
def test_public_pages_show_the_advice_once_published(client, settings, advised, expert, state,
                                                     status, reasons):
    settings.KIPPLAN_PUBLIC_PAGES = True
    set_state(advised, state)

    for user in (None, expert):  # anyone, and evaluators as anyone
        if user:
            client.force_login(user)
        page = client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == status
        assert reasons_in(text_of(page)) == reasons
        assert "95.10" not in text_of(page)
        assert client.get(xlsx_url()).status_code == (200 if reasons else 403)


def test_a_plan_without_a_round_says_so(client, manager, plan):
    client.force_login(manager)

    page = client.get(page_url(), HTTP_ACCEPT_LANGUAGE="en")

    assert "This plan has no evaluation round yet." in text_of(page)
    assert client.get(xlsx_url()).status_code == 403


def test_the_xlsx_has_the_sums_and_the_projects(client, advised, manager, korean):
    client.force_login(manager)

    response = client.get(xlsx_url(), HTTP_ACCEPT_LANGUAGE="ko")
    sheets, order = sheets_of(response)

    assert response["Content-Disposition"].endswith('kipplan-2024-budget-advice.xlsx"')
    assert order == ["추진전략별", "기관별", "등급별", "과제"]
    assert [row[1:] for row in sheets["추진전략별"][1:]] == [[2, 0, 0, 0, 2], [0, 1, 0, 1, 2],
                                                             [2, 1, 0, 1, 4]]
    assert {row[0]: row[1:] for row in sheets["기관별"][1:]} == {
        "특허청": [1, 1, 0, 0, 2], "문화체육관광부": [1, 0, 0, 1, 2],
        str(advice.advice_summary(advised, reader_of(manager, advised)).total.label):
            [2, 1, 0, 1, 4]}
    assert [row[1:] for row in sheets["등급별"][1:]] == [
        [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 0, 1, 1], [2, 1, 0, 1, 4]]
    projects = sheets["과제"]
    assert len(projects) == 5
    assert [row[0] for row in projects[1:]] == [
        Task.objects.get(number=n).code for n in (17, 18, 19, 20)]
    first = projects[1]
    assert first[2] == "특허청" and first[3] == str(GradeLevel.OUTSTANDING.label)
    assert float(first[4]) == 95.10 and first[5] == str(INCREASE.label)
    assert first[6] == REASONS[17] and first[7] == 2026


def test_staff_xlsx_holds_their_agencys_projects_only(client, approved, staff):
    client.force_login(staff)

    sheets, _order = sheets_of(client.get(xlsx_url(), HTTP_ACCEPT_LANGUAGE="en"))

    assert [row[5] for row in sheets["projects"][1:]] == [REASONS[17], REASONS[18]]
    assert len(sheets["projects"][0]) == 7  # no panel mean
    assert sheets["by strategy"][-1][-1] == 2


@pytest.mark.parametrize("who, status", [("expert", 403), (None, 302)])
def test_the_xlsx_refuses_evaluators_and_anonymous_users(request, client, published, who,
                                                         status):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.get(xlsx_url()).status_code == status


# -- The admin ------------------------------------------------------------------------------------

def listed(response):
    return {row.task.number for row in response.context["cl"].result_list}


@pytest.mark.parametrize("who, state, rows", [
    ("manager", RoundState.EVALUATION, {17, 18, 19, 20}),
    ("staff", RoundState.EVALUATION, set()),
    ("staff", RoundState.APPROVED, {17, 18}),
    ("staff", RoundState.PUBLISHED, {17, 18}),
    ("mcst_staff", RoundState.APPROVED, {19, 20}),
    ("stranger", RoundState.APPROVED, set()),
])
def test_the_admin_list_shows_each_reader_their_advice(request, client, advised, who, state,
                                                       rows):
    set_state(advised, state)
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("admin:tracker_budgetadvice_changelist"))

    assert response.status_code == 200 and listed(response) == rows


def test_another_agencys_advice_is_not_found_in_the_admin(client, approved, projects, staff):
    theirs = BudgetAdvice.objects.get(task=projects[19])
    mine = BudgetAdvice.objects.get(task=projects[17])
    client.force_login(staff)

    assert client.get(reverse("admin:tracker_budgetadvice_change", args=[theirs.pk])
                      ).status_code == 302  # the admin's "no such object"
    page = client.get(reverse("admin:tracker_budgetadvice_change", args=[mine.pk]))
    assert page.status_code == 200 and REASONS[17] in page.content.decode()
    assert "plan-manager" not in page.content.decode()  # who wrote it: managers only
    assert client.post(reverse("admin:tracker_budgetadvice_change", args=[mine.pk]),
                       {"recommendation": CUT, "reason": "삭감"}).status_code == 403
    assert BudgetAdvice.objects.get(pk=mine.pk).recommendation == INCREASE


@pytest.mark.parametrize("who, status", [("staff", 403), ("expert", 403), (None, 302)])
def test_the_admin_advice_pages_refuse_all_but_managers(request, client, approved, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))

    assert client.get(round_page(approved)).status_code == status
    assert client.post(round_page(approved), {}).status_code == status
    if who == "expert":
        assert client.get(reverse("admin:tracker_budgetadvice_changelist")).status_code == 403




def test_managers_advise_the_rounds_projects_on_one_page(client, round_, projects, manager):
    client.force_login(manager)
    page = client.get(round_page(round_), HTTP_ACCEPT_LANGUAGE="en")

    assert [row.task.number for row in page.context["rows"]] == [17, 18, 19, 20]
    assert "95.10" in page.content.decode()
    saved = client.post(round_page(round_), round_form(page, {
        17: (INCREASE, "증액"), 20: (CONDITIONAL, "조건부")}), follow=True,
        HTTP_ACCEPT_LANGUAGE="en")

    assert "Saved the advice on 2 projects." in saved.content.decode()
    assert dict(BudgetAdvice.objects.values_list("task__number", "recommendation")) == {
        17: INCREASE, 20: CONDITIONAL}
    # Taken back with "—", changed, and left alone.
    page = client.get(round_page(round_))
    client.post(round_page(round_), round_form(page, {17: ("", ""), 20: (CUT, "삭감")}))
    assert dict(BudgetAdvice.objects.values_list("task__number", "recommendation")) == {20: CUT}


def test_a_row_without_a_reason_saves_nothing_and_says_where(client, round_, projects, manager):
    client.force_login(manager)
    page = client.get(round_page(round_))

    response = client.post(round_page(round_), round_form(page, {
        17: (INCREASE, "증액"), 18: (KEEP, "")}), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "No advice was saved" in response.content.decode()
    rows = {row.task.number: row for row in response.context["rows"]}
    assert rows[18].form.errors and not rows[17].form.errors
    assert not BudgetAdvice.objects.exists()


def test_a_stale_tab_saves_nothing_and_then_saves_knowingly(client, advised, projects, manager):
    client.force_login(manager)
    old_tab = client.get(round_page(advised))
    advice.set_advice(round_=advised, task=projects[17], recommendation=KEEP, reason="유지",
                      user=manager, version=1)  # saved in another tab meanwhile

    response = client.post(round_page(advised), round_form(old_tab, {
        17: (CUT, "삭감"), 18: (CUT, "삭감")}), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and "after you opened this page" in (
        response.content.decode())
    assert dict(BudgetAdvice.objects.filter(task__number__in=[17, 18]).values_list(
        "task__number", "recommendation")) == {17: KEEP, 18: KEEP}
    # The page now holds the saved version: saving again overwrites knowingly.
    data = {key: value for key, value in response.context["rows"][0].form.data.items()}
    client.post(round_page(advised), data)
    assert dict(BudgetAdvice.objects.filter(task__number__in=[17, 18]).values_list(
        "task__number", "recommendation")) == {17: CUT, 18: CUT}


def test_the_advice_page_is_read_only_once_the_report_is_sent_and_keeps_what_was_typed(
        client, published, manager):
    from tracker.publishing.models import AnnualReport

    client.force_login(manager)
    open_page = client.get(round_page(published), HTTP_ACCEPT_LANGUAGE="en")
    AnnualReport.objects.create(plan=published.plan, sent_on=datetime.date(2025, 3, 28),
                                generated_at=timezone.now())

    page = client.get(round_page(published), HTTP_ACCEPT_LANGUAGE="en")
    typed = {**round_form(open_page), f"task-{published.plan.tasks.get(number=17).pk}-reason":
             "방금 고친 사유"}
    late = client.post(round_page(published), typed, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200 and REASONS[17] in page.content.decode()
    assert "no longer changes" in page.content.decode()
    assert 'name="task-' not in page.content.decode()
    assert late.status_code == 200 and "Nothing was saved" in late.content.decode()
    assert "방금 고친 사유" in late.content.decode()  # what was typed stays on the page
    assert not BudgetAdvice.objects.filter(reason="방금 고친 사유").exists()


def test_the_admin_list_links_managers_to_each_rounds_page(client, advised, manager):
    client.force_login(manager)

    page = client.get(reverse("admin:tracker_budgetadvice_changelist")).content.decode()

    assert round_page(advised) in page


# -- Queries --------------------------------------------------------------------------------------

def advise_in_bulk(plan, manager):
    round_ = round_at(RoundState.APPROVED, plan)
    tasks = list(Task.objects.filter(plan=plan))
    levels, choices = list(GradeLevel), list(Recommendation)
    Grade.objects.bulk_create(Grade(round=round_, task=task, grade=levels[n % 4], mean=60 + n % 40)
                              for n, task in enumerate(tasks))
    BudgetAdvice.objects.bulk_create(
        BudgetAdvice(round=round_, task=task, recommendation=choices[n % 4], reason=f"이유 {n}",
                     for_year=plan.year + 2, updated_by=manager)
        for n, task in enumerate(tasks))
    return round_


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_the_page_and_xlsx_run_as_many_queries_for_a_plan_ten_times_larger(
        client, manager, make_staff, role):
    small, large = build_plan(75, year=2024), build_plan(750, year=2025)
    users = {}
    for plan in (small, large):
        advise_in_bulk(plan, manager)
        users[plan.year] = manager if role == "manager" else make_staff(
            Agency.objects.get(slug=f"{plan.year}-agency-1"), username=f"staff-{plan.year}")
    counts = {}
    for name, url in [("page", page_url), ("xlsx", xlsx_url)]:
        for plan in (small, large):
            client.force_login(users[plan.year])
            counts[name, plan.year] = count_queries(client, url(plan.year))
    for name in ("page", "xlsx"):
        assert counts[name, 2024] == counts[name, 2025] <= 15, counts
    if role == "manager":  # the admin's page of a round, with a form for each project
        rounds = {plan.year: plan.evaluation_round for plan in (small, large)}
        client.force_login(manager)
        pages = [count_queries(client, round_page(rounds[year])) for year in (2024, 2025)]
        assert pages[0] == pages[1] <= 15, pages
    client.force_login(users[2025])
    page = rendered(client, page_url(2025)).context
    advised = page["summary"].total.total
    assert advised == 750 if role == "manager" else 0 < advised < 750


def test_the_demo_advice_sums_its_66_graded_projects(client, demo, manager):
    client.force_login(manager)

    page = client.get(page_url(2024), HTTP_ACCEPT_LANGUAGE="en")

    summary = page.context["summary"]
    assert summary.total.total == 66 == summary.graded and summary.for_year == 2026
    assert "Illustrative demo data" in text_of(page)
    assert sum(row.total for row in summary.by_agency) == 66


def test_task_links_lead_only_to_tasks_the_reader_sees(client, approved, projects, staff):
    """As on the evaluation page: staff reading their own advice are linked to their tasks;
    once published, when they read every agency's, to none (another's would be a 404)."""
    client.force_login(staff)
    before = client.get(page_url()).content.decode()
    set_state(approved, RoundState.PUBLISHED)

    after = client.get(page_url()).content.decode()

    assert reverse("tracker:task_detail", args=[2024, 17]) in before
    assert reasons_in(unescape(after)) == {17, 18, 19, 20}
    assert reverse("tracker:task_detail", args=[2024, 19]) not in after


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite serialises writes)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_advice_on_postgresql_keeps_one(round_, projects, manager):
    runs = 4
    barrier = threading.Barrier(runs)
    saved, refused = [], []

    def run(n):
        try:
            barrier.wait(timeout=10)
            saved.append(advice.set_advice(round_=round_, task=projects[17], recommendation=KEEP,
                                           reason=f"유지 {n}", user=manager).reason)
        except StaleEdit:
            refused.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[n]) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(saved) == 1 and len(refused) == runs - 1
    stored = BudgetAdvice.objects.get(task=projects[17])
    assert (stored.reason, stored.version) == (saved[0], 1)


def test_advice_closes_when_the_report_is_sent_even_before_publication(approved, projects,
                                                                       manager):
    from tracker.publishing.models import AnnualReport

    AnnualReport.objects.create(plan=approved.plan, sent_on=datetime.date(2025, 3, 28),
                                generated_at=timezone.now())
    with pytest.raises(ValidationError, match="annual report was sent|연차보고서"):
        advice.set_advice(round_=approved, task=projects[17], recommendation=CUT,
                          reason="정정", user=manager, version=1)
