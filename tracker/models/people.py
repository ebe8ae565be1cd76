"""kipplan's users beyond Django's: their agency memberships, their settings and the
reminders sent to them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .plans import Agency


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


class Reminder(models.Model):
    """A reminder digest emailed to a user, with what it listed ("milestone:<id>", "task:<id>"),
    so that another run within the reporting period sends nothing already sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="kipplan_reminders",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    items = models.JSONField(_("items"), default=list)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [models.Index(fields=["user", "sent_at"], name="reminder_user_sent_idx")]

    def __str__(self):
        return f"{self.user} · {self.sent_at:%Y-%m-%d %H:%M}"


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
