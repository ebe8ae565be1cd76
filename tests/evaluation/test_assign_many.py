"""Assigning the evaluators of every unit on one page: a balanced proposal that keeps the
conflict rule, edited and saved in one step, all or nothing; or from a spreadsheet. On the add
form it replaces, two evaluators for 72 units took 144 forms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import AgencyFactory, TaskFactory, evaluator, round_at
from tracker.common.choices import AgencyKind
from tracker.evaluation import services as evaluation
from tracker.models import Assignment, RoundState

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_(plan, agency, kista):
    """A round of 12 projects (KIPO's and KISTA's, KIPO being KISTA's parent) and a
    metropolitan government's programme, and five evaluators, one of them of KISTA."""
    incheon = AgencyFactory(slug="incheon", name_ko="인천광역시", kind=AgencyKind.METROPOLITAN)
    for n in range(1, 13):
        TaskFactory(plan=plan, number=n, lead_agency=agency if n % 2 else kista)
    TaskFactory(plan=plan, number=13, lead_agency=incheon)
    for name in ("ahn", "baek", "cho", "doh"):
        evaluator(name)
    evaluator("kista-kim", kista)
    return round_at(RoundState.SUBMISSION, plan)


def assign_page(round_):
    return reverse("admin:tracker_evaluationround_assign", args=[round_.pk])


def test_the_proposal_fills_every_place_evenly_and_never_with_a_conflict(round_):
    proposed = evaluation.panels(round_)

    assert len(proposed.units) == 13  # 12 projects and Incheon as an institution
    chosen = [user for users in proposed.proposal.values() for user in users]
    assert len(chosen) == 26
    # Shared evenly among those free to take any unit (KISTA's member may take Incheon only).
    free = [count for user_pk, count in proposed.load.items()
            if user_pk != evaluation.evaluator_pool()[-1].pk]
    assert max(free) - min(free) <= 1
    for key, _unit, lead in proposed.units:
        names = {user.username for user in proposed.proposal[key]}
        assert len(names) == 2
        if lead.slug in ("kipo", "kista"):  # KISTA's member may not judge KIPO's or KISTA's
            assert "kista-kim" not in names


def test_every_unit_is_assigned_from_one_page_in_one_save(client, manager, round_):
    client.force_login(manager)

    page = client.get(assign_page(round_))
    selects = {name: value for row in page.context["rows"] for place in row.places
               for name, value in [(place["name"], place["value"])]}
    saved = client.post(assign_page(round_), {**selects, "save": "1"}, follow=True,
                        HTTP_ACCEPT_LANGUAGE="en")

    assert Assignment.objects.filter(round=round_).count() == 26
    assert "Assigned 26 evaluators." in saved.content.decode()
    assert not evaluation.understaffed_units(round_)
    again = client.get(assign_page(round_))
    assert all(not row.places for row in again.context["rows"])


def test_a_conflict_chosen_by_hand_refuses_the_whole_save_on_its_row(client, manager,
                                                                     round_, kista):
    client.force_login(manager)
    page = client.get(assign_page(round_))
    selects = {place["name"]: place["value"] for row in page.context["rows"]
               for place in row.places}
    insider = evaluation.evaluator_pool()[-1]
    assert insider.username == "kista-kim"
    kista_task = next(row for row in page.context["rows"] if row.lead == kista)
    selects[kista_task.places[0]["name"]] = str(insider.pk)

    response = client.post(assign_page(round_), {**selects, "save": "1"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved" in body and "cannot evaluate it" in body
    assert not Assignment.objects.exists()
    row = next(row for row in response.context["rows"] if row.key == kista_task.key)
    assert row.places[0]["value"] == str(insider.pk)  # what was chosen stays


def test_assignments_are_imported_from_a_spreadsheet(client, manager, round_, plan):
    rows = ["unit,evaluator"] + [f"{task.code},ahn" for task in plan.tasks.order_by("number")
                                 if task.number <= 3] + ["인천광역시,baek", "2024-99,ahn"]
    upload = SimpleUploadedFile("panel.csv", "\n".join(rows).encode("utf-8-sig"))
    client.force_login(manager)

    refused = client.post(assign_page(round_), {"import": "1", "file": upload},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "Row 6: “2024-99” is not a unit of this round." in refused.content.decode()
    assert not Assignment.objects.exists()

    good = SimpleUploadedFile("panel.csv", "\n".join(rows[:-1]).encode())
    client.post(assign_page(round_), {"import": "1", "file": good})
    assert sorted(Assignment.objects.values_list("evaluator__username", flat=True)) == [
        "ahn", "ahn", "ahn", "baek"]


def test_the_page_takes_a_constant_number_of_queries(client, manager, round_, plan,
                                                     django_assert_max_num_queries):
    client.force_login(manager)
    client.get(assign_page(round_))
    for n in range(14, 60):
        TaskFactory(plan=plan, number=n)
    with django_assert_max_num_queries(25):
        client.get(assign_page(round_))


def test_the_add_form_offers_as_institutions_every_metropolitan_government_and_no_ministry(
        client, manager, round_):
    """All 17 시·도 take part in every plan (graded_institutions), leading a task or not."""
    AgencyFactory(slug="busan", name_ko="부산광역시", kind=AgencyKind.METROPOLITAN)
    client.force_login(manager)

    form = client.get(reverse("admin:tracker_assignment_add")).context["adminform"].form

    assert sorted(agency.slug for agency in form.fields["agency"].queryset) == [
        "busan", "incheon"]


def test_only_managers_open_the_page(client, staff, round_):
    client.force_login(staff)
    assert client.get(assign_page(round_)).status_code in (403, 404)
