"""
kipplan's models, by role: the plan and what it is made of (``plans``), tasks and milestones
with the rules they are read by (``tasks``), a task's history (``history``), the year-end
evaluation (``evaluation``) and the results it grades (``results``), what follows it (opinions,
budget advice, the annual report: ``follow_up``), and users' memberships,
settings, reminders and password reset requests (``people``); the data's revision, which
keys the cached pages (``revision``). Their fixed choices are in
``tracker.choices``.
"""

from ..choices import AgencyKind, FigureKind, ReviewLight, StateSource, Status, TrafficLight
from .evaluation import (
    Assignment,
    Criterion,
    EvaluationRound,
    Grade,
    GradeLevel,
    RoundState,
    Score,
    mean_of_cents,
    panel_cents,
)
from .follow_up import (
    ActionCheck,
    ActionStatus,
    AnnualReport,
    BudgetAdvice,
    CheckedBy,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
    Recommendation,
    advice_year,
    report_due,
)
from .history import ContributionNote, MilestoneChange, ProgressUpdate, ReviewAssessment
from .people import AgencyMembership, PasswordResetRequest, Profile, Reminder
from .plans import (
    Agency,
    AgencyName,
    Indicator,
    IndicatorValue,
    KeyTask,
    Plan,
    StrategicTechnology,
    Strategy,
    key_task_code,
)
from .results import (
    EvidenceFile,
    EvidenceKind,
    PerformanceIndicator,
    Result,
    ResultState,
)
from .revision import Revision
from .tasks import (
    Milestone,
    Task,
    end_of,
    overdue_condition,
    reporting_period,
    stale_condition,
    task_code,
)

__all__ = [
    "ActionCheck", "ActionStatus", "AnnualReport", "BudgetAdvice", "CheckedBy",
    "ImprovementAction", "Opinion", "OpinionAnswer", "Recommendation", "advice_year",
    "report_due",
    "Assignment", "Criterion", "EvidenceFile", "EvidenceKind", "PerformanceIndicator", "Result",
    "ResultState", "Score", "mean_of_cents", "panel_cents",
    "Agency", "AgencyKind", "AgencyMembership", "AgencyName", "ContributionNote",
    "EvaluationRound", "FigureKind", "Grade", "GradeLevel", "Indicator", "IndicatorValue",
    "KeyTask", "Milestone", "MilestoneChange", "PasswordResetRequest", "Plan", "Profile",
    "ProgressUpdate", "Reminder", "Revision", "ReviewAssessment", "ReviewLight", "RoundState",
    "StateSource", "Status", "StrategicTechnology", "Strategy", "Task", "TrafficLight", "end_of",
    "key_task_code", "overdue_condition", "reporting_period", "stale_condition", "task_code",
]
