"""Agencies renamed: one identity, each plan naming an agency as it was called on the plan's
day, and renames recorded only in order."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.factories import AgencyFactory, PlanFactory, StrategyFactory, TaskFactory
from tracker.loading import imports
from tracker.models import AgencyMembership, AgencyName, Task
from tracker.plans import agency_names as names

pytestmark = pytest.mark.django_db

OCTOBER_1 = datetime.date(2025, 10, 1)


def rename_kipo(agency):
    return names.rename(agency, name_ko="지식재산처", name_en="Ministry of Intellectual Property",
                        abbreviation="MOIP", effective=OCTOBER_1)


def test_a_renamed_agency_keeps_its_tasks_members_and_slug(task, staff, agency):
    renamed = rename_kipo(agency)

    assert (renamed.pk, renamed.slug, renamed.name_ko, renamed.named_on) == (
        agency.pk, "kipo", "지식재산처", OCTOBER_1)
    former = AgencyName.objects.get(agency=agency)
    assert (former.name_ko, former.abbreviation, former.used_until) == (
        "특허청", "KIPO", datetime.date(2025, 9, 30))
    assert Task.objects.get(pk=task.pk).lead_agency_id == agency.pk
    assert AgencyMembership.objects.filter(user=staff, agency=agency).exists()


@pytest.mark.parametrize("effective", [OCTOBER_1, datetime.date(2025, 6, 1)])
def test_a_rename_dated_on_or_before_the_previous_one_is_refused(agency, effective):
    rename_kipo(agency)

    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="after the previous one"):
        names.rename(agency, name_ko="다른 이름", effective=effective)

    assert agency.former_names.count() == 1
    agency.refresh_from_db()
    assert agency.name_ko == "지식재산처"


def test_the_name_in_force_follows_the_day(agency):
    rename_kipo(agency)
    names.rename(agency, name_ko="지식재산부", effective=datetime.date(2027, 1, 1))
    agency.refresh_from_db()

    def name_on(day):
        return names.AgencyNames(day).of(agency).name_ko

    assert name_on(datetime.date(2024, 3, 19)) == "특허청"
    assert name_on(datetime.date(2025, 9, 30)) == "특허청"
    assert name_on(OCTOBER_1) == "지식재산처"
    assert name_on(datetime.date(2026, 12, 31)) == "지식재산처"
    assert name_on(datetime.date(2027, 1, 1)) == "지식재산부"


def test_the_names_of_a_day_are_read_in_one_query_for_any_number_of_agencies():
    agencies = [AgencyFactory() for _ in range(30)]
    for agency in agencies:
        names.rename(agency, name_ko=f"새 {agency.name_ko}", effective=OCTOBER_1)
    day_names = names.AgencyNames(datetime.date(2024, 1, 1))

    with CaptureQueriesContext(connection) as queries:
        called = [day_names.of(agency).name_ko for agency in agencies]

    assert len(queries) == 1
    assert called == [agency.name_ko for agency in agencies]


def test_each_plan_names_the_agency_as_it_was_called_in_its_year(client, manager, agency):
    old = TaskFactory(plan=PlanFactory(year=2024), lead_agency=agency, number=3)
    new_plan = PlanFactory(year=2026)
    TaskFactory(plan=new_plan, strategy=StrategyFactory(plan=new_plan), lead_agency=agency,
                number=3, start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31))
    rename_kipo(agency)
    client.force_login(manager)

    page_2024 = client.get(reverse("tracker:task_detail", args=[2024, 3])).content.decode()
    page_2026 = client.get(reverse("tracker:task_detail", args=[2026, 3])).content.decode()
    agencies_2024 = client.get(reverse("tracker:agency_list") + "?year=2024").content.decode()

    assert "특허청 (KIPO)" in page_2024 and "지식재산처" not in page_2024
    assert "지식재산처 (MOIP)" in page_2026 and "특허청" not in page_2026
    assert "특허청 (KIPO)" in agencies_2024
    assert old.lead_agency_id == agency.pk


def test_the_agency_page_shows_its_names_over_time(client, manager, agency, task):
    rename_kipo(agency)
    client.force_login(manager)

    with translation.override("en"):
        body = client.get(reverse("tracker:agency_detail", args=["kipo"]) + "?year=2024",
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<h1>Korean Intellectual Property Office (KIPO)</h1>" in body
    history = body[body.index("Names over time"):]
    assert history.index("Korean Intellectual Property Office") < history.index(
        "Ministry of Intellectual Property")
    assert "30 Sep 2025" in history and "1 Oct 2025" in history


def test_an_administrator_records_a_rename_in_the_admin(client, superuser, agency, task):
    client.force_login(superuser)
    url = reverse("admin:tracker_agency_rename", args=[agency.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"name_ko": "지식재산처", "name_en": "Ministry of Intellectual "
                                 "Property", "abbreviation": "MOIP", "effective": "2025-10-01"})

    assert response.status_code == 302
    agency.refresh_from_db()
    assert (agency.name_ko, agency.named_on) == ("지식재산처", OCTOBER_1)
    assert Task.objects.get(pk=task.pk).lead_agency_id == agency.pk


def test_a_bad_rename_in_the_admin_is_explained_and_stores_nothing(client, superuser, agency):
    rename_kipo(agency)
    client.force_login(superuser)
    url = reverse("admin:tracker_agency_rename", args=[agency.pk])

    with translation.override("en"):
        early = client.post(url, {"name_ko": "새 이름", "effective": "2025-01-01"},
                            HTTP_ACCEPT_LANGUAGE="en")
        nonsense = client.post(url, {"name_ko": "", "effective": "2025-13-45"},
                               HTTP_ACCEPT_LANGUAGE="en")

    assert early.status_code == 200 and "after the previous one" in early.content.decode()
    assert nonsense.status_code == 200 and "errorlist" in nonsense.content.decode()
    assert agency.former_names.count() == 1


def test_two_former_names_ending_on_one_day_are_refused(client, superuser, agency):
    client.force_login(superuser)
    url = reverse("admin:tracker_agency_change", args=[agency.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"name_ko": "특허청", "kind": agency.kind, "slug": agency.slug,
                 "named_on": "2025-10-01"})
    former = {"former_names-TOTAL_FORMS": "2", "former_names-INITIAL_FORMS": "0",
              "former_names-0-name_ko": "옛 이름", "former_names-0-used_until": "2020-12-31",
              "former_names-1-name_ko": "더 옛 이름", "former_names-1-used_until": "2020-12-31",
              "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}

    with translation.override("en"):
        response = client.post(url, {**data, **former}, HTTP_ACCEPT_LANGUAGE="en")
        late = client.post(url, {**data, **former, "former_names-TOTAL_FORMS": "1",
                                 "former_names-0-used_until": "2025-10-01"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, "the page comes back with the error"
    assert "end on the same day" in response.content.decode()
    assert "must end before the current name took effect" in late.content.decode()
    assert not AgencyName.objects.exists()


def test_staff_and_managers_cannot_rename(client, staff, manager, agency):
    url = reverse("admin:tracker_agency_rename", args=[agency.pk])
    for user in (staff, manager):
        client.force_login(user)
        assert client.post(url, {"name_ko": "x", "effective": "2030-01-01"}).status_code == 403
    assert not AgencyName.objects.exists()


def import_row(agency_name, number=1):
    return ("number,strategy,title_ko,lead_agency,budget,start_date,end_date\n"
            f"{number},1,과제,{agency_name},100,2026-01-01,2026-12-31\n").encode()


def test_an_import_takes_the_names_in_force_in_its_year_and_explains_the_others(agency):
    rename_kipo(agency)
    plan = PlanFactory(year=2026, endorsed_on=datetime.date(2026, 3, 20))
    StrategyFactory(plan=plan, number=1)

    with translation.override("en"):
        with pytest.raises(imports.PlanImportError) as caught:
            imports.import_plan("plan.csv", import_row("특허청"), 2026)
    imported = imports.import_plan("plan.csv", import_row("지식재산처"), 2026)
    by_slug = imports.import_plan("plan.csv", import_row("kipo", number=2), 2026)

    (problem,) = caught.value.problems
    assert "“특허청” is not the agency's name in this plan's year" in problem.message
    assert "지식재산처" in problem.message
    assert imported.tasks == by_slug.tasks == 1
    assert set(plan.tasks.values_list("lead_agency_id", flat=True)) == {agency.pk}


def test_an_import_into_the_earlier_year_takes_the_earlier_name(agency):
    rename_kipo(agency)
    StrategyFactory(plan=PlanFactory(year=2024), number=1)

    with pytest.raises(imports.PlanImportError):
        imports.import_plan("plan.csv", import_row("지식재산처"), 2024)
    assert imports.import_plan("plan.csv", import_row("특허청"), 2024).tasks == 1


def test_exports_and_the_dashboard_name_agencies_as_their_plan_does(client, manager, agency):
    plan = PlanFactory(year=2024)
    TaskFactory(plan=plan, strategy=StrategyFactory(plan=plan), lead_agency=agency)
    rename_kipo(agency)
    client.force_login(manager)

    export = client.get(reverse("tracker:task_export_csv", args=[2024]))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode(
        "utf-8-sig"))))
    dashboard = client.get(reverse("tracker:plan", args=[2024])).content.decode()

    assert [(row["lead_agency"], row["lead_agency_name"]) for row in rows] == [("kipo", "특허청")]
    assert "특허청" in dashboard and "지식재산처" not in dashboard


def test_the_task_list_offers_and_searches_agencies_by_their_names_in_its_year(
        client, manager, agency, other_agency):
    plan = PlanFactory(year=2024)
    strategy = StrategyFactory(plan=plan)
    ours = TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, title_ko="심사 혁신")
    TaskFactory(plan=plan, strategy=strategy, lead_agency=other_agency, title_ko="저작권")
    rename_kipo(agency)
    client.force_login(manager)
    url = reverse("tracker:task_list", args=[2024])

    page = client.get(url).content.decode()
    by_old_name = client.get(url, {"q": "특허청"}).context["page_obj"].object_list
    by_new_name = client.get(url, {"q": "지식재산처"}).context["page_obj"].object_list

    assert '<option value="kipo">특허청</option>' in page
    assert [task.pk for task in by_old_name] == [ours.pk]
    assert list(by_new_name) == []


def test_the_admin_task_list_names_each_tasks_agency_as_its_plan_does(client, superuser,
                                                                      agency):
    old = TaskFactory(plan=PlanFactory(year=2024), lead_agency=agency)
    unendorsed = PlanFactory(year=2026, endorsed_on=None)
    new = TaskFactory(plan=unendorsed, strategy=StrategyFactory(plan=unendorsed),
                      lead_agency=agency, start_date=datetime.date(2026, 1, 1),
                      end_date=datetime.date(2026, 12, 31))
    rename_kipo(agency)
    client.force_login(superuser)

    response = client.get(reverse("admin:tracker_task_changelist"), HTTP_ACCEPT_LANGUAGE="ko")

    rows = {task.pk: task for task in response.context["cl"].result_list}
    assert (rows[old.pk].lead_called_ko, rows[new.pk].lead_called_ko) == ("특허청", "지식재산처")
    assert 'title="특허청 (KIPO)"' in response.content.decode()


def test_a_former_name_without_its_last_day_is_a_form_error(client, superuser, agency):
    rename_kipo(agency)
    client.force_login(superuser)
    url = reverse("admin:tracker_agency_change", args=[agency.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"kind": agency.kind, "named_on": "2025-10-01",
                 "former_names-TOTAL_FORMS": "2", "former_names-INITIAL_FORMS": "1",
                 "former_names-0-id": agency.former_names.get().pk,
                 "former_names-0-name_ko": "특허청", "former_names-0-used_until": "2025-09-30",
                 "former_names-1-name_ko": "날짜 없는 이름", "former_names-1-used_until": "",
                 "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})

    response = client.post(url, data)

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert agency.former_names.count() == 1


@pytest.mark.parametrize("day", [datetime.date(1, 1, 1), datetime.date(9999, 12, 31)])
def test_a_rename_far_outside_the_plans_years_is_refused(agency, day):
    with pytest.raises(ValidationError):
        names.rename(agency, name_ko="새 이름", effective=day)
    assert not agency.former_names.exists()
