"""
The Council's year: its meetings (``CouncilMeeting``, with their agenda and decisions) and what
each decided of kipplan's records, found by the meeting's number: the plans it endorsed and the
evaluations it approved, with their budget advice. The annual report's chapter on the Council's
activities reads them.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from tracker.plans.models import AgendaItem, CouncilMeeting, Plan


def decided_at(meeting) -> list[str]:
    """What the meeting decided of kipplan's records, in the active language: one query."""
    found = []
    plans = Plan.objects.filter(meeting_number=meeting.number) | Plan.objects.filter(
        evaluation_round__meeting_number=meeting.number)
    for plan in plans.select_related("evaluation_round").order_by("year").distinct():
        if plan.meeting_number == meeting.number:
            found.append(_("endorsed the %(plan)s") % {"plan": plan.title})
        round_ = getattr(plan, "evaluation_round", None)
        # a round decided at the meeting: one whose meeting is only scheduled is not
        if round_ is not None and round_.meeting_number == meeting.number and round_.decided:
            found.append(_("approved the evaluation of the %(plan)s's results and its budget "
                           "advice") % {"plan": plan.title})
    return found


def meetings_of(year: int):
    """The meetings held in ``year``, each with its agenda and ``decided`` (``decided_at``):
    two queries, and one a meeting."""
    meetings = list(CouncilMeeting.objects.filter(held_on__year=year).order_by("number")
                    .prefetch_related(Prefetch("agenda", AgendaItem.objects.order_by("number"))))
    for meeting in meetings:
        meeting.decided = decided_at(meeting)
    return meetings
