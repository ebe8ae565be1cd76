"""Who may open what in the admin: every role against every admin URL of a task's data.

Agency scoping is security: besides the status code, each response is checked for another
agency's task, which must never show.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import (
    AgencyFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    TaskFactory,
)
from tracker.models import Milestone, ProgressUpdate, Task

pytestmark = pytest.mark.django_db

TARGET = "TARGET-TASK 대상과제"
SECRET = "OTHER-AGENCY-SECRET 타기관과제"

ROLES = ["anonymous", "lead", "parent", "supporting", "unrelated", "manager", "superuser"]

# URL name -> expected status by role. 302 for anonymous is the login redirect; 302 for staff
# of an unrelated agency is the admin's "no such object" redirect: the object does not exist
# for them.
MATRIX = {
    "task_changelist": dict(lead=200, parent=200, supporting=200, unrelated=200, manager=200,
                            superuser=200),
    "task_popup": dict(lead=200, parent=200, supporting=200, unrelated=200, manager=200,
                       superuser=200),
    "task_autocomplete": dict(lead=200, parent=200, supporting=200, unrelated=200,
                              manager=200, superuser=200),
    "task_change": dict(lead=200, parent=200, supporting=200, unrelated=302, manager=200,
                        superuser=200),
    "task_history": dict(lead=200, parent=200, supporting=200, unrelated=302, manager=200,
                         superuser=200),
    "task_delete": dict(lead=403, parent=403, supporting=403, unrelated=403, manager=403,
                        superuser=200),
    "task_report": dict(lead=200, parent=200, supporting=403, unrelated=404, manager=403,
                        superuser=200),
    "task_contribute": dict(lead=403, parent=403, supporting=200, unrelated=404, manager=403,
                            superuser=403),
    "task_review": dict(lead=403, parent=403, supporting=403, unrelated=404, manager=200,
                        superuser=200),
    "update_changelist": dict(lead=200, parent=200, supporting=200, unrelated=200,
                              manager=200, superuser=200),
    "update_change": dict(lead=200, parent=200, supporting=200, unrelated=302, manager=200,
                          superuser=200),
    "update_history": dict(lead=200, parent=200, supporting=200, unrelated=302, manager=200,
                           superuser=200),
    "update_delete": dict(lead=403, parent=403, supporting=403, unrelated=403, manager=403,
                          superuser=403),
    "milestone_changelist": dict(lead=200, parent=200, supporting=200, unrelated=200,
                                 manager=200, superuser=200),
    "milestone_change": dict(lead=200, parent=200, supporting=200, unrelated=302, manager=200,
                             superuser=200),
    "milestone_history": dict(lead=200, parent=200, supporting=200, unrelated=302,
                              manager=200, superuser=200),
    "milestone_delete": dict(lead=403, parent=403, supporting=403, unrelated=403, manager=403,
                             superuser=200),
}
# Lists where the target task shows for the roles that may see it.
LISTS = {"task_changelist", "task_popup", "task_autocomplete", "update_changelist",
         "milestone_changelist"}


@pytest.fixture
def world(plan, strategy, agency, kista, team, make_staff, manager, superuser):
    """KIPO → KISTA → team. The target task is led by KISTA and supported by MSIT; the secret
    task belongs to MOJ, where none of the staff users works; KCS staff have a task of their
    own and are unrelated to both."""
    msit = AgencyFactory(name_ko="과학기술정보통신부", abbreviation="MSIT", slug="msit")
    unrelated = AgencyFactory(name_ko="관세청", abbreviation="KCS", slug="kcs")
    third = AgencyFactory(name_ko="법무부", abbreviation="MOJ", slug="moj")
    target = TaskFactory(plan=plan, strategy=strategy, lead_agency=kista, number=17,
                         title_ko=TARGET, supporting_agencies=[msit])
    secret = TaskFactory(plan=plan, strategy=strategy, lead_agency=third, number=18,
                         title_ko=SECRET)
    TaskFactory(plan=plan, strategy=strategy, lead_agency=unrelated, number=19)
    for task in (target, secret):
        MilestoneFactory(task=task, title_ko=f"{task.title_ko} milestone")
        ProgressUpdateFactory(task=task, note=f"{task.title_ko} note")
    users = {
        "lead": make_staff(kista), "parent": make_staff(agency),
        "supporting": make_staff(msit), "unrelated": make_staff(unrelated),
        "manager": manager, "superuser": superuser, "anonymous": None,
    }
    return {"target": target, "secret": secret, "users": users}


def url_for(name, task):
    update = ProgressUpdate.objects.get(task=task)
    milestone = Milestone.objects.get(task=task)
    admin = "admin:tracker_"
    return {
        "task_changelist": reverse(f"{admin}task_changelist"),
        "task_popup": reverse(f"{admin}task_changelist") + "?_to_field=id&_popup=1",
        "task_autocomplete": reverse("admin:autocomplete") + (
            f"?app_label=tracker&model_name=milestone&field_name=task&term={task.code}"
        ),
        "task_change": reverse(f"{admin}task_change", args=[task.pk]),
        "task_history": reverse(f"{admin}task_history", args=[task.pk]),
        "task_delete": reverse(f"{admin}task_delete", args=[task.pk]),
        "task_report": reverse(f"{admin}task_report", args=[task.pk]),
        "task_contribute": reverse(f"{admin}task_contribute", args=[task.pk]),
        "task_review": reverse(f"{admin}task_review", args=[task.pk]),
        "update_changelist": reverse(f"{admin}progressupdate_changelist"),
        "update_change": reverse(f"{admin}progressupdate_change", args=[update.pk]),
        "update_history": reverse(f"{admin}progressupdate_history", args=[update.pk]),
        "update_delete": reverse(f"{admin}progressupdate_delete", args=[update.pk]),
        "milestone_changelist": reverse(f"{admin}milestone_changelist"),
        "milestone_change": reverse(f"{admin}milestone_change", args=[milestone.pk]),
        "milestone_history": reverse(f"{admin}milestone_history", args=[milestone.pk]),
        "milestone_delete": reverse(f"{admin}milestone_delete", args=[milestone.pk]),
    }[name]


@pytest.mark.parametrize("name", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_admin_permission_matrix(client, world, role, name):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)

    response = client.get(url_for(name, world["target"]))

    expected = 302 if role == "anonymous" else MATRIX[name][role]
    assert response.status_code == expected
    if role == "anonymous":
        assert "/admin/login/" in response["Location"]
    body = response.content.decode()
    if role in ("lead", "parent", "supporting", "unrelated"):
        assert SECRET not in body, f"{role} saw another agency's task at {name}"
    if role == "unrelated":
        assert TARGET not in body
    if name in LISTS and expected == 200 and role != "unrelated":
        assert world["target"].code in body or TARGET in body


@pytest.mark.parametrize("role", ["lead", "parent", "supporting", "unrelated"])
@pytest.mark.parametrize("name", ["task_changelist", "update_changelist",
                                  "milestone_changelist"])
def test_searching_never_finds_another_agencys_task(client, world, role, name):
    client.force_login(world["users"][role])

    response = client.get(url_for(name, world["target"]), {"q": "OTHER-AGENCY"})

    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_staff_cannot_report_on_another_agencys_task_by_posting(client, world):
    client.force_login(world["users"]["lead"])
    secret = world["secret"]

    response = client.post(url_for("task_report", secret), {
        "status": "on_track", "progress": 99, "budget_executed": 0, "note": "",
        "version": secret.version,
    })

    assert response.status_code == 404
    assert Task.objects.get(pk=secret.pk).progress == 0
    assert ProgressUpdate.objects.filter(task=secret).count() == 1


def test_staff_cannot_move_another_agencys_milestone_by_posting(client, world):
    client.force_login(world["users"]["lead"])
    milestone = Milestone.objects.get(task=world["secret"])

    response = client.post(url_for("milestone_change", world["secret"]), {
        "due_date": "2025-12-31", "completed_on": "", "reason": "침투 시도",
    })

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.due_date == milestone.baseline_date


@pytest.mark.parametrize("role", ["lead", "manager"])
def test_staff_and_managers_cannot_change_task_data(client, world, role):
    client.force_login(world["users"][role])
    target = world["target"]

    response = client.post(url_for("task_change", target), {"title_ko": "바뀐 제목",
                                                             "budget": 1})

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.title_ko == TARGET


def test_a_delete_action_deletes_only_tasks_the_user_sees(client, world):
    """Staff may not delete tasks; given the permission all the same, a delete action still
    deletes nothing of another agency's: the list's scope decides what it acts on. (The tasks
    have no history, which nobody may delete and which would stop the action on its own.)"""
    lead = world["users"]["lead"]
    lead.user_permissions.add(Permission.objects.get(codename="delete_task"))
    target = world["target"]
    mine = TaskFactory(plan=target.plan, strategy=target.strategy,
                       lead_agency=target.lead_agency, number=20)
    theirs = Task.objects.get(plan=target.plan, number=19)  # KCS's
    client.force_login(lead)

    client.post(reverse("admin:tracker_task_changelist"), {
        "action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes",
    })

    assert Task.objects.filter(pk=theirs.pk).exists()
    assert not Task.objects.filter(pk=mine.pk).exists()
