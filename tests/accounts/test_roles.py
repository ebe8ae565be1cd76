"""The roles of tracker.roles: made by migrate and by flush, kept exactly as the table says."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kipplan.auth import ModelBackend as OneQuery
from tracker import roles


def permissions_by_role():
    """Role name -> the (app label, codename) of each permission its group has."""
    return {
        group.name: {(permission.content_type.app_label, permission.codename)
                     for permission in group.permissions.select_related("content_type")}
        for group in Group.objects.all()
    }


def as_written():
    return {name: {("tracker", codename) for codename in codenames}
            for name, codenames in roles.ROLES.items()}


@pytest.mark.django_db
def test_migrate_gives_each_role_exactly_the_permissions_of_the_table():
    assert permissions_by_role() == as_written()


@pytest.mark.django_db(transaction=True)
def test_the_roles_come_back_after_a_flush():
    call_command("flush", "--no-input", verbosity=0)

    assert permissions_by_role() == as_written()


@pytest.mark.django_db
def test_sync_roles_takes_away_a_permission_given_by_hand_and_gives_back_one_taken():
    managers = Group.objects.get(name=roles.PLAN_MANAGERS)
    managers.permissions.remove(Permission.objects.get(codename="view_indicator"))
    managers.permissions.add(Permission.objects.get(codename="delete_task"))

    roles.sync_roles()

    assert permissions_by_role() == as_written()


@pytest.mark.django_db
def test_sync_roles_makes_a_deleted_role_again():
    Group.objects.filter(name=roles.AGENCY_STAFF).delete()

    roles.sync_roles()

    assert permissions_by_role() == as_written()


@pytest.mark.django_db
def test_sync_roles_writes_nothing_when_the_roles_are_as_written():
    before = dict(Group.objects.values_list("name", "pk"))

    with CaptureQueriesContext(connection) as queries:
        roles.sync_roles()

    writes = [query["sql"] for query in queries
              if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert dict(Group.objects.values_list("name", "pk")) == before


@pytest.mark.django_db
def test_sync_roles_refuses_when_a_permission_does_not_exist_and_changes_nothing():
    Permission.objects.filter(codename="view_indicator").delete()
    Group.objects.filter(name=roles.AGENCY_STAFF).delete()
    before = permissions_by_role()

    with pytest.raises(RuntimeError, match=r"'Plan managers'.*view_indicator"):
        roles.sync_roles()

    assert permissions_by_role() == before


def test_a_users_permissions_are_read_in_one_query_the_same_as_djangos(
        django_assert_num_queries, make_staff, agency, manager):
    staff = make_staff(agency)
    staff.user_permissions.add(Permission.objects.get(codename="view_plan"))
    for user in (staff, manager):
        fresh = type(user).objects.get(pk=user.pk)
        with django_assert_num_queries(1):
            mine = OneQuery().get_all_permissions(fresh)
        assert mine == ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
        assert "tracker.view_plan" in mine
