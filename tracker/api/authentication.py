"""Signing in to the API with a token: ``Authorization: Bearer kp_...`` (tracker.api.models)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tracker.api.models import ApiToken


class BearerToken(authentication.BaseAuthentication):
    """A user's API token in the Authorization header. A key that is unknown, revoked or expired
    is a 401 that says so; a request without one goes on to the session (the documentation
    page, signed in)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_(
                "Give the token after the word Bearer, with one space between them."))
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = ApiToken.objects.for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_(
                "The token is not valid: it is unknown, revoked or expired, or its user may "
                "no longer sign in."))
        token.touch()
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """BearerToken in the OpenAPI schema, as HTTP bearer authentication."""

    target_class = BearerToken
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": str(_(
            "An API token made on your account's API tokens page: Authorization: Bearer "
            "kp_..."))}
