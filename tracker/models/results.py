"""
A task's year-end results (추진실적), which its lead agency submits for the plan's evaluation
round: the main achievements, problems and next steps, the task's performance indicators
(성과지표) with their actual values, and evidence files. The year-end state is read from the task's
history at the end of the plan's year, never retyped. What may be changed, and when, is the
services' (``tracker.results``); a decided round changes nothing.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..i18n import localized

AMOUNT = {"max_digits": 14, "decimal_places": 2}


class ResultState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Result(models.Model):
    """A task's year-end results. A draft is the agency's own; once submitted it is the round's,
    marked late when submitted after the deadline. Staff may withdraw it (back to a draft) until
    the deadline. The version makes a second save from a stale form fail, as reports do."""

    task = models.OneToOneField("Task", verbose_name=_("task"), on_delete=models.CASCADE,
                                related_name="result")
    state = models.CharField(_("state"), max_length=20, choices=ResultState.choices,
                             default=ResultState.DRAFT)
    achievements = models.TextField(_("main achievements"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    summary_public = models.TextField(
        _("public summary"), blank=True,
        help_text=_("A short summary for the published pages; without it they show none."))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    is_late = models.BooleanField(_("late"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    class Meta:
        ordering = ["task_id"]
        verbose_name = _("year-end result")
        verbose_name_plural = _("year-end results")
        constraints = [
            # Submitted results say when; a draft has no submission time and is not late.
            models.CheckConstraint(
                condition=Q(state=ResultState.SUBMITTED, submitted_at__isnull=False)
                | Q(state=ResultState.DRAFT, submitted_at__isnull=True, is_late=False),
                name="result_submitted_says_when"),
        ]
        indexes = [models.Index(fields=["state", "is_late"], name="result_state_idx")]

    def __str__(self):
        return _("Results of %(task)s") % {"task": self.task}

    @property
    def submitted(self):
        return self.state == ResultState.SUBMITTED


class PerformanceIndicatorQuerySet(models.QuerySet):
    def with_achievement(self):
        """Annotate ``achievement``: the actual value as a percentage of the target, computed in
        the database (none without an actual value or with a zero target)."""
        return self.annotate(achievement=Case(
            When(Q(actual__isnull=False) & ~Q(target=0),
                 then=F("actual") * 100 / F("target")),
            default=None, output_field=models.DecimalField(max_digits=10, decimal_places=1)))


class PerformanceIndicator(models.Model):
    """A task's performance indicator (성과지표), set with the plan (and importable with it); the
    lead agency gives its actual value with the year-end results."""

    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.CASCADE,
                             related_name="performance_indicators")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=30)
    target = models.DecimalField(_("target"), validators=[MinValueValidator(0)], **AMOUNT)
    actual = models.DecimalField(_("actual"), null=True, blank=True,
                                 validators=[MinValueValidator(0)], **AMOUNT)

    objects = PerformanceIndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["task_id", "number"]
        verbose_name = _("performance indicator")
        verbose_name_plural = _("performance indicators")
        constraints = [
            models.UniqueConstraint(fields=["task", "number"],
                                    name="performance_indicator_number_unique"),
            models.CheckConstraint(condition=Q(target__gte=0),
                                   name="performance_indicator_target_not_negative"),
            models.CheckConstraint(condition=Q(actual__isnull=True) | Q(actual__gte=0),
                                   name="performance_indicator_actual_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"

    @property
    def name(self):
        return localized(self, "name")

    @property
    def achievement_rate(self):
        """The actual value as a percentage of the target (None where it cannot be said)."""
        if self.actual is None or not self.target:
            return None
        return round(self.actual * 100 / self.target, 1)


class EvidenceKind(models.TextChoices):
    """The kinds of evidence file accepted, each recognised by its content."""

    PDF = "pdf", "PDF"
    HWP = "hwp", "HWP"
    HWPX = "hwpx", "HWPX"
    DOCX = "docx", "DOCX"
    XLSX = "xlsx", "XLSX"
    PPTX = "pptx", "PPTX"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"


def evidence_storage():
    from django.core.files.storage import storages

    return storages["evidence"]


class EvidenceFile(models.Model):
    """A file that backs a task's results. Never overwritten: a new upload is a new file, and a
    withdrawn file stays listed as withdrawn. Stored through the ``evidence`` storage and served
    only by the download view, which applies the task's access rules."""

    result = models.ForeignKey(Result, verbose_name=_("results"), on_delete=models.PROTECT,
                               related_name="evidence")
    file = models.FileField(_("file"), storage=evidence_storage, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"),
                                     on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        ordering = ["result_id", "uploaded_at", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_not_empty"),
            models.CheckConstraint(condition=Q(kind__in=EvidenceKind.values),
                                   name="evidence_kind_accepted"),
        ]

    def __str__(self):
        return self.name

    @property
    def withdrawn(self):
        return self.withdrawn_at is not None
