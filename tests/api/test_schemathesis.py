"""The API run against its own OpenAPI 3 schema: schemathesis makes requests from the schema
(property-based, with Hypothesis) and sends them to a live server as a visitor of the published
data, as agency staff and as a plan manager (each with an API token); no answer is a server
error, and none breaks the schema it documents."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.factories import MilestoneFactory, ProgressUpdateFactory, build_plan
from tracker.models import ApiToken, Task

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 12  # requests an operation and reader: some 400 in all, a few seconds


def run_every_operation(base_url, headers):
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(base_url=base_url, headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        call()


@pytest.fixture
def plan_with_history(agency):
    plan = build_plan(12)
    Task.objects.filter(plan=plan).update(lead_agency=agency)
    for task in Task.objects.filter(plan=plan)[:4]:
        MilestoneFactory(task=task)
        ProgressUpdateFactory(task=task, note="내부 메모")
    return plan


@pytest.mark.parametrize("reader", ["visitor", "staff", "manager"])
def test_no_request_the_schema_allows_gets_a_server_error_or_an_answer_off_the_schema(
        live_server, settings, plan_with_history, staff, manager, reader):
    settings.KIPPLAN_API_READS_PER_MINUTE = settings.KIPPLAN_API_WRITES_PER_MINUTE = 0
    headers = {}
    if reader == "visitor":
        settings.KIPPLAN_PUBLIC_PAGES = True
    else:
        user = staff if reader == "staff" else manager
        headers["Authorization"] = "Bearer " + ApiToken.objects.issue(
            user=user, name="schemathesis", days=1)[1]

    run_every_operation(live_server.url, headers)
