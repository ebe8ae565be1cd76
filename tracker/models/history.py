"""A task's history, append-only: progress reports (and the states imports give), managers'
reviews, supporting agencies' contribution notes and milestone changes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..choices import ReviewLight, StateSource, Status
from ..validators import (
    FINISHED_MEANS_FULL,
    PROGRESS_RANGE,
    PROGRESS_VALIDATORS,
    check_finished_means_full,
)
from .plans import Agency


class ProgressUpdate(models.Model):
    """One entry of a task's history: a report, or the state a plan import gave the task. The
    task's current state is a copy of its latest entry (see ``task_state``); append-only."""

    task = models.ForeignKey(
        "Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="updates"
    )
    source = models.CharField(
        _("source"), max_length=10, choices=StateSource.choices, default=StateSource.REPORT
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="progress_updates",
        help_text=_("Who reported; for an import, who imported the file (none from the "
                    "command line)."),
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), validators=PROGRESS_VALIDATORS)
    budget_executed = models.BigIntegerField(
        _("budget executed (won)"), validators=[MinValueValidator(0)]
    )
    note = models.TextField(_("note"), blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        get_latest_by = ["reported_at", "pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        constraints = [
            models.CheckConstraint(condition=PROGRESS_RANGE, name="update_progress_0_100"),
            models.CheckConstraint(
                condition=Q(budget_executed__gte=0), name="update_executed_not_negative"
            ),
            models.CheckConstraint(condition=FINISHED_MEANS_FULL, name="update_completed_is_100"),
            models.CheckConstraint(
                condition=Q(source=StateSource.IMPORT) | Q(reported_by__isnull=False),
                name="update_report_has_reporter",
            ),
            models.CheckConstraint(
                condition=Q(source__in=StateSource.values), name="update_source_valid"
            ),
        ]
        indexes = [
            # A task's history newest first, ties broken by id as the ordering does: the
            # latest report as of a day is then one index probe, with no sort.
            models.Index(fields=["task", "-reported_at", "-id"], name="update_task_latest_idx"),
            models.Index(fields=["-reported_at"], name="update_time_idx"),  # latest reports
        ]

    def __str__(self):
        return _("%(task)s: %(status)s, %(progress)s%% (%(when)s)") % {
            "task": self.task.code,
            "status": self.get_status_display(),
            "progress": self.progress,
            "when": date_format(timezone.localtime(self.reported_at), "SHORT_DATE_FORMAT"),
        }

    def clean(self):
        check_finished_means_full(self.status, self.progress)
        if self.source == StateSource.REPORT and self.reported_by_id is None:
            raise ValidationError({"reported_by": _("A progress report needs its reporter.")})

    def task_state(self):
        """The task's fields that copy this entry when it is the latest: the only way a
        task's current state is written (reports and imports both go through it)."""
        return {"status": self.status, "progress": self.progress,
                "budget_executed": self.budget_executed, "last_reported_at": self.reported_at}


class ReviewAssessment(models.Model):
    """A plan manager's assessment of a task, shown beside the agency's own status."""

    task = models.ForeignKey(
        "Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)
    light = models.CharField(_("assessment"), max_length=10, choices=ReviewLight.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        get_latest_by = ["reviewed_at", "pk"]
        verbose_name = _("review assessment")
        verbose_name_plural = _("review assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(light__in=ReviewLight.values), name="review_light_valid"
            ),
        ]
        indexes = [models.Index(fields=["task", "-reviewed_at"], name="review_task_time_idx")]

    def __str__(self):
        return f"{self.task.code}: {self.get_light_display()}"


class ContributionNote(models.Model):
    """A supporting agency's note on its contribution to a task. Does not change the status."""

    task = models.ForeignKey(
        "Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="contributions"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="contributions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="contribution_notes",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    note = models.TextField(_("note"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("contribution note")
        verbose_name_plural = _("contribution notes")
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="contribution_note_not_empty"),
        ]

    def __str__(self):
        return f"{self.task.code}: {self.agency}"


class MilestoneChange(models.Model):
    """One change to a milestone's current due date or completion date, with its reason."""

    milestone = models.ForeignKey(
        "Milestone", verbose_name=_("milestone"), on_delete=models.CASCADE,
        related_name="changes",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="milestone_changes",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    old_due_date = models.DateField(_("previous due date"))
    new_due_date = models.DateField(_("new due date"))
    old_completed_on = models.DateField(_("previous completion date"), null=True, blank=True)
    new_completed_on = models.DateField(_("new completion date"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("milestone change")
        verbose_name_plural = _("milestone changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(old_due_date=F("new_due_date")) | ~Q(reason=""),
                name="milestone_move_needs_reason",
            ),
        ]

    def __str__(self):
        return f"{self.milestone}: {self.old_due_date} → {self.new_due_date}"

    @property
    def moves_due_date(self):
        return self.old_due_date != self.new_due_date
