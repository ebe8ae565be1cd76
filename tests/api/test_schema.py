"""The API's OpenAPI 3 schema, and the documentation page kipplan serves for it."""

import re

import pytest
import yaml
from django.urls import reverse
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3_and_lists_every_resource(client):
    response = client.get(reverse("api:schema"))

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/plans/", "/api/v1/plans/{year}/", "/api/v1/plans/{year}/tasks/",
            "/api/v1/plans/{year}/tasks/{number}/", "/api/v1/agencies/",
            "/api/v1/agencies/{slug}/", "/api/v1/technologies/"} <= set(schema["paths"])
    task_list = schema["paths"]["/api/v1/plans/{year}/tasks/"]["get"]
    assert {"as_of", "status", "lead", "agency", "q", "sort", "page",
            "page_size"} <= {parameter["name"] for parameter in task_list["parameters"]}


def test_the_documentation_page_uses_only_kipplans_own_files(client):
    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith(("/static/", "/api/v1/")) for source in sources)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert "<style" not in html and " style=" not in html  # nor inline style
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_documentation_pages_own_script_is_served_from_kipplan(client):
    html = client.get(reverse("api:docs")).content.decode()
    script = next(src for src in re.findall(r'<script[^>]*src="([^"]+)"', html)
                  if src.startswith("/api/v1/"))

    response = client.get(script.replace("&amp;", "&"))

    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert reverse("api:schema") in response.content.decode()
