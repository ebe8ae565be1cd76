"""The API's errors in kipplan's own words where Django REST framework's would not serve its
readers: how to sign in, what body to send, which methods an address takes (in Korean, DRF's
catalogue has "자격 인증 데이터" and a particle that does not fit every method's name)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import exception_handler


def handler(exc, context):
    """DRF's handler, the detail said again for the errors above (the exception is kept, with
    its status and its WWW-Authenticate header)."""
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = ErrorDetail(_(
            "Sign in first: send one of your API tokens in the Authorization header (Bearer "
            "kp_...), or sign in to kipplan in this browser."), code=exc.default_code)
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc.detail = ErrorDetail(_("Send the body as JSON (Content-Type: application/json)."),
                                 code=exc.default_code)
    elif isinstance(exc, exceptions.MethodNotAllowed):
        request = context.get("request")
        exc.detail = ErrorDetail(_("This address does not take %(method)s requests.") % {
            "method": request.method if request else ""}, code=exc.default_code)
    return exception_handler(exc, context)
