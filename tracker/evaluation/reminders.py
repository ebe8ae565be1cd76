"""The year-end evaluation's reminders: results to submit (before and after the deadline) and
assignments to score."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.access import member_agency_ids, users_with_perm
from tracker.accounts.languages import language_of
from tracker.evaluation.models import (
    ALLOWS,
    Assignment,
    EvaluationRound,
    Result,
    ResultState,
    RoundState,
)
from tracker.evaluation.services import graded_institutions
from tracker.progress.models import Task
from tracker.progress.reminders import sent_within


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
    """A staff member's units whose year-end results are not submitted, their agencies' tasks
    and, for a 시·도, the institution itself: ``due`` before the round's deadline, ``missing``
    after it."""

    due: list = field(default_factory=list)
    missing: list = field(default_factory=list)

    template = "tracker/evaluation/email/results_reminder.txt"

    @property
    def items(self):
        return ([unit_key("result", self.round, unit) for unit in self.due]
                + [unit_key("late-result", self.round, unit) for unit in self.missing])

    @property
    def days_left(self):
        return (self.round.submission_closes - self.today).days

    def subject(self):
        count = len(self.items)
        return ngettext(
            "kipplan: %(count)s year-end result to submit for the %(plan)s",
            "kipplan: %(count)s year-end results to submit for the %(plan)s",
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

    template = "tracker/evaluation/email/scoring_reminder.txt"

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
        state__in=ALLOWS["results"] | ALLOWS["scores"]).select_related("plan")
    return rounds.filter(plan=plan) if plan is not None else rounds


def evaluation_digests(*, days, plan=None, now=None):
    """(digests to send, users left out for want of an email address) of every round taking
    results or scores, or of the round of ``plan``: results digests to agency staff, scoring
    digests to evaluators. The queries do not grow with the number of tasks or assignments."""
    now = now or timezone.now()
    already = sent_within(timedelta(days=days), now)
    due, no_address = [], []
    for round_ in open_rounds(plan).order_by("plan__year"):
        for digest in (results_digests(round_, days=days, now=now, already=already)
                       + scoring_digests(round_, days=days, now=now, already=already)):
            (due if digest.user.email else no_address).append(digest)
    return due, no_address


def results_staff():
    """The active users who submit results for their agencies (agency staff), by username;
    evaluators and superusers are not among them."""
    return (users_with_perm("tracker.change_result")
            .filter(agency_memberships__isnull=False)
            .exclude(pk__in=users_with_perm("tracker.add_score"))
            .distinct().order_by("username"))


def unit_key(kind, round_, unit):
    """What a reminder records of one unit it named: a task is in one round only; an
    institution is graded every year, so its key names the round."""
    if isinstance(unit, Task):
        return f"{kind}:{unit.pk}"
    return f"{kind}:round-{round_.pk}:institution-{unit.pk}"


def results_missing(round_):
    """The tasks of the round's plan whose results are not submitted (none, or a draft), with
    ``has_draft``, by number."""
    return (Task.objects.filter(plan_id=round_.plan_id)
            .exclude(result__state=ResultState.SUBMITTED)
            .annotate(has_draft=Exists(Result.objects.filter(task_id=OuterRef("pk"))))
            .order_by("number"))


def institutions_missing(round_):
    """The round's graded institutions (the 시·도) whose own results are not submitted, with
    ``has_draft``, by name."""
    mine = Result.objects.filter(plan_id=round_.plan_id, institution_id=OuterRef("pk"))
    return (graded_institutions(round_)
            .exclude(Exists(mine.filter(state=ResultState.SUBMITTED)))
            .annotate(has_draft=Exists(mine)).order_by("name_ko"))


def results_digests(round_, *, days, now, already):
    """Each staff member's tasks, led by their agencies (with sub-agencies), whose results are
    missing: from ``days`` days before the round's deadline, while it takes results."""
    today = timezone.localdate(now)
    closes = round_.submission_closes
    if (round_.state != RoundState.SUBMISSION or closes is None
            or today < closes - timedelta(days=days)):
        return []
    late = round_.submission_is_late(today)
    kind = "late-result" if late else "result"
    # one query each for every recipient: the tasks, then the institutions, in that order
    missing = list(results_missing(round_)) + list(institutions_missing(round_))
    digests = []
    for user in results_staff():
        agencies, sent = member_agency_ids(user), already.get(user.pk, set())
        units = [unit for unit in missing
                 if (unit.lead_agency_id if isinstance(unit, Task) else unit.pk) in agencies
                 and unit_key(kind, round_, unit) not in sent]
        if units:
            digests.append(ResultsDigest(user, round_, days, today, due=[] if late else units,
                                         missing=units if late else []))
    return digests


def scoring_digests(round_, *, days, now, already):
    """Each evaluator's assignments in the round that lack a score of a criterion they must
    score, while the round is being evaluated."""
    if not round_.allows("scores"):
        return []
    evaluators = users_with_perm("tracker.add_score")
    unscored = (Assignment.objects.filter(round=round_, evaluator__in=evaluators)
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
            digests[user.pk] = ScoringDigest(user, round_, days, timezone.localdate(now))
        digests[user.pk].assignments.append(assignment)
    return list(digests.values())


