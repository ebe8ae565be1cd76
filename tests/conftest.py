import pytest

from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PlanFactory,
    StrategyFactory,
    TaskFactory,
    UserFactory,
)

TRACKER_MODELS = [
    "plan", "strategy", "agency", "strategictechnology", "task", "milestone", "progressupdate",
    "agencymembership",
]


@pytest.fixture
def plan(db):
    return PlanFactory()


@pytest.fixture
def strategy(plan):
    return StrategyFactory(plan=plan, number=1)


@pytest.fixture
def agency(db):
    return AgencyFactory(name_ko="특허청", name_en="Korean Intellectual Property Office",
                         abbreviation="KIPO", slug="kipo")


@pytest.fixture
def task(plan, strategy, agency):
    return TaskFactory(plan=plan, strategy=strategy, lead_agency=agency, number=17)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def manager(db):
    return UserFactory(username="plan-manager", view_permissions=TRACKER_MODELS)


@pytest.fixture
def staff(agency):
    return MembershipFactory(user__username="kipo-staff", agency=agency).user


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} {database.get('HOST') or ''}".rstrip()
