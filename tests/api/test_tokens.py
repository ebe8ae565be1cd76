"""API tokens: made and revoked by their user on their own page, the key shown once and kept
only as a digest, signing in as that user until it expires or is revoked."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import evaluator
from tracker.models import ApiToken

pytestmark = pytest.mark.django_db

TOKENS = "/account/api-tokens/"


def make_token(client, name="KIPO 과제관리시스템", days="30"):
    response = client.post(TOKENS, {"name": name, "days": days})
    assert response.status_code == 201, response.content
    return re.search(r'value="(kp_[^"]+)"', response.content.decode()).group(1), response


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_token_is_shown_once_and_kept_as_a_digest(client, staff):
    client.force_login(staff)

    key, response = make_token(client)
    page = client.get(TOKENS).content.decode()

    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in page and token.shown in page  # the list shows its beginning only
    assert response["Cache-Control"] == "no-store"
    assert (token.expires_at - token.created_at) == timedelta(days=30)
    assert not ApiToken.objects.filter(digest__contains=key).exists()


def test_a_token_signs_its_user_in_and_records_its_use(client, staff, task):
    client.force_login(staff)
    key, _ = make_token(client)
    client.logout()

    response = client.get(reverse("api:task-list", args=[2024]), **bearer(key))

    assert response.status_code == 200
    assert [t["number"] for t in response.json()["results"]] == [17]
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer kp_unknown", "Bearer", "Bearer a b",
                                    "Bearer nottoken"])
def test_a_key_that_is_not_a_token_is_a_401_that_says_so(client, task, header):
    response = client.get(reverse("api:task-list", args=[2024]), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_revoked_token_signs_no_one_in(client, staff, task):
    client.force_login(staff)
    key, _ = make_token(client)

    response = client.post(TOKENS, {"revoke": ApiToken.objects.get().pk}, follow=True)
    client.logout()

    assert "폐기했습니다" in response.content.decode()  # the message, in Korean by default
    assert ApiToken.objects.get().revoked_at is not None
    assert client.get(reverse("api:task-list", args=[2024]), **bearer(key)).status_code == 401


def test_an_expired_token_signs_no_one_in(client, staff, task):
    token, key = ApiToken.objects.issue(user=staff, name="old system", days=1)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(created_at=now - timedelta(days=3),
                                                expires_at=now - timedelta(days=2))

    assert client.get(reverse("api:task-list", args=[2024]), **bearer(key)).status_code == 401


def test_a_token_of_a_user_made_inactive_signs_no_one_in(client, staff, task):
    _token, key = ApiToken.objects.issue(user=staff, name="system", days=30)
    staff.is_active = False
    staff.save()

    assert client.get(reverse("api:task-list", args=[2024]), **bearer(key)).status_code == 401


def test_no_one_revokes_another_users_token(client, staff, manager):
    token, _key = ApiToken.objects.issue(user=manager, name="manager's", days=30)
    client.force_login(staff)

    response = client.post(TOKENS, {"revoke": token.pk})

    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize("data, field", [({"name": "", "days": "30"}, "name"),
                                         ({"name": "시스템", "days": "400"}, "days"),
                                         ({"name": "시스템", "days": "0"}, "days"),
                                         ({"name": "시스템", "days": "many"}, "days")])
def test_a_token_form_with_errors_keeps_what_was_typed(client, staff, data, field):
    client.force_login(staff)

    response = client.post(TOKENS, data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'value="{data["name"]}"' in response.content.decode() or not data["name"]
    assert not ApiToken.objects.exists()


def test_evaluators_have_no_tokens_page(client):
    client.force_login(evaluator())

    assert client.get(TOKENS).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(TOKENS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_using_a_token_does_not_empty_the_page_cache(client, staff, task):
    from kipplan.page_cache import current_token

    _token, key = ApiToken.objects.issue(user=staff, name="system", days=30)
    before = current_token()

    client.get(reverse("api:task-list", args=[2024]), **bearer(key))

    assert current_token() == before


def test_a_user_has_at_most_the_settings_number_of_tokens_in_use(client, settings, staff):
    settings.KIPPLAN_API_TOKENS_PER_USER = 2
    client.force_login(staff)
    make_token(client, name="하나")
    make_token(client, name="둘")

    response = client.post(TOKENS, {"name": "셋", "days": "30"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert ApiToken.objects.count() == 2


def test_a_superuser_revokes_a_leaked_token_in_the_admin_without_seeing_any_key(
        client, staff, superuser, manager, task):
    token, key = ApiToken.objects.issue(user=staff, name="leaked", days=30)
    url = reverse("admin:tracker_apitoken_changelist")
    client.force_login(manager)
    assert client.get(url).status_code == 403  # plan managers have no part in users' keys
    client.force_login(superuser)

    listing = client.get(url).content.decode()
    client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    client.logout()

    assert "leaked" in listing and token.digest not in listing and key not in listing
    assert client.get(reverse("api:task-list", args=[2024]),
                      HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
