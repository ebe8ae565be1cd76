"""Who is who is answered in one place (tracker.access): a plan manager, an evaluator, agency
staff; the services that only managers call refuse anyone else, and no caller can skip it."""

import inspect

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import UserFactory, evaluator, round_at
from tracker import access
from tracker.evaluation import services as evaluation
from tracker.models import RoundState

pytestmark = pytest.mark.django_db


def test_one_definition_of_a_plan_manager(manager, superuser, staff):
    expert = evaluator("expert")
    assert [access.is_plan_manager(user) for user in (manager, superuser, staff, expert)] == [
        True, True, False, False]
    manager.is_active = False
    assert not access.is_plan_manager(manager)
    assert not access.is_plan_manager(UserFactory(username="nobody"))


def test_evaluators_and_staff_are_told_apart(manager, staff):
    expert = evaluator("expert")
    assert [access.is_evaluator(user) for user in (manager, staff, expert)] == [
        False, False, True]
    assert [access.is_agency_staff(user) for user in (manager, staff, expert)] == [
        False, True, False]


@pytest.mark.parametrize("service", [evaluation.advance, evaluation.assign,
                                     evaluation.unassign, evaluation.set_grade])
def test_the_managers_services_have_no_way_round_the_check(service):
    """``user`` is required: no caller skips the check by leaving it out."""
    user = inspect.signature(service).parameters["user"]
    assert user.kind is inspect.Parameter.KEYWORD_ONLY
    assert user.default is inspect.Parameter.empty


def test_staff_cannot_move_a_round(plan, staff):
    round_ = round_at(RoundState.PREPARING, plan)
    with pytest.raises(PermissionDenied):
        evaluation.advance(round_, RoundState.SUBMISSION, user=staff, reason="시험 진행")
    round_.refresh_from_db()
    assert round_.state == RoundState.PREPARING


def test_the_navigation_offers_my_work_to_agency_staff_only(client, manager, staff):
    for user, shown in ((staff, True), (manager, False)):
        client.force_login(user)
        assert client.get("/plans/").context["shows_my_work"] is shown
