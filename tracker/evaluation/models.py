"""
The year-end evaluation's records: a plan's round with its criteria, the evaluators'
assignments and scores and the grades; and the results the agencies submit for it, with their
performance indicators and evidence files.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Sum, When
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.access import is_plan_manager
from tracker.common import calendar
from tracker.common.i18n import localized
from tracker.plans.models import Agency, Plan
from tracker.progress.models import Task

# A task's year-end results (추진실적), which its lead agency submits for the plan's evaluation
# round: the main achievements, problems and next steps, the task's performance indicators
# (성과지표) with their actual values, and evidence files. The year-end state is read from the
# task's history at the end of the plan's year, never retyped. What may be changed, and when, is the
# services' (``tracker.evaluation.services``); a decided round changes nothing.


AMOUNT = {"max_digits": 14, "decimal_places": 2}


class ResultState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Result(models.Model):
    """Year-end results: a task's, written by its lead agency, or a metropolitan government's
    own as an institution (its regional IP programmes, for a plan), written by its staff with or
    without national tasks. A draft is the writer's own; once submitted it is the round's,
    marked late when submitted after the deadline. Staff may withdraw it (back to a draft) until
    the deadline. The version makes a second save from a stale form fail, as reports do."""

    task = models.OneToOneField("Task", verbose_name=_("task"), on_delete=models.CASCADE,
                                related_name="result", null=True, blank=True)
    institution = models.ForeignKey(
        Agency, verbose_name=_("institution"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="institution_results")
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, null=True,
                             blank=True, related_name="institution_results",
                             help_text=_("An institution's results are for a plan."))
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
            # A task's results, or an institution's for a plan: one of the two.
            models.CheckConstraint(
                condition=Q(task__isnull=False, institution__isnull=True, plan__isnull=True)
                | Q(task__isnull=True, institution__isnull=False, plan__isnull=False),
                name="result_of_a_task_or_an_institution"),
            models.UniqueConstraint(fields=["plan", "institution"],
                                    name="result_one_per_institution"),
        ]
        indexes = [models.Index(fields=["state", "is_late"], name="result_state_idx")]

    def __str__(self):
        return _("Results of %(task)s") % {"task": self.task or self.institution}

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
    lead agency gives its actual value with the year-end results. A metropolitan government sets
    its institution's own indicators with its results (``result``)."""

    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.CASCADE,
                             related_name="performance_indicators", null=True, blank=True)
    result = models.ForeignKey("Result", verbose_name=_("institution's results"),
                               on_delete=models.CASCADE, related_name="indicators", null=True,
                               blank=True)
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
            models.UniqueConstraint(fields=["result", "number"],
                                    name="performance_indicator_number_per_result"),
            models.CheckConstraint(condition=Q(task__isnull=False, result__isnull=True)
                                   | Q(task__isnull=True, result__isnull=False),
                                   name="performance_indicator_of_a_task_or_a_result"),
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
# The year-end evaluation of a plan (추진실적 점검·평가, 지식재산 기본법 art. 10): one round per
# plan, moving preparing → submission → evaluation → approved → published, and the grades the
# Council approves. A round's dates are the managers' (the sources give none); its steps are
# services (``tracker.evaluation.services``), which refuse any change to a round once it is
# approved; the admin shows it read-only; the database keeps its dates in order and a graded task
# or institution from being deleted.


SCORE = {"max_digits": 6, "decimal_places": 2}


def default_scale_min():
    return Decimal(settings.KIPPLAN_EVALUATION["scale"][0])


def default_scale_max():
    return Decimal(settings.KIPPLAN_EVALUATION["scale"][1])


def default_band(grade):
    return lambda: Decimal(settings.KIPPLAN_EVALUATION["bands"][grade])


def default_band_outstanding():
    return default_band("outstanding")()


def default_band_excellent():
    return default_band("excellent")()


def default_band_satisfactory():
    return default_band("satisfactory")()


def default_evaluators_per_unit():
    return settings.KIPPLAN_EVALUATION["evaluators_per_unit"]


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


# The round's steps in order: each moves only to the next (the managers' action, with the dates
# and records each step needs: ``tracker.evaluation.services.advance``).
NEXT = {
    RoundState.PREPARING: RoundState.SUBMISSION,
    RoundState.SUBMISSION: RoundState.EVALUATION,
    RoundState.EVALUATION: RoundState.APPROVED,
    RoundState.APPROVED: RoundState.PUBLISHED,
}

# What each step allows: the one table the services, pages, admin and reminders read through
# ``EvaluationRound.allows``; a step not listed for a thing refuses it.
ALLOWS = {
    # a task's performance indicators are set with the plan, before results are taken
    "indicators": {RoundState.PREPARING},
    # agencies write and submit year-end results (marked late after the deadline)
    "results": {RoundState.SUBMISSION, RoundState.EVALUATION},
    # a submitted result goes back to a draft (and only before the deadline)
    "withdrawal": {RoundState.SUBMISSION},
    # evaluators are assigned and unassigned until the Council decides
    "assignments": {RoundState.PREPARING, RoundState.SUBMISSION, RoundState.EVALUATION},
    # evaluators score, and the managers set the grades
    "scores": {RoundState.EVALUATION},
    "grades": {RoundState.EVALUATION},
    # budget advice is drafted beside the grades, recorded after the Council's meeting, and
    # kept editable after publication until the annual report is sent, by default
    # (KIPPLAN_ADVICE_OPEN_UNTIL; tracker.follow_up.advice.is_open_for_advice)
    "advice": {RoundState.EVALUATION, RoundState.APPROVED, RoundState.PUBLISHED},
    # the annual report is compiled from the results submitted (decree art. 17), and says the
    # evaluation is pending until the Council has decided it
    "report": {RoundState.SUBMISSION, RoundState.EVALUATION, RoundState.APPROVED,
               RoundState.PUBLISHED},
    # the grades and the public summaries are everyone's
    "publication": {RoundState.PUBLISHED},
}


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
    guideline_by = models.DateField(
        _("evaluation guideline sent by"), null=True, blank=True,
        help_text=_("By default 31 October of the plan's year (enforcement decree art. 11)."))
    submission_opens = models.DateField(_("results submission opens"), null=True, blank=True)
    submission_closes = models.DateField(
        _("results submission closes"), null=True, blank=True,
        help_text=_("By default 15 January after the plan's year (enforcement decree art. 11)."))
    evaluation_closes = models.DateField(_("evaluation closes"), null=True, blank=True)
    meeting_number = models.PositiveSmallIntegerField(_("approving Council meeting"), null=True,
                                                      blank=True)
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    held_in_writing = models.BooleanField(_("held in writing"), default=False)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    notice_by = models.DateField(
        _("results and opinions notified by"), null=True, blank=True,
        help_text=_("By default 31 March after the plan's year (enforcement decree art. 11)."))
    is_illustrative = models.BooleanField(
        _("illustrative"), default=False,
        help_text=_("The round's dates, scores and grades are invented demo data."))
    # The scale, bands and panel size: the sources give none; a new round takes the defaults of
    # KIPPLAN_EVALUATION and the managers change them before scoring starts.
    scale_min = models.DecimalField(_("lowest score"), default=default_scale_min, **SCORE)
    scale_max = models.DecimalField(_("highest score"), default=default_scale_max, **SCORE)
    band_outstanding = models.DecimalField(
        _("lowest mean for 최우수"), default=default_band_outstanding, **SCORE)
    band_excellent = models.DecimalField(
        _("lowest mean for 우수"), default=default_band_excellent, **SCORE)
    band_satisfactory = models.DecimalField(
        _("lowest mean for 보통"), default=default_band_satisfactory, **SCORE,
        help_text=_("Below it, 미흡. The bands guide the grades; a grade that departs from its "
                    "band needs a reason."))
    evaluators_per_unit = models.PositiveSmallIntegerField(
        _("evaluators per graded unit"), default=default_evaluators_per_unit,
        validators=[MinValueValidator(2)],
        help_text=_("At least two evaluators score each project or institution."))

    class Meta:
        ordering = ["-plan__year"]
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        constraints = [
            models.CheckConstraint(condition=Q(scale_min__lt=F("scale_max")),
                                   name="round_scale_in_order"),
            models.CheckConstraint(
                condition=Q(band_satisfactory__gte=F("scale_min"),
                            band_excellent__gte=F("band_satisfactory"),
                            band_outstanding__gte=F("band_excellent"),
                            scale_max__gte=F("band_outstanding")),
                name="round_bands_in_order"),
            models.CheckConstraint(condition=Q(evaluators_per_unit__gte=2),
                                   name="round_two_evaluators_or_more"),
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

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.take_the_calendar()
        super().save(*args, **kwargs)

    def take_the_calendar(self):
        """A new round's dates that the decree sets, where none is given (KIPPLAN_CALENDAR)."""
        year = self.plan.year
        for field, step in [("guideline_by", "guideline_by"),
                            ("submission_closes", "results_due"), ("notice_by", "notice_by")]:
            if getattr(self, field) is None:
                setattr(self, field, calendar.due(step, year))

    def clean(self):
        if self._state.adding and self.plan_id is not None:
            self.take_the_calendar()  # checked below with the dates given
        errors = {}
        for earlier, later in [("submission_opens", "submission_closes"),
                               ("submission_closes", "evaluation_closes"),
                               ("evaluation_closes", "meeting_date"),
                               ("meeting_date", "published_on")]:
            first, then = getattr(self, earlier), getattr(self, later)
            if first and then and first > then:
                errors[later] = _("This date comes before “%(earlier)s”.") % {
                    "earlier": self._meta.get_field(earlier).verbose_name}
        if None not in (self.scale_min, self.scale_max) and self.scale_min >= self.scale_max:
            errors["scale_max"] = _("The highest score must be above the lowest.")
        bands = [self.scale_min, self.band_satisfactory, self.band_excellent,
                 self.band_outstanding, self.scale_max]
        if None not in bands and bands != sorted(bands):
            errors["band_satisfactory"] = _(
                "The bands must rise within the scale: lowest score ≤ 보통 ≤ 우수 ≤ 최우수 ≤ "
                "highest score.")
        if errors:
            raise ValidationError(errors)

    @property
    def decided(self):
        return self.state in RoundState.decided()

    def grades_visible_to(self, user) -> bool:
        """Whether a user sees the round's grades: managers always; agency staff and everyone
        else once the Council has approved them (the public once published)."""
        if is_plan_manager(user):
            return True
        if getattr(user, "is_authenticated", False):
            return self.decided
        return self.state == RoundState.PUBLISHED

    @property
    def scoring_started(self):
        return self.state not in (RoundState.PREPARING, RoundState.SUBMISSION)

    def allows(self, what: str) -> bool:
        """Whether the round's step allows ``what`` (a key of ``ALLOWS``)."""
        return self.state in ALLOWS[what]

    @property
    def bands(self) -> list:
        """The round's grade bands, best first, each with its lowest mean (None for 미흡, which
        has none): the one place that reads the band fields in order."""
        return [(GradeLevel.OUTSTANDING, self.band_outstanding),
                (GradeLevel.EXCELLENT, self.band_excellent),
                (GradeLevel.SATISFACTORY, self.band_satisfactory),
                (GradeLevel.INSUFFICIENT, None)]

    def band_for(self, mean):
        """The grade the round's bands give a panel mean (None without a mean): a mean at a
        band's floor is in it."""
        if mean is None:
            return None
        return next(grade for grade, lowest in self.bands if lowest is None or mean >= lowest)

    def submission_is_late(self, day=None):
        """Whether a result submitted on ``day`` (today) is after the round's deadline."""
        day = day or timezone.localdate()
        return self.submission_closes is not None and day > self.submission_closes


class Criterion(models.Model):
    """One criterion the evaluators score, with its weight in the round's weighted mean. Some
    criteria apply to metropolitan governments only (region-specific strategy, response to
    demand)."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name_ko = models.CharField(_("name (Korean)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), validators=[MinValueValidator(1)])
    institutions_only = models.BooleanField(
        _("metropolitan governments only"), default=False,
        help_text=_("Scored for metropolitan governments (graded as institutions) only."))

    class Meta:
        ordering = ["round_id", "number"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="criterion_number_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="criterion_weight_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        from tracker.common.i18n import localized

        return localized(self, "name")

    def applies_to(self, unit):
        return not self.institutions_only or unit.is_institution


def unit_condition(prefix=""):
    """A graded unit is a task (a ministry's project) or an institution, never both."""
    return Q(**{f"{prefix}task__isnull": False, f"{prefix}agency__isnull": True}) | Q(
        **{f"{prefix}task__isnull": True, f"{prefix}agency__isnull": False})


class GradedUnit(models.Model):
    """What is graded: a ministry's project (a task) or a metropolitan government (an agency)."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE)
    # A graded or assessed task or institution cannot be deleted: it is the Council's record.
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             null=True, blank=True)
    agency = models.ForeignKey(Agency, verbose_name=_("institution"), on_delete=models.PROTECT,
                               null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def unit(self):
        return self.task or self.agency

    @property
    def is_institution(self):
        return self.agency_id is not None

    def unit_agency(self):
        """The agency the unit belongs to: the task's lead agency, or the institution."""
        return self.task.lead_agency if self.task_id else self.agency

    def clean_unit(self):
        if bool(self.task_id) == bool(self.agency_id):
            raise ValidationError(_("Choose either a task or an institution."))
        if self.task_id and self.round_id and self.task.plan_id != self.round.plan_id:
            raise ValidationError({"task": _("The task belongs to another plan.")})


class AssignmentQuerySet(models.QuerySet):
    def for_evaluator(self, user):
        return self.filter(evaluator=user) if user.is_active else self.none()

    def with_progress(self):
        """Annotate each assignment with the criteria it has scores for (``scored``) and the
        criteria it must score (``required``: those of its round that apply to its unit)."""
        applicable = Criterion.objects.filter(round_id=models.OuterRef("round_id")).filter(
            Q(institutions_only=False) | Q(institutions_only=models.OuterRef("is_institution_")))
        return self.annotate(
            is_institution_=models.ExpressionWrapper(Q(agency__isnull=False),
                                                     output_field=models.BooleanField()),
            scored=F("criteria_scored"),
            required=models.Subquery(
                applicable.order_by().values("round_id").annotate(n=models.Count("pk"))
                .values("n")[:1], output_field=models.IntegerField()),
        )


class Assignment(GradedUnit):
    """An evaluator's assignment to score one graded unit of a round, with their comment. Its
    version makes a second save from a stale form fail instead of overwriting the first."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE, related_name="assignments")
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="assignments")
    agency = models.ForeignKey(Agency, verbose_name=_("institution"), on_delete=models.PROTECT,
                               null=True, blank=True, related_name="assignments")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"),
                                  on_delete=models.PROTECT, related_name="assignments")
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now, editable=False)
    scored_at = models.DateTimeField(_("last scored at"), null=True, blank=True, editable=False)
    # How many criteria the evaluator has scored: a count of the assignment's scores, kept
    # by the code that writes scores (tracker.evaluation.services.recount_scores), so that the
    # evaluation page reads every evaluator's progress without counting 50,000 scores
    # (bench/README.md).
    criteria_scored = models.PositiveSmallIntegerField(_("criteria scored"), default=0,
                                                       editable=False)
    # Σ score × weight, in hundredths (scores have two decimals, weights none: a whole number),
    # and Σ weight of the assignment's scores, kept the same way: the panel's weighted mean of a
    # unit is Σ weighted_hundredths ÷ Σ weight_total ÷ 100 over its assignments, reckoned in
    # whole numbers (``panel_cents``), exactly and alike on every database.
    weighted_hundredths = models.PositiveBigIntegerField(_("weighted total (hundredths)"),
                                                         default=0, editable=False)
    weight_total = models.PositiveIntegerField(_("total weight"), default=0, editable=False)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["round_id", "task_id", "agency_id", "evaluator_id"]
        verbose_name = _("evaluator assignment")
        verbose_name_plural = _("evaluator assignments")
        constraints = [
            models.CheckConstraint(condition=unit_condition(),
                                   name="assignment_of_a_task_or_an_institution"),
            models.UniqueConstraint(fields=["evaluator", "task"],
                                    name="assignment_once_per_task"),
            models.UniqueConstraint(fields=["round", "evaluator", "agency"],
                                    name="assignment_once_per_institution"),
        ]
        indexes = [
            models.Index(fields=["evaluator", "round"], name="assignment_evaluator_idx"),
            # The evaluation page groups a round's assignments by unit, with their totals,
            # read from this index alone (bench/README.md).
            models.Index(fields=["round", "task", "agency", "weighted_hundredths",
                                 "weight_total"], name="assignment_round_unit_idx"),
            # ... and by evaluator, read from this index alone (bench/README.md).
            models.Index(fields=["round", "evaluator", "agency", "criteria_scored"],
                         name="assignment_progress_idx"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.evaluator}"

    def clean(self):
        self.clean_unit()


class Score(models.Model):
    """One evaluator's score of one criterion for their assignment's unit."""

    assignment = models.ForeignKey(Assignment, verbose_name=_("assignment"),
                                   on_delete=models.CASCADE, related_name="scores")
    # A scored criterion is not deleted on its own; with its whole round, it goes.
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"),
                                  on_delete=models.RESTRICT, related_name="scores")
    value = models.DecimalField(_("score"), **SCORE)

    class Meta:
        ordering = ["assignment_id", "criterion__number"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"],
                                    name="score_one_per_criterion"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.value}"


def panel_cents(prefix=""):
    """The panel's weighted mean of a unit in cents, computed in the database over its
    assignments: Σ score × weight ÷ Σ weight over every score of every evaluator of the unit,
    from each assignment's totals (Assignment.weighted_hundredths and weight_total), rounded
    half up to the cent (사사오입: 89.995 is 90.00). Reckoned in whole numbers, so that every
    database gives the same cent and compares and sorts it exactly: with N hundredths and W
    weights, the mean in cents is N ÷ W, and rounded half up, ⌊(2N + W) ÷ 2W⌋ (N, W ≥ 0; both
    databases divide whole numbers towards zero). The sums are cast to whole numbers:
    PostgreSQL sums bigints as numeric, and dividing numerics would not drop the remainder.
    Without scores, none. ``mean_of_cents`` makes the Decimal."""
    hundredths = Cast(Sum(f"{prefix}weighted_hundredths"), models.BigIntegerField())
    weights = Cast(Sum(f"{prefix}weight_total"), models.BigIntegerField())
    return models.ExpressionWrapper(
        (2 * hundredths + weights) / NullIf(2 * weights, 0),
        output_field=models.BigIntegerField())


def mean_of_cents(cents):
    """A panel mean in cents (``panel_cents``) as the Decimal shown and stored: 8740 → 87.40."""
    return None if cents is None else Decimal(cents).scaleb(-2)


class Grade(GradedUnit):
    """A graded unit's grade in a round: a ministry's project (a task) or, for a metropolitan
    government, the institution itself (an agency). ``reason`` says why a grade departs from the
    band of the panel's mean."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE, related_name="grades")
    task = models.ForeignKey("Task", verbose_name=_("task"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="grades")
    agency = models.ForeignKey(Agency, verbose_name=_("institution"), on_delete=models.PROTECT,
                               null=True, blank=True, related_name="grades")
    grade = models.CharField(_("grade"), max_length=20, choices=GradeLevel.choices)
    reason = models.TextField(_("reason"), blank=True)
    mean = models.DecimalField(
        _("panel mean"), max_digits=8, decimal_places=2, null=True, blank=True, editable=False,
        help_text=_("The panel's weighted mean when the grade was set."))

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
        # The 최우수 list: a round's grades of one level (bench/README.md).
        indexes = [models.Index(fields=["round", "grade"], name="grade_round_level_idx")]

    def __str__(self):
        return f"{self.task or self.agency}: {self.get_grade_display()}"

    def clean(self):
        self.clean_unit()


class RoundStep(models.Model):
    """A step the round took: who moved it, when, what was still incomplete or early by the
    round's own dates at that moment, and the reason given for going ahead anyway."""

    round = models.ForeignKey(EvaluationRound, verbose_name=_("evaluation round"),
                              on_delete=models.CASCADE, related_name="steps_taken")
    from_state = models.CharField(_("from"), max_length=20, choices=RoundState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=RoundState.choices)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"),
                                 on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    warnings = models.JSONField(_("incomplete or early"), default=list, blank=True)
    reason = models.TextField(_("reason for going ahead"), blank=True)

    class Meta:
        ordering = ["round_id", "taken_at", "pk"]
        verbose_name = _("step of a round")
        verbose_name_plural = _("steps of rounds")
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


def decided_grade_lock(task) -> dict:
    """Once the Council has decided a round, the projects it graded keep the agencies and budget
    they were graded with: read-only for everyone (``Task.locks``)."""
    if not task.grades.filter(round__state__in=RoundState.decided()).exists():
        return {}
    why = _("The Council has approved this task's grade: its agencies and budget stay as "
            "they were graded.")
    return {"lead_agency": why, "supporting_agencies": why, "budget": why}


Task.locks.append(decided_grade_lock)
