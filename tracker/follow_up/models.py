"""
What follows the evaluation (지식재산 기본법 art. 10 and 15, ``shared/domain/evaluation.md``):

- improvement opinions (개선의견) the Council sends on a task or an agency, from a round or at any
  time; the agency answers with an improvement plan (개선계획): actions with their own due dates;
  the agency reports each action's status and the managers check it (이행점검). Every step is a
  row of its own with who and when: nothing is overwritten;
- budget advice (재원배분방향) on each graded project, for the year after next.

The annual report's record is ``tracker.publishing.models``. What may be written, by whom and
when, is the services' (``tracker.follow_up.opinions``, ``tracker.follow_up.advice``); the
database keeps what it can (one of a task or an agency, dates in order, one piece of advice a
project a round).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tracker.access import is_evaluator, is_plan_manager, member_agency_ids, reads_agency_records
from tracker.evaluation.models import EvaluationRound, RoundState
from tracker.plans.models import Agency, Plan
from tracker.progress.models import Task


class ActionStatus(models.TextChoices):
    IMPLEMENTED = "implemented", _("Implemented")
    IN_PROGRESS = "in_progress", _("In progress")
    NOT_IMPLEMENTED = "not_implemented", _("Not implemented")


class CheckedBy(models.TextChoices):
    AGENCY = "agency", _("The agency's own status")
    COUNCIL = "council", _("The Council's check")


class OpinionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every opinion for plan managers and superusers; for agency staff, the opinions their
        agencies (with sub-agencies) answer: on the tasks they lead, or on the agencies
        themselves (not a supporting agency's, though it sees the task); none for anyone
        else."""
        if not reads_agency_records(user):
            return self.none()
        if is_plan_manager(user):
            return self
        agencies = member_agency_ids(user)
        return self.filter(Q(task__lead_agency_id__in=agencies) | Q(agency_id__in=agencies))


class Opinion(models.Model):
    """An improvement opinion (개선의견) on a task (its lead agency answers) or on an agency. It
    is open until the managers close it; an open opinion on a task follows the task into the
    next year's plan (``carried_to``, set by the carry-over)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT,
                             related_name="opinions")
    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.PROTECT, null=True, blank=True,
                              related_name="opinions",
                              help_text=_("The evaluation it comes from, if any."))
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="opinions")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT,
                               null=True, blank=True, related_name="opinions")
    carried_to = models.ForeignKey(
        "Task", verbose_name=_("carried over to"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="carried_opinions",
        help_text=_("The task of a later plan that took this task over, while the opinion is "
                    "open."))
    text = models.TextField(_("opinion"))
    issued_on = models.DateField(_("issued on"))
    answer_due = models.DateField(_("answer due"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"),
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"),
                                  on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    closing_note = models.TextField(_("closing note"), blank=True)

    objects = OpinionQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("improvement opinion")
        verbose_name_plural = _("improvement opinions")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False, agency__isnull=True)
                | Q(task__isnull=True, agency__isnull=False),
                name="opinion_on_a_task_or_an_agency"),
            models.CheckConstraint(condition=Q(answer_due__gte=F("issued_on")),
                                   name="opinion_answer_due_after_issue"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="opinion_closed_says_by_whom"),
        ]
        indexes = [models.Index(fields=["plan", "closed_at"], name="opinion_plan_open_idx")]

    def __str__(self):
        return _("Opinion on %(unit)s (%(day)s)") % {"unit": self.task or self.agency,
                                                     "day": self.issued_on}

    @property
    def is_open(self):
        return self.closed_at is None

    @property
    def answering_agency_id(self) -> int:
        """The agency that answers: the task's lead agency, or the agency itself."""
        return self.task.lead_agency_id if self.task_id else self.agency_id

    def can_answer(self, user) -> bool:
        """Staff of the answering agency, or of an agency above it, answer and report status."""
        return (getattr(user, "is_active", False) and not is_evaluator(user)
                and self.answering_agency_id in member_agency_ids(user))


class OpinionAnswer(models.Model):
    """The agency's improvement plan (개선계획) in answer to an opinion: its text; its actions
    are ``ImprovementAction`` rows. A revised plan is a new answer: the latest is in force."""

    opinion = models.ForeignKey(Opinion, verbose_name=_("opinion"), on_delete=models.CASCADE,
                                related_name="answers")
    text = models.TextField(_("improvement plan"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["opinion_id", "submitted_at", "pk"]
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")

    def __str__(self):
        return _("Improvement plan of %(when)s") % {"when": self.submitted_at}


class ImprovementAction(models.Model):
    """One action of an improvement plan, with its due date. Its status is read from its
    checks: the agency's latest and the Council's latest."""

    opinion = models.ForeignKey(Opinion, verbose_name=_("opinion"), on_delete=models.CASCADE,
                                related_name="actions")
    answer = models.ForeignKey(OpinionAnswer, verbose_name=_("improvement plan"),
                               on_delete=models.CASCADE, related_name="actions")
    number = models.PositiveSmallIntegerField(_("number"))
    description = models.TextField(_("action"))
    due_on = models.DateField(_("due on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"), null=True, blank=True,
        help_text=_("Set when a revised improvement plan drops the action."))

    class Meta:
        ordering = ["opinion_id", "number", "pk"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        indexes = [models.Index(fields=["due_on"], name="action_due_idx")]

    def __str__(self):
        return f"{self.number}. {self.description[:60]}"


class ActionCheck(models.Model):
    """A status of an action as of a moment: reported by the agency, or checked by the Council
    (이행점검) with a note. Never changed: a new check is a new row."""

    action = models.ForeignKey(ImprovementAction, verbose_name=_("action"),
                               on_delete=models.CASCADE, related_name="checks")
    by = models.CharField(_("by"), max_length=10, choices=CheckedBy.choices)
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked by"),
                                   on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        ordering = ["action_id", "checked_at", "pk"]
        verbose_name = _("action check")
        verbose_name_plural = _("action checks")
        indexes = [models.Index(fields=["action", "by", "checked_at"],
                                name="action_check_latest_idx")]

    def __str__(self):
        return f"{self.get_by_display()}: {self.get_status_display()}"


class Recommendation(models.TextChoices):
    INCREASE = "increase", _("Increase")
    KEEP = "keep", _("Keep")
    CUT = "cut", _("Cut")
    CONDITIONAL = "conditional", _("Keep or cut on conditions")


def advice_year(round_):
    """The budget year the advice of a round is for: the year after next of the plan's (the
    2023 results' evaluation, in March 2024, advised on the 2025 budget)."""
    return round_.plan.year + 2


class BudgetAdviceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The advice a user reads in the admin: managers all of it; agency staff the advice
        on the tasks they see once the Council has approved it (it is the Council's until
        then); nobody else any."""
        if not reads_agency_records(user):
            return self.none()
        if is_plan_manager(user):
            return self
        return self.filter(round__state__in=RoundState.decided(),
                           task__in=Task.objects.visible_to(user).values("pk"))


class BudgetAdvice(models.Model):
    """The Council's budget advice (재원배분방향) on one graded project of a round."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.PROTECT, related_name="budget_advice")
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             related_name="budget_advice")
    recommendation = models.CharField(_("recommendation"), max_length=20,
                                      choices=Recommendation.choices)
    reason = models.TextField(_("reason"))
    for_year = models.PositiveSmallIntegerField(_("budget year"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    objects = BudgetAdviceQuerySet.as_manager()

    class Meta:
        ordering = ["round_id", "task_id"]
        verbose_name = _("budget advice")
        verbose_name_plural = _("budget advice")
        constraints = [
            models.UniqueConstraint(fields=["round", "task"], name="advice_one_per_project"),
        ]

    def __str__(self):
        return f"{self.task}: {self.get_recommendation_display()}"


