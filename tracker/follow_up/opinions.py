"""
Improvement opinions (개선의견 → 개선계획 → 이행점검, 지식재산 기본법 art. 10): the rules of who
may write what, and when, and the reads every page, admin screen and reminder shares.

- Plan managers issue an opinion on a task (its lead agency answers) or on an agency, with the
  day the answer is due; they check each action of the answer (the Council's check) and close
  the opinion.
- The staff of the answering agency (or of an agency above it) answer with an improvement plan:
  actions with their own due dates. A revised plan is a new answer; the actions of the answer
  it replaces are marked withdrawn, never changed or deleted. They report each action's status
  (the agency's own status).
- Every write locks the opinion's row first, so that two writers on one opinion take turns.
- A new opinion, and a Council check that differs from the agency's latest own status, are
  e-mailed at once to the answering agency's staff, each in their own language, once the write
  is committed: a mail server out of reach loses no write.

Reads are functions over querysets: ``visible_to(user)``, ``only_open``, ``answer_overdue``,
``actions_overdue``, ``with_action_status`` (the latest statuses, computed in the database).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tracker.access import is_evaluator, is_plan_manager, member_agency_ids, users_with_perm
from tracker.accounts.languages import language_of
from tracker.common.calendar import improvement_plan_due
from tracker.common.mail import queue
from tracker.evaluation.models import EvaluationRound
from tracker.follow_up.models import (
    ActionCheck,
    ActionStatus,
    CheckedBy,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
)
from tracker.plans.models import Agency, Plan
from tracker.progress.models import Task

# -- Who ------------------------------------------------------------------------------------------

def answering_staff(agency_id: int):
    """The active users who may answer for the agency (members of it or of an agency above
    it), evaluators left out, by username."""
    above, agency = [], Agency.objects.filter(pk=agency_id).first()
    seen = set()
    while agency is not None and agency.pk not in seen:
        seen.add(agency.pk)
        above.append(agency.pk)
        agency = agency.parent
    users = get_user_model().objects
    return (users.filter(is_active=True, agency_memberships__agency_id__in=above)
            .exclude(pk__in=users_with_perm("tracker.add_score"))
            .distinct().select_related("kipplan_profile").order_by("username"))


# -- Reads ----------------------------------------------------------------------------------------

def of_plan(plan: Plan, opinions: QuerySet | None = None) -> QuerySet:
    """The opinions of a plan, and those carried into it with their tasks."""
    opinions = Opinion.objects.all() if opinions is None else opinions
    return opinions.filter(Q(plan=plan) | Q(carried_to__plan=plan))


def only_open(opinions: QuerySet) -> QuerySet:
    return opinions.filter(closed_at__isnull=True)


def _answered():
    return Exists(OpinionAnswer.objects.filter(opinion_id=OuterRef("pk")))


def answer_overdue(opinions: QuerySet, today: datetime.date) -> QuerySet:
    """Open opinions with no answer whose answer was due before today."""
    return only_open(opinions).filter(answer_due__lt=today).exclude(_answered())


def latest_checks(by=None):
    """An action's checks, latest first (of one side, ``by``, when given), for a subquery."""
    checks = ActionCheck.objects.filter(action_id=OuterRef("pk"))
    if by is not None:
        checks = checks.filter(by=by)
    return checks.order_by("-checked_at", "-pk")


def _label(field):
    """A status's label in the active language, from the database's value."""
    return Case(*[When(**{field: value}, then=Value(str(label)))
                  for value, label in ActionStatus.choices], default=Value(""),
                output_field=CharField())


def with_action_status(actions: QuerySet) -> QuerySet:
    """Actions with ``latest_status`` (the latest check by anyone), ``agency_status`` and
    ``council_status`` (each side's latest, with ``..._label`` in the active language), and
    when each side last checked."""
    return actions.annotate(
        latest_status=Subquery(latest_checks().values("status")[:1]),
        agency_status=Subquery(latest_checks(CheckedBy.AGENCY).values("status")[:1]),
        agency_checked_at=Subquery(latest_checks(CheckedBy.AGENCY).values("checked_at")[:1]),
        council_status=Subquery(latest_checks(CheckedBy.COUNCIL).values("status")[:1]),
        council_checked_at=Subquery(latest_checks(CheckedBy.COUNCIL).values("checked_at")[:1]),
    ).annotate(agency_status_label=_label("agency_status"),
               council_status_label=_label("council_status"))


def overdue_actions(today: datetime.date, actions: QuerySet | None = None) -> QuerySet:
    """Actions in force (not withdrawn) of open opinions, due before today, whose latest status
    (by the agency or the Council, whichever is later) is not "implemented"."""
    actions = ImprovementAction.objects.all() if actions is None else actions
    return (actions.filter(opinion__closed_at__isnull=True, withdrawn_at__isnull=True,
                           due_on__lt=today)
            .annotate(current_status=Subquery(latest_checks().values("status")[:1]))
            .filter(Q(current_status__isnull=True)
                    | ~Q(current_status=ActionStatus.IMPLEMENTED)))


def actions_overdue(opinions: QuerySet, today: datetime.date) -> QuerySet:
    """Open opinions with an overdue action."""
    overdue = overdue_actions(today).filter(opinion_id=OuterRef("pk"))
    return only_open(opinions).filter(Exists(overdue))


def with_state(opinions: QuerySet, today: datetime.date) -> QuerySet:
    """Opinions with ``answered``, ``is_answer_overdue`` and ``has_overdue_actions``, for lists."""
    overdue = overdue_actions(today).filter(opinion_id=OuterRef("pk"))
    return opinions.annotate(
        answered=_answered(),
        has_overdue_actions=Exists(overdue),
    ).annotate(is_answer_overdue=Case(
        When(closed_at__isnull=True, answered=False, answer_due__lt=today, then=Value(True)),
        default=Value(False), output_field=BooleanField()))


@dataclass
class Counts:
    open: int
    answer_overdue: int
    actions_overdue: int


def counts(opinions: QuerySet, today: datetime.date) -> Counts:
    """The dashboard's three figures, in one query."""
    overdue = overdue_actions(today).filter(opinion_id=OuterRef("pk"))
    opinions = only_open(opinions).annotate(
        answered=_answered(), late_actions=Exists(overdue))
    figures = opinions.aggregate(
        open=Count("pk"),
        answer_overdue=Count("pk", filter=Q(answered=False, answer_due__lt=today)),
        actions_overdue=Count("pk", filter=Q(late_actions=True)))
    return Counts(**figures)


def _count(opinions: QuerySet):
    """A scalar subquery counting the rows of ``opinions`` (no GROUP BY: one row; 0 for a
    queryset that is ``none()``)."""
    return Coalesce(Subquery(opinions.order_by().annotate(
        total=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("total"),
        output_field=IntegerField()), 0)


def plan_counts(user, today: datetime.date) -> dict:
    """Annotations of a Plan queryset with the dashboard's three figures (``opinions_open``,
    ``opinions_answer_overdue``, ``opinions_actions_overdue``) of the opinions the user sees,
    the plan's and those carried into it: read with the plan, in its query."""
    base = Opinion.objects.visible_to(user).filter(
        Q(plan_id=OuterRef("pk")) | Q(carried_to__plan_id=OuterRef("pk")))
    return {
        "opinions_open": _count(only_open(base)),
        "opinions_answer_overdue": _count(answer_overdue(base, today)),
        "opinions_actions_overdue": _count(actions_overdue(base, today)),
    }


@dataclass(frozen=True)
class Duties:
    """What an agency owes on its improvement opinions (My work)."""

    to_answer: list  # open opinions without an improvement plan, due first
    actions: list  # actions in force of open opinions, not implemented, due first


def duties(user, today: datetime.date) -> Duties:
    """The improvement plans a user's agencies owe and the actions of their plans still to be
    implemented, by the answering agency's rules (``Opinion.can_answer``)."""
    agencies = member_agency_ids(user)
    if not agencies or is_evaluator(user):
        return Duties([], [])
    mine = only_open(Opinion.objects.filter(
        Q(task__lead_agency_id__in=agencies) | Q(agency_id__in=agencies)))
    to_answer = list(with_state(mine, today).filter(answered=False)
                     .select_related("plan", "task__plan", "agency").order_by("answer_due", "pk"))
    actions = list(
        with_action_status(ImprovementAction.objects.filter(
            opinion__in=mine, withdrawn_at__isnull=True))
        .filter(Q(latest_status__isnull=True) | ~Q(latest_status=ActionStatus.IMPLEMENTED))
        .annotate(is_overdue=Case(When(due_on__lt=today, then=Value(True)),
                                  default=Value(False), output_field=BooleanField()))
        .select_related("opinion__task__plan", "opinion__agency").order_by("due_on", "pk"))
    return Duties(to_answer, actions)


def listing(opinions: QuerySet, today: datetime.date) -> QuerySet:
    """Open opinions for a page: unit, plan and where carried, with their state, due first."""
    return (with_state(only_open(opinions), today)
            .select_related("plan", "task__plan", "agency", "carried_to__plan")
            .order_by("answer_due", "pk"))


# -- Writes ---------------------------------------------------------------------------------------

def check_opinion(*, plan: Plan, task: Task | None, agency: Agency | None,
                  round_: EvaluationRound | None, issued_on, answer_due, user) -> None:
    """The rules of a new opinion, as messages (the admin's form shows them on its fields)."""
    if not is_plan_manager(user):
        raise ValidationError(_("Only plan managers issue improvement opinions."))
    errors = {}
    if (task is None) == (agency is None):
        errors["task"] = _("An opinion is on a task or on an agency: choose one of them.")
    elif task is not None and task.plan_id != plan.pk:
        errors["task"] = _("The task is not one of the %(plan)s's tasks.") % {"plan": plan}
    if round_ is not None and round_.plan_id != plan.pk:
        errors["round"] = _("The evaluation round is not the %(plan)s's.") % {"plan": plan}
    if issued_on and answer_due and answer_due < issued_on:
        errors["answer_due"] = _("The answer cannot be due before the opinion is issued.")
    if errors:
        raise ValidationError(errors)


def issue_opinion(*, plan: Plan, task: Task | None = None, agency: Agency | None = None,
                  round_: EvaluationRound | None = None, text: str, issued_on: datetime.date,
                  answer_due: datetime.date | None = None, user) -> Opinion:
    """Issue an opinion and mail the answering agency's staff. Without ``answer_due``, the
    improvement plan is due when the decree's calendar says (KIPPLAN_CALENDAR)."""
    answer_due = answer_due or improvement_plan_due(issued_on)
    check_opinion(plan=plan, task=task, agency=agency, round_=round_, issued_on=issued_on,
                  answer_due=answer_due, user=user)
    with transaction.atomic():
        opinion = Opinion(plan=plan, task=task, agency=agency, round=round_, text=text.strip(),
                          issued_on=issued_on, answer_due=answer_due, issued_by=user)
        opinion.full_clean()
        opinion.save()
        notify(new_opinion_mails(opinion))
    return opinion


def _locked(opinion: Opinion) -> Opinion:
    """The opinion's row, locked until the transaction ends, as it is now."""
    return (Opinion.objects.select_for_update(of=("self",)).select_related("task")
            .get(pk=opinion.pk))


def _check_open(opinion: Opinion) -> None:
    if not opinion.is_open:
        raise ValidationError(_("The opinion was closed on %(day)s: it takes no more answers "
                                "or checks.") % {
            "day": timezone.localdate(opinion.closed_at).isoformat()})


NOT_GIVEN = object()


def answer_opinion(*, opinion: Opinion, text: str, actions: list, user,
                   revises=NOT_GIVEN) -> OpinionAnswer:
    """The agency's improvement plan: ``actions`` is a list of (description, due_on). A revised
    plan is a new answer: an action in force that it keeps unchanged (the same description and
    due date) goes on in it with its statuses and checks; the others in force are marked
    withdrawn and stay on record. ``revises`` is the id of the answer the form was opened on
    (None: none yet): if another was submitted since, nothing is saved."""
    with transaction.atomic():
        opinion = _locked(opinion)
        if not opinion.can_answer(user):
            raise ValidationError(_("Only the staff of the agency the opinion is addressed to "
                                    "answer it."))
        _check_open(opinion)
        latest = opinion.answers.order_by("-submitted_at", "-pk").first()
        if revises is not NOT_GIVEN and (latest.pk if latest else None) != revises:
            raise ValidationError(_(
                "Another improvement plan was submitted at %(when)s, after you opened this "
                "page. Nothing was saved: read it, then revise it.") % {
                "when": timezone.localtime(latest.submitted_at).strftime("%Y-%m-%d %H:%M")})
        if not text.strip():
            raise ValidationError({"text": _("Write the improvement plan.")})
        if not actions:
            raise ValidationError(_("An improvement plan has at least one action."))
        for number, (description, due_on) in enumerate(actions, start=1):
            if not (description or "").strip():
                raise ValidationError(_("Action %(number)s: describe the action.") % {
                    "number": number})
            if due_on is None or due_on < opinion.issued_on:
                raise ValidationError(_(
                    "Action %(number)s: its due date cannot be before the opinion was issued "
                    "(%(day)s).") % {"number": number, "day": opinion.issued_on.isoformat()})
        in_force = {(action.description, action.due_on): action for action in
                    opinion.actions.filter(withdrawn_at__isnull=True).order_by("-pk")}
        answer = OpinionAnswer(opinion=opinion, text=text.strip(), submitted_by=user)
        answer.full_clean()
        answer.save()
        for number, (description, due_on) in enumerate(actions, start=1):
            action = in_force.pop((description.strip(), due_on), None)
            if action is not None:  # kept as it was: it goes on, with its history
                action.answer, action.number = answer, number
                action.save(update_fields=["answer", "number"])
                continue
            action = ImprovementAction(opinion=opinion, answer=answer, number=number,
                                       description=description.strip(), due_on=due_on,
                                       created_by=user)
            action.full_clean()
            action.save()
        ImprovementAction.objects.filter(pk__in=[a.pk for a in in_force.values()]).update(
            withdrawn_at=timezone.now())
    return answer


def _check_action(action: ImprovementAction, status: str, note: str, by: str, user
                  ) -> ActionCheck:
    if action.withdrawn_at is not None:
        raise ValidationError(_("The action was withdrawn by a revised improvement plan."))
    check = ActionCheck(action=action, by=by, status=status, note=note.strip(), checked_by=user)
    check.full_clean()
    check.save()
    return check


def report_action(*, action: ImprovementAction, status: str, note: str, user) -> ActionCheck:
    """The agency's own status of one of its actions."""
    with transaction.atomic():
        opinion = _locked(action.opinion)
        if not opinion.can_answer(user):
            raise ValidationError(_("Only the staff of the agency the opinion is addressed to "
                                    "report on its actions."))
        _check_open(opinion)
        action = ImprovementAction.objects.get(pk=action.pk)
        return _check_action(action, status, note, CheckedBy.AGENCY, user)


def check_action(*, action: ImprovementAction, status: str, note: str, user) -> ActionCheck:
    """The Council's check of an action (이행점검). If it differs from the agency's latest own
    status (or the agency has reported none), the agency's staff are told at once."""
    with transaction.atomic():
        opinion = _locked(action.opinion)
        if not is_plan_manager(user):
            raise ValidationError(_("Only plan managers check actions."))
        _check_open(opinion)
        action = with_action_status(ImprovementAction.objects.filter(pk=action.pk)).get()
        own = action.agency_status
        check = _check_action(action, status, note, CheckedBy.COUNCIL, user)
        if own != check.status:
            notify(check_mails(opinion, action, check, own))
    return check


def close_opinion(*, opinion: Opinion, note: str, user) -> Opinion:
    with transaction.atomic():
        opinion = _locked(opinion)
        if not is_plan_manager(user):
            raise ValidationError(_("Only plan managers close improvement opinions."))
        if not opinion.is_open:
            raise ValidationError(_("The opinion is already closed."))
        opinion.closed_at, opinion.closed_by = timezone.now(), user
        opinion.closing_note = note.strip()
        opinion.full_clean()
        opinion.save(update_fields=["closed_at", "closed_by", "closing_note"])
    return opinion


# -- Mail at once ---------------------------------------------------------------------------------

@dataclass
class OpinionMail:
    """One message to one member of the answering agency's staff, in their language."""

    user: object
    opinion: Opinion
    template: str
    action: ImprovementAction | None = None
    check: ActionCheck | None = None
    own_status: str | None = None

    @property
    def language(self):
        return language_of(self.user)

    def subject(self):
        if self.check is not None:
            return _("kipplan: the Council's check of an action differs from your status "
                     "(%(unit)s)") % {"unit": self.opinion.task or self.opinion.agency}
        return _("kipplan: a new improvement opinion on %(unit)s, answer due %(day)s") % {
            "unit": self.opinion.task or self.opinion.agency,
            "day": self.opinion.answer_due.isoformat()}

    def message(self):
        with translation.override(self.language):
            context = {"mail": self, "opinion": self.opinion, "action": self.action,
                       "check": self.check,
                       "own_status": ActionStatus(self.own_status).label
                       if self.own_status else None,
                       "site": settings.KIPPLAN_SITE_URL.rstrip("/")}
            subject = self.subject()
            body = render_to_string(self.template, context)
        return EmailMessage(subject, body, to=[self.user.email])


def _recipients(opinion):
    return [user for user in answering_staff(opinion.answering_agency_id) if user.email]


def new_opinion_mails(opinion: Opinion) -> list[OpinionMail]:
    opinion = Opinion.objects.select_related("task__lead_agency", "agency", "plan").get(
        pk=opinion.pk)
    return [OpinionMail(user, opinion, "tracker/follow_up/email/opinion_new.txt")
            for user in _recipients(opinion)]


def check_mails(opinion, action, check, own_status) -> list[OpinionMail]:
    opinion = Opinion.objects.select_related("task__lead_agency", "agency", "plan").get(
        pk=opinion.pk)
    return [OpinionMail(user, opinion, "tracker/follow_up/email/opinion_check.txt", action=action,
                        check=check, own_status=own_status)
            for user in _recipients(opinion)]


def notify(mails) -> int:
    """Queue each mail, in the transaction of the write it tells of (tracker.common.mail: sent
    by the worker, retried, and shown to the plan managers if it fails every attempt)."""
    for mail in mails:
        queue(mail.message(), kind="opinion")
    return len(mails)
