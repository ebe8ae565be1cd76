"""The fixed choices of kipplan's models: statuses and their traffic lights, agency kinds,
review lights and where a history entry comes from."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrafficLight(models.TextChoices):
    """The colours of the Office for Government Policy Coordination's traffic lights."""

    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    RED = "red", _("Red")
    BLUE = "blue", _("Blue")
    GREY = "grey", _("Grey")


class Status(models.TextChoices):
    """A task's status, from Korean government practice (pledge tracking and OPC lights)."""

    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    DELAYED = "delayed", _("Delayed")
    COMPLETED = "completed", _("Completed")
    COMPLETED_CONTINUING = "completed_continuing", _("Completed and continuing")
    SUSPENDED = "suspended", _("Suspended")

    @property
    def light(self):
        return STATUS_LIGHTS[self]

    @property
    def review_light(self):
        """The OPC three-light equivalent, to compare with a manager's review."""
        return REVIEW_EQUIVALENT[self.light]

    @classmethod
    def finished(cls):
        """Statuses that mean the year's commitment is met: progress must be 100."""
        return [cls.COMPLETED, cls.COMPLETED_CONTINUING]


STATUS_LIGHTS = {
    Status.NOT_STARTED: TrafficLight.GREY,
    Status.ON_TRACK: TrafficLight.GREEN,
    Status.NEEDS_ATTENTION: TrafficLight.AMBER,
    Status.DELAYED: TrafficLight.RED,
    Status.COMPLETED: TrafficLight.BLUE,
    Status.COMPLETED_CONTINUING: TrafficLight.BLUE,
    Status.SUSPENDED: TrafficLight.RED,
}

REVIEW_EQUIVALENT = {
    TrafficLight.GREEN: TrafficLight.GREEN,
    TrafficLight.BLUE: TrafficLight.GREEN,  # done is on track
    TrafficLight.AMBER: TrafficLight.AMBER,
    TrafficLight.GREY: TrafficLight.AMBER,  # not started within the plan year needs attention
    TrafficLight.RED: TrafficLight.RED,
}


class AgencyKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry (부)")
    OFFICE = "office", _("Office (처·실)")
    AGENCY = "agency", _("Agency (청)")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    TEAM = "team", _("Team")
    COUNCIL = "council", _("Council or commission (위원회)")
    # The 17 시·도: implementing bodies that lead tasks and are graded as institutions.
    METROPOLITAN = "metropolitan", _("Metropolitan government (시·도)")


class FigureKind(models.TextChoices):
    """How final a published figure is: statistics are published preliminary and revised; a
    plan's starting value is a baseline, not a statistic still to be revised."""

    BASELINE = "baseline", _("Baseline")
    PRELIMINARY = "preliminary", _("Preliminary")
    REVISED = "revised", _("Revised")
    FINAL = "final", _("Final")


class StateSource(models.TextChoices):
    """Where an entry of a task's history comes from."""

    REPORT = "report", _("Progress report")
    IMPORT = "import", _("Plan import")
    API = "api", _("Report through the API")


class ReviewLight(models.TextChoices):
    """A plan manager's own traffic light for a task (OPC practice)."""

    GREEN = TrafficLight.GREEN.value, _("Green: on track (정상추진)")
    AMBER = TrafficLight.AMBER.value, _("Amber: needs attention (관심필요)")
    RED = TrafficLight.RED.value, _("Red: to be reviewed (과제 재검토 필요)")
