"""The records that services and commands write: progress reports, contribution notes, reviews,
milestone changes and the reminders sent. Read here, never written by hand."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..badges import review_badge, status_badge
from ..models import ContributionNote, MilestoneChange, ProgressUpdate, Reminder, ReviewAssessment
from ..money import format_won
from .base import HistoryAdmin


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(HistoryAdmin):
    list_display = [
        "task", "reported_at", "source", "reported_by", "status_display", "progress",
        "budget_display",
    ]
    list_filter = ["source", "status", "task__plan",
                   ("task__lead_agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["task", "reported_by"]
    search_fields = ["task__code", "task__title_ko", "task__title_en", "note"]
    date_hierarchy = "reported_at"

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, update):
        return status_badge(update.status)

    @admin.display(description=_("budget executed"), ordering="budget_executed")
    def budget_display(self, update):
        return format_won(update.budget_executed)


@admin.register(ContributionNote)
class ContributionNoteAdmin(HistoryAdmin):
    list_display = ["task", "agency", "author", "created_at"]
    list_filter = [("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["task", "agency", "author"]
    search_fields = ["task__code", "task__title_ko", "note"]


@admin.register(ReviewAssessment)
class ReviewAssessmentAdmin(HistoryAdmin):
    list_display = ["task", "light_display", "reviewer", "reviewed_at"]
    list_filter = ["light"]
    list_select_related = ["task", "reviewer"]
    search_fields = ["task__code", "task__title_ko", "comment"]

    @admin.display(description=_("assessment"), ordering="light")
    def light_display(self, review):
        return review_badge(review.light)


@admin.register(MilestoneChange)
class MilestoneChangeAdmin(HistoryAdmin):
    task_path = "milestone__task"
    list_display = ["milestone", "changed_by", "changed_at", "old_due_date", "new_due_date"]
    list_select_related = ["milestone", "changed_by"]
    search_fields = ["milestone__task__code", "reason"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The reminder digests send_reminders has emailed: a record, never edited by hand."""

    list_display = ["user", "sent_at", "item_count"]
    list_filter = ["sent_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"

    @admin.display(description=_("items"))
    def item_count(self, reminder):
        return len(reminder.items)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
