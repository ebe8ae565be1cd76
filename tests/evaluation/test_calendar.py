"""The decree's calendar (KIPPLAN_CALENDAR; enforcement decree arts. 10, 11 and 17): the
defaults of every new round, of an opinion's answer and of the annual report, each a setting
that a round or an opinion overrides."""

from datetime import date

import pytest
from django.urls import reverse

from tracker.evaluation import services as evaluation
from tracker.models import EvaluationRound, Opinion
from tracker.publishing.models import report_due

pytestmark = pytest.mark.django_db


def test_a_new_round_takes_the_decrees_dates(plan):
    round_ = evaluation.create_round(plan=plan)  # the 2024 plan

    assert (round_.guideline_by, round_.submission_closes, round_.notice_by) == (
        date(2024, 10, 31), date(2025, 1, 15), date(2025, 3, 31))
    assert round_.submission_opens is None and round_.published_on is None


def test_the_calendar_is_a_setting_and_a_round_overrides_it(plan, settings):
    settings.KIPPLAN_CALENDAR = {**settings.KIPPLAN_CALENDAR, "results_due": (1, 31)}
    assert evaluation.create_round(plan=plan).submission_closes == date(2025, 1, 31)

    EvaluationRound.objects.all().delete()
    round_ = evaluation.create_round(plan=plan, submission_closes=date(2025, 2, 3))
    assert round_.submission_closes == date(2025, 2, 3)


def test_a_round_added_in_the_admin_shows_a_date_out_of_order_without_a_500(
        client, manager, plan):
    """Submission opening after the decree's 15 January, with the closing day left empty: the
    default closing day comes before it, which the form says."""
    client.force_login(manager)
    response = client.post(reverse("admin:tracker_evaluationround_add"), {
        "plan": plan.pk, "submission_opens": "2025-01-20", "scale_min": 0, "scale_max": 100,
        "band_outstanding": 90, "band_excellent": 80, "band_satisfactory": 60,
        "evaluators_per_unit": 2, "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0,
        "grades-TOTAL_FORMS": 0, "grades-INITIAL_FORMS": 0})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["submission_closes"]
    assert not EvaluationRound.objects.exists()


def test_an_opinions_answer_is_due_thirty_days_after_it_is_issued_unless_given(
        client, manager, plan, task):
    client.force_login(manager)
    form = {"plan": plan.pk, "task": task.pk, "text": "지표를 보완할 것",
            "issued_on": "2025. 3. 31.", "answer_due": ""}
    response = client.post(reverse("admin:tracker_opinion_add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Opinion.objects.get().answer_due == date(2025, 4, 30)


def test_the_add_form_proposes_today_and_the_decrees_answer_day(client, manager, settings):
    settings.KIPPLAN_CALENDAR = {**settings.KIPPLAN_CALENDAR, "improvement_plan_days": 45}
    client.force_login(manager)
    initial = client.get(reverse("admin:tracker_opinion_add")).context["adminform"].form.initial

    assert (initial["answer_due"] - initial["issued_on"]).days == 45


def test_the_annual_report_is_due_when_the_calendar_says(settings):
    assert report_due(2024) == date(2025, 3, 31)
    settings.KIPPLAN_CALENDAR = {**settings.KIPPLAN_CALENDAR, "annual_report_by": (3, 15)}
    assert report_due(2024) == date(2025, 3, 15)
