"""
Every state change with a business rule. The admin, views and management commands call these;
they do not repeat the rules.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .access import member_agency_ids
from .models import (
    ContributionNote,
    KeyTask,
    Milestone,
    MilestoneChange,
    Opinion,
    Plan,
    ProgressUpdate,
    ReviewAssessment,
    ReviewLight,
    Status,
    Strategy,
    Task,
    task_code,
)
from .validators import check_finished_means_full, check_year

NEEDS_A_REASON = {Status.NEEDS_ATTENTION, Status.DELAYED, Status.SUSPENDED}
# A budget executed this many times the last report's needs a note: most such jumps are an amount
# typed in the wrong unit or with a zero too many.
JUMP = 10
CLOSED = {*Status.finished(), Status.SUSPENDED}


class ConcurrentUpdateError(Exception):
    """The task changed after the user opened it; nothing was saved."""

    def __init__(self, task: Task):
        self.task = task
        self.latest = task.updates.select_related("reported_by").first()
        super().__init__(self.message())

    def message(self):
        if self.latest is None:
            return _("Someone else changed this task after you opened it. Nothing was saved.")
        reporter = self.latest.reported_by
        return _(
            "%(user)s reported on this task at %(when)s, after you opened it. Nothing was "
            "saved. The task is now %(status)s at %(progress)s%% with %(executed)s won "
            "executed; check these values and submit again."
        ) % {
            "user": reporter.get_username() if reporter else self.latest.get_source_display(),
            "when": date_format(timezone.localtime(self.latest.reported_at),
                                "SHORT_DATETIME_FORMAT"),
            "status": self.task.get_status_display(),
            "progress": self.task.progress,
            "executed": f"{self.task.budget_executed:,}",
        }


def validate_report(
    *, task: Task, status: str, progress: int, budget_executed: int, note: str
) -> None:
    """Raise a ValidationError, field by field, for a report that breaks a reporting rule."""
    errors = {}
    note = note.strip()
    if status not in Status.values:
        errors["status"] = _("Choose one of the statuses.")
    if not 0 <= progress <= 100:
        errors["progress"] = _("Progress must be between 0 and 100%.")
    else:
        try:
            check_finished_means_full(status, progress)
        except ValidationError as error:
            errors.update(error.message_dict)
    if budget_executed < 0:
        errors["budget_executed"] = _("The budget executed cannot be negative.")

    reasons = []
    if status in NEEDS_A_REASON:
        reasons.append(
            _("Say why the task is “%(status)s”.") % {"status": Status(status).label}
        )
    if 0 <= progress < task.progress:
        reasons.append(
            _("Progress goes back from %(old)s%% to %(new)s%%: say why.")
            % {"old": task.progress, "new": progress}
        )
    if 0 < task.budget_executed and budget_executed >= JUMP * task.budget_executed:
        reasons.append(
            _("The budget executed goes from %(old)s to %(new)s won, %(times)s times the last "
              "report or more: check the unit, or say why.")
            % {"old": f"{task.budget_executed:,}", "new": f"{budget_executed:,}", "times": JUMP}
        )
    if budget_executed > task.budget:
        reasons.append(
            _("The budget executed (%(executed)s won) is above the task's budget "
              "(%(budget)s won): say why.")
            % {"executed": f"{budget_executed:,}", "budget": f"{task.budget:,}"}
        )
    reopens = task.status in CLOSED and status != task.status and not (
        task.status in Status.finished() and status in Status.finished()
    )
    if reopens:
        reasons.append(
            _("The task was “%(old)s”; say why it is reopened.")
            % {"old": task.get_status_display()}
        )
    if reasons and not note:
        errors["note"] = reasons
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def report_progress(
    *,
    task: Task,
    user: AbstractBaseUser,
    status: str,
    progress: int,
    budget_executed: int,
    note: str = "",
    expected_version: int,
) -> ProgressUpdate:
    """Record a progress report and make it the task's current state, in one transaction.

    ``expected_version`` is the task's version when the user opened it. The task is updated
    only if it still has that version (checked in the UPDATE itself), so a report never
    overwrites one the user has not seen: ConcurrentUpdateError says who changed it.
    """
    if not task.can_report(user):
        raise PermissionDenied(_("You may not report progress on this task."))
    current = Task.objects.get(pk=task.pk)
    if current.version != expected_version:
        raise ConcurrentUpdateError(current)
    validate_report(
        task=current, status=status, progress=progress, budget_executed=budget_executed,
        note=note,
    )
    now = timezone.now()
    update = ProgressUpdate(
        task=current, reported_by=user, reported_at=now, status=status, progress=progress,
        budget_executed=budget_executed, note=note.strip(),
    )
    update.full_clean()
    changed = Task.objects.filter(pk=task.pk, version=expected_version).update(
        **update.task_state(), version=F("version") + 1, updated_at=now,
    )
    if not changed:
        raise ConcurrentUpdateError(Task.objects.get(pk=task.pk))
    update.save()
    task.refresh_from_db()
    return update


@transaction.atomic
def add_contribution(*, task: Task, user: AbstractBaseUser, note: str) -> ContributionNote:
    """A supporting agency's note on its contribution; the task's status does not change."""
    if not task.can_contribute(user):
        raise PermissionDenied(_("Only staff of a supporting agency may add a contribution."))
    agency = task.supporting_agencies.filter(pk__in=member_agency_ids(user)).first()
    contribution = ContributionNote(task=task, agency=agency, author=user, note=note.strip())
    contribution.full_clean()
    contribution.save()
    return contribution


def validate_milestone_change(
    *, milestone: Milestone, due_date: date, completed_on: date | None, reason: str
) -> None:
    """Raise a ValidationError for a milestone change that breaks a rule."""
    errors = {}
    if due_date != milestone.due_date and not reason.strip():
        errors["reason"] = _("Say why the due date moves from %(old)s to %(new)s.") % {
            "old": date_format(milestone.due_date, "SHORT_DATE_FORMAT"),
            "new": date_format(due_date, "SHORT_DATE_FORMAT"),
        }
    if completed_on and completed_on > timezone.localdate():
        errors["completed_on"] = _("The completion date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_milestone(
    *,
    milestone: Milestone,
    user: AbstractBaseUser,
    due_date: date,
    completed_on: date | None,
    reason: str = "",
) -> MilestoneChange | None:
    """Move a milestone's current due date or record its completion, keeping the history.

    The baseline date never changes here. Moving the due date needs a reason.
    Returns None when nothing changed.
    """
    milestone = Milestone.objects.select_for_update().select_related("task").get(
        pk=milestone.pk
    )
    if not milestone.task.can_report(user):
        raise PermissionDenied(_("You may not change this task's milestones."))
    validate_milestone_change(
        milestone=milestone, due_date=due_date, completed_on=completed_on, reason=reason
    )
    if (due_date, completed_on) == (milestone.due_date, milestone.completed_on):
        return None
    change = MilestoneChange(
        milestone=milestone, changed_by=user, old_due_date=milestone.due_date,
        new_due_date=due_date, old_completed_on=milestone.completed_on,
        new_completed_on=completed_on, reason=reason.strip(),
    )
    change.full_clean()
    milestone.due_date, milestone.completed_on = due_date, completed_on
    milestone.full_clean()
    milestone.save(update_fields=["due_date", "completed_on"])
    change.save()
    return change


@transaction.atomic
def record_review(
    *, task: Task, user: AbstractBaseUser, light: str, comment: str = ""
) -> ReviewAssessment:
    """A plan manager's own traffic light and comment on a task. Amber and red need a comment."""
    if not Task.can_review(user) or not task.can_view(user):
        raise PermissionDenied(_("Only plan managers may record a review assessment."))
    if light in (ReviewLight.AMBER, ReviewLight.RED) and not comment.strip():
        raise ValidationError({"comment": _("Say why the task needs attention or review.")})
    review = ReviewAssessment(task=task, reviewer=user, light=light, comment=comment.strip())
    review.full_clean()
    review.save()
    return review


def new_plan_like(model, year, *, total_budget):
    """A new, empty plan for ``year`` with the strategies, key tasks and exchange rate of
    ``model`` (an earlier plan): the master plan's strategies and key tasks run for five
    years."""
    plan = Plan.objects.create(
        year=year, title_ko=f"{year}년도 국가지식재산 시행계획",
        title_en=f"{year} National IP Implementation Plan", total_budget=total_budget,
        won_per_usd=model.won_per_usd,
    )
    strategies = Strategy.objects.bulk_create([
        Strategy(plan=plan, number=strategy.number, title_ko=strategy.title_ko,
                 title_en=strategy.title_en)
        for strategy in model.strategies.order_by("number")
    ])
    copy_key_tasks(model, {strategy.number: strategy for strategy in strategies})
    return plan


def key_tasks_by_number(key_tasks):
    """{(strategy number, key task number): key task} of a queryset of key tasks, in one
    query."""
    return {(key_task.strategy.number, key_task.number): key_task
            for key_task in key_tasks.select_related("strategy")}


def copy_key_tasks(source: Plan, strategies: dict) -> dict:
    """The key tasks of the ``source`` plan, under ``strategies`` ({number: strategy}) of
    another plan, matched by strategy number and key task number: copies (titles, illustrative
    or not) where that plan has none of the number, its own where it has; none under a strategy
    it lacks. Returns that plan's {(strategy number, number): key task}. Three queries."""
    present = key_tasks_by_number(KeyTask.objects.filter(strategy__in=strategies.values()))
    copies = KeyTask.objects.bulk_create([
        KeyTask(strategy=strategies[strategy_number], number=number,
                title_ko=key_task.title_ko, title_en=key_task.title_en,
                is_illustrative=key_task.is_illustrative)
        for (strategy_number, number), key_task in key_tasks_by_number(
            KeyTask.objects.filter(strategy__plan=source).order_by(
                "strategy__number", "number")).items()
        if strategy_number in strategies and (strategy_number, number) not in present
    ])
    return {**present, **{(copy.strategy.number, copy.number): copy for copy in copies}}


class CarryOverError(Exception):
    pass


@dataclass
class CarryOver:
    plan: Plan
    tasks: int
    milestones: int
    suspended_left: int


def shift_years(day, years):
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def carry_over(source_year, target_year, *, include_suspended=False):
    """Next year's plan from this year's unfinished tasks: the same numbers, titles, agencies,
    technologies and budgets, the dates moved to the new year, the state started afresh (the
    history stays with the old task), and the open milestones with their dates. Sources are
    not copied: they speak of the earlier plan, which each new task links to. The source plan
    is left untouched. Refuses when the target plan already has tasks."""
    source = Plan.objects.filter(year=source_year).first()
    if source is None:
        raise CarryOverError(_("There is no %(year)s plan.") % {"year": source_year})
    if target_year == source_year:
        raise CarryOverError(_("Carry a plan over to another year."))
    try:
        check_year(target_year)
    except ValidationError as error:
        raise CarryOverError(error.messages[0]) from None
    target = Plan.objects.filter(year=target_year).first()
    if target is not None and target.tasks.exists():
        raise CarryOverError(_(
            "The %(year)s plan already has %(count)s tasks; tasks are carried over only into "
            "an empty plan.") % {"year": target_year, "count": target.tasks.count()})
    leaving = Status.finished() if include_suspended else [*Status.finished(), Status.SUSPENDED]
    unfinished = (source.tasks.exclude(status__in=leaving)
                  .select_related("strategy", "key_task")
                  .prefetch_related("supporting_agencies", "technologies", "milestones")
                  .order_by("number"))
    years = target_year - source_year
    try:
        with transaction.atomic():
            if target is None:
                target = new_plan_like(source, target_year, total_budget=sum(
                    task.budget for task in unfinished))
            strategies = {s.number: s for s in target.strategies.all()}
            missing = sorted({t.strategy.number for t in unfinished} - strategies.keys())
            if missing:
                raise CarryOverError(_("The %(year)s plan has no strategy %(numbers)s.") % {
                    "year": target_year, "numbers": ", ".join(map(str, missing))})
            key_tasks = copy_key_tasks(source, strategies)
            carried, milestones = copy_tasks(unfinished, target, strategies, key_tasks, years)
            carry_opinions(unfinished, carried)
    except IntegrityError:
        # Checked above, so only another carry-over or import at the same moment gets here.
        raise CarryOverError(_(
            "The %(year)s plan was being filled by someone else at the same time; nothing "
            "was stored. Run the command again.") % {"year": target_year}) from None
    suspended = 0 if include_suspended else source.tasks.filter(status=Status.SUSPENDED).count()
    return CarryOver(target, len(carried), len(milestones), suspended)


def copy_tasks(tasks, plan, strategies, key_tasks, years):
    """Copies of tasks in plan, ``years`` later, under the plan's strategies and key tasks of
    the same numbers, with their supporting agencies, technologies and open milestones, each
    linked to the task it continues. Returns the new tasks and milestones."""
    carried = Task.objects.bulk_create([
        Task(plan=plan, strategy=strategies[task.strategy.number],
             key_task=key_tasks[task.strategy.number, task.key_task.number]
             if task.key_task else None, number=task.number,
             code=task_code(plan.year, task.number), title_ko=task.title_ko,
             title_en=task.title_en, description_ko=task.description_ko,
             description_en=task.description_en, lead_agency_id=task.lead_agency_id,
             budget=task.budget, start_date=shift_years(task.start_date, years),
             end_date=shift_years(task.end_date, years), is_illustrative=task.is_illustrative,
             carried_from=task)
        for task in tasks
    ])
    pairs = list(zip(tasks, carried, strict=True))
    Task.supporting_agencies.through.objects.bulk_create([
        Task.supporting_agencies.through(task=new, agency=agency)
        for old, new in pairs for agency in old.supporting_agencies.all()])
    Task.technologies.through.objects.bulk_create([
        Task.technologies.through(task=new, strategictechnology=technology)
        for old, new in pairs for technology in old.technologies.all()])
    milestones = Milestone.objects.bulk_create([
        Milestone(task=new, title_ko=m.title_ko, title_en=m.title_en,
                  baseline_date=m.baseline_date, due_date=m.due_date,
                  is_illustrative=m.is_illustrative)
        for old, new in pairs for m in old.milestones.all() if m.completed_on is None])
    return carried, milestones


def carry_opinions(tasks, carried):
    """Open improvement opinions follow their tasks: each open opinion on one of ``tasks``, or
    carried to one of them from an earlier year, is carried to its copy in ``carried``. One
    UPDATE."""
    new_of = {old.pk: new.pk for old, new in zip(tasks, carried, strict=True)}
    if not new_of:
        return 0
    return Opinion.objects.filter(
        Q(carried_to_id__in=new_of) | Q(carried_to__isnull=True, task_id__in=new_of),
        closed_at__isnull=True,
    ).update(carried_to_id=Case(
        *[When(carried_to_id=old, then=new) for old, new in new_of.items()],
        *[When(task_id=old, then=new) for old, new in new_of.items()],
    ))
