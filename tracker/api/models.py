"""API tokens: a user's keys for their agency's own systems, each shown once when it is made and
kept only as its SHA-256 digest, with a name, an expiry and the time it was last used."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX = "kp_"  # marks a kipplan key in logs and secret scanners
SHOWN = 8  # characters of a key kept in the clear, after the prefix, to tell keys apart
MAX_DAYS = 365  # the longest a token may last


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Not revoked, not expired, of an active user."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now(),
                           user__is_active=True)

    def issue(self, *, user, name: str, days: int):
        """A new token for ``user``: (the token, its key). The key is in no record; whoever
        made it must copy it now. A token lasts ``MAX_DAYS`` at most, and a user has at most
        ``KIPPLAN_API_TOKENS_PER_USER`` in use (a ValidationError otherwise)."""
        if not 1 <= days <= MAX_DAYS:
            raise ValidationError({"days": _("A token lasts from 1 to %(days)s days.") % {
                "days": MAX_DAYS}})
        if self.usable().filter(user=user).count() >= settings.KIPPLAN_API_TOKENS_PER_USER:
            raise ValidationError(_("You have %(count)s tokens in use, as many as one may have. "
                                    "Revoke one you no longer need first.") % {
                "count": settings.KIPPLAN_API_TOKENS_PER_USER})
        key = PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        token = self.model(user=user, name=name.strip(), shown=key[:len(PREFIX) + SHOWN],
                           digest=digest(key), created_at=now,
                           expires_at=now + timedelta(days=days))
        token.full_clean()
        token.save()
        return token, key

    def for_key(self, key: str):
        """The usable token of a key, with its user, or None."""
        if not key.startswith(PREFIX):
            return None
        return self.usable().select_related("user").filter(digest=digest(key)).first()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_(
        "What the token is for, such as the system that uses it."))
    shown = models.CharField(_("beginning of the key"), max_length=20)
    digest = models.CharField(_("SHA-256 digest of the key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")),
                                   name="api_token_expires_after_creation"),
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_a_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.shown}…)"

    @property
    def is_usable(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def touch(self, now=None):
        """Record a use, at most once a minute: a request that authenticates writes nothing
        more often than that."""
        now = now or timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= timedelta(minutes=1):
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=self.revoked_at)


class IdempotentRequest(models.Model):
    """A write sent with an ``Idempotency-Key``, and what it was answered: the same key sent
    again by the same user within ``KIPPLAN_API_IDEMPOTENCY_HOURS`` is answered the same,
    and nothing is recorded twice (a system that lost the answer may simply retry)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(_("request's digest"), max_length=64, help_text=_(
        "SHA-256 of the method, the path and the body: a key is for one request only."))
    status = models.PositiveSmallIntegerField(_("status answered"))
    body = models.TextField(_("body answered"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotent API request")
        verbose_name_plural = _("idempotent API requests")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="idempotency_key_once_per_user")]

    def __str__(self):
        return self.key
