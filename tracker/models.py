"""
The national IP implementation plan: plans, strategies, agencies, tasks, milestones and the
progress reports behind each task's current status.

Money is an integer number of won; display units (억원, US$) belong to templates and admin
display helpers in ``tracker.money``.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


def english_active():
    """Whether the active language is English (Korean otherwise, the default)."""
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("en")


def localized_pair(korean, english):
    """The active language's version of a Korean and English pair, or the other one."""
    if english_active():
        return english or korean
    return korean or english


def localized(obj, field):
    """The active language's version of a bilingual field, falling back to the other one."""
    return localized_pair(getattr(obj, f"{field}_ko"), getattr(obj, f"{field}_en"))


class TrafficLight(models.TextChoices):
    """The colours of the Office for Government Policy Coordination's traffic lights."""

    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
    BLUE = "blue", _("Blue")
    GREY = "grey", _("Grey")


class Status(models.TextChoices):
    """A task's status, from Korean government practice (pledge tracking and OPC lights)."""

    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    DELAYED = "delayed", _("Delayed")
    COMPLETED = "completed", _("Completed")
    COMPLETED_CONTINUING = "completed_continuing", _("Completed and continuing")
    SUSPENDED = "suspended", _("Suspended")

    @property
    def light(self):
        return STATUS_LIGHTS[self]

    @property
    def review_light(self):
        """The OPC three-light equivalent, to compare with a manager's review."""
        return REVIEW_EQUIVALENT[self.light]

    @classmethod
    def finished(cls):
        """Statuses that mean the year's commitment is met: progress must be 100."""
        return [cls.COMPLETED, cls.COMPLETED_CONTINUING]


STATUS_LIGHTS = {
    Status.NOT_STARTED: TrafficLight.GREY,
    Status.ON_TRACK: TrafficLight.GREEN,
    Status.NEEDS_ATTENTION: TrafficLight.AMBER,
    Status.DELAYED: TrafficLight.RED,
    Status.COMPLETED: TrafficLight.BLUE,
    Status.COMPLETED_CONTINUING: TrafficLight.BLUE,
    Status.SUSPENDED: TrafficLight.RED,
}

REVIEW_EQUIVALENT = {
    TrafficLight.GREEN: TrafficLight.GREEN,
    TrafficLight.BLUE: TrafficLight.GREEN,  # done is on track
    TrafficLight.AMBER: TrafficLight.AMBER,
    TrafficLight.GREY: TrafficLight.AMBER,  # not started within the plan year needs attention
    TrafficLight.RED: TrafficLight.RED,
}

# Rules shared by a task's current state and each report on it, in the database.
PROGRESS_RANGE = Q(progress__gte=0, progress__lte=100)
FINISHED_MEANS_FULL = ~Q(status__in=Status.finished()) | Q(progress=100)
PROGRESS_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]

# The years whose plans and dates kipplan takes from people and files: a date outside them is a
# typing mistake, and one near the calendar's ends cannot be moved a year or into UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(_("Give a year between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR, "last": LAST_YEAR}, code="out_of_range")


def check_day(day):
    """A date (or the date of a time, as written) within the years above."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(_("Choose a date between %(first)s and %(last)s.") % {
            "first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31"}, code="out_of_range")


def end_of(day):
    """The first moment after ``day`` in the site's time zone: what "at the end of the day"
    means for every as-of page, export and reminder."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def task_code(year, number):
    """A task's stable public code: the plan's year and the task's number, e.g. 2024-07."""
    return f"{year}-{number:02d}"


def reporting_period():
    """How long a task may go without a progress report before it counts as stale
    (KIPPLAN_REPORTING_PERIOD_DAYS; the sources set no period)."""
    return timedelta(days=settings.KIPPLAN_REPORTING_PERIOD_DAYS)


def check_finished_means_full(status, progress):
    if status in Status.finished() and progress != 100:
        raise ValidationError(
            {"progress": _("A completed task must be at 100%% progress, not %(progress)s%%.")
             % {"progress": progress}}
        )


class PlanQuerySet(models.QuerySet):
    def with_budget_totals(self):
        """Annotate each plan with its task count and the sum of its task budgets."""
        return self.annotate(
            task_count=Count("tasks"),
            allocated_budget=Coalesce(Sum("tasks__budget"), 0),
        )


class Plan(models.Model):
    """One year's national IP implementation plan (시행계획)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    endorsed_by = models.ForeignKey(
        "Agency",
        verbose_name=_("endorsed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="endorsed_plans",
    )
    endorsed_on = models.DateField(_("endorsed on"), null=True, blank=True)
    total_budget = models.BigIntegerField(
        _("total budget (won)"), validators=[MinValueValidator(0)]
    )
    won_per_usd = models.DecimalField(
        _("reference rate (won per US$)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(1)],
        help_text=_("Used only to show amounts in US dollars."),
    )
    source_note = models.TextField(_("sources"), blank=True)
    data_note = models.TextField(
        _("note on illustrative data"),
        blank=True,
        help_text=_("Says which parts of this plan's data are invented for demonstration."),
    )

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_budget__gte=0), name="plan_total_budget_not_negative"
            ),
            models.CheckConstraint(condition=Q(won_per_usd__gt=0), name="plan_rate_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return localized(self, "title")

    def budget_difference(self, allocated_budget):
        """Total budget minus the sum of task budgets: zero when the plan adds up."""
        return self.total_budget - allocated_budget


class Strategy(models.Model):
    """A strategy (추진전략) of the master plan, as the yearly plan groups its tasks."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="strategies"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="strategy_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="strategy_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def title(self):
        return localized(self, "title")


class AgencyKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry (부)")
    OFFICE = "office", _("Office (처·실)")
    AGENCY = "agency", _("Agency (청)")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    TEAM = "team", _("Team")
    COUNCIL = "council", _("Council or commission (위원회)")


class AgencyQuerySet(models.QuerySet):
    def with_descendants(self):
        """These agencies and every agency below them in the tree. Reads the tree's edges in
        one query (agencies number in the hundreds) and walks them in Python."""
        children = {}
        for pk, parent_id in Agency.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        ids, frontier = set(), list(self.values_list("pk", flat=True))
        while frontier:
            pk = frontier.pop()
            if pk not in ids:
                ids.add(pk)
                frontier += children.get(pk, [])
        return Agency.objects.filter(pk__in=ids)


class Agency(models.Model):
    """A ministry, office, agency or delivery body; ``parent`` makes the tree."""

    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    note = models.TextField(_("note"), blank=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="agency_not_its_own_parent"
            ),
        ]

    def __str__(self):
        if self.abbreviation:
            return f"{self.name} ({self.abbreviation})"
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    def clean(self):
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("An agency cannot be placed below itself or its own sub-agency.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class StrategicTechnology(models.Model):
    """One of the 12 national strategic technologies (12대 국가전략기술)."""

    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, validators=[MinValueValidator(1)]
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("strategic technology")
        verbose_name_plural = _("strategic technologies")

    def __str__(self):
        return f"{self.number}. {self.name}"

    @property
    def name(self):
        return localized(self, "name")


def member_agency_ids(user):
    """The agencies a user belongs to, with their sub-agencies; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "_kipplan_agency_ids"):
        direct = Agency.objects.filter(memberships__user=user)
        user._kipplan_agency_ids = frozenset(direct.with_descendants().values_list("pk", flat=True))
    return user._kipplan_agency_ids


def overdue_condition(day=None, status_field="status"):
    """Unfinished, and past the planned end or with a milestone overdue on ``day`` (today by
    default). The one definition of an overdue task: pages, filters, admin and reminders."""
    day = day or timezone.localdate()
    # An uncorrelated IN (subquery): the database evaluates it once, not once per task.
    late = Milestone.objects.overdue(day).values("task_id")
    return ~Q(**{f"{status_field}__in": Status.finished()}) & (
        Q(end_date__lt=day) | Q(pk__in=late)
    )


def stale_condition(*, year, now=None, period=None, status_field="status",
                    reported_field="last_reported_at"):
    """Unfinished tasks of a plan of ``year`` with no report in the reporting period before
    ``now`` (or none ever). Once the plan's year has ended, the period is the one before the
    year's end: reports stop because the year is over, not because agencies forgot. The one
    definition of a stale task: pages, filters, admin and reminders."""
    now = now or timezone.now()
    since = min(now, end_of(date(year, 12, 31))) - (period or reporting_period())
    return ~Q(**{f"{status_field}__in": Status.finished()}) & (
        Q(**{f"{reported_field}__isnull": True}) | Q(**{f"{reported_field}__lt": since})
    )


def sees_every_task(user):
    return user.is_active and (user.is_superuser or user.has_perm("tracker.view_all_tasks"))


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every task for superusers and plan managers; for agency staff, the tasks their
        agencies (and sub-agencies) lead or support. Nothing for anyone else."""
        if not getattr(user, "is_active", False):
            return self.none()
        if sees_every_task(user):
            return self
        agencies = member_agency_ids(user)
        supported = Task.supporting_agencies.through.objects.filter(
            task_id=OuterRef("pk"), agency_id__in=agencies
        )
        return self.filter(Q(lead_agency_id__in=agencies) | Exists(supported))

    def reportable_by(self, user):
        """The tasks a user may report progress on: those their agencies lead."""
        if not getattr(user, "is_active", False):
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("tracker.add_progressupdate"):
            return self.none()
        return self.filter(lead_agency_id__in=member_agency_ids(user))

    def supported_by(self, user):
        """The tasks a user's agencies support, where they may add contribution notes."""
        if not getattr(user, "is_active", False) or not user.has_perm(
            "tracker.add_contributionnote"
        ):
            return self.none()
        return self.filter(supporting_agencies__in=member_agency_ids(user)).distinct()

    def overdue(self, day=None):
        """Unfinished tasks past their planned end or with a milestone overdue on the day."""
        return self.filter(overdue_condition(day))

    def stale(self, now=None, period=None):
        """Unfinished tasks with no report in the reporting period (see stale_condition),
        each measured against its own plan's year (one condition per plan year)."""
        condition = Q(pk__in=[])
        for year in Plan.objects.filter(tasks__in=self).values_list("year", flat=True).distinct():
            condition |= Q(plan__year=year) & stale_condition(year=year, now=now, period=period)
        return self.filter(condition)

    def as_of(self, day=None):
        """Annotate each task's state on a day, from its progress history: ``current_status``,
        ``current_progress``, ``current_executed`` and ``current_reported_at``. Without a day,
        the task's own current state. A task with no report by then has not started."""
        if day is None:
            return self.annotate(
                current_status=F("status"), current_progress=F("progress"),
                current_executed=F("budget_executed"), current_reported_at=F("last_reported_at"),
            )
        latest = ProgressUpdate.objects.filter(
            task_id=OuterRef("pk"), reported_at__lt=end_of(day)
        ).order_by("-reported_at", "-pk")

        def latest_value(field, default, output_field):
            return Coalesce(Subquery(latest.values(field)[:1]), default, output_field=output_field)

        return self.annotate(
            current_status=latest_value(
                "status", Value(Status.NOT_STARTED), models.CharField()
            ),
            current_progress=latest_value("progress", Value(0), models.IntegerField()),
            current_executed=latest_value("budget_executed", Value(0), models.BigIntegerField()),
            current_reported_at=Subquery(latest.values("reported_at")[:1]),
        )

    def with_latest_review(self):
        latest = ReviewAssessment.objects.filter(task_id=OuterRef("pk")).order_by(
            "-reviewed_at", "-pk"
        )
        return self.annotate(
            review_light=Subquery(latest.values("light")[:1]),
            reviewed_at=Subquery(latest.values("reviewed_at")[:1]),
        )


class Task(models.Model):
    """A detailed task (세부과제) of a yearly plan, with its current reported state."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks"
    )
    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.PROTECT, related_name="tasks"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        editable=False,
        help_text=_("Stable public code: the plan's year and the task's number, e.g. 2024-17."),
    )
    title_ko = models.CharField(_("title (Korean)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    lead_agency = models.ForeignKey(
        Agency, verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="led_tasks"
    )
    supporting_agencies = models.ManyToManyField(
        Agency, verbose_name=_("supporting agencies"), blank=True, related_name="supported_tasks"
    )
    technologies = models.ManyToManyField(
        StrategicTechnology, verbose_name=_("strategic technologies"), blank=True,
        related_name="tasks",
    )
    budget = models.BigIntegerField(_("budget (won)"), validators=[MinValueValidator(0)])
    start_date = models.DateField(_("planned start"))
    end_date = models.DateField(_("planned end"))
    # The current state: a copy of the latest progress report, kept for fast lists.
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=PROGRESS_VALIDATORS
    )
    budget_executed = models.BigIntegerField(
        _("budget executed (won)"), default=0, validators=[MinValueValidator(0)]
    )
    last_reported_at = models.DateTimeField(_("last report"), null=True, blank=True)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Goes up with every progress report, so that no report overwrites another."),
    )
    is_illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("The task's title and assignment are invented demo data."),
    )
    source_note = models.TextField(_("sources"), blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="carried_into",
        help_text=_("The unfinished task of an earlier plan that this task continues."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        permissions = [("view_all_tasks", _("Can see every agency's tasks"))]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="task_number_unique_in_plan"),
            models.CheckConstraint(condition=Q(number__gte=1), name="task_number_positive"),
            models.CheckConstraint(condition=PROGRESS_RANGE, name="task_progress_0_100"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="task_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(budget_executed__gte=0), name="task_executed_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="task_start_before_end"
            ),
            models.CheckConstraint(condition=FINISHED_MEANS_FULL, name="task_completed_is_100"),
        ]
        indexes = [
            # Filters by status, and covers every column the dashboard's grouped passes read,
            # so that they read this index rather than the tasks' rows (-60% on SQLite).
            models.Index(
                fields=["plan", "status", "strategy", "lead_agency", "end_date", "progress",
                        "budget", "budget_executed", "last_reported_at"],
                name="task_plan_status_cover_idx",
            ),
            models.Index(fields=["end_date"], name="task_end_date_idx"),
            models.Index(fields=["last_reported_at"], name="task_last_report_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = self.make_code()
        super().save(*args, **kwargs)

    @property
    def title(self):
        return localized(self, "title")

    @property
    def description(self):
        return localized(self, "description")

    @property
    def light(self):
        return Status(self.status).light

    def review_differs(self, review_light):
        """Does a manager's review light disagree with the agency's own status?"""
        return bool(review_light) and review_light != Status(self.status).review_light

    def make_code(self):
        return task_code(self.plan.year, self.number)

    def can_view(self, user):
        return Task.objects.visible_to(user).filter(pk=self.pk).exists()

    def can_report(self, user):
        """May this user report progress and update milestones on this task?"""
        return Task.objects.reportable_by(user).filter(pk=self.pk).exists()

    def can_contribute(self, user):
        return Task.objects.supported_by(user).filter(pk=self.pk).exists()

    @staticmethod
    def can_review(user):
        return user.is_active and user.has_perm("tracker.add_reviewassessment")

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.start_date > self.end_date:
            errors["end_date"] = _("The planned end cannot be before the planned start.")
        if self.plan_id and self.strategy_id and self.strategy.plan_id != self.plan_id:
            errors["strategy"] = _("The strategy belongs to another plan.")
        if errors:
            raise ValidationError(errors)
        check_finished_means_full(self.status, self.progress)
        if not self.code and self.plan_id and self.number:
            # Set before validate_unique runs, so a clash is a form error, not a crash.
            self.code = self.make_code()


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, day=None):
        """Milestones still open at the end of ``day`` (today by default) and due before it:
        not completed, or completed only later. The one definition of an overdue milestone."""
        day = day or timezone.localdate()
        return self.filter(Q(completed_on__isnull=True) | Q(completed_on__gt=day),
                           due_date__lt=day)


class Milestone(models.Model):
    """A dated step of a task. The baseline is the date endorsed with the plan."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="milestones"
    )
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    baseline_date = models.DateField(_("baseline date"))
    due_date = models.DateField(_("current due date"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    is_illustrative = models.BooleanField(_("illustrative"), default=False)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["task_id", "baseline_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [
            models.Index(fields=["due_date"], name="milestone_due_idx"),
            # Overdue milestones: the open ones, by due date.
            models.Index(fields=["due_date", "task"], condition=Q(completed_on__isnull=True),
                         name="milestone_open_due_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return localized(self, "title")

    @property
    def slippage_days(self):
        """How many days the current due date lies after the baseline (negative: earlier)."""
        return (self.due_date - self.baseline_date).days



class StateSource(models.TextChoices):
    """Where an entry of a task's history comes from."""

    REPORT = "report", _("Progress report")
    IMPORT = "import", _("Plan import")


class ProgressUpdate(models.Model):
    """One entry of a task's history: a report, or the state a plan import gave the task. The
    task's current state is a copy of its latest entry (see ``task_state``); append-only."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="updates"
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


class ReviewLight(models.TextChoices):
    """A plan manager's own traffic light for a task (OPC practice)."""

    GREEN = TrafficLight.GREEN.value, _("Green: on track (정상추진)")
    AMBER = TrafficLight.AMBER.value, _("Amber: needs attention (관심필요)")
    RED = TrafficLight.RED.value, _("Red: to be reviewed (과제 재검토 필요)")


class ReviewAssessment(models.Model):
    """A plan manager's assessment of a task, shown beside the agency's own status."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reviews"
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
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="contributions"
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
        Milestone, verbose_name=_("milestone"), on_delete=models.CASCADE, related_name="changes"
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


class Indicator(models.Model):
    """An outcome indicator of a plan, with yearly values and a target."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="indicators"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit_ko = models.CharField(_("unit (Korean)"), max_length=50)
    unit_en = models.CharField(_("unit (English)"), max_length=50, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_ko = models.CharField(_("target (Korean)"), max_length=200, blank=True)
    target_en = models.CharField(_("target (English)"), max_length=200, blank=True)
    source = models.TextField(_("source"))

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name = _("outcome indicator")
        verbose_name_plural = _("outcome indicators")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="indicator_number_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    @property
    def unit(self):
        return localized(self, "unit")

    @property
    def target(self):
        return localized(self, "target")


class IndicatorValue(models.Model):
    """One year's value of an outcome indicator."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    note_ko = models.CharField(_("note (Korean)"), max_length=200, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["indicator_id", "year"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="indicator_value_unique"),
        ]

    def __str__(self):
        return f"{self.indicator}: {self.year} {self.value}"

    @property
    def note(self):
        return localized(self, "note")
