"""
Every write of the year-end evaluation, each with its rules: the round and its steps, the
results the agencies write and submit, the evaluators' assignments and scores, and the grades.
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.access import check_plan_manager, is_evaluator, is_plan_manager, member_agency_ids
from tracker.common.choices import AgencyKind
from tracker.common.stale import StaleEdit
from tracker.common.validators import RowErrors
from tracker.evaluation.models import (
    NEXT,
    Assignment,
    Criterion,
    EvaluationRound,
    Grade,
    GradeLevel,
    PerformanceIndicator,
    Result,
    ResultState,
    RoundState,
    RoundStep,
    Score,
    mean_of_cents,
    panel_cents,
)
from tracker.plans.models import Agency, Plan
from tracker.progress.models import Task

logger = logging.getLogger(__name__)

# The year-end results' services and their access rules. Results are scoped exactly as reports
# are: the lead agency's staff (with its sub-agencies) write and submit them; whoever sees the task
# reads them; an evaluator reads the results of the units assigned to them; nobody else.
#
# Submission is open while the plan's round is taking results or being evaluated: after the
# deadline a submission is accepted and marked late. A submitted result may be withdrawn (back to
# a draft) until the deadline. A decided round changes nothing.




def stale_result(result) -> StaleEdit:
    """The results were saved again after the form was opened; nothing was saved."""
    return StaleEdit(_("These results were saved at %(when)s, after you opened this page. "
                       "Nothing was saved: check the text below and save again.") % {
        "when": timezone.localtime(result.updated_at).strftime("%Y-%m-%d %H:%M")}, result)


# -- Access -----------------------------------------------------------------------------------

# -- The round and the year-end state ------------------------------------------------------------

def round_of(task):
    return EvaluationRound.objects.filter(plan_id=task.plan_id).first()


def check_open_for_results(round_):
    if round_ is None:
        raise ValidationError(_("The plan has no evaluation round yet."))
    check_open(round_)
    if not round_.allows("results"):
        raise ValidationError(_("Results are taken once the round opens for submission."))


def locked_open_round(task):
    """The task's round, locked for the rest of the transaction (so that it cannot be moved on
    meanwhile), refused unless it takes results."""
    round_ = EvaluationRound.objects.select_for_update().filter(plan_id=task.plan_id).first()
    check_open_for_results(round_)
    return round_


def year_end_state(task):
    """The task's state at the end of its plan's year, from its history (never retyped)."""
    return Task.objects.as_of(date(task.plan.year, 12, 31)).get(pk=task.pk)


# -- Services ---------------------------------------------------------------------------------

def result_for(task):
    """The task's results as stored now (never the copy a task may have cached before a save
    in the same request), a new unsaved draft where there are none yet."""
    return Result.objects.filter(task=task).first() or Result(task=task)


def save_result(*, task: Task, user, achievements: str, problems: str, next_steps: str,
                summary_public: str = "", actuals: dict | None = None,
                expected_version: int) -> Result:
    """Save a task's results (a draft, or the submitted text corrected) and the actual values
    of its performance indicators ({indicator id: Decimal or None}), from the version the user
    opened."""
    if not task.can_write_results(user):
        raise PermissionDenied
    with transaction.atomic():
        locked_open_round(task)
        result = save_texts({"task": task}, achievements=achievements, problems=problems,
                            next_steps=next_steps, summary_public=summary_public,
                            expected_version=expected_version)
        save_actuals(task, actuals or {})
    result.refresh_from_db()
    return result


def save_texts(unit, *, achievements, problems, next_steps, summary_public, expected_version):
    """The results' texts of a unit ({"task": task} or {"plan": plan, "institution": agency}),
    made a draft if there are none, from the version the user opened."""
    result, _created = Result.objects.get_or_create(**unit)
    fields = {"achievements": achievements.strip(), "problems": problems.strip(),
              "next_steps": next_steps.strip(), "summary_public": (summary_public or "").strip()}
    changed = Result.objects.filter(pk=result.pk, version=expected_version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        raise stale_result(Result.objects.get(pk=result.pk))
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
    indicators = (result.task.performance_indicators if result.task_id
                  else result.indicators)
    if indicators.filter(actual__isnull=True).exists():
        missing.append(_("the actual value of every performance indicator"))
    return missing


def submit_result(*, task: Task, user) -> Result:
    """Submit the task's saved results to the round; late when after the deadline."""
    if not task.can_write_results(user):
        raise PermissionDenied
    with transaction.atomic():
        return submit({"task": task}, locked_open_round(task), user)


def submit(unit, round_, user) -> Result:
    """Submit a unit's saved results (see ``save_texts``), within the caller's transaction and
    round lock."""
    result = Result.objects.select_for_update().filter(**unit).first()
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
    result.is_late = round_.submission_is_late()
    result.version += 1
    result.full_clean()
    result.save()
    return result


def withdraw_result(*, task: Task, user) -> Result:
    """Take a submitted result back to a draft, until the deadline."""
    if not task.can_write_results(user):
        raise PermissionDenied
    with transaction.atomic():
        return withdraw({"task": task}, locked_open_round(task))


def withdraw(unit, round_) -> Result:
    """Take a unit's submitted results back to a draft, within the caller's transaction and
    round lock."""
    result = Result.objects.select_for_update().filter(**unit).first()
    if result is None or not result.submitted:
        raise ValidationError(_("The results have not been submitted."))
    if not round_.allows("withdrawal") or round_.submission_is_late():
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


# -- An institution's own results (a metropolitan government's) ---------------------------------

def institution_result_for(round_, agency):
    """The institution's results for the round's plan, a new unsaved draft where none yet."""
    return (Result.objects.filter(plan_id=round_.plan_id, institution=agency).first()
            or Result(plan_id=round_.plan_id, institution=agency))


def can_write_institution_results(user, agency) -> bool:
    """A metropolitan government's own staff write its results as an institution."""
    return (getattr(user, "is_active", False) and user.has_perm("tracker.change_result")
            and agency.kind == AgencyKind.METROPOLITAN and not is_evaluator(user)
            and agency.pk in member_agency_ids(user))


def can_read_institution_results(user, round_, agency) -> bool:
    """Plan managers, the institution's staff, and the evaluators assigned to it."""
    if is_plan_manager(user) or can_write_institution_results(user, agency):
        return True
    return (getattr(user, "is_active", False) and Assignment.objects.filter(
        round=round_, agency=agency, evaluator=user).exists())


def locked_round_for_results(round_):
    round_ = EvaluationRound.objects.select_for_update().get(pk=round_.pk)
    check_open_for_results(round_)
    return round_


def save_institution_result(*, round_, agency, user, achievements: str, problems: str,
                            next_steps: str, summary_public: str = "",
                            indicators: list[dict] | None = None,
                            expected_version: int) -> Result:
    """Save a metropolitan government's results as an institution: the texts and its own
    performance indicators (dicts of name_ko, unit, target, actual, in order, replacing those
    saved), from the version the user opened."""
    if not can_write_institution_results(user, agency):
        raise PermissionDenied
    with transaction.atomic():
        round_ = locked_round_for_results(round_)
        if not graded_institutions(round_).filter(pk=agency.pk).exists():
            raise ValidationError(_("%(agency)s is not graded as an institution in this "
                                    "round.") % {"agency": agency})
        result = save_texts({"plan": round_.plan, "institution": agency},
                            achievements=achievements, problems=problems, next_steps=next_steps,
                            summary_public=summary_public, expected_version=expected_version)
        if indicators is not None:
            result.indicators.all().delete()
            rows = [PerformanceIndicator(result=result, number=number, **fields)
                    for number, fields in enumerate(indicators, start=1)]
            for row in rows:
                row.full_clean(exclude=["result"])
            PerformanceIndicator.objects.bulk_create(rows)
    result.refresh_from_db()
    return result


def submit_institution_result(*, round_, agency, user) -> Result:
    if not can_write_institution_results(user, agency):
        raise PermissionDenied
    with transaction.atomic():
        return submit({"plan": round_.plan, "institution": agency},
                      locked_round_for_results(round_), user)


def withdraw_institution_result(*, round_, agency, user) -> Result:
    if not can_write_institution_results(user, agency):
        raise PermissionDenied
    with transaction.atomic():
        return withdraw({"plan": round_.plan, "institution": agency},
                        locked_round_for_results(round_))


def set_indicators(*, task: Task, indicators: list[dict]) -> None:
    """Replace a task's performance indicators (when the plan is made or imported):
    dicts of name_ko, name_en, unit, target, in their order."""
    round_ = round_of(task)
    if round_ is not None and not round_.allows("indicators"):
        raise ValidationError(_("The indicators are set with the plan, before its results are "
                              "taken."))
    task.performance_indicators.all().delete()
    rows = [PerformanceIndicator(task=task, number=number, **fields)
            for number, fields in enumerate(indicators, start=1)]
    for row in rows:
        row.full_clean(exclude=["task"])
    PerformanceIndicator.objects.bulk_create(rows)
# The year-end evaluation's services, each with its rules:
#
# - a round moves preparing → submission → evaluation → approved → published, one step at a time
#   (``advance``), and once approved nothing of it changes (``check_open``);
# - its criteria, weights, scale and bands are set before scoring starts;
# - managers assign evaluators to graded units (``assign``): at least the round's number of
#   evaluators per unit, none from the unit's agency, its parent or its children;
# - evaluators score their assignments (``score``), each from the version they opened;
# - the panel's weighted mean per unit is computed in the database (``unit_means``), and managers
#   set the final grades (``set_grade``), guided by the round's bands, with a reason where a grade
#   departs from its band.
#
# A graded unit is a ministry's project (a task) or a metropolitan government (an institution).


# -- The round --------------------------------------------------------------------------------

def create_round(*, plan: Plan, **fields) -> EvaluationRound:
    """A plan's round with the default criteria of KIPPLAN_EVALUATION (the managers change
    them before scoring starts)."""
    with transaction.atomic():
        round_ = EvaluationRound(plan=plan, **fields)
        round_.full_clean()
        round_.save()
        add_default_criteria(round_)
    return round_


def add_default_criteria(round_: EvaluationRound) -> None:
    if round_.criteria.exists():
        return
    Criterion.objects.bulk_create(
        Criterion(round=round_, number=number, name_ko=name_ko, name_en=name_en, weight=weight,
                  institutions_only=institutions_only)
        for number, (name_ko, name_en, weight, institutions_only)
        in enumerate(settings.KIPPLAN_EVALUATION["criteria"], start=1))


def missing_for(round_, state):
    """What the round lacks to enter ``state``: a list of messages, empty when nothing."""
    needs = {
        RoundState.SUBMISSION: [("submission_opens", _("the day submission opens")),
                                ("submission_closes", _("the day submission closes"))],
        RoundState.EVALUATION: [("evaluation_closes", _("the day evaluation closes"))],
        RoundState.APPROVED: [("meeting_number", _("the approving Council meeting")),
                              ("meeting_date", _("the meeting's date"))],
        RoundState.PUBLISHED: [("published_on", _("the day of publication"))],
    }[state]
    missing = [what for field, what in needs if getattr(round_, field) is None]
    if state == RoundState.EVALUATION:
        if not round_.criteria.exists():
            missing.append(_("its criteria"))
        understaffed = len(understaffed_units(round_))
        if understaffed:
            missing.append(_("at least %(count)s evaluators for each of %(units)s more units") % {
                "count": round_.evaluators_per_unit, "units": understaffed})
    if state == RoundState.APPROVED:
        conflicted = conflicted_assignments(round_)
        if conflicted:
            missing.append(_("no evaluator with a conflict of interest (now: %(who)s)") % {
                "who": ", ".join(conflicted)})
        if not round_.grades.exists():
            missing.append(_("the grades"))
        ungraded = len(ungraded_units(round_))
        if ungraded:
            missing.append(_("grades for %(count)s more units") % {"count": ungraded})
    return missing


def warnings_for(round_, to, today=None) -> list[str]:
    """What is still incomplete for the step to ``to``, or early by the round's own dates: the
    manager may go ahead with a reason, which is recorded (``advance``)."""
    today = today or timezone.localdate()
    warnings = []

    def early(day, message):
        if day is not None and today < day:
            warnings.append(message % {"day": date_format(day, "SHORT_DATE_FORMAT"),
                                       "days": (day - today).days})

    if to == RoundState.SUBMISSION:
        early(round_.submission_opens, _("Submission is to open on %(day)s, in %(days)s days."))
        without = graded_tasks(round_).filter(performance_indicators__isnull=True).count()
        if without:
            warnings.append(_("%(count)s projects have no performance indicators.") % {
                "count": without})
    elif to == RoundState.EVALUATION:
        early(round_.submission_closes, _(
            "Submission is open until %(day)s, %(days)s more days: moving on closes it early "
            "(results submitted after it are marked late)."))
        tasks = graded_tasks(round_)
        missing = tasks.exclude(result__state=ResultState.SUBMITTED).count()
        if missing:
            warnings.append(_("%(count)s of %(total)s projects have not submitted their "
                              "results.") % {"count": missing, "total": tasks.count()})
        institutions = graded_institutions(round_)
        silent = institutions.exclude(pk__in=Result.objects.filter(
            plan_id=round_.plan_id, state=ResultState.SUBMITTED).values("institution_id")).count()
        if silent:
            warnings.append(_("%(count)s of %(total)s metropolitan governments have not "
                              "submitted their results as institutions.") % {
                "count": silent, "total": institutions.count()})
    elif to == RoundState.APPROVED:
        early(round_.evaluation_closes, _("The evaluation is open until %(day)s, %(days)s more "
                                          "days."))
        unscored = unscored_units(round_)
        if unscored:
            warnings.append(_("%(count)s units are not fully scored by their evaluators.") % {
                "count": unscored})
        understaffed = len(understaffed_units(round_))
        if understaffed:
            warnings.append(ngettext(
                "%(units)s unit has fewer evaluators than the %(count)s the round asks for.",
                "%(units)s units have fewer evaluators than the %(count)s the round asks for.",
                understaffed) % {"units": understaffed, "count": round_.evaluators_per_unit})
        empty = round_.grades.filter(task__isnull=False).exclude(
            task__result__state=ResultState.SUBMITTED).exclude(
            grade=GradeLevel.INSUFFICIENT).count()
        if empty:
            warnings.append(_("%(count)s projects graded above 미흡 submitted no results.") % {
                "count": empty})
    elif to == RoundState.PUBLISHED:
        early(round_.published_on, _("Publication is set for %(day)s, in %(days)s days."))
        if round_.notice_by is not None and today > round_.notice_by:
            warnings.append(_("The decree's notice day, %(day)s, has passed.") % {
                "day": date_format(round_.notice_by, "SHORT_DATE_FORMAT")})
        graded = round_.grades.filter(task__isnull=False)
        without = graded.exclude(task__budget_advice__round=round_).count()
        if without:
            warnings.append(_("%(count)s graded projects have no budget advice.") % {
                "count": without})
    return warnings


def advance(round_, to, *, user, reason="", expected=None):
    """Move the round to the next step, ``to``, for a plan manager; a ValidationError says why
    not. What the step lacks stops it (``missing_for``); what is incomplete or early by the
    round's dates (``warnings_for``) needs a reason, and both are recorded with the step. The
    warnings the manager confirmed (``expected``, when given) must still be all there are: a
    new one since the page was shown is said again rather than passed over."""
    check_plan_manager(user)
    with transaction.atomic():
        round_ = EvaluationRound.objects.select_for_update().get(pk=round_.pk)
        if NEXT.get(round_.state) != to:
            raise ValidationError(_("The round is “%(state)s”: it cannot move to “%(to)s”.") % {
                "state": round_.get_state_display(), "to": RoundState(to).label})
        missing = missing_for(round_, to)
        if missing:
            raise ValidationError(_("Before “%(to)s”, the round needs %(missing)s.") % {
                "to": RoundState(to).label, "missing": ", ".join(missing)})
        warnings = warnings_for(round_, to)
        if expected is not None and set(warnings) - set(expected):
            raise ValidationError(_("Something changed since the page was shown: read what "
                                    "is incomplete again."))
        if warnings and not reason.strip():
            raise ValidationError({"reason": _(
                "Say why the round goes ahead although: %(warnings)s") % {
                "warnings": " ".join(warnings)}})
        RoundStep.objects.create(round=round_, from_state=round_.state, to_state=to,
                                 taken_by=user, warnings=warnings, reason=reason.strip())
        round_.state = to
        round_.save(update_fields=["state"])
    return round_


def check_open(round_):
    """Refuse any change to a round the Council has decided."""
    if round_.decided:
        raise ValidationError(_("The round has been approved: nothing of it changes."))


def locked_round(round_):
    """The round, locked for the rest of the transaction, refused if decided."""
    round_ = EvaluationRound.objects.select_for_update().get(pk=round_.pk)
    check_open(round_)
    return round_


# -- Graded units ------------------------------------------------------------------------------

def graded_tasks(round_):
    """The round's projects: the plan's tasks led by central agencies (metropolitan
    governments are graded as institutions instead)."""
    return Task.objects.filter(plan_id=round_.plan_id).exclude(
        lead_agency__kind=AgencyKind.METROPOLITAN)


def graded_institutions(round_):
    """The round's institutions: every metropolitan government (the 17 시·도). Each takes part
    in every plan and is graded on its own regional IP programmes, whether or not it leads or
    supports a national task that year (evaluation.md: "66 projects of 14 ministries and the 17
    metropolitan governments")."""
    return Agency.objects.filter(kind=AgencyKind.METROPOLITAN)


def ungraded_units(round_):
    """The units of the round without a grade: (task ids, institution ids) as one list."""
    tasks = graded_tasks(round_).exclude(grades__round=round_).values_list("pk", flat=True)
    institutions = graded_institutions(round_).exclude(grades__round=round_).values_list(
        "pk", flat=True)
    return [("task", pk) for pk in tasks] + [("agency", pk) for pk in institutions]


def unit_of(*, round_, task=None, agency=None):
    """Check that a unit is one of the round's: a task of its plan led by a central agency, or
    a metropolitan government leading tasks of it."""
    if (task is None) == (agency is None):
        raise ValidationError(_("Choose either a task or an institution."))
    if task is not None:
        if task.plan_id != round_.plan_id:
            raise ValidationError(_("The task belongs to another plan."))
        if task.lead_agency.kind == AgencyKind.METROPOLITAN:
            raise ValidationError(_("A metropolitan government's tasks are graded with the "
                                    "institution, not one by one."))
    elif not graded_institutions(round_).filter(pk=agency.pk).exists():
        raise ValidationError(_("%(agency)s is not a metropolitan government taking part in "
                                "this plan.") % {"agency": agency})
    return {"task": task, "agency": agency}


def unit_means(round_):
    """Each scored unit's panel: weighted mean (to the cent, ``panel_cents``) and number of
    evaluators who scored, computed in the database. Returns {("task", id) or ("agency", id):
    UnitScore}."""
    rows = (Assignment.objects.filter(round=round_, weight_total__gt=0)
            .values_list("task_id", "agency_id")
            .annotate(cents=panel_cents(), evaluators=Count("pk"))
            .order_by())
    return {("task", task_id) if task_id else ("agency", agency_id):
            UnitScore(mean=mean_of_cents(cents), evaluators=evaluators)
            for task_id, agency_id, cents, evaluators in rows}


def quantize(value):
    """To the cent, half up (사사오입), as the panel means are rounded (``panel_cents``)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class UnitScore:
    mean: Decimal | None
    evaluators: int


def unit_submitted(round_, *, task=None, agency=None) -> bool:
    """Whether a unit has results submitted: the project's, or for an institution, those of
    any task it leads in the plan."""
    results = Result.objects.filter(state=ResultState.SUBMITTED)
    if task is not None:
        return results.filter(task=task).exists()
    return results.filter(Q(plan_id=round_.plan_id, institution=agency)
                          | Q(task__plan_id=round_.plan_id, task__lead_agency=agency)).exists()


def unscored_units(round_) -> int:
    """How many assigned units have an evaluator who has not scored every criterion."""
    rows = (Assignment.objects.filter(round=round_).with_progress()
            .filter(scored__lt=F("required")).values_list("task_id", "agency_id").distinct())
    return len(set(rows))


def unit_mean(round_, *, task=None, agency=None):
    assignments = Assignment.objects.filter(round=round_, task=task, agency=agency)
    return mean_of_cents(assignments.aggregate(cents=panel_cents())["cents"])


# -- Assignments -------------------------------------------------------------------------------

def conflicting_agencies(agency):
    """The unit's agency with its parent and its children: an evaluator belonging to any of
    them has a conflict of interest."""
    ids = {agency.pk}
    if agency.parent_id:
        ids.add(agency.parent_id)
    ids.update(Agency.objects.filter(parent_id=agency.pk).values_list("pk", flat=True))
    return ids


def check_conflict(evaluator, unit_agency):
    from tracker.accounts.models import AgencyMembership

    clash = AgencyMembership.objects.filter(
        user=evaluator, agency_id__in=conflicting_agencies(unit_agency)).select_related(
        "agency").first()
    if clash is not None:
        raise ValidationError(
            _("%(user)s belongs to %(agency)s, which is %(unit)s or its parent or child: they "
              "cannot evaluate it.") % {"user": evaluator.get_username(),
                                        "agency": clash.agency, "unit": unit_agency})


def check_assignment(*, round_, evaluator, task=None, agency=None):
    """Refuse an assignment to a unit that is not the round's, of anyone who is not an
    evaluator, who belongs to the unit's agency, its parent or its children, or who is assigned
    to the unit already. Returns the unit as keyword arguments."""
    unit = unit_of(round_=round_, task=task, agency=agency)
    if not is_evaluator(evaluator):
        raise ValidationError(_("%(user)s is not an evaluator.") % {
            "user": evaluator.get_username()})
    check_conflict(evaluator, task.lead_agency if task else agency)
    if Assignment.objects.filter(round=round_, evaluator=evaluator, **unit).exists():
        raise ValidationError(_("%(user)s is already assigned to %(unit)s.") % {
            "user": evaluator.get_username(), "unit": task or agency})
    return unit


def assign(*, round_: EvaluationRound, evaluator, task: Task | None = None,
           agency: Agency | None = None, user) -> Assignment:
    """Assign an evaluator to a graded unit before the round is decided (check_assignment
    says who may not be)."""
    check_plan_manager(user)
    with transaction.atomic():
        round_ = locked_round(round_)
        unit = check_assignment(round_=round_, evaluator=evaluator, task=task, agency=agency)
        assignment = Assignment(round=round_, evaluator=evaluator, **unit)
        assignment.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                assignment.save()
        except IntegrityError as error:
            raise ValidationError(_("%(user)s is already assigned to %(unit)s.") % {
                "user": evaluator.get_username(), "unit": task or agency}) from error
    return assignment


# -- Assignment in bulk --------------------------------------------------------------------------

@dataclass
class Panels:
    """The round's units with their evaluators, for assigning them all on one page: each unit
    (task or institution), its current evaluators, the evaluators it may have (no conflict, not
    assigned already) and a proposal filling its missing places, balanced across the pool."""

    units: list  # [(key, task or agency, lead agency)], projects by number, then institutions
    current: dict  # key -> [evaluator]
    eligible: dict  # key -> [evaluator]
    proposal: dict  # key -> [evaluator] for the places still missing
    load: dict  # evaluator pk -> assignments in the round, with the proposal


def evaluator_pool():
    """The active evaluators, by username."""
    from tracker import roles

    return list(get_user_model().objects.filter(groups__name=roles.EVALUATORS, is_active=True)
                .order_by("username"))


def conflicts_by_agency():
    """{agency id: the agencies whose members may not evaluate it}: itself, its parent and its
    children (``conflicting_agencies``), for every agency in one query."""
    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    conflicts = {pk: {pk} | ({parent} if parent else set()) for pk, parent in parents.items()}
    for pk, parent in parents.items():
        if parent:
            conflicts[parent].add(pk)
    return conflicts


def panels(round_) -> Panels:
    """The round's units and a balanced proposal of evaluators for their missing places: each
    place goes to the eligible evaluator with the fewest assignments so far (then by username),
    so that the work is shared and the conflict rule is kept."""
    from tracker.accounts.models import AgencyMembership

    pool = evaluator_pool()
    by_pk = {user.pk: user for user in pool}
    memberships = {}
    for user_id, agency_id in AgencyMembership.objects.filter(user__in=pool).values_list(
            "user_id", "agency_id"):
        memberships.setdefault(user_id, set()).add(agency_id)
    conflicts = conflicts_by_agency()
    units = [(("task", task.pk), task, task.lead_agency) for task in
             graded_tasks(round_).select_related("lead_agency").order_by("number")]
    units += [(("agency", agency.pk), agency, agency) for agency in
              graded_institutions(round_).order_by("name_ko")]
    current, load = {}, dict.fromkeys(by_pk, 0)
    for task_id, agency_id, evaluator_id in Assignment.objects.filter(round=round_).values_list(
            "task_id", "agency_id", "evaluator_id"):
        key = ("task", task_id) if task_id else ("agency", agency_id)
        current.setdefault(key, []).append(by_pk.get(evaluator_id) or evaluator_id)
        if evaluator_id in load:
            load[evaluator_id] += 1
    eligible, proposal = {}, {}
    for key, _unit, lead in units:
        taken = {getattr(user, "pk", user) for user in current.get(key, [])}
        clash = conflicts.get(lead.pk, {lead.pk})
        eligible[key] = [user for user in pool if user.pk not in taken
                         and not memberships.get(user.pk, set()) & clash]
        missing = max(round_.evaluators_per_unit - len(taken), 0)
        chosen = sorted(eligible[key], key=lambda user: (load[user.pk], user.username))[:missing]
        for user in chosen:
            load[user.pk] += 1
        proposal[key] = chosen
    return Panels(units, current, eligible, proposal, load)


def conflicted_assignments(round_) -> list[str]:
    """The round's assignments whose evaluator now has a conflict of interest, as
    "evaluator: unit"."""
    return [f"{assignment.evaluator.get_username()}: {assignment.unit}"
            for assignment in conflicted(round_)]


def conflicted(round_) -> list[Assignment]:
    """The round's assignments whose evaluator now belongs to the unit's agency, its parent or
    a child (having joined since being assigned), in one pass."""
    from tracker.accounts.models import AgencyMembership

    conflicts = conflicts_by_agency()
    assignments = list(Assignment.objects.filter(round=round_).with_progress().select_related(
        "task__lead_agency", "agency", "evaluator"))
    memberships = {}
    for user_id, agency_id in AgencyMembership.objects.filter(
            user__in={a.evaluator_id for a in assignments}).values_list("user_id", "agency_id"):
        memberships.setdefault(user_id, set()).add(agency_id)
    found = []
    for assignment in assignments:
        lead = assignment.task.lead_agency if assignment.task_id else assignment.agency
        if memberships.get(assignment.evaluator_id, set()) & conflicts.get(lead.pk, {lead.pk}):
            found.append(assignment)
    return found


def withdraw_conflicted(*, assignment: Assignment, user, reason: str) -> str:
    """Take back an assignment, scored or not, whose evaluator now has a conflict of interest
    with its unit: those scores must not count, and the round cannot be approved with them.
    Needs a reason. Returns the record of what was withdrawn (who, which unit, the scores, the
    reason), for the round's history; the unit then needs another evaluator."""
    check_plan_manager(user)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the assignment is withdrawn.")})
    with transaction.atomic():
        round_ = locked_round(assignment.round)
        if not round_.allows("assignments"):
            raise ValidationError(_("Evaluators are assigned until the Council decides."))
        if not Assignment.objects.filter(pk=assignment.pk).exists():
            raise ValidationError(_("This assignment has been withdrawn already."))
        found = next((a for a in conflicted(round_) if a.pk == assignment.pk), None)
        if found is None:
            raise ValidationError(_("This evaluator has no conflict of interest with the unit: "
                                    "an assignment not yet scored is taken back on the "
                                    "assignments' list."))
        scores = ", ".join(f"{score.criterion.number}: {score.value}" for score in
                           found.scores.select_related("criterion").order_by("criterion__number"))
        # A grade given with these scores in the panel's mean no longer stands: the unit is to
        # be graded again once its panel is whole (missing_for asks for it before approval).
        unit = {"task_id": found.task_id} if found.task_id else {"agency_id": found.agency_id}
        grade = Grade.objects.filter(round=round_, **unit).first()
        record = _("Withdrew the assignment of %(who)s to %(unit)s (conflict of interest; "
                   "scores: %(scores)s). Reason: %(reason)s.") % {
            "who": found.evaluator.get_username(), "unit": found.unit,
            "scores": scores or _("none"), "reason": reason.strip().rstrip(".")}
        if grade is not None:
            record += " " + _("Its grade, “%(grade)s”, was set aside: grade it again.") % {
                "grade": grade.get_grade_display()}
            grade.delete()
        found.delete()
    logger.warning("%s: %s", round_, record)
    return record


def assign_many(round_, *, panels_chosen: dict, user) -> int:
    """Assign, all or nothing, the evaluators chosen for each unit: ``panels_chosen`` maps a
    unit's key, ("task", id) or ("agency", id), to the evaluators to add. Each is checked as
    ``assign`` checks one (the unit is the round's, an evaluator, no conflict, not twice); when
    any is refused, none is saved and RowErrors says, by unit, why. Returns how many."""
    check_plan_manager(user)
    tasks = {task.pk: task for task in Task.objects.filter(
        pk__in=[pk for (kind, pk) in panels_chosen if kind == "task"]).select_related(
        "lead_agency")}
    agencies = Agency.objects.in_bulk([pk for (kind, pk) in panels_chosen if kind == "agency"])
    errors, made = {}, 0
    with transaction.atomic():
        round_ = locked_round(round_)
        if not round_.allows("assignments"):
            raise ValidationError(_("Evaluators are assigned until the Council decides."))
        for key, evaluators in panels_chosen.items():
            kind, pk = key
            unit = {"task": tasks.get(pk)} if kind == "task" else {"agency": agencies.get(pk)}
            if None in unit.values():
                errors[key] = ValidationError(_("No such unit in this round."))
                continue
            if len({evaluator.pk for evaluator in evaluators}) < len(evaluators):
                errors[key] = ValidationError(_("The same evaluator is chosen twice."))
                continue
            try:
                for evaluator in evaluators:
                    assign(round_=round_, evaluator=evaluator, user=user, **unit)
                    made += 1
            except ValidationError as error:
                errors[key] = error
        if errors:
            raise RowErrors(errors)
    return made


def unassign(*, assignment: Assignment, user) -> None:
    """Take an assignment back before its evaluator has scored anything."""
    check_plan_manager(user)
    with transaction.atomic():
        locked_round(assignment.round)
        if assignment.scores.exists():
            raise ValidationError(_("The evaluator has scored this unit: the assignment "
                                    "stays."))
        assignment.delete()


def understaffed_units(round_):
    """Units with fewer evaluators than the round asks for: {key: count}."""
    counts = {}
    for task_id, agency_id in Assignment.objects.filter(round=round_).values_list(
            "task_id", "agency_id"):
        key = ("task", task_id) if task_id else ("agency", agency_id)
        counts[key] = counts.get(key, 0) + 1
    units = [("task", pk) for pk in graded_tasks(round_).values_list("pk", flat=True)] + [
        ("agency", pk) for pk in graded_institutions(round_).values_list("pk", flat=True)]
    return {key: counts.get(key, 0) for key in units
            if counts.get(key, 0) < round_.evaluators_per_unit}


# -- Scores -----------------------------------------------------------------------------------

def stale_scores(assignment) -> StaleEdit:
    """The assignment was scored again after the form was opened; nothing was saved."""
    when = assignment.scored_at
    return StaleEdit(_("These scores were saved again at %(when)s, after you opened this page "
                       "(in another tab or window). Nothing was saved: check the scores below "
                       "and save again.") % {
        "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else "-"},
        assignment)


def applicable_criteria(assignment):
    criteria = assignment.round.criteria.all()
    return criteria if assignment.agency_id else criteria.filter(institutions_only=False)


def score(*, assignment: Assignment, user, values: dict, comment: str,
          expected_version: int) -> Assignment:
    """Save an evaluator's scores ({criterion id: value}) and comment for their assignment,
    while the round is being evaluated, from the version they opened."""
    if assignment.evaluator_id != user.pk or not is_evaluator(user):
        raise PermissionDenied
    with transaction.atomic():
        round_ = locked_round(assignment.round)
        if not round_.allows("scores"):
            raise ValidationError(_("Scores are given while the round is being evaluated."))
        # The conflict rule again: an evaluator may have joined the unit's agency since.
        check_conflict(user, assignment.task.lead_agency if assignment.task_id
                       else assignment.agency)
        criteria = {criterion.pk: criterion for criterion in applicable_criteria(assignment)}
        errors = []
        for criterion_id, value in values.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                errors.append(_("A score was given for a criterion that is not this round's."))
            elif value is not None and not round_.scale_min <= value <= round_.scale_max:
                errors.append(_("“%(criterion)s”: scores are from %(low)s to %(high)s.") % {
                    "criterion": criterion, "low": round_.scale_min, "high": round_.scale_max})
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        changed = Assignment.objects.filter(pk=assignment.pk, version=expected_version).update(
            comment=comment.strip(), version=F("version") + 1, scored_at=now)
        if not changed:
            raise stale_scores(Assignment.objects.get(pk=assignment.pk))
        for criterion_id, value in values.items():
            if value is None:
                Score.objects.filter(assignment=assignment, criterion_id=criterion_id).delete()
            else:
                Score.objects.update_or_create(assignment=assignment, criterion_id=criterion_id,
                                               defaults={"value": value})
        recount_scores(Assignment.objects.filter(pk=assignment.pk))
    assignment.refresh_from_db()
    return assignment


def recount_scores(assignments):
    """Set each assignment's ``criteria_scored``, ``weighted_hundredths`` and ``weight_total``
    from its scores, in one UPDATE: whatever writes scores calls it (the service above, the
    demo's and the benchmark's builders, tests that make scores directly). A score has two
    decimals and a weight none, so each score × weight × 100 is a whole number; it is rounded
    only to drop SQLite's binary fractions (0.29 × 100 is 28.999999999999996 there)."""
    scores = Score.objects.filter(assignment=OuterRef("pk")).order_by().values("assignment")

    def total(expression, output_field):
        return Coalesce(Subquery(scores.annotate(n=expression).values("n"),
                                 output_field=output_field), 0)

    assignments.update(
        criteria_scored=total(Count("pk"), IntegerField()),
        weighted_hundredths=total(
            Sum(Cast(Round(F("value") * 100), BigIntegerField()) * F("criterion__weight")),
            BigIntegerField()),
        weight_total=total(Sum("criterion__weight"), IntegerField()))


# -- Grades -----------------------------------------------------------------------------------

def set_grade(round_, *, grade, task=None, agency=None, reason="", user):
    """Set a unit's final grade while the round is being evaluated. The round's bands guide it:
    a grade that departs from the band of the panel's mean needs a reason."""
    check_plan_manager(user)
    with transaction.atomic():
        round_ = locked_round(round_)
        if not round_.allows("grades"):
            raise ValidationError(_("Grades are set while the round is being evaluated."))
        unit = unit_of(round_=round_, task=task, agency=agency)
        mean = unit_mean(round_, **unit)
        check_reason(round_, grade=grade, mean=mean, reason=reason,
                     submitted=unit_submitted(round_, **unit))
        graded, _created = Grade.objects.update_or_create(
            round=round_, **unit,
            defaults={"grade": grade, "reason": reason.strip(), "mean": mean})
    return graded


def set_grades(round_, *, grades: dict, user) -> int:
    """Set several units' grades at once, all or nothing: ``grades`` maps the caller's key for
    each unit (a form's prefix) to ``set_grade``'s arguments (grade, reason, task or agency).
    When any is refused, none is saved and RowErrors says what refused each. Returns how many
    were set."""
    errors = {}
    with transaction.atomic():
        for key, values in grades.items():
            try:
                set_grade(round_, user=user, **values)
            except ValidationError as error:
                errors[key] = error
        if errors:
            raise RowErrors(errors)
    return len(grades)


def apply_bands(round_, *, user) -> tuple[int, int]:
    """Give every unit without a grade the grade of its panel mean's band, in one step; the
    manager then overrides any with a reason. A unit with no mean, or one that submitted no
    results whose band is above 미흡, is left for the manager to grade. Returns (how many
    were graded, how many were left)."""
    check_plan_manager(user)
    with transaction.atomic():
        round_ = locked_round(round_)
        if not round_.allows("grades"):
            raise ValidationError(_("Grades are set while the round is being evaluated."))
        means = unit_means(round_)
        graded = {("task", task_id) if task_id else ("agency", agency_id) for task_id, agency_id
                  in round_.grades.values_list("task_id", "agency_id")}
        submitted = Result.objects.filter(task__plan_id=round_.plan_id,
                                          state=ResultState.SUBMITTED)
        with_results = {("task", pk) for pk in submitted.values_list("task_id", flat=True)}
        with_results |= {("agency", pk) for pk in submitted.values_list(
            "task__lead_agency_id", flat=True)}
        with_results |= {("agency", pk) for pk in Result.objects.filter(
            plan_id=round_.plan_id, state=ResultState.SUBMITTED).values_list(
            "institution_id", flat=True)}
        units = ([("task", pk) for pk in graded_tasks(round_).values_list("pk", flat=True)]
                 + [("agency", pk) for pk in graded_institutions(round_).values_list(
                     "pk", flat=True)])
        new, left = [], 0
        for key in units:
            if key in graded:
                continue
            score = means.get(key)
            band = round_.band_for(score.mean) if score else None
            if band is None or (band != GradeLevel.INSUFFICIENT and key not in with_results):
                left += 1
                continue
            kind, pk = key
            new.append(Grade(round=round_, grade=band, mean=score.mean, reason="",
                             **{f"{kind}_id": pk}))
        Grade.objects.bulk_create(new)
    return len(new), left


def check_reason(round_, *, grade, mean, reason, submitted=True):
    if not submitted and grade != GradeLevel.INSUFFICIENT and not reason.strip():
        raise ValidationError({"reason": _(
            "The unit submitted no results: say why it is graded above 미흡.")})
    band = round_.band_for(mean)
    if band is not None and grade != band and not reason.strip():
        raise ValidationError({"reason": _(
            "The panel's mean %(mean)s is in the band of “%(band)s”: say why the grade is "
            "different.") % {"mean": mean, "band": band.label}})
    if band is None and not reason.strip():
        raise ValidationError({"reason": _(
            "No evaluator has scored this unit yet: say on what the grade rests.")})


