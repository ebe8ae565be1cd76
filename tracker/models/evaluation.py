"""
The year-end evaluation of a plan (추진실적 점검·평가, 지식재산 기본법 art. 10): one round per
plan, moving preparing → submission → evaluation → approved → published, and the grades the
Council approves. A round's dates are the managers' (the sources give none); its steps are
services (``tracker.evaluation``), which refuse any change to a round once it is approved; the
admin shows it read-only; the database keeps its dates in order and a graded task or institution
from being deleted.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .plans import Agency, Plan


class RoundState(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    SUBMISSION = "submission", _("Results being submitted")
    EVALUATION = "evaluation", _("Being evaluated")
    APPROVED = "approved", _("Approved by the Council")
    PUBLISHED = "published", _("Published")

    @classmethod
    def decided(cls):
        """The states in which the grades are the Council's and nothing of the round changes."""
        return [cls.APPROVED, cls.PUBLISHED]


class GradeLevel(models.TextChoices):
    """The Council's grades, best first."""

    OUTSTANDING = "outstanding", _("Outstanding (최우수)")
    EXCELLENT = "excellent", _("Excellent (우수)")
    SATISFACTORY = "satisfactory", _("Satisfactory (보통)")
    INSUFFICIENT = "insufficient", _("Insufficient (미흡)")


def in_order(earlier, later):
    """A check that one date of the round is not after another (either may be unset)."""
    return Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__isnull": True}) | Q(
        **{f"{earlier}__lte": F(later)})


class EvaluationRound(models.Model):
    """The evaluation of one plan's results, with the dates the managers set."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.CASCADE,
                                related_name="evaluation_round")
    state = models.CharField(_("state"), max_length=20, choices=RoundState.choices,
                             default=RoundState.PREPARING)
    submission_opens = models.DateField(_("results submission opens"), null=True, blank=True)
    submission_closes = models.DateField(_("results submission closes"), null=True, blank=True)
    evaluation_closes = models.DateField(_("evaluation closes"), null=True, blank=True)
    meeting_number = models.PositiveSmallIntegerField(_("approving Council meeting"), null=True,
                                                      blank=True)
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    held_in_writing = models.BooleanField(_("held in writing"), default=False)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative"), default=False,
        help_text=_("The round's dates, scores and grades are invented demo data."))

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        constraints = [
            models.CheckConstraint(condition=in_order("submission_opens", "submission_closes"),
                                   name="round_submission_in_order"),
            models.CheckConstraint(condition=in_order("submission_closes", "evaluation_closes"),
                                   name="round_evaluation_after_submission"),
            models.CheckConstraint(condition=in_order("evaluation_closes", "meeting_date"),
                                   name="round_meeting_after_evaluation"),
            models.CheckConstraint(condition=in_order("meeting_date", "published_on"),
                                   name="round_published_after_meeting"),
            # A decided round has the meeting that decided it.
            models.CheckConstraint(
                condition=~Q(state__in=RoundState.decided()) | Q(meeting_date__isnull=False),
                name="round_decided_at_a_meeting"),
        ]

    def __str__(self):
        return _("Evaluation of the %(plan)s") % {"plan": self.plan}

    @property
    def decided(self):
        return self.state in RoundState.decided()


class Grade(models.Model):
    """A graded unit's grade in a round: a ministry's project (a task) or, for a metropolitan
    government, the institution itself (an agency)."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE, related_name="grades")
    # A graded task or institution cannot be deleted: the grade is the Council's record.
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="grades")
    agency = models.ForeignKey(Agency, verbose_name=_("institution"), on_delete=models.PROTECT,
                               null=True, blank=True, related_name="grades")
    grade = models.CharField(_("grade"), max_length=20, choices=GradeLevel.choices)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["round_id", "task_id", "agency_id"]
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False, agency__isnull=True)
                | Q(task__isnull=True, agency__isnull=False),
                name="grade_of_a_task_or_an_institution"),
            models.UniqueConstraint(fields=["round", "task"], name="grade_one_per_task"),
            models.UniqueConstraint(fields=["round", "agency"], name="grade_one_per_institution"),
        ]

    def __str__(self):
        return f"{self.task or self.agency}: {self.get_grade_display()}"

    def clean(self):
        if self.task_id and self.round_id and self.task.plan_id != self.round.plan_id:
            raise ValidationError({"task": _("The task belongs to another plan.")})
        if bool(self.task_id) == bool(self.agency_id):
            raise ValidationError(_("Grade either a task or an institution."))
