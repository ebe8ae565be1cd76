"""
The tasks of a plan and their milestones, with the rules every page, filter, admin list, export
and reminder reads them by (overdue, stale, the end of a day, a task's code); a task's history,
append-only (progress reports, reviews, contribution notes, milestone changes); and the
reminders sent.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tracker.access import is_evaluator, is_plan_manager, member_agency_ids
from tracker.common.choices import ReviewLight, StateSource, Status
from tracker.common.i18n import localized
from tracker.common.validators import (
    FINISHED_MEANS_FULL,
    PROGRESS_RANGE,
    PROGRESS_VALIDATORS,
    check_finished_means_full,
)
from tracker.plans.models import Agency, KeyTask, Plan, StrategicTechnology, Strategy

# A task's history, append-only: progress reports (and the states imports give), managers'
# reviews, supporting agencies' contribution notes and milestone changes.


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


# Tasks and their milestones, with the rules every page, filter, admin list, export and
# reminder reads them by: overdue, stale, the end of a day, a task's code.
#
# A task's current state (status, progress, budget executed, last report) is a copy of the latest
# entry of its history (``tracker.progress.models``), written only with that entry.


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
    ``now`` (or none ever). The period lies within the plan's year: once the year has ended it
    is the period before the year's end (reports stop because the year is over, not because
    agencies forgot), and until one period of the year has passed no task is stale yet (a plan
    carried into next year is not late before it starts). The one definition of a stale task:
    pages, filters, admin and reminders."""
    now = now or timezone.now()
    since = min(now, end_of(date(year, 12, 31))) - (period or reporting_period())
    if since < end_of(date(year - 1, 12, 31)):
        return Q(pk__in=[])
    # The report time first: where it is recent, the database skips the status (a subquery
    # for a day in the past).
    return (Q(**{f"{reported_field}__isnull": True}) | Q(**{f"{reported_field}__lt": since})) & ~Q(
        **{f"{status_field}__in": Status.finished()})


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every task for superusers and plan managers; for agency staff, the tasks their
        agencies (and sub-agencies) lead or support. Nothing for anyone else."""
        if not getattr(user, "is_active", False):
            return self.none()
        if is_plan_manager(user):
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

    def results_readable_by(self, user):
        """The tasks whose year-end results a user may read: those they see, and for an
        evaluator the tasks of the units assigned to them (a task, or every task an assigned
        institution leads)."""
        if not getattr(user, "is_active", False):
            return self.none()
        if is_plan_manager(user):
            return self
        # The evaluators' assignments, reached through the reverse relation (the evaluation's
        # models stand above these).
        assignments = self.model._meta.get_field("assignments").related_model.objects
        assigned = assignments.filter(evaluator=user).filter(
            Q(task_id=OuterRef("pk"))
            | Q(agency_id=OuterRef("lead_agency_id"), round__plan_id=OuterRef("plan_id")))
        if is_evaluator(user):
            # An evaluator's agencies are there for the conflict rule, not to read results.
            return self.filter(Exists(assigned))
        visible = Task.objects.visible_to(user).values("pk")
        return self.filter(Q(pk__in=visible) | Exists(assigned))

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
    key_task = models.ForeignKey(
        KeyTask, verbose_name=_("key task"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="tasks", help_text=_("The master plan's key task (중점과제) under the task's "
                                          "strategy."),
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
    # The current state: a copy of the latest entry of the task's history (a report, or the
    # state an import gave it), written only with that entry; kept for fast lists.
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
                fields=["plan", "status", "strategy", "key_task", "lead_agency", "end_date",
                        "progress", "budget", "budget_executed", "last_reported_at"],
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

    def can_read_results(self, user):
        return Task.objects.results_readable_by(user).filter(pk=self.pk).exists()

    def can_write_results(self, user):
        """Results are written by the staff of the lead agency, as reports are."""
        return (getattr(user, "is_active", False) and user.has_perm("tracker.change_result")
                and self.can_report(user))

    def can_contribute(self, user):
        return Task.objects.supported_by(user).filter(pk=self.pk).exists()

    @staticmethod
    def can_review(user):
        return user.is_active and user.has_perm("tracker.add_reviewassessment")

    # Rules of the parts above that fix some of a task's fields (tracker.evaluation.models: a
    # graded task's agencies and budget once the Council has decided): each a callable
    # (task) -> {field name: why it is fixed}, read by clean() and by the task admin.
    locks = []

    def locked_fields(self) -> dict:
        """{field: why it is fixed}, from every lock; read once an instance."""
        if self.pk is None:
            return {}
        if not hasattr(self, "_locked_fields"):
            self._locked_fields = {}
            for lock in self.locks:
                self._locked_fields.update(lock(self))
        return self._locked_fields

    def clean(self):
        errors = {}
        # The fields a lock fixes (their many-to-many ones are read-only in the admin).
        fixed = {name: why for name, why in self.locked_fields().items()
                 if not self._meta.get_field(name).many_to_many}
        if fixed:
            stored = Task.objects.filter(pk=self.pk).values(
                *(self._meta.get_field(name).attname for name in fixed)).first() or {}
            for name, why in fixed.items():
                attname = self._meta.get_field(name).attname
                if attname in stored and stored[attname] != getattr(self, attname):
                    errors[name] = why
        if self.start_date and self.end_date and self.start_date > self.end_date:
            errors["end_date"] = _("The planned end cannot be before the planned start.")
        if self.plan_id and self.strategy_id and self.strategy.plan_id != self.plan_id:
            errors["strategy"] = _("The strategy belongs to another plan.")
        if self.key_task_id and self.strategy_id and self.key_task.strategy_id != self.strategy_id:
            errors["key_task"] = _("The key task belongs to another strategy.")
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

    def of_unfinished_tasks(self, as_of=None):
        """Those of tasks not finished at the end of ``as_of`` (now without a day): a finished
        task is not overdue, whatever its milestones say (as in overdue_condition)."""
        if as_of is None:  # the task's own status, read in the join
            return self.exclude(task__status__in=Status.finished())
        finished = Task.objects.filter(pk__in=self.values("task_id")).as_of(as_of).filter(
            current_status__in=Status.finished())
        return self.exclude(task__in=finished.values("pk"))


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


