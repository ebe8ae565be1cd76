"""The results page is one form: the text, the indicators' values and new evidence files go
together, so that no button throws away what was typed; errors come back at the top with what
was typed still on the page. Each test here failed on the page of three forms it replaces."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import PerformanceIndicatorFactory, round_at
from tests.helpers import pdf_bytes, post_result, results_data, results_url
from tracker.evaluation import services as results
from tracker.models import EvidenceFile, Result, RoundState

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()
TYPED = "특허 분석 보고서 150건 발간, 중소기업 40곳 지원"


@pytest.fixture
def page(client, staff, task, plan):
    round_at(RoundState.SUBMISSION, plan, submission_closes=datetime.date(2099, 1, 15),
             evaluation_closes=None, meeting_date=None, published_on=None)
    client.force_login(staff)
    return client


def test_typed_text_and_a_file_chosen_are_saved_together(page, task):
    response = page.post(results_url(task), results_data(
        task, achievements=TYPED, files=SimpleUploadedFile("증빙.pdf", PDF)))

    assert response.status_code == 302
    result = Result.objects.get(task=task)
    assert result.achievements == TYPED
    assert [e.name for e in result.evidence.all()] == ["증빙.pdf"]


def test_submit_pressed_before_save_saves_the_typed_text_and_submits(page, task):
    indicator = PerformanceIndicatorFactory(task=task, target=200)
    response = page.post(results_url(task), results_data(
        task, "submit", achievements=TYPED, **{f"actual_{indicator.pk}": "150"}), follow=True)

    result = Result.objects.get(task=task)
    assert (result.achievements, result.submitted) == (TYPED, True)
    said = [str(message) for message in response.context["messages"]]
    assert said == ["추진실적을 저장했습니다.", "추진실적을 제출했습니다."]
    indicator.refresh_from_db()
    assert indicator.actual == 150


def test_several_files_go_at_once(page, task):
    page.post(results_url(task), results_data(task, achievements=TYPED, files=[
        SimpleUploadedFile("하나.pdf", PDF), SimpleUploadedFile("둘.pdf", PDF)]))

    assert sorted(EvidenceFile.objects.values_list("name", flat=True)) == ["둘.pdf", "하나.pdf"]


def test_a_refused_file_keeps_the_text_saved_and_on_the_page_with_the_error_on_top(page, task):
    response = page.post(results_url(task), results_data(
        task, achievements=TYPED, files=SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" * 10)))

    assert response.status_code == 200
    body = response.content.decode()
    summary = body.split('class="kipplan-error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#id_files"' in summary and "virus.pdf" in summary
    assert "data-takes-focus" in body
    assert TYPED in body.split('id="results-form"', 1)[1]  # what was typed is in the form
    assert "다시 선택하십시오" in summary  # files are chosen again; the text is kept
    assert Result.objects.get(task=task).achievements == TYPED  # and saved
    assert "추진실적을 저장했습니다." in body
    assert not EvidenceFile.objects.exists()
    # The form is current: saving again is not taken for a second tab.
    again = page.post(results_url(task), {**results_data(task, achievements=TYPED + "!"),
                                          "version": response.context["form"]["version"].value()})
    assert again.status_code == 302


def test_a_second_tabs_text_and_files_come_back_unsaved_with_the_reason(page, task):
    post_result(page, task, version=0, achievements="first tab")

    response = page.post(results_url(task), {**results_data(task, achievements="second tab"),
                                             "version": 0,
                                             "files": SimpleUploadedFile("둘째.pdf", PDF)},
                         HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert "second tab" in body and "after you opened this page" in body
    assert Result.objects.get(task=task).achievements == "first tab"
    assert not EvidenceFile.objects.exists()


def test_the_file_field_says_its_kinds_and_limit_and_refuses_in_the_browser(page, task,
                                                                           settings):
    settings.KIPPLAN_EVIDENCE_MAX_MB = 7
    body = page.get(results_url(task), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "at most 7 MB each" in body and "HWPX" in body
    assert f'data-max-bytes="{7 * 1024 * 1024}"' in body and "tracker/forms.js" in body
    assert 'multiple' in body.split('id="id_files"', 1)[0].rsplit("<input", 1)[1]


def test_a_withdraw_button_beside_a_file_saves_the_typed_text_too(page, task, staff):
    stored = results.result_for(task)
    post_result(page, task, achievements="처음")
    from tracker.evaluation import evidence

    stored = evidence.add_evidence(task=task, user=staff,
                                   upload=SimpleUploadedFile("옛증빙.pdf", PDF))
    page_html = page.get(results_url(task)).content.decode()
    assert f'form="results-form" name="action" value="withdraw_evidence:{stored.pk}"' in (
        page_html)

    page.post(results_url(task), results_data(task, f"withdraw_evidence:{stored.pk}",
                                              achievements=TYPED))

    stored.refresh_from_db()
    assert stored.withdrawn and Result.objects.get(task=task).achievements == TYPED


def test_a_draft_is_the_lead_agencys_own_others_see_only_that_it_exists(
        page, client, task, manager, make_staff, other_agency):
    indicator = PerformanceIndicatorFactory(task=task, target=200)
    page.post(results_url(task), results_data(
        task, achievements=TYPED, **{f"actual_{indicator.pk}": "150"}))
    task.supporting_agencies.add(other_agency)
    supporter = make_staff(other_agency)

    for reader in (manager, supporter):
        client.force_login(reader)
        body = client.get(results_url(task)).content.decode()
        assert "주관기관이 아직 추진실적을 제출하지 않았습니다" in body
        assert TYPED not in body and "150" not in body.split("성과지표", 1)[1][:2000]
    client.force_login(task.lead_agency.memberships.first().user)
    assert TYPED in client.get(results_url(task)).content.decode()


def test_after_a_refused_file_the_page_is_current_and_the_next_save_goes_through(page, task):
    post_result(page, task, version=0, achievements="처음")  # a draft at version 1
    refused = page.post(results_url(task), results_data(
        task, achievements=TYPED, files=SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" * 10)))
    form = refused.context["form"]

    again = page.post(results_url(task), {
        **{name: form[name].value() for name in ("achievements", "problems", "next_steps",
                                                 "summary_public", "version")},
        "action": "save", "files": SimpleUploadedFile("증빙.pdf", PDF)})

    assert again.status_code == 302
    assert [e.name for e in EvidenceFile.objects.all()] == ["증빙.pdf"]


def test_save_and_submit_with_a_refused_file_saves_the_text_and_does_not_submit(page, task):
    response = page.post(results_url(task), results_data(
        task, "submit", achievements=TYPED,
        files=SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" * 10)), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and "A file was refused" in response.content.decode()
    result = Result.objects.get(task=task)
    assert result.achievements == TYPED and not result.submitted
