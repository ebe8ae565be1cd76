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
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tracker.accounts.languages import language_of
from tracker.common.mail import queue
from tracker.progress.models import Milestone, Reminder, Task, stale_condition


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
            body = render_to_string("tracker/progress/email/reminder.txt", context)
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
    """Queue each digest's mail (tracker.common.mail: sent by the worker, retried, and shown to
    the plan managers if it fails every attempt) and record it as sent. Returns how many."""
    with transaction.atomic():
        for digest in digests:
            queue(digest.message(), kind="reminder")
            Reminder.objects.create(user=digest.user, sent_at=now or timezone.now(),
                                    items=digest.items)
    return len(digests)


# -- The year-end evaluation --------------------------------------------------------------------
# An item is "result:<task id>" before the deadline, "late-result:<task id>" after it (so that
# the deadline passing is news to whoever was reminded just before it), the same with
# "round-<round id>:institution-<agency id>" for a 시·도's own results, and
# "assignment:<assignment id>" for an evaluator. As above, an item sent within the period is not
# sent again.


# -- Improvement opinions -----------------------------------------------------------------------
# An item is "opinion:<id>" while the answer is not yet due, "late-opinion:<id>" after (news to
# whoever was reminded just before), and "action:<id>" for an overdue action. As above, an item
# sent within the period is not sent again.


