"""
A task's history as a list of small typed events, newest first: progress reports (and imported
states), contribution notes, managers' reviews and milestone changes. Each kind is rendered by
an include of its own (``template``), shared by the public task page and the admin.

Published pages show what a government publishes: the state reported, and milestone dates.
Who reported, their notes, contribution notes, the reasons given for moving a milestone and
managers' reviews are written for colleagues and stay internal.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from tracker.progress.models import MilestoneChange, Task


@dataclass(frozen=True)
class Event:
    when: datetime
    who: object  # a user, or None (an import from the command line)
    public: ClassVar[bool] = False
    template: ClassVar[str]


@dataclass(frozen=True)
class Report(Event):
    update: object  # ProgressUpdate
    public: ClassVar[bool] = True
    template: ClassVar[str] = "tracker/progress/events/report.html"


@dataclass(frozen=True)
class Contribution(Event):
    note: object  # ContributionNote
    template: ClassVar[str] = "tracker/progress/events/contribution.html"


@dataclass(frozen=True)
class Review(Event):
    review: object  # ReviewAssessment
    template: ClassVar[str] = "tracker/progress/events/review.html"


@dataclass(frozen=True)
class MilestoneMove(Event):
    change: object  # MilestoneChange
    public: ClassVar[bool] = True
    template: ClassVar[str] = "tracker/progress/events/milestone.html"


def timeline(task: Task, *, public: bool = False) -> list[Event]:
    """The task's history, newest first; for the public, only the kinds marked public (two
    queries then, four otherwise)."""
    sources = {
        Report: lambda: [Report(u.reported_at, u.reported_by, u)
                         for u in task.updates.select_related("reported_by")],
        MilestoneMove: lambda: [
            MilestoneMove(c.changed_at, c.changed_by, c)
            for c in MilestoneChange.objects.filter(milestone__task=task)
            .select_related("changed_by", "milestone")],
        Contribution: lambda: [Contribution(c.created_at, c.author, c)
                               for c in task.contributions.select_related("author", "agency")],
        Review: lambda: [Review(r.reviewed_at, r.reviewer, r)
                         for r in task.reviews.select_related("reviewer")],
    }
    events = [event for kind, read in sources.items() if kind.public or not public
              for event in read()]
    return sorted(events, key=lambda event: event.when, reverse=True)
