"""
Forgotten passwords: Django's reset flow on kipplan's pages, the email written in its
recipient's language, and requests throttled per email address and per client address. The
throttle keeps its counts in the database, the one store every app server shares. The link's
one-time token is Django's, checked by Django's confirm view.
"""

import logging
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation

from tracker.accounts.languages import language_of
from tracker.accounts.models import PasswordResetRequest
from tracker.common.mail import queue

logger = logging.getLogger(__name__)

EMAIL_LENGTH = PasswordResetRequest._meta.get_field("email").max_length
CLIENT_LENGTH = PasswordResetRequest._meta.get_field("client_address").max_length


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, writing each email in the language its recipient chose, and queuing it
    (tracker.common.mail) rather than sending it while the visitor waits; the link it holds is
    emptied from the record once sent."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        with translation.override(language_of(context["user"])):
            subject = "".join(render_to_string(subject_template_name, context).splitlines())
            body = render_to_string(email_template_name, context)
        queue(EmailMessage(subject, body, from_email, [to_email]), kind="password_reset")


def normalised_email(email: str) -> str:
    """The address as Django's form matches it to users (NFKC, case-folded), to the column's
    width, so that one mailbox counts once however it is typed."""
    return unicodedata.normalize("NFKC", email).casefold()[:EMAIL_LENGTH]


def client_address(request) -> str:
    """REMOTE_ADDR, as django-axes reads it: behind a proxy, the proxy's."""
    return request.META.get("REMOTE_ADDR", "")[:CLIENT_LENGTH]


def admit_reset_request(*, email: str, client: str, now: datetime | None = None) -> bool:
    """Record a reset asked for ``email`` from ``client`` and return True; or, when the address
    or the client has reached its limit within the window, record nothing and return False.
    Rows older than the window go first, so the table never holds more than one window."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES)
    with transaction.atomic():
        PasswordResetRequest.objects.filter(requested_at__lt=since).delete()
        # Both counts in one query over the window's rows.
        counts = PasswordResetRequest.objects.filter(requested_at__gte=since).aggregate(
            email=Count("pk", filter=Q(email=email)),
            client=Count("pk", filter=Q(client_address=client)),
        )
        if (counts["email"] >= settings.KIPPLAN_PASSWORD_RESET_LIMIT
                or counts["client"] >= settings.KIPPLAN_PASSWORD_RESET_CLIENT_LIMIT):
            return False
        PasswordResetRequest.objects.create(email=email, client_address=client, requested_at=now)
    return True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view with kipplan's form, refusing a request over the throttle's limits with
    429. Known and unknown addresses are counted and answered alike."""

    form_class = PasswordResetForm
    throttled_template_name = "registration/password_reset_throttled.html"

    def form_valid(self, form):
        client = client_address(self.request)
        email = normalised_email(form.cleaned_data["email"])
        if not admit_reset_request(email=email, client=client):
            logger.warning("Password reset refused: too many requests (client %s)", client)
            return self.throttled()
        return super().form_valid(form)

    def throttled(self):
        minutes = settings.KIPPLAN_PASSWORD_RESET_WINDOW_MINUTES
        response = TemplateResponse(self.request, self.throttled_template_name,
                                    {"minutes": minutes}, status=429)
        response["Retry-After"] = str(minutes * 60)
        return response
