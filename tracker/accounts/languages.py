"""
The interface language: Korean by default, English the other. A user's choice is kept in their
Profile as well as in Django's language cookie, so that it follows them to another browser (at
login) and to the emails kipplan sends them.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from tracker.accounts.models import Profile


def language_cookie(response, language):
    """Django's language cookie, with the settings Django's own set_language uses."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@require_POST
def set_language(request):
    """Django's set_language (the cookie, then back to ``next``), remembered for the user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


@receiver(user_logged_in, dispatch_uid="kipplan-language-at-login")
def use_the_users_language(sender, request, user, **kwargs):
    """At login, switch to the language the user chose before, on whatever browser."""
    if request is None:
        return
    language = saved_language(user)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
        request.kipplan_language = language


class UserLanguageMiddleware:
    """Sets the language cookie on the response to a login, from the user's Profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = getattr(request, "kipplan_language", None)
        if language:
            language_cookie(response, language)
        return response


def saved_language(user):
    """The language the user chose, if they chose one that kipplan still offers."""
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else None


def language_of(user):
    """The language to write to a user in (emails, commands): their choice, or the default."""
    return saved_language(user) or settings.LANGUAGE_CODE
