"""kipplan's users beyond Django's: their agency memberships, their settings, and the password
resets asked for (what throttles them)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.plans.models import Agency


class AgencyMembership(models.Model):
    """A user's membership of an agency: what scopes agency staff to their tasks."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="agency_memberships",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["agency__name_ko", "user__username"]
        verbose_name = _("agency membership")
        verbose_name_plural = _("agency memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.agency}"


class Profile(models.Model):
    """A user's settings that outlive a browser: the language of the pages, the admin and the
    emails kipplan sends them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="kipplan_profile",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="profile_language_offered",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_language_display()}"


class PasswordResetRequest(models.Model):
    """A password reset that was asked for and let through: what the throttle counts, per
    address and per client, in the database that every app server shares. Rows older than the
    window are deleted as new ones are written (tracker.accounts)."""

    email = models.CharField(_("email address"), max_length=254)  # normalised, as submitted
    client_address = models.CharField(_("client address"), max_length=64, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        indexes = [
            models.Index(fields=["email", "requested_at"], name="reset_email_time_idx"),
            models.Index(fields=["client_address", "requested_at"], name="reset_client_time_idx"),
        ]

    def __str__(self):
        return f"{self.email} · {self.client_address} · {self.requested_at:%Y-%m-%d %H:%M}"
