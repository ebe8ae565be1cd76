"""
The year-end results' services and their access rules. Results are scoped exactly as reports
are: the lead agency's staff (with its sub-agencies) write and submit them; whoever sees the task
reads them; an evaluator reads the results of the units assigned to them; nobody else.

Submission is open while the plan's round is taking results or being evaluated: after the
deadline a submission is accepted and marked late. A submitted result may be withdrawn (back to
a draft) until the deadline. A decided round changes nothing.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import sees_every_task
from .evaluation import check_open, is_evaluator
from .models import (
    Assignment,
    EvaluationRound,
    PerformanceIndicator,
    Result,
    ResultState,
    RoundState,
    Task,
)

OPEN_FOR_RESULTS = (RoundState.SUBMISSION, RoundState.EVALUATION)


class StaleResultError(Exception):
    """The results were saved again after the form was opened; nothing was saved."""

    def __init__(self, result):
        self.result = result
        super().__init__(self.message())

    def message(self):
        return _("These results were saved at %(when)s, after you opened this page. Nothing "
                 "was saved: check the text below and save again.") % {
            "when": timezone.localtime(self.result.updated_at).strftime("%Y-%m-%d %H:%M")}


# -- Access -----------------------------------------------------------------------------------

def tasks_readable_by(user):
    """The tasks whose results a user may read: those they see, and for an evaluator the tasks
    of the units assigned to them (a task, or every task an assigned institution leads)."""
    if not getattr(user, "is_active", False):
        return Task.objects.none()
    if sees_every_task(user):
        return Task.objects.all()
    assigned = Assignment.objects.filter(evaluator=user).filter(
        Q(task_id=OuterRef("pk"))
        | Q(agency_id=OuterRef("lead_agency_id"), round__plan_id=OuterRef("plan_id")))
    if is_evaluator(user):
        # An evaluator's agencies are there for the conflict rule, not to read their results.
        return Task.objects.filter(Exists(assigned))
    visible = Task.objects.visible_to(user).values("pk")
    return Task.objects.filter(Q(pk__in=visible) | Exists(assigned))


def can_read(user, task):
    return tasks_readable_by(user).filter(pk=task.pk).exists()


def can_write(user, task):
    """Results are written by the staff of the lead agency, as reports are."""
    return user.is_active and user.has_perm("tracker.change_result") and task.can_report(user)


# -- The round and the year-end state ------------------------------------------------------------

def round_of(task):
    return EvaluationRound.objects.filter(plan_id=task.plan_id).first()


def check_open_for_results(round):
    if round is None:
        raise ValidationError(_("The plan has no evaluation round yet."))
    check_open(round)
    if round.state not in OPEN_FOR_RESULTS:
        raise ValidationError(_("Results are taken once the round opens for submission."))


def locked_open_round(task):
    """The task's round, locked for the rest of the transaction (so that it cannot be moved on
    meanwhile), refused unless it takes results."""
    round = EvaluationRound.objects.select_for_update().filter(plan_id=task.plan_id).first()
    check_open_for_results(round)
    return round


def year_end_state(task):
    """The task's state at the end of its plan's year, from its history (never retyped)."""
    return Task.objects.as_of(date(task.plan.year, 12, 31)).get(pk=task.pk)


# -- Services ---------------------------------------------------------------------------------

def result_for(task):
    """The task's results, a new unsaved draft where there are none yet."""
    try:
        return task.result
    except Result.DoesNotExist:
        return Result(task=task)


def save_result(*, task: Task, user, achievements: str, problems: str, next_steps: str,
                summary_public: str = "", actuals: dict | None = None,
                expected_version: int) -> Result:
    """Save a task's results (a draft, or the submitted text corrected) and the actual values
    of its performance indicators ({indicator id: Decimal or None}), from the version the user
    opened."""
    if not can_write(user, task):
        raise PermissionDenied
    with transaction.atomic():
        locked_open_round(task)
        result, _created = Result.objects.get_or_create(task=task)
        fields = {"achievements": achievements.strip(), "problems": problems.strip(),
                  "next_steps": next_steps.strip(), "summary_public": summary_public.strip()}
        changed = Result.objects.filter(pk=result.pk, version=expected_version).update(
            **fields, version=F("version") + 1, updated_at=timezone.now())
        if not changed:
            raise StaleResultError(Result.objects.get(pk=result.pk))
        save_actuals(task, actuals or {})
    result.refresh_from_db()
    return result


def save_actuals(task, actuals):
    indicators = {indicator.pk: indicator for indicator in task.performance_indicators.all()}
    for pk, actual in actuals.items():
        indicator = indicators.get(pk)
        if indicator is None:
            raise ValidationError(_("An indicator of another task was given."))
        if actual is not None and actual < Decimal(0):
            raise ValidationError(_("“%(indicator)s”: the actual value cannot be negative.") % {
                "indicator": indicator})
        if indicator.actual != actual:
            indicator.actual = actual
            indicator.full_clean()
            indicator.save(update_fields=["actual"])


def missing_for_submission(result):
    missing = []
    if not result.achievements:
        missing.append(_("the main achievements"))
    if result.task.performance_indicators.filter(actual__isnull=True).exists():
        missing.append(_("the actual value of every performance indicator"))
    return missing


def submit_result(*, task: Task, user) -> Result:
    """Submit the task's saved results to the round; late when after the deadline."""
    if not can_write(user, task):
        raise PermissionDenied
    with transaction.atomic():
        round = locked_open_round(task)
        result = Result.objects.select_for_update().filter(task=task).first()
        if result is None:
            raise ValidationError(_("Save the results before submitting them."))
        if result.submitted:
            raise ValidationError(_("The results have been submitted already."))
        missing = missing_for_submission(result)
        if missing:
            raise ValidationError(_("Before submitting, give %(missing)s.") % {
                "missing": ", ".join(missing)})
        result.state = ResultState.SUBMITTED
        result.submitted_at = timezone.now()
        result.submitted_by = user
        result.is_late = round.submission_is_late()
        result.version += 1
        result.full_clean()
        result.save()
    return result


def withdraw_result(*, task: Task, user) -> Result:
    """Take a submitted result back to a draft, until the deadline."""
    if not can_write(user, task):
        raise PermissionDenied
    with transaction.atomic():
        round = locked_open_round(task)
        result = Result.objects.select_for_update().filter(task=task).first()
        if result is None or not result.submitted:
            raise ValidationError(_("The results have not been submitted."))
        if round.state != RoundState.SUBMISSION or round.submission_is_late():
            raise ValidationError(_("The deadline has passed: submitted results stay "
                                    "submitted."))
        result.state = ResultState.DRAFT
        result.submitted_at = None
        result.submitted_by = None
        result.is_late = False
        result.version += 1
        result.full_clean()
        result.save()
    return result


def set_indicators(*, task: Task, indicators: list[dict]) -> None:
    """Replace a task's performance indicators (when the plan is made or imported):
    dicts of name_ko, name_en, unit, target, in their order."""
    round = round_of(task)
    if round is not None and round.state != RoundState.PREPARING:
        raise ValidationError(_("The indicators are set with the plan, before its results are "
                              "taken."))
    task.performance_indicators.all().delete()
    rows = [PerformanceIndicator(task=task, number=number, **fields)
            for number, fields in enumerate(indicators, start=1)]
    for row in rows:
        row.full_clean(exclude=["task"])
    PerformanceIndicator.objects.bulk_create(rows)
