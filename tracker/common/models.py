
from django.db import models
from django.utils.translation import gettext_lazy as _


class Revision(models.Model):
    """The data's revision: one row, whose token kipplan.page_cache replaces before every write
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
