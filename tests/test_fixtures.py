"""The demo data behind `python manage.py loaddata demo`."""

import importlib.util
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError
from django.db.models import Count, F, Sum

from tracker.models import (
    Agency,
    Milestone,
    Plan,
    ProgressUpdate,
    Status,
    StrategicTechnology,
    Task,
)

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_USERS = ["admin", "manager", "kipo", "kista", "kista-team", "msit", "mcst"]


@pytest.fixture
def demo(demo):
    return Plan.objects.get(year=2024)


def test_demo_plan_is_the_endorsed_2024_plan(demo):
    assert demo.title_ko == "2024년도 국가지식재산 시행계획"
    assert demo.endorsed_on.isoformat() == "2024-03-19"
    assert demo.endorsed_by.name_ko == "국가지식재산위원회"
    assert demo.total_budget == 934_100_000_000
    assert demo.strategies.count() == 5


def test_demo_plan_has_75_tasks_numbered_1_to_75_adding_up_to_the_budget(demo):
    tasks = demo.tasks.all()

    assert sorted(tasks.values_list("number", flat=True)) == list(range(1, 76))
    assert tasks.aggregate(total=Sum("budget"))["total"] == 934_100_000_000
    assert sorted(tasks.values_list("code", flat=True)) == [f"2024-{n:02d}" for n in range(1, 76)]
    assert all(task.strategy.plan_id == demo.pk for task in tasks.select_related("strategy"))


def test_no_demo_task_lists_its_lead_agency_among_the_supporting_ones(demo):
    for task in demo.tasks.select_related("lead_agency").prefetch_related("supporting_agencies"):
        assert task.lead_agency not in task.supporting_agencies.all(), task.code


def test_every_status_is_used_in_the_demo(demo):
    used = set(demo.tasks.values_list("status", flat=True))
    reported = set(ProgressUpdate.objects.values_list("status", flat=True))

    assert used == set(Status.values)
    assert reported == set(Status.values)


def test_no_demo_report_spends_more_than_its_tasks_budget(demo):
    # That each task's state is its latest report: test_history.py, the demo state is its
    # history.
    overspent = ProgressUpdate.objects.filter(task__plan=demo,
                                              budget_executed__gt=F("task__budget"))

    assert list(overspent.values_list("task__code", "budget_executed")) == []


def test_demo_has_months_of_reports_and_milestones_on_every_task(demo):
    assert demo.tasks.annotate(n=Count("milestones")).filter(n=0).count() == 0
    assert demo.tasks.annotate(n=Count("updates")).filter(n__lt=3).count() == 0
    months = {update.reported_at.month for update in ProgressUpdate.objects.all()}
    assert len(months) >= 4
    assert Milestone.objects.filter(due_date__gt=F("baseline_date")).exists()


def test_demo_has_the_12_technologies_and_the_agency_tree(demo):
    assert list(StrategicTechnology.objects.values_list("number", flat=True)) == list(
        range(1, 13)
    )
    team = Agency.objects.get(name_ko="국가전략기술특허지원단")
    assert team.parent.abbreviation == "KISTA"
    assert team.parent.parent.abbreviation == "KIPO"
    assert Agency.objects.count() >= 20


def test_patent_support_team_launch_is_led_by_kista_and_serves_all_12_technologies(demo):
    task = demo.tasks.get(title_ko="국가전략기술특허지원단 출범·운영")

    assert task.lead_agency.abbreviation == "KISTA"
    assert task.technologies.count() == 12
    assert not task.is_illustrative
    assert "2024-03-19" in task.source_note


def test_invented_demo_content_is_marked_illustrative(demo):
    assert demo.data_note
    assert not Task.objects.filter(is_illustrative=False, source_note="").exists()
    assert Task.objects.filter(is_illustrative=True).count() > 50
    assert not Milestone.objects.filter(is_illustrative=False).exists()
    assert not ProgressUpdate.objects.filter(is_illustrative=False).exists()


@pytest.mark.parametrize("username", DEMO_USERS)
def test_demo_users_log_in_with_the_demo_password(demo, client, username):
    assert client.login(username=username, password="kipplan-demo")


def test_demo_agency_staff_belong_to_their_agencies(demo):
    User = get_user_model()
    memberships = {
        user.username: [m.agency.slug for m in user.agency_memberships.all()]
        for user in User.objects.prefetch_related("agency_memberships__agency")
    }
    assert memberships["kipo"] == ["kipo"]
    assert memberships["kista"] == ["kista"]
    assert memberships["kista-team"] == ["kista-patent-support-team"]
    assert memberships["msit"] == ["msit"]
    assert memberships["mcst"] == ["mcst"]
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="manager").has_perm("tracker.view_task")


def test_demo_json_is_what_the_generator_builds():
    spec = importlib.util.spec_from_file_location("build_demo", FIXTURES / "build_demo.py")
    build_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_demo)

    assert build_demo.render() == (FIXTURES / "demo.json").read_text(encoding="utf-8"), (
        "fixtures/demo.json is out of date: run `make fixtures`"
    )


def broken_fixture(tmp_path, task_fields):
    """A fixture whose first objects are fine and whose last task breaks a rule."""
    demo = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8"))
    keep = [o for o in demo if o["model"] in ("tracker.agency", "tracker.strategictechnology")]
    plan = next(o for o in demo if o["model"] == "tracker.plan")
    strategy = next(o for o in demo if o["model"] == "tracker.strategy")
    task = next(o for o in demo if o["model"] == "tracker.task")
    task = {**task, "fields": {**task["fields"], **task_fields}}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(keep + [plan, strategy, task], ensure_ascii=False))
    return path


@pytest.mark.parametrize(
    "task_fields",
    [{"progress": 150}, {"budget": -1}, {"status": "completed", "progress": 40},
     {"start_date": "2024-12-31", "end_date": "2024-01-01"}, {"lead_agency": 9999}],
    ids=["progress 150", "negative budget", "completed at 40%", "end before start",
         "unknown agency"],
)
def test_loading_a_broken_fixture_leaves_the_database_as_it_was(db, tmp_path, task_fields):
    path = broken_fixture(tmp_path, task_fields)

    with pytest.raises((IntegrityError, CommandError)):
        call_command("loaddata", str(path), verbosity=0)

    assert not Agency.objects.exists()
    assert not Plan.objects.exists()
    assert not Task.objects.exists()


def test_loading_a_malformed_fixture_stores_nothing(db, tmp_path):
    path = tmp_path / "truncated.json"
    text = (FIXTURES / "demo.json").read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")

    with pytest.raises(DeserializationError, match="truncated.json"):
        call_command("loaddata", str(path), verbosity=0)

    assert not Agency.objects.exists()


def test_demo_staff_see_their_agencies_tasks_including_sub_agencies(demo):
    User = get_user_model()

    def visible(username):
        return set(Task.objects.visible_to(User.objects.get(username=username)))

    def editable(username):
        return set(Task.objects.reportable_by(User.objects.get(username=username)))

    kista_led = set(Task.objects.filter(lead_agency__slug="kista"))
    team_led = set(Task.objects.filter(lead_agency__slug="kista-patent-support-team"))
    assert kista_led and team_led
    assert kista_led | team_led <= editable("kipo")
    assert kista_led | team_led == editable("kista")
    assert team_led == editable("kista-team")
    assert visible("kista-team") < visible("kista") < visible("kipo") < set(Task.objects.all())
    assert visible("manager") == set(Task.objects.all())
    for username in ("msit", "mcst"):
        assert editable(username) and editable(username) < visible(username)
        assert Task.objects.supported_by(User.objects.get(username=username)).exists()
