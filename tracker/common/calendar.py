"""The decree's calendar (KIPPLAN_CALENDAR): the day each step of a plan's yearly cycle is due,
for the plan's year. The guideline is due in the plan's own year; the results, the notice of the
results and opinions, and the annual report in the next."""

import datetime

from django.conf import settings

IN_THE_PLANS_YEAR = {"guideline_by"}


def due(step: str, plan_year: int) -> datetime.date:
    """The day a step of the plan's cycle is due: ``guideline_by``, ``results_due``,
    ``notice_by`` or ``annual_report_by``."""
    month, day = settings.KIPPLAN_CALENDAR[step]
    return datetime.date(plan_year if step in IN_THE_PLANS_YEAR else plan_year + 1, month, day)


def improvement_plan_due(notified_on: datetime.date) -> datetime.date:
    """The day an improvement plan is due, for an opinion notified on the given day."""
    return notified_on + datetime.timedelta(days=settings.KIPPLAN_CALENDAR[
        "improvement_plan_days"])
