"""
Every state change with a business rule. The admin, views and management commands call these;
they do not repeat the rules.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tracker.access import member_agency_ids
from tracker.common.choices import ReviewLight, StateSource, Status
from tracker.common.stale import StaleEdit
from tracker.common.validators import check_day, check_finished_means_full
from tracker.progress.models import (
    ContributionNote,
    Milestone,
    MilestoneChange,
    ProgressUpdate,
    ReviewAssessment,
    Task,
)

NEEDS_A_REASON = {Status.NEEDS_ATTENTION, Status.DELAYED, Status.SUSPENDED}
# A budget executed this many times the last report's needs a note: most such jumps are an amount
# typed in the wrong unit or with a zero too many.
JUMP = 10
CLOSED = {*Status.finished(), Status.SUSPENDED}


def stale_report(task: Task) -> StaleEdit:
    """The task changed after the user opened it; nothing was saved: who reported, and what
    the task is now."""
    latest = task.updates.select_related("reported_by").first()
    if latest is None:
        return StaleEdit(
            _("Someone else changed this task after you opened it. Nothing was saved."), task)
    reporter = latest.reported_by
    return StaleEdit(_(
        "%(user)s reported on this task at %(when)s, after you opened it. Nothing was "
        "saved. The task is now %(status)s at %(progress)s%% with %(executed)s won "
        "executed; check these values and submit again."
    ) % {
        "user": reporter.get_username() if reporter else latest.get_source_display(),
        "when": date_format(timezone.localtime(latest.reported_at), "SHORT_DATETIME_FORMAT"),
        "status": task.get_status_display(),
        "progress": task.progress,
        "executed": f"{task.budget_executed:,}",
    }, task)


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
    source: str = StateSource.REPORT,
) -> ProgressUpdate:
    """Record a progress report and make it the task's current state, in one transaction.

    ``expected_version`` is the task's version when the user opened it. The task is updated
    only if it still has that version (checked in the UPDATE itself), so a report never
    overwrites one the user has not seen: the StaleEdit says who changed it. ``source``: the
    admin's form (a report), or an agency's own system through the API.
    """
    if not task.can_report(user):
        raise PermissionDenied(_("You may not report progress on this task."))
    current = Task.objects.get(pk=task.pk)
    if current.version != expected_version:
        raise stale_report(current)
    validate_report(
        task=current, status=status, progress=progress, budget_executed=budget_executed,
        note=note,
    )
    now = timezone.now()
    update = ProgressUpdate(
        task=current, source=source, reported_by=user, reported_at=now, status=status,
        progress=progress, budget_executed=budget_executed, note=note.strip(),
    )
    update.full_clean()
    changed = Task.objects.filter(pk=task.pk, version=expected_version).update(
        **update.task_state(), version=F("version") + 1, updated_at=now,
    )
    if not changed:
        raise stale_report(Task.objects.get(pk=task.pk))
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
    for field, day in (("due_date", due_date), ("completed_on", completed_on)):
        if day:  # within the years kipplan takes: date arithmetic fails at the calendar's ends
            try:
                check_day(day)
            except ValidationError as error:
                errors[field] = error.messages[0]
    if "due_date" not in errors and due_date != milestone.due_date and not reason.strip():
        errors["reason"] = _("Say why the due date moves from %(old)s to %(new)s.") % {
            "old": date_format(milestone.due_date, "SHORT_DATE_FORMAT"),
            "new": date_format(due_date, "SHORT_DATE_FORMAT"),
        }
    if completed_on and "completed_on" not in errors and completed_on > timezone.localdate():
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


