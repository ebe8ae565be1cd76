import importlib

import pytest
from django.contrib.auth.models import Group, Permission

from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PlanFactory,
    StrategyFactory,
    TaskFactory,
    UserFactory,
)


@pytest.fixture
def plan(db):
    return PlanFactory()


@pytest.fixture
def strategy(plan):
    return StrategyFactory(plan=plan, number=1)


@pytest.fixture
def agency(db):
    """KIPO, at the top of the tree KIPO → KISTA → Patent Support Team."""
    return AgencyFactory(name_ko="특허청", name_en="Korean Intellectual Property Office",
                         abbreviation="KIPO", slug="kipo")


@pytest.fixture
def kista(agency):
    return AgencyFactory(name_ko="한국특허전략개발원", abbreviation="KISTA", slug="kista",
                         kind="public_institution", parent=agency)


@pytest.fixture
def team(kista):
    return AgencyFactory(name_ko="국가전략기술특허지원단", abbreviation="", slug="team",
                         kind="team", parent=kista)


@pytest.fixture
def other_agency(db):
    return AgencyFactory(name_ko="문화체육관광부", abbreviation="MCST", slug="mcst")


@pytest.fixture
def task(plan, strategy, agency):
    return TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=17)


def role(name):
    """One of the roles the data migrations create ("Agency staff", "Plan managers"). A
    transactional test's flush empties them (permissions come back by themselves), so they are
    made again when missing, from the migrations' own tables of permissions."""
    group = Group.objects.filter(name=name).first()
    if group is None:
        roles = importlib.import_module("tracker.migrations.0003_roles").ROLES
        extra = importlib.import_module(
            "tracker.migrations.0005_managers_view_indicators").CODENAMES
        for role_name, codenames in roles.items():
            if role_name == "Plan managers":
                codenames = [*codenames, *extra]
            made, _ = Group.objects.get_or_create(name=role_name)
            made.permissions.set(Permission.objects.filter(
                content_type__app_label="tracker", codename__in=codenames))
        group = Group.objects.get(name=name)
    return group


@pytest.fixture
def make_staff(db):
    """make_staff(agency, ...) -> a user in the Agency staff group, member of those agencies."""

    def make(*agencies, username=None):
        user = UserFactory(username=username or f"staff-{'-'.join(a.slug for a in agencies)}")
        user.groups.add(role("Agency staff"))
        for agency in agencies:
            MembershipFactory(user=user, agency=agency)
        return user

    return make


@pytest.fixture
def staff(agency, make_staff):
    return make_staff(agency, username="kipo-staff")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def manager(db):
    user = UserFactory(username="plan-manager")
    user.groups.add(role("Plan managers"))
    return user


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} {database.get('HOST') or ''}".rstrip()
