"""Forgotten passwords: the reset flow on kipplan's pages, its email in the user's language, its
throttle per email address and per client, and its answers to bad input."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import UserFactory
from tracker.models import PasswordResetRequest, Profile

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's
NEW_PASSWORD = "a-long-new-passphrase-42"
CLIENT = "203.0.113.7"
# Django's admin already translates this sentence, which kipplan's email uses, into Korean.
CHOOSE = "Please go to the following page and choose a new password:"


def in_language(language, msgid):
    with translation.override(language):
        return translation.gettext(msgid)


def ask(client, email, client_address=CLIENT, **extra):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=client_address,
                       **extra)


def link_in(message):
    return re.search(r"https?://\S+", message.body).group()


def uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def set_password_form(client, user):
    """Ask for a reset, follow the emailed link, and return the URL of the form it leads to."""
    ask(client, user.email)
    opened = client.get(link_in(mail.outbox[-1]))
    assert opened.status_code == 302
    return opened["Location"]


# The login pages link to it ----------------------------------------------------------------


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_site_login_page_links_to_the_reset_page(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    body = client.get(reverse("login")).content.decode()

    assert f'<a href="{reverse("password_reset")}">' in body
    assert in_language(language, "Forgotten your password?") in body


@pytest.mark.parametrize("language, text", [("ko", "로그인 인증 정보를 잊으셨나요?"),
                                            ("en", "Forgotten your login credentials?")])
def test_the_admin_login_page_links_to_the_same_reset_page(client, language, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    body = client.get(reverse("admin:login")).content.decode()

    assert f'<a href="{reverse("password_reset")}">{text}</a>' in body
    assert reverse("admin_password_reset") == reverse("password_reset")


def test_the_locked_out_page_offers_the_reset_link(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.AXES_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                                        "kipplan.auth.ModelBackend"]
    UserFactory(username="locked")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(reverse("login"), {"username": "locked", "password": "wrong"},
                             REMOTE_ADDR=CLIENT)

    assert locked.status_code == 429
    body = locked.content.decode()
    assert f'<a href="{reverse("password_reset")}">' in body
    assert "administrator to reset" not in body


# Every step is a kipplan page --------------------------------------------------------------


def step_urls():
    return {
        "form": (reverse("password_reset"), "Reset your password"),
        "sent": (reverse("password_reset_done"), "Check your email"),
        "invalid link": (reverse("password_reset_confirm",
                                 kwargs={"uidb64": "MQ", "token": "no-such-token"}),
                         "This link does not work"),
        "complete": (reverse("password_reset_complete"), "Your password is set"),
    }


@pytest.mark.parametrize("step", ["form", "sent", "invalid link", "complete"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_step_is_a_kipplan_page_in_the_chosen_language(client, step, language):
    url, heading = step_urls()[step]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(url)

    assert response.status_code == 200
    assert "base.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert f"<h1>{in_language(language, heading)}</h1>" in body
    assert in_language(language, "National IP plan tracker") in body
    assert "Django" not in body  # not the admin's "Django administration" pages


# The email -----------------------------------------------------------------------------------


@pytest.mark.parametrize("saved, browsing", [("ko", "en"), ("en", "ko")])
def test_the_email_is_written_in_the_users_saved_language_not_the_pages(client, saved,
                                                                        browsing):
    user = UserFactory(username="forgetful")
    Profile.objects.create(user=user, language=saved)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = browsing

    response = ask(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == in_language(saved, "Reset your kipplan password")
    assert in_language(saved, CHOOSE) in message.body
    assert in_language(browsing, CHOOSE) not in message.body
    assert "forgetful" in message.body
    assert link_in(message).startswith("http://testserver/accounts/reset/")


def test_a_user_who_never_chose_a_language_gets_the_email_in_korean(client):
    user = UserFactory()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    ask(client, user.email)

    [message] = mail.outbox
    assert in_language("ko", CHOOSE) in message.body and CHOOSE not in message.body


def test_the_email_links_to_the_site_as_the_request_reached_it(client):
    user = UserFactory()

    ask(client, user.email, secure=True, HTTP_HOST="localhost")

    assert link_in(mail.outbox[0]).startswith(f"https://localhost/accounts/reset/{uid(user)}/")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    user = UserFactory()

    known = ask(client, user.email)
    unknown = ask(client, "nobody@example.kr", client_address="198.51.100.1")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert set(PasswordResetRequest.objects.values_list("email", flat=True)) == {
        user.email, "nobody@example.kr"}


def test_an_inactive_user_gets_no_email(client):
    user = UserFactory(is_active=False)

    assert ask(client, user.email).status_code == 302
    assert mail.outbox == []


# The throttle --------------------------------------------------------------------------------


def test_the_default_limits_mirror_the_login_throttle():
    assert settings.KIPPLAN_PASSWORD_RESET_LIMIT == settings.AXES_FAILURE_LIMIT == 5
    assert settings.KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT == settings.AXES_FAILURE_LIMIT
    assert datetime.timedelta(minutes=settings.KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES) == (
        settings.AXES_COOLOFF_TIME)


@pytest.mark.parametrize("known", [True, False], ids=["known address", "unknown address"])
@override_settings(KIPPLAN_PASSWORD_RESET_LIMIT=3, KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT=100)
def test_an_address_is_refused_after_its_limit_from_any_client(client, known):
    email = UserFactory().email if known else "nobody@example.kr"
    for n in range(3):
        assert ask(client, email, client_address=f"198.51.100.{n}").status_code == 302
    sent = len(mail.outbox)

    refused = ask(client, email.upper(), client_address="198.51.100.99")  # however it is typed

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(settings.KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES * 60)
    assert "registration/password_reset_throttled.html" in [t.name for t in refused.templates]
    assert 'role="alert"' in refused.content.decode()
    assert len(mail.outbox) == sent == (3 if known else 0)
    assert PasswordResetRequest.objects.count() == 3  # the refused request is not stored


@override_settings(KIPPLAN_PASSWORD_RESET_LIMIT=100, KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT=3)
def test_a_client_is_refused_after_its_limit_whatever_the_address(client):
    user = UserFactory()
    for n in range(3):
        assert ask(client, f"someone{n}@example.kr").status_code == 302

    refused = ask(client, user.email)

    assert refused.status_code == 429
    assert mail.outbox == []
    assert ask(client, user.email, client_address="198.51.100.1").status_code == 302
    assert len(mail.outbox) == 1


@override_settings(KIPPLAN_PASSWORD_RESET_LIMIT=2)
def test_known_and_unknown_addresses_are_refused_alike(client):
    user = UserFactory()
    refusals = []
    for email, client_address in [(user.email, "198.51.100.1"),
                                  ("nobody@example.kr", "198.51.100.2")]:
        for _ in range(2):
            ask(client, email, client_address)
        refusals.append(ask(client, email, client_address))

    known, unknown = refusals
    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"]
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]


@override_settings(KIPPLAN_PASSWORD_RESET_LIMIT=2)
def test_the_limit_lifts_once_the_window_has_passed_and_old_rows_are_deleted(client):
    user = UserFactory()
    ask(client, user.email)
    ask(client, user.email)
    assert ask(client, user.email).status_code == 429

    window = datetime.timedelta(minutes=settings.KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES)
    PasswordResetRequest.objects.update(
        requested_at=F("requested_at") - window - datetime.timedelta(seconds=1))
    again = ask(client, user.email)

    assert again.status_code == 302
    assert len(mail.outbox) == 3
    assert PasswordResetRequest.objects.count() == 1  # the two older rows are gone


# The reset itself ----------------------------------------------------------------------------


def test_a_full_reset_sets_the_new_password_and_the_user_logs_in_with_it(client):
    user = UserFactory(username="forgetful")
    form_url = set_password_form(client, user)
    assert client.get(form_url).context["validlink"] is True

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login = client.post(reverse("login"), {"username": "forgetful", "password": NEW_PASSWORD})
    assert login.status_code == 302
    client.logout()
    reused = client.get(link_in(mail.outbox[0]))  # the link works once
    assert reused.status_code == 200 and reused.context["validlink"] is False


class LongAgo(PasswordResetTokenGenerator):
    def _now(self):
        return (datetime.datetime.now()
                - datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))


@pytest.mark.parametrize("token", ["bad", "expired"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_bad_or_expired_link_says_so_and_offers_a_new_one(client, token, language):
    user = UserFactory()
    token = LongAgo().make_token(user) if token == "expired" else "1a2-b3c4d5e6f7a8b9c0d1e2"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(reverse("password_reset_confirm",
                                  kwargs={"uidb64": uid(user), "token": token}))

    assert response.status_code == 200
    body = response.content.decode()
    assert in_language(language, "This link does not work") in body
    assert f'<a href="{reverse("password_reset")}">' in body
    assert "new_password1" not in body


@pytest.mark.parametrize("uidb64", [
    "!!!!", "_-_-", urlsafe_base64_encode(b"\xff\xfe"), urlsafe_base64_encode(b"\x00"),
    urlsafe_base64_encode(b"99999999999999999999999999"), urlsafe_base64_encode(b"-1"),
])
def test_garbage_in_a_link_is_an_invalid_link_not_an_error(client, uidb64):
    UserFactory()

    for token in ["set-password", "x" * 200]:
        response = client.get(reverse("password_reset_confirm",
                                      kwargs={"uidb64": uidb64, "token": token}))
        assert response.status_code == 200
        assert response.context["validlink"] is False


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b@example.kr", "nul\x00@example.kr",
                                   "<script>@example.kr", "x" * 250 + "@example.kr"])
def test_a_malformed_address_is_refused_with_an_error_and_nothing_sent(client, email):
    UserFactory()

    response = ask(client, email)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="error" id="id_email_error" role="alert"' in body
    assert 'aria-invalid="true"' in body
    assert mail.outbox == [] and not PasswordResetRequest.objects.exists()


@pytest.mark.parametrize(("email", "status"), [
    ("USER1@EXAMPLE.KR", 302), ("ß" * 60 + "@example.kr", 200), ("user@ｅｘａｍｐｌｅ.kr", 302),
    ("user@예시.kr", 302), ("a" * 64 + "@" + "b" * 63 + ".kr", 302)])
def test_an_odd_address_is_answered_not_an_error(client, email, status):
    """Each is answered: taken as asked (302, one request recorded), or refused by the form
    with its error on the page (200, none recorded)."""
    response = ask(client, email)

    assert response.status_code == status
    assert PasswordResetRequest.objects.count() == (1 if status == 302 else 0)


def test_an_address_that_grows_when_normalised_is_cut_to_the_column(client):
    email = "a@" + "ﷺ" * 60 + ".kr"  # valid, 65 letters; NFKC writes each ﷺ in 18

    assert ask(client, email).status_code == 302
    assert len(PasswordResetRequest.objects.get().email) == 254


def test_mismatched_passwords_are_refused_with_an_error_and_change_nothing(client):
    user = UserFactory()
    form_url = set_password_form(client, user)

    response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_new_password2_error" role="alert"' in body
    assert response.context["validlink"] is True  # the user can try again
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_password_is_refused_with_the_rules_shown(client):
    user = UserFactory()
    form_url = set_password_form(client, user)

    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_new_password2_error" role="alert"' in body
    assert 'id="id_new_password1_helptext"' in body
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
