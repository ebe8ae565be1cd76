"""
Reminder digests: each agency staff member's overdue milestones and tasks with no report in the
reporting period, emailed in the recipient's language. What a digest lists is recorded, so that
another run within the period sends nothing already sent.

The year-end evaluation has digests of its own (``evaluation_digests``): to the staff of a task's
lead agency, its results not yet submitted, in the days before the round's deadline and, marked
late, after it while they are still missing; to each evaluator, their assignments not fully
scored while the round is being evaluated. The period is KIPPLAN_RESULTS_REMINDER_DAYS.

Improvement opinions have digests of their own too (``opinion_digests``): to the staff of the
agency that answers an opinion, its improvement plan not yet submitted, in the days before the
answer is due and, marked late, after it; and the actions of its plan past their due dates and
not implemented. The period is KIPPLAN_OPINION_REMINDER_DAYS.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import opinions as opinion_rules
from .access import member_agency_ids
from .languages import language_of
from .models import (
    Assignment,
    EvaluationRound,
    Milestone,
    Opinion,
    Reminder,
    Result,
    ResultState,
    RoundState,
    Task,
    stale_condition,
)


@dataclass
class Digest:
    user: object
    plan: object
    days: int
    milestones: list = field(default_factory=list)
    tasks: list = field(default_factory=list)

    @property
    def items(self):
        return ([f"milestone:{m.pk}" for m in self.milestones]
                + [f"task:{t.pk}" for t in self.tasks])

    @property
    def language(self):
        return language_of(self.user)

    def message(self):
        with translation.override(self.language):
            context = {"digest": self, "site": settings.KIPPLAN_SITE_URL.rstrip("/"),
                       "today": timezone.localdate()}
            subject = _("kipplan: %(count)s items to report on in the %(plan)s") % {
                "count": len(self.items), "plan": self.plan.title}
            body = render_to_string("tracker/email/reminder.txt", context)
        return EmailMessage(subject, body, to=[self.user.email])


def staff():
    """Active users who belong to an agency, by username."""
    return (get_user_model().objects.filter(is_active=True, agency_memberships__isnull=False)
            .distinct().select_related("kipplan_profile").order_by("username"))


def sent_within(period, now):
    """{user id: the items of every digest sent to them within the period before now}."""
    already = {}
    for user_id, items in Reminder.objects.filter(sent_at__gte=now - period
                                                  ).values_list("user_id", "items"):
        already.setdefault(user_id, set()).update(items)
    return already


def digests(plan, *, days, now=None):
    """(digests to send, users left out for want of an email address), for the plan's tasks
    whose lead agency each staff member reports for."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = timedelta(days=days)
    already = sent_within(period, now)
    due, no_address = [], []
    for user in staff():
        tasks = Task.objects.filter(plan=plan).reportable_by(user)
        sent = already.get(user.pk, set())
        digest = Digest(user, plan, days)
        digest.milestones = [
            m for m in Milestone.objects.overdue(today).of_unfinished_tasks()
            .filter(task__in=tasks)
            .select_related("task").order_by("due_date", "task__number", "pk")
            if f"milestone:{m.pk}" not in sent
        ]
        digest.tasks = [
            t for t in tasks.filter(stale_condition(year=plan.year, now=now, period=period))
            .order_by("number")
            if f"task:{t.pk}" not in sent
        ]
        if not digest.items:
            continue
        (due if user.email else no_address).append(digest)
    return due, no_address


def send(digests, *, now=None):
    """Email each digest and record it. A digest the mail server refuses is not recorded, so
    the next run sends it again, and does not stop the others. Returns (how many were sent,
    [(digest, error)] for those that were not)."""
    sent, failed = 0, []
    for digest in digests:
        try:
            digest.message().send()
        except OSError as error:  # smtplib's errors and a server out of reach
            failed.append((digest, error))
            continue
        Reminder.objects.create(user=digest.user, sent_at=now or timezone.now(),
                                items=digest.items)
        sent += 1
    return sent, failed


# -- The year-end evaluation --------------------------------------------------------------------
# An item is "result:<task id>" before the deadline, "late-result:<task id>" after it (so that
# the deadline passing is news to whoever was reminded just before it) and
# "assignment:<assignment id>" for an evaluator. As above, an item sent within the period is not
# sent again.


@dataclass
class EvaluationDigest:
    user: object
    round: object
    days: int
    today: object

    template = ""

    @property
    def language(self):
        return language_of(self.user)

    def subject(self):
        raise NotImplementedError

    def message(self):
        with translation.override(self.language):
            context = {"digest": self, "site": settings.KIPPLAN_SITE_URL.rstrip("/"),
                       "plan": self.round.plan, "round": self.round}
            subject = self.subject()
            body = render_to_string(self.template, context)
        return EmailMessage(subject, body, to=[self.user.email])


@dataclass
class ResultsDigest(EvaluationDigest):
    """A staff member's tasks whose year-end results are not submitted: ``due`` before the
    round's deadline, ``missing`` after it."""

    due: list = field(default_factory=list)
    missing: list = field(default_factory=list)

    template = "tracker/email/results_reminder.txt"

    @property
    def items(self):
        return ([f"result:{task.pk}" for task in self.due]
                + [f"late-result:{task.pk}" for task in self.missing])

    @property
    def days_left(self):
        return (self.round.submission_closes - self.today).days

    def subject(self):
        count = len(self.items)
        return ngettext(
            "kipplan: the results of %(count)s task to submit for the %(plan)s",
            "kipplan: the results of %(count)s tasks to submit for the %(plan)s",
            count) % {"count": count, "plan": self.round.plan.title}

    def summary(self):
        return _("%(user)s <%(email)s> (%(language)s): %(due)s results due, %(missing)s results "
                 "missing after the deadline") % {
            "user": self.user.username, "email": self.user.email, "language": self.language,
            "due": len(self.due), "missing": len(self.missing)}


@dataclass
class ScoringDigest(EvaluationDigest):
    """An evaluator's assignments not fully scored (each annotated with ``scored`` and
    ``required`` by ``Assignment.objects.with_progress``)."""

    assignments: list = field(default_factory=list)

    template = "tracker/email/scoring_reminder.txt"

    @property
    def items(self):
        return [f"assignment:{assignment.pk}" for assignment in self.assignments]

    def subject(self):
        count = len(self.items)
        return ngettext(
            "kipplan: %(count)s assignment to score for the %(plan)s",
            "kipplan: %(count)s assignments to score for the %(plan)s",
            count) % {"count": count, "plan": self.round.plan.title}

    def summary(self):
        return _("%(user)s <%(email)s> (%(language)s): %(count)s assignments not fully "
                 "scored") % {"user": self.user.username, "email": self.user.email,
                              "language": self.language, "count": len(self.assignments)}


def open_rounds(plan=None):
    """The rounds that take results or scores (of one plan, if given)."""
    rounds = EvaluationRound.objects.filter(
        state__in=[RoundState.SUBMISSION, RoundState.EVALUATION]).select_related("plan")
    return rounds.filter(plan=plan) if plan is not None else rounds


def evaluation_digests(*, days, plan=None, now=None):
    """(digests to send, users left out for want of an email address) of every round taking
    results or scores, or of the round of ``plan``: results digests to agency staff, scoring
    digests to evaluators. The queries do not grow with the number of tasks or assignments."""
    now = now or timezone.now()
    already = sent_within(timedelta(days=days), now)
    due, no_address = [], []
    for round in open_rounds(plan).order_by("plan__year"):
        for digest in (results_digests(round, days=days, now=now, already=already)
                       + scoring_digests(round, days=days, now=now, already=already)):
            (due if digest.user.email else no_address).append(digest)
    return due, no_address


def results_staff():
    """The active users who submit results for their agencies (agency staff), by username;
    evaluators and superusers are not among them."""
    users = get_user_model().objects
    return (users.with_perm("tracker.change_result", include_superusers=False)
            .filter(agency_memberships__isnull=False)
            .exclude(pk__in=users.with_perm("tracker.add_score", include_superusers=False))
            .distinct().order_by("username"))


def results_missing(round):
    """The tasks of the round's plan whose results are not submitted (none, or a draft), with
    ``has_draft``, by number."""
    return (Task.objects.filter(plan_id=round.plan_id)
            .exclude(result__state=ResultState.SUBMITTED)
            .annotate(has_draft=Exists(Result.objects.filter(task_id=OuterRef("pk"))))
            .order_by("number"))


def results_digests(round, *, days, now, already):
    """Each staff member's tasks, led by their agencies (with sub-agencies), whose results are
    missing: from ``days`` days before the round's deadline, while it takes results."""
    today = timezone.localdate(now)
    closes = round.submission_closes
    if (round.state != RoundState.SUBMISSION or closes is None
            or today < closes - timedelta(days=days)):
        return []
    late = round.submission_is_late(today)
    key = "late-result:{}" if late else "result:{}"
    missing = list(results_missing(round))  # one query for every recipient
    digests = []
    for user in results_staff():
        agencies, sent = member_agency_ids(user), already.get(user.pk, set())
        tasks = [task for task in missing if task.lead_agency_id in agencies
                 and key.format(task.pk) not in sent]
        if tasks:
            digests.append(ResultsDigest(user, round, days, today, due=[] if late else tasks,
                                         missing=tasks if late else []))
    return digests


def scoring_digests(round, *, days, now, already):
    """Each evaluator's assignments in the round that lack a score of a criterion they must
    score, while the round is being evaluated."""
    if round.state != RoundState.EVALUATION:
        return []
    evaluators = get_user_model().objects.with_perm("tracker.add_score",
                                                    include_superusers=False)
    unscored = (Assignment.objects.filter(round=round, evaluator__in=evaluators)
                .with_progress().filter(scored__lt=F("required"))
                .select_related("evaluator", "task", "agency")
                .order_by("evaluator__username", F("task__number").asc(nulls_last=True),
                          "agency__name_ko", "pk"))
    digests = {}
    for assignment in unscored:  # one query for every evaluator
        user = assignment.evaluator
        if f"assignment:{assignment.pk}" in already.get(user.pk, set()):
            continue
        if user.pk not in digests:
            digests[user.pk] = ScoringDigest(user, round, days, timezone.localdate(now))
        digests[user.pk].assignments.append(assignment)
    return list(digests.values())


# -- Improvement opinions -----------------------------------------------------------------------
# An item is "opinion:<id>" while the answer is not yet due, "late-opinion:<id>" after (news to
# whoever was reminded just before), and "action:<id>" for an overdue action. As above, an item
# sent within the period is not sent again.


@dataclass
class OpinionDigest:
    """A staff member's opinions awaiting their agency's improvement plan (``due`` soon,
    ``late`` past due) and the overdue actions of its plans."""

    user: object
    days: int
    today: object
    due: list = field(default_factory=list)
    late: list = field(default_factory=list)
    actions: list = field(default_factory=list)

    template = "tracker/email/opinion_reminder.txt"

    @property
    def items(self):
        return ([f"opinion:{opinion.pk}" for opinion in self.due]
                + [f"late-opinion:{opinion.pk}" for opinion in self.late]
                + [f"action:{action.pk}" for action in self.actions])

    @property
    def language(self):
        return language_of(self.user)

    def message(self):
        with translation.override(self.language):
            context = {"digest": self, "site": settings.KIPPLAN_SITE_URL.rstrip("/")}
            count = len(self.items)
            subject = ngettext(
                "kipplan: %(count)s improvement opinion item to act on",
                "kipplan: %(count)s improvement opinion items to act on",
                count) % {"count": count}
            body = render_to_string(self.template, context)
        return EmailMessage(subject, body, to=[self.user.email])

    def summary(self):
        return _("%(user)s <%(email)s> (%(language)s): %(due)s improvement plans due, %(late)s "
                 "overdue, %(actions)s actions overdue") % {
            "user": self.user.username, "email": self.user.email, "language": self.language,
            "due": len(self.due), "late": len(self.late), "actions": len(self.actions)}


def opinion_staff():
    """Active users who belong to an agency, evaluators left out, by username."""
    users = get_user_model().objects
    return staff().exclude(pk__in=users.with_perm("tracker.add_score",
                                                  include_superusers=False))


def opinion_digests(*, days, now=None):
    """(digests to send, users left out for want of an email address): to each staff member,
    the open opinions their agencies (with sub-agencies) answer with no improvement plan yet,
    from ``days`` days before the answer is due, and the overdue actions of their plans. Two
    queries read every opinion and action, whatever the number of recipients."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    already = sent_within(timedelta(days=days), now)
    unanswered = list(
        opinion_rules.only_open(Opinion.objects.all())
        .filter(answer_due__lte=today + timedelta(days=days), answers__isnull=True)
        .select_related("task", "agency", "plan").order_by("answer_due", "pk"))
    actions = list(opinion_rules.overdue_actions(today)
                   .select_related("opinion__task", "opinion__agency")
                   .order_by("due_on", "opinion_id", "number"))
    due, no_address = [], []
    for user in opinion_staff():
        agencies, sent = member_agency_ids(user), already.get(user.pk, set())
        digest = OpinionDigest(user, days, today)
        for opinion in unanswered:
            if opinion_rules.answering_agency_id(opinion) not in agencies:
                continue
            late = opinion.answer_due < today
            if f"{'late-opinion' if late else 'opinion'}:{opinion.pk}" not in sent:
                (digest.late if late else digest.due).append(opinion)
        digest.actions = [
            action for action in actions
            if opinion_rules.answering_agency_id(action.opinion) in agencies
            and f"action:{action.pk}" not in sent]
        if digest.items:
            (due if user.email else no_address).append(digest)
    return due, no_address
