"""
The task admin (its list, filters and change page, with the task's summary and history),
milestones, and the records services and commands write: progress reports, contribution
notes, reviews, milestone changes, reminders.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from tracker.common.admin import ImportLinkMixin, localized_column
from tracker.common.badges import review_badge, status_badge
from tracker.common.money import format_millions, format_won
from tracker.plans.agency_names import name_in_its_plans_year
from tracker.plans.models import AgencyName, KeyTask, Plan
from tracker.progress import services
from tracker.progress.admin_base import HistoryAdmin, TaskScopedAdmin
from tracker.progress.admin_pages import TASK_PAGES, summary_context
from tracker.progress.forms import MilestoneForm
from tracker.progress.models import (
    ContributionNote,
    Milestone,
    MilestoneChange,
    ProgressUpdate,
    Reminder,
    ReviewAssessment,
    Task,
)
from tracker.progress.timeline import timeline

# The records that services and commands write: progress reports, contribution notes, reviews,
# milestone changes and the reminders sent. Read here, never written by hand.


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
# The task admin (its list, filters and change page, with the task's summary and history) and
# its milestones. A task's own pages (report, contribute, review) are in ``task_pages``.


class MilestoneFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # the table's header is not the checkbox's label
            form.fields["DELETE"].widget.attrs["aria-label"] = _("Delete this milestone")


class MilestoneInline(admin.TabularInline):
    """The task's milestones. Existing ones change on their own page, through the service,
    so that a moved due date keeps its reason."""

    model = Milestone
    formset = MilestoneFormSet
    extra = 0
    fields = ["title_ko", "title_en", "baseline_date", "due_date", "completed_on", "slippage"]
    readonly_fields = ["slippage"]
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("slippage (days)"))
    def slippage(self, milestone):
        if milestone.pk is None:
            return "—"
        return milestone.slippage_days


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = Task.objects.overdue().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class NoRecentReportFilter(admin.SimpleListFilter):
    title = _("last report")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        days = settings.KIPPLAN_REPORTING_PERIOD_DAYS
        return [
            ("stale", _("No report in %(days)s days") % {"days": days}),
            ("recent", _("Reported in the last %(days)s days") % {"days": days}),
        ]

    def queryset(self, request, queryset):
        stale = Task.objects.stale().values("pk")
        if self.value() == "stale":
            return queryset.filter(pk__in=stale)
        if self.value() == "recent":
            return queryset.exclude(pk__in=stale)
        return queryset


NO_KEY_TASK = "none"


def key_task_label(key_task):
    """A key task among those of every plan: its plan's year, code and title."""
    return f"{key_task.strategy.plan.year} {key_task}"


def key_tasks_with_plans():
    """Key tasks with their strategies and plans (for their labels), the latest plan's first."""
    return KeyTask.objects.select_related("strategy__plan").order_by(
        "-strategy__plan__year", "strategy__number", "number")


class KeyTaskFilter(admin.SimpleListFilter):
    """The key tasks in one query (those of the plan filtered by, if any), and "none"."""

    title = _("key task")
    parameter_name = "key_task"

    def lookups(self, request, model_admin):
        key_tasks = key_tasks_with_plans()
        plan = request.GET.get("plan__id__exact", "")
        if plan.isascii() and plan.isdigit():
            key_tasks = key_tasks.filter(strategy__plan_id=plan)
        return [(str(key_task.pk), key_task_label(key_task)) for key_task in key_tasks] + [
            (NO_KEY_TASK, _("No key task"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == NO_KEY_TASK:
            return queryset.filter(key_task__isnull=True)
        if value and value.isascii() and value.isdigit():
            return queryset.filter(key_task_id=value)
        return queryset


@admin.register(Task)
class TaskAdmin(ImportLinkMixin, admin.ModelAdmin):
    # One line a task at 1366 px: the title takes the width the other columns leave (the
    # strategy is a filter and the code's order), agencies by their short names, dates as dates.
    list_display = [
        "code", "title_display", "lead_agency_display", "status_display", "progress_display",
        "review_display", "budget_display", "last_reported_display", "is_illustrative",
    ]
    list_display_links = ["code", "title_display"]
    list_filter = [
        "status", "strategy", KeyTaskFilter, OverdueFilter, NoRecentReportFilter, "plan",
        ("lead_agency", admin.RelatedOnlyFieldListFilter), "is_illustrative",
    ]
    list_select_related = ["plan", "strategy", "lead_agency"]
    search_fields = ["code", "title_ko", "title_en", "description_ko", "description_en"]
    # Plain selects and checkboxes rather than select2 autocompletes (whose search boxes have no
    # label, and whose required selects have no empty option) or the two-box filter (whose icons
    # misuse aria-label): the page passes axe and the Nu checker.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    title_display = localized_column("title", _("title"))
    readonly_fields = [
        "code", "status", "progress", "budget_executed", "budget_summary", "last_reported_at",
        "carried_from", "created_at", "updated_at",
    ]
    list_per_page = 50
    ordering = ["-plan__year", "number"]
    change_form_template = "admin/tracker/task/change_form.html"
    # The plan import adds tasks, so the task list keeps a link to it (on the plan admin).
    import_url_name, import_label = "admin:tracker_plan_import", _("Import a plan")
    fieldsets = [
        (None, {"fields": ["plan", "strategy", "key_task", "number", "code", "title_ko",
                           "title_en"]}),
        (_("Description"), {"fields": ["description_ko", "description_en"]}),
        (_("Agencies and technologies"), {
            "fields": ["lead_agency", "supporting_agencies", "technologies"],
        }),
        (_("Budget and schedule"), {"fields": ["budget", "start_date", "end_date"]}),
        (_("Current status (from the latest entry of the history)"), {
            "fields": ["status", "progress", "budget_executed", "budget_summary",
                       "last_reported_at"],
        }),
        (_("Sources and demo data"), {
            "fields": ["is_illustrative", "source_note", "carried_from", "created_at",
                       "updated_at"],
        }),
    ]
    inlines = [MilestoneInline]

    def get_queryset(self, request):
        # Each task's lead agency as its plan's year names it, read with the rows.
        return super().get_queryset(request).visible_to(request.user).with_latest_review(
        ).annotate(
            lead_called_ko=name_in_its_plans_year("lead_agency"),
            lead_called_en=name_in_its_plans_year("lead_agency", field="name_en"),
            lead_called_abbreviation=name_in_its_plans_year("lead_agency",
                                                            field="abbreviation"),
        )

    def get_readonly_fields(self, request, obj=None):
        # A task stays in its plan: its code, grades and history are that year's. The parts
        # above may fix more (Task.locks): read-only for everyone, superusers too.
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        return [*fields, "plan", *(field for field in obj.locked_fields() if field not in fields)]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.can_view(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.can_view(request.user)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "key_task":  # labelled with their plans, read in one query
            kwargs["queryset"] = key_tasks_with_plans()
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = key_task_label
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    pages = list(TASK_PAGES)  # and what each part adds (add_page)

    @classmethod
    def add_page(cls, page):
        """Add a page of its own under every task (a TaskTool), linked from its change page."""
        cls.pages.append(page)

    def get_urls(self):
        return [page(self).urlpattern() for page in self.pages] + super().get_urls()

    def task_tools(self, request, task):
        """The links to the task's own pages that this user may follow, in the pages' order."""
        tools = (page(self) for page in self.pages)
        return [{"url": tool.url(task), "label": tool.tool_label, "primary": tool.primary}
                for tool in tools if tool.listed(task, request.user)]

    def has_import_permission(self, request):
        return self.admin_site.get_model_admin(Plan).has_import_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        task = self.get_object(request, unquote(object_id))
        if task is not None:
            extra_context = {
                **(extra_context or {}),
                **summary_context(task),
                "timeline": timeline(task),
                "task_tools": self.task_tools(request, task),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("review"), ordering="review_light")
    def review_display(self, task):
        if not task.review_light:
            return "—"
        badge = review_badge(task.review_light, short=True)
        if task.review_differs(task.review_light):
            return format_html('{} <span class="kipplan-differs">{}</span>', badge,
                               _("differs"))
        return badge

    @admin.display(description=_("budget executed of budget"))
    def budget_summary(self, task):
        if task.pk is None:
            return "—"
        share = task.budget_executed * 100 // task.budget if task.budget else 0
        return _("%(executed)s of %(budget)s (%(share)s%%)") % {
            "executed": format_won(task.budget_executed),
            "budget": format_won(task.budget),
            "share": share,
        }

    @admin.display(description=_("lead agency"), ordering="lead_agency__name_ko")
    def lead_agency_display(self, task):
        """Short: the Korean name in Korean, the abbreviation in English; whole on hover."""
        called = AgencyName(name_ko=task.lead_called_ko, name_en=task.lead_called_en,
                            abbreviation=task.lead_called_abbreviation)
        return format_html('<span title="{}">{}</span>', called, called.short_name)

    @admin.display(description=_("progress"), ordering="progress")
    def progress_display(self, task):
        return f"{task.progress}%"

    @admin.display(description=_("last report"), ordering="last_reported_at")
    def last_reported_display(self, task):
        if task.last_reported_at is None:
            return "—"
        return date_format(localtime(task.last_reported_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, task):
        return status_badge(task.status)

    @admin.display(description=_("budget (million won)"), ordering="budget")
    def budget_display(self, task):
        return format_millions(task.budget)


class MilestoneChangeInline(admin.TabularInline):
    model = MilestoneChange
    extra = 0
    can_delete = False
    fields = [
        "changed_at", "changed_by", "old_due_date", "new_due_date", "old_completed_on",
        "new_completed_on", "reason",
    ]
    readonly_fields = fields
    verbose_name_plural = _("changes to this milestone")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by", "milestone")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(TaskScopedAdmin):
    form = MilestoneForm
    list_display = [
        "title_display", "task", "baseline_date", "due_date", "slippage", "completed_on",
    ]
    title_display = localized_column("title", _("title"))
    list_filter = ["task__plan", "task__strategy"]
    list_select_related = ["task"]
    search_fields = ["title_ko", "title_en", "task__code", "task__title_ko"]
    autocomplete_fields = ["task"]
    date_hierarchy = "due_date"
    inlines = [MilestoneChangeInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["task"]
        if obj.task.plan.endorsed_on:  # baselines are fixed once the plan is endorsed
            fixed.append("baseline_date")
        if not request.user.is_superuser:
            fixed += ["title_ko", "title_en", "baseline_date", "is_illustrative"]
        return list(dict.fromkeys(fixed))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f != "reason"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.task.can_report(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.task.can_report(request.user)
        )

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        other = [f for f in form.changed_data if f not in ("due_date", "completed_on", "reason")]
        if other:
            obj.save(update_fields=other)
        services.update_milestone(
            milestone=obj, user=request.user, due_date=form.cleaned_data["due_date"],
            completed_on=form.cleaned_data["completed_on"], reason=form.cleaned_data["reason"],
        )

    @admin.display(description=_("slippage (days)"))
    def slippage(self, milestone):
        return milestone.slippage_days
