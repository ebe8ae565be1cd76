
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Revision(models.Model):
    """The data's revision: one row, whose token kipplan.page_cache replaces with every write
    to the database, in the same transaction. The cached pages are keyed by it, so a page
    cached before a write is never served after it."""

    token = models.CharField(_("token"), max_length=32)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("data revision")
        verbose_name_plural = _("data revisions")
        default_permissions = ()  # nobody edits it: every write replaces it
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="revision_one_row")]

    def __str__(self):
        return self.token


class OutgoingMailQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(state=OutgoingMail.State.FAILED)

    def needing_attention(self, now=None):
        """Failed mails, and mails still queued after KIPPLAN_MAIL_STUCK_MINUTES (their task
        was lost: a worker stopped, a database restarted): neither will go without a manager."""
        since = (now or timezone.now()) - timedelta(minutes=settings.KIPPLAN_MAIL_STUCK_MINUTES)
        return self.filter(models.Q(state=OutgoingMail.State.FAILED)
                           | models.Q(state=OutgoingMail.State.QUEUED, queued_at__lt=since))


class OutgoingMail(models.Model):
    """A mail kipplan sends, kept from the moment it is queued (in the transaction of the write
    it tells of) until it is sent, or has failed every attempt (tracker.common.mail)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("sent or given up at"), null=True, blank=True)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["state", "queued_at"], name="outgoingmail_state")]
        default_permissions = ("view", "change")  # managers see it and send again

    def __str__(self):
        return f"{self.to}: {self.subject}"
