"""Production settings, security headers and login throttling."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

AXES_ON = {
    "AXES_ENABLED": True,
    "AUTHENTICATION_BACKENDS": [
        "axes.backends.AxesStandaloneBackend",
        "kipplan.auth.ModelBackend",
    ],
}
PRODUCTION = {
    "DJANGO_SECRET_KEY": "kipplan-production-check-3f9a1c7e5b2d8046a1e9c3b7d5f2a8e6c4b1d9f7",
    "DJANGO_ALLOWED_HOSTS": "plan.example.kr",
}


def test_production_settings_pass_the_deployment_checks_with_no_warnings():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "kipplan.settings", **PRODUCTION},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_https_only_unless_told_otherwise():
    show = (
        "import django; from django.conf import settings as s; django.setup(); "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}

    def values(**env):
        return subprocess.run(
            [sys.executable, "-c", show],
            env={**clean, "DJANGO_SETTINGS_MODULE": "kipplan.settings", **PRODUCTION, **env},
            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
        ).stdout.split()

    assert values() == ["True", "True", str(365 * 24 * 3600)]
    assert values(DJANGO_HTTPS="0") == ["False", "False", "0"]
    assert values(DJANGO_DEBUG="1") == ["False", "False", "0"]


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client, manager, plan, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    client.force_login(manager)

    for url in [reverse("tracker:dashboard"), reverse("login"), reverse("admin:index")]:
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "style-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
    plain = client.get(reverse("tracker:dashboard"))
    assert "Strict-Transport-Security" not in plain  # HSTS only over HTTPS


@pytest.mark.django_db
def test_pages_have_no_inline_styles_or_scripts(client, manager, plan):
    client.force_login(manager)

    for url in [reverse("tracker:plan", args=[plan.year]),
                reverse("tracker:task_list", args=[plan.year]), reverse("tracker:agency_list")]:
        body = client.get(url).content.decode()
        assert ' style="' not in body and "<style" not in body, url
        assert "<script" not in body, url


def attempt(client, username, password, url=None):
    url = url or reverse("login")
    return client.post(url, {"username": username, "password": password},
                       REMOTE_ADDR="203.0.113.7")


@pytest.mark.django_db
def test_five_failed_logins_lock_that_username_out_even_with_the_right_password(
    client, settings, make_staff, agency
):
    for name, value in AXES_ON.items():
        setattr(settings, name, value)
    make_staff(agency, username="guessed")
    other = make_staff(agency, username="bystander")

    for _ in range(4):
        assert attempt(client, "guessed", "wrong-password").status_code == 200
    assert attempt(client, "guessed", "wrong-password").status_code == 429  # the fifth
    locked = attempt(client, "guessed", "secret-pass-123")

    assert locked.status_code == 429
    assert SESSION_KEY not in client.session
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    admin_login = attempt(client, "guessed", "secret-pass-123", reverse("admin:login"))
    assert admin_login.status_code == 429
    # Another user at the same address is not locked out.
    assert attempt(client, "bystander", "secret-pass-123").status_code == 302
    assert str(client.session[SESSION_KEY]) == str(other.pk)


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(client, settings, make_staff, agency):
    for name, value in AXES_ON.items():
        setattr(settings, name, value)
    make_staff(agency, username="forgetful")

    for _ in range(4):
        attempt(client, "forgetful", "wrong-password")
    assert attempt(client, "forgetful", "secret-pass-123").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "forgetful", "wrong-password")

    assert attempt(client, "forgetful", "secret-pass-123").status_code == 302
