"""
Every model of the one ``tracker`` app, re-exported for Django's registry and for code that
wants them all. Each is defined in its part of the cycle: ``tracker.plans.models``,
``tracker.accounts.models``, ``tracker.progress.models``, ``tracker.evaluation.models``,
``tracker.follow_up.models``, ``tracker.publishing.models``, ``tracker.api.models``, and the
data's revision in ``tracker.common.models``. Nothing is defined here.
"""

from tracker.accounts.models import AgencyMembership, PasswordResetRequest, Profile
from tracker.api.models import ApiToken, IdempotentRequest
from tracker.common.choices import (
    AgencyKind,
    FigureKind,
    ReviewLight,
    StateSource,
    Status,
    TrafficLight,
)
from tracker.common.models import OutgoingMail, Revision
from tracker.evaluation.models import (
    Assignment,
    Criterion,
    EvaluationRound,
    EvidenceFile,
    EvidenceKind,
    Grade,
    GradeLevel,
    PerformanceIndicator,
    Result,
    ResultState,
    RoundState,
    RoundStep,
    Score,
    mean_of_cents,
    panel_cents,
)
from tracker.follow_up.models import (
    ActionCheck,
    ActionStatus,
    BudgetAdvice,
    CheckedBy,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
    Recommendation,
    advice_year,
)
from tracker.plans.models import (
    Agency,
    AgencyName,
    AgendaItem,
    CouncilMeeting,
    Indicator,
    IndicatorValue,
    KeyTask,
    Plan,
    Statistic,
    StatisticValue,
    StrategicTechnology,
    Strategy,
    key_task_code,
)
from tracker.progress.models import (
    ContributionNote,
    Milestone,
    MilestoneChange,
    ProgressUpdate,
    Reminder,
    ReviewAssessment,
    Task,
    end_of,
    overdue_condition,
    reporting_period,
    stale_condition,
    task_code,
)
from tracker.publishing.models import AnnualReport, ReportRun, report_due

__all__ = [
    "ApiToken",
    "IdempotentRequest",
    "ActionCheck", "ActionStatus", "AnnualReport", "BudgetAdvice", "CheckedBy", "ReportRun",
    "ImprovementAction", "Opinion", "OpinionAnswer", "Recommendation", "advice_year",
    "report_due",
    "Assignment", "Criterion", "EvidenceFile", "EvidenceKind", "PerformanceIndicator", "Result",
    "ResultState", "Score", "mean_of_cents", "panel_cents",
    "Agency", "AgencyKind", "AgencyMembership", "AgencyName", "ContributionNote",
    "EvaluationRound", "FigureKind", "Grade", "GradeLevel", "Indicator", "IndicatorValue",
    "KeyTask", "Milestone", "MilestoneChange", "OutgoingMail", "PasswordResetRequest", "Plan",
    "Profile", "ProgressUpdate", "Reminder", "Revision", "ReviewAssessment", "ReviewLight",
    "Statistic", "StatisticValue", "AgendaItem", "CouncilMeeting",
    "RoundState", "RoundStep",
    "StateSource", "Status", "StrategicTechnology", "Strategy", "Task", "TrafficLight", "end_of",
    "key_task_code", "overdue_condition", "reporting_period", "stale_condition", "task_code",
]
