"""A metropolitan government submits its own results as an institution (its regional IP
programmes, its own indicators, evidence), with or without national tasks; all 17 are graded.
On the code it replaces, Incheon, leading no task in 2025, could not submit results at all."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import AgencyFactory, TaskFactory, evaluator, round_at
from tests.helpers import pdf_bytes, plan_manager
from tracker.common.choices import AgencyKind
from tracker.evaluation import services as evaluation
from tracker.models import EvidenceFile, Result, RoundState

pytestmark = pytest.mark.django_db

TEXT = "인천 지식재산센터 운영, 지역 특화 IP 창출 지원 120건"


@pytest.fixture
def incheon(db):
    return AgencyFactory(slug="incheon", name_ko="인천광역시", kind=AgencyKind.METROPOLITAN)


@pytest.fixture
def incheon_staff(incheon, make_staff):
    return make_staff(incheon, username="incheon-staff")


@pytest.fixture
def round_(plan, task):
    """A round taking results; the plan's one task is a ministry's: Incheon leads none."""
    return round_at(RoundState.SUBMISSION, plan, submission_closes=datetime.date(2099, 1, 15),
                    evaluation_closes=None, meeting_date=None, published_on=None)


def page(round_, agency):
    return reverse("admin:tracker_institution_results", args=[round_.pk, agency.pk])


def form(**changes):
    data = {"achievements": TEXT, "problems": "", "next_steps": "", "summary_public": "",
            "version": 0, "action": "save",
            "indicators-TOTAL_FORMS": "2", "indicators-INITIAL_FORMS": "0",
            "indicators-MIN_NUM_FORMS": "0", "indicators-MAX_NUM_FORMS": "30",
            "indicators-0-name_ko": "지역 IP 창출 지원", "indicators-0-unit": "건",
            "indicators-0-target": "100", "indicators-0-actual": "120"}
    return {**data, **changes}


def test_every_metropolitan_government_is_graded_leading_a_task_or_not(round_, incheon):
    assert list(evaluation.graded_institutions(round_)) == [incheon]


def test_a_metropolitan_government_without_tasks_submits_its_results_with_evidence(
        client, round_, incheon, incheon_staff):
    client.force_login(incheon_staff)
    my_work = client.get(reverse("tracker:my_work")).content.decode()
    assert page(round_, incheon) in my_work  # its duty, one click away

    response = client.post(page(round_, incheon), form(
        action="submit", files=SimpleUploadedFile("인천_실적.pdf", pdf_bytes())), follow=True)

    assert response.status_code == 200
    result = Result.objects.get(institution=incheon, plan=round_.plan)
    assert (result.achievements, result.submitted) == (TEXT, True)
    assert [(i.name_ko, i.target, i.actual) for i in result.indicators.all()] == [
        ("지역 IP 창출 지원", 100, 120)]
    assert [e.name for e in result.evidence.all()] == ["인천_실적.pdf"]
    assert evaluation.unit_submitted(round_, agency=incheon)


def test_an_error_keeps_what_was_typed(client, round_, incheon, incheon_staff):
    client.force_login(incheon_staff)

    response = client.post(page(round_, incheon), form(**{"indicators-0-target": "-3"}))

    assert response.status_code == 200
    assert TEXT in response.content.decode()
    assert response.context["indicators"].errors[0]["target"]
    assert not Result.objects.exists()


def test_who_reads_and_writes_an_institutions_results(client, round_, incheon, incheon_staff,
                                                      staff, manager):
    evaluation.save_institution_result(round_=round_, agency=incheon, user=incheon_staff,
                                       achievements=TEXT, problems="", next_steps="",
                                       indicators=[], expected_version=0)
    panel = evaluator("panel-choi")
    evaluation.assign(round_=round_, evaluator=panel, agency=incheon, user=plan_manager())

    client.force_login(staff)  # another agency's staff
    assert client.get(page(round_, incheon)).status_code == 404
    assert client.post(page(round_, incheon), form()).status_code == 404
    client.force_login(manager)
    draft = client.get(page(round_, incheon)).content.decode()
    assert TEXT not in draft and "아직 추진실적을 제출하지 않았습니다" in draft
    evaluation.submit_institution_result(round_=round_, agency=incheon, user=incheon_staff)
    client.force_login(panel)
    assert TEXT in client.get(page(round_, incheon)).content.decode()
    assert client.post(page(round_, incheon), form(version=2)).status_code == 403


def test_the_national_tasks_it_leads_link_only_where_the_reader_may_go(
        client, plan, round_, incheon, incheon_staff, manager):
    led = TaskFactory(plan=plan, lead_agency=incheon, code="25-90")
    results = reverse("admin:tracker_task_results", args=[led.pk])
    panel = evaluator("panel-choi")
    evaluation.assign(round_=round_, evaluator=panel, agency=incheon, user=plan_manager())
    evaluation.save_institution_result(round_=round_, agency=incheon, user=incheon_staff,
                                       achievements=TEXT, problems="", next_steps="",
                                       indicators=[], expected_version=0)
    evaluation.submit_institution_result(round_=round_, agency=incheon, user=incheon_staff)
    for reader, linked in [(panel, False), (manager, True), (incheon_staff, True)]:
        client.force_login(reader)
        shown = client.get(page(round_, incheon)).content.decode()
        assert "25-90" in shown
        assert (f'href="{results}"' in shown) is linked, reader
        if linked:
            assert client.get(results).status_code == 200
    client.force_login(panel)
    scoring = reverse("admin:tracker_assignment_change", args=[panel.assignments.get().pk])
    assert f'href="{scoring}"' in client.get(page(round_, incheon)).content.decode()
    assert "25-90" in client.get(scoring).content.decode()


def test_a_draft_file_downloads_for_the_institution_only(client, round_, incheon,
                                                        incheon_staff, manager):
    from tracker.evaluation import evidence

    stored = evidence.add_evidence(user=incheon_staff, round_=round_, institution=incheon,
                                   upload=SimpleUploadedFile("초안.pdf", pdf_bytes()))
    url = reverse("tracker:evidence_download", args=[stored.pk])
    client.force_login(incheon_staff)
    assert client.get(url).status_code == 200
    client.force_login(manager)
    assert client.get(url).status_code == 404
    assert EvidenceFile.objects.get().result.institution == incheon


def test_the_step_to_evaluation_counts_the_institutions_that_have_not_submitted(
        round_, incheon):
    TaskFactory(plan=round_.plan, number=99)
    warnings = evaluation.warnings_for(round_, RoundState.EVALUATION)
    assert any("1" in w and ("metropolitan" in w or "시·도" in w) for w in warnings)


@pytest.mark.parametrize("path", ["abc/institution/1/", "99999/institution/1/",
                                  "1/institution/99999/"])
def test_a_mistyped_address_is_a_404_not_an_error(client, incheon_staff, path):
    client.force_login(incheon_staff)
    assert client.get(f"/admin/tracker/evaluationround/{path}").status_code == 404


def test_a_draft_does_not_count_as_submitted_whatever_another_year_holds(round_, incheon,
                                                                        incheon_staff):
    from tests.factories import PlanFactory

    other_year = round_at(RoundState.SUBMISSION, PlanFactory(year=2023),
                          submission_closes=datetime.date(2099, 1, 15), evaluation_closes=None,
                          meeting_date=None, published_on=None)
    evaluation.save_institution_result(round_=other_year, agency=incheon, user=incheon_staff,
                                       achievements=TEXT, problems="", next_steps="",
                                       indicators=[], expected_version=0)
    evaluation.submit_institution_result(round_=other_year, agency=incheon, user=incheon_staff)
    evaluation.save_institution_result(round_=round_, agency=incheon, user=incheon_staff,
                                       achievements=TEXT, problems="", next_steps="",
                                       indicators=[], expected_version=0)

    warnings = evaluation.warnings_for(round_, RoundState.EVALUATION)
    assert any("1" in w and ("metropolitan" in w or "시·도" in w) for w in warnings)


def test_the_evaluation_page_lists_the_institutions_own_results_to_whom_may_read_them(
        client, plan, round_, incheon, incheon_staff, manager, staff, settings):
    busan = AgencyFactory(slug="busan", name_ko="부산광역시", kind=AgencyKind.METROPOLITAN)
    evaluation.save_institution_result(round_=round_, agency=incheon, user=incheon_staff,
                                       achievements=TEXT, problems="", next_steps="",
                                       indicators=[], expected_version=0)
    evaluation.submit_institution_result(round_=round_, agency=incheon, user=incheon_staff)
    url = reverse("tracker:evaluation", args=[plan.year])

    client.force_login(manager)
    shown = client.get(url)
    rows = {row.agency.name_ko: row.state for row in shown.context["institutions"].rows}
    assert rows == {"인천광역시": "on_time", "부산광역시": "missing"}
    body = shown.content.decode()
    assert "시·도 2곳 가운데 1곳이 기관 추진실적" in body
    assert page(round_, busan) in body
    client.force_login(incheon_staff)
    assert [row.agency.pk for row in client.get(url).context["institutions"].rows] == [
        incheon.pk]
    client.force_login(staff)  # a ministry's staff
    assert page(round_, incheon) not in client.get(url).content.decode()
    settings.KIPPLAN_PUBLIC_PAGES = True
    for reader in (evaluator("panel-kang"), None):  # read as the public
        if reader is None:
            client.logout()
        else:
            client.force_login(reader)
        shown = client.get(url)
        assert shown.status_code == 200 and shown.context["institutions"].rows == []
        assert page(round_, incheon) not in shown.content.decode()
