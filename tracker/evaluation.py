"""
The evaluation round's steps, each a service with its rules: a round moves preparing →
submission → evaluation → approved → published, one step at a time, and once approved nothing of
it changes. Grades are set while the round is being evaluated.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import EvaluationRound, Grade, RoundState

NEXT = {
    RoundState.PREPARING: RoundState.SUBMISSION,
    RoundState.SUBMISSION: RoundState.EVALUATION,
    RoundState.EVALUATION: RoundState.APPROVED,
    RoundState.APPROVED: RoundState.PUBLISHED,
}


def missing_for(round, state):
    """What the round lacks to enter ``state``: a list of messages, empty when nothing."""
    needs = {
        RoundState.SUBMISSION: [("submission_opens", _("the day submission opens")),
                                ("submission_closes", _("the day submission closes"))],
        RoundState.EVALUATION: [("evaluation_closes", _("the day evaluation closes"))],
        RoundState.APPROVED: [("meeting_number", _("the approving Council meeting")),
                              ("meeting_date", _("the meeting's date"))],
        RoundState.PUBLISHED: [("published_on", _("the day of publication"))],
    }[state]
    missing = [what for field, what in needs if getattr(round, field) is None]
    if state == RoundState.APPROVED and not round.grades.exists():
        missing.append(_("the grades"))
    return missing


def advance(round, to):
    """Move the round to the next step, ``to``; a ValidationError says why not."""
    with transaction.atomic():
        round = EvaluationRound.objects.select_for_update().get(pk=round.pk)
        if NEXT.get(round.state) != to:
            raise ValidationError(_("The round is “%(state)s”: it cannot move to “%(to)s”.") % {
                "state": round.get_state_display(), "to": RoundState(to).label})
        missing = missing_for(round, to)
        if missing:
            raise ValidationError(_("Before “%(to)s”, the round needs %(missing)s.") % {
                "to": RoundState(to).label, "missing": ", ".join(missing)})
        round.state = to
        round.save(update_fields=["state"])
    return round


def check_open(round):
    """Refuse any change to a round the Council has decided."""
    if round.decided:
        raise ValidationError(_("The round has been approved: nothing of it changes."))


def set_grade(round, *, grade, task=None, agency=None, reason=""):
    """Grade a task (a ministry's project) or an institution while the round is evaluated."""
    with transaction.atomic():
        round = EvaluationRound.objects.select_for_update().get(pk=round.pk)
        check_open(round)
        if round.state != RoundState.EVALUATION:
            raise ValidationError(_("Grades are set while the round is being evaluated."))
        if (task is None) == (agency is None):
            raise ValidationError(_("Grade either a task or an institution."))
        if task is not None and task.plan_id != round.plan_id:
            raise ValidationError(_("The task belongs to another plan."))
        graded, _created = Grade.objects.update_or_create(
            round=round, task=task, agency=agency, defaults={"grade": grade, "reason": reason})
    return graded
