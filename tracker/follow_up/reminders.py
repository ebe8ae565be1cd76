"""The reminders of improvement opinions: answers and actions overdue."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.access import member_agency_ids, users_with_perm
from tracker.accounts.languages import language_of
from tracker.follow_up import opinions as opinion_rules
from tracker.follow_up.models import Opinion
from tracker.progress.reminders import sent_within, staff


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

    template = "tracker/follow_up/email/opinion_reminder.txt"

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
    return staff().exclude(pk__in=users_with_perm("tracker.add_score"))


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
            if opinion.answering_agency_id not in agencies:
                continue
            late = opinion.answer_due < today
            if f"{'late-opinion' if late else 'opinion'}:{opinion.pk}" not in sent:
                (digest.late if late else digest.due).append(opinion)
        digest.actions = [
            action for action in actions
            if action.opinion.answering_agency_id in agencies
            and f"action:{action.pk}" not in sent]
        if digest.items:
            (due if user.email else no_address).append(digest)
    return due, no_address


