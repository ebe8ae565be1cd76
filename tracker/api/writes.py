"""Writes through the API: reports and milestone changes, through the same services, rules and
history as the admin's forms (tracker.progress.services), each write answered once for its
``Idempotency-Key``."""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.encoders import JSONEncoder  # DRF's: dates, decimals

from kipplan.page_cache import outage
from tracker.api.models import IdempotentRequest
from tracker.common.choices import Status

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class ReportIn(serializers.Serializer):
    """A progress report, as the admin's form takes it, with the task's version as read."""

    status = serializers.ChoiceField(choices=Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    budget_executed = serializers.IntegerField(min_value=0, help_text=_(
        "Won executed so far this year, in whole won."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(min_value=1, help_text=_(
        "The task's version as last read: a report on a task changed since is refused (409), "
        "with the task as it is now."))


class MilestoneIn(serializers.Serializer):
    due_date = serializers.DateField(help_text=_("The current due date; moving it needs a "
                                                 "reason."))
    completed_on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=5000)


def rule_errors(error: ModelValidationError) -> ValidationError:
    """A service's broken rule as the API's 400: by field where the rule names one."""
    if hasattr(error, "error_dict"):
        return ValidationError({field: [str(message) for message in messages]
                                for field, messages in error.message_dict.items()})
    return ValidationError({"non_field_errors": [str(message) for message in error.messages]})


def fingerprint(request) -> str:
    """The request as parsed (its JSON, whatever its spacing; a body that is not JSON is a 415
    or 400 here, before anything is written), with its method and path."""
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256("\x1f".join([request.method, request.path, body]).encode()).hexdigest()


def once(request, write):
    """``write()``'s response, or, for an Idempotency-Key this user sent before with the same
    request, the response it had then; the key with another request is a 422. Without a key,
    ``write()``'s response as it is. The key's record and the write commit together: a write
    that fails leaves no key behind, and two requests racing with one key record one write."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return write()
    if len(key) > 200:
        raise ValidationError({IDEMPOTENCY_HEADER: [_("Use a key of at most 200 characters.")]})
    user, digest = request.user, fingerprint(request)
    since = timezone.now() - timedelta(hours=settings.KIPPLAN_API_IDEMPOTENCY_HOURS)
    IdempotentRequest.objects.filter(created_at__lt=since).delete()  # everyone's, expired
    earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
    if earlier is None:
        try:
            with transaction.atomic():
                response = write()
                if response.status_code < 500:
                    IdempotentRequest.objects.create(
                        user=user, key=key, fingerprint=digest, status=response.status_code,
                        body=json.dumps(response.data, cls=JSONEncoder))
                return response
        except IntegrityError:  # the same key, in a request that committed first
            earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
            if earlier is None:
                raise
    if earlier.fingerprint != digest:
        return Response({"detail": _(
            "This Idempotency-Key was sent before with another request. Use a new key for "
            "each new request.")}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    response = Response(json.loads(earlier.body), status=earlier.status)
    response[REPLAYED_HEADER] = "true"
    return response


class PerToken(SimpleRateThrottle):
    """Requests a minute for each token (a user signed in by the session counts as one token;
    visitors of the published data by their address); reads and writes counted apart. A cache
    that does not answer lets requests through rather than failing them
    (kipplan.page_cache.outage)."""

    def __init__(self):
        pass  # the rate is read per request, from the settings (tests change them)

    def get_cache_key(self, request, view):
        if request.auth is not None and hasattr(request.auth, "pk"):
            who = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:  # the connection's address, as the login throttle takes it (kipplan.settings)
            who = f"address:{request.META.get('REMOTE_ADDR', '')}"
        return f"kipplan:throttle:{self.scope}:{who}"

    def allow_request(self, request, view):
        self.scope = "write" if request.method not in ("GET", "HEAD", "OPTIONS") else "read"
        limit = (settings.KIPPLAN_API_WRITES_PER_MINUTE if self.scope == "write"
                 else settings.KIPPLAN_API_READS_PER_MINUTE)
        if not limit or outage:
            return True
        self.rate = f"{limit}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache's own errors (Redis down or hanging)
            outage.begin("read for the API's rate limit")
            return True
