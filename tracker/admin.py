from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Agency,
    AgencyMembership,
    Milestone,
    Plan,
    ProgressUpdate,
    Status,
    StrategicTechnology,
    Strategy,
    Task,
)
from .money import format_won

admin.site.site_header = _("kipplan: national IP plan tracker")
admin.site.site_title = _("kipplan")
admin.site.index_title = _("Plan administration")


def status_badge(status):
    status = Status(status)
    return format_html(
        '<span class="kipplan-status kipplan-{}">{}</span>', status.light, status.label
    )


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "year", "title_ko", "endorsed_on", "total_budget_display", "task_count",
        "allocated_budget_display", "budget_difference_display",
    ]
    search_fields = ["title_ko", "title_en"]
    autocomplete_fields = ["endorsed_by"]
    readonly_fields = ["budget_check"]
    fieldsets = [
        (None, {"fields": ["year", "title_ko", "title_en", "endorsed_by", "endorsed_on"]}),
        (_("Budget"), {"fields": ["total_budget", "won_per_usd", "budget_check"]}),
        (_("Sources and demo data"), {"fields": ["source_note", "data_note"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_budget_totals()

    @admin.display(description=_("total budget"), ordering="total_budget")
    def total_budget_display(self, plan):
        return format_won(plan.total_budget)

    @admin.display(description=_("tasks"), ordering="task_count")
    def task_count(self, plan):
        return plan.task_count

    @admin.display(description=_("sum of task budgets"), ordering="allocated_budget")
    def allocated_budget_display(self, plan):
        return format_won(plan.allocated_budget)

    @admin.display(description=_("difference"))
    def budget_difference_display(self, plan):
        difference = plan.budget_difference(plan.allocated_budget)
        if difference == 0:
            return _("adds up")
        return format_html(
            '<strong class="kipplan-mismatch">{}</strong>', format_won(difference)
        )

    @admin.display(description=_("do the task budgets add up?"))
    def budget_check(self, plan):
        if plan.pk is None:
            return "—"
        difference = plan.budget_difference(plan.allocated_budget)
        if difference == 0:
            return _("Yes: the %(count)s task budgets add up to the total of %(total)s won.") % {
                "count": plan.task_count,
                "total": f"{plan.total_budget:,}",
            }
        return _(
            "No: the %(count)s task budgets add up to %(allocated)s won, "
            "%(difference)s won from the total."
        ) % {
            "count": plan.task_count,
            "allocated": f"{plan.allocated_budget:,}",
            "difference": f"{difference:+,}",
        }


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ["number", "title_ko", "title_en", "plan"]
    list_display_links = ["number", "title_ko"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["title_ko", "title_en"]
    autocomplete_fields = ["plan"]


class AgencyMembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user", "agency"]
    readonly_fields = ["created_at"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "name_en", "abbreviation", "kind", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name_ko", "name_en", "abbreviation", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [AgencyMembershipInline]


@admin.register(StrategicTechnology)
class StrategicTechnologyAdmin(admin.ModelAdmin):
    list_display = ["number", "name_ko", "name_en", "slug"]
    list_display_links = ["number", "name_ko"]
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title_ko", "title_en", "baseline_date", "due_date", "completed_on", "slippage"]
    readonly_fields = ["slippage"]

    @admin.display(description=_("slippage (days)"))
    def slippage(self, milestone):
        if milestone.pk is None:
            return "—"
        return milestone.slippage_days


class ProgressUpdateInline(admin.TabularInline):
    """The task's progress history, newest first. History is append-only: no edits here."""

    model = ProgressUpdate
    extra = 0
    can_delete = False
    fields = ["reported_at", "reported_by", "status", "progress", "budget_executed", "note"]
    readonly_fields = fields
    ordering = ["-reported_at", "-pk"]
    verbose_name_plural = _("progress history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task", "reported_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "code", "title_display", "strategy_number", "lead_agency", "status_display", "progress",
        "budget_display", "last_reported_at", "is_illustrative",
    ]
    list_display_links = ["code", "title_display"]
    list_filter = ["plan", "status", "strategy", "lead_agency", "is_illustrative"]
    list_select_related = ["plan", "strategy", "lead_agency"]
    search_fields = ["code", "title_ko", "title_en", "description_ko", "description_en"]
    autocomplete_fields = ["strategy", "lead_agency", "supporting_agencies", "technologies"]
    readonly_fields = [
        "code", "status", "progress", "budget_executed", "budget_summary", "last_reported_at",
        "created_at", "updated_at",
    ]
    list_per_page = 50
    ordering = ["-plan__year", "number"]
    fieldsets = [
        (None, {"fields": ["plan", "strategy", "number", "code", "title_ko", "title_en"]}),
        (_("Description"), {"fields": ["description_ko", "description_en"]}),
        (_("Agencies and technologies"), {
            "fields": ["lead_agency", "supporting_agencies", "technologies"],
        }),
        (_("Budget and schedule"), {"fields": ["budget", "start_date", "end_date"]}),
        (_("Current status (from the latest progress report)"), {
            "fields": ["status", "progress", "budget_executed", "budget_summary",
                       "last_reported_at"],
        }),
        (_("Sources and demo data"), {
            "fields": ["is_illustrative", "source_note", "created_at", "updated_at"],
        }),
    ]
    inlines = [MilestoneInline, ProgressUpdateInline]

    @admin.display(description=_("title"), ordering="title_ko")
    def title_display(self, task):
        return task.title

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

    @admin.display(description=_("strategy"), ordering="strategy__number")
    def strategy_number(self, task):
        return task.strategy.number

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, task):
        return status_badge(task.status)

    @admin.display(description=_("budget"), ordering="budget")
    def budget_display(self, task):
        return format_won(task.budget)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = [
        "title_ko", "task", "baseline_date", "due_date", "slippage", "completed_on",
    ]
    list_filter = ["task__plan", "task__strategy"]
    list_select_related = ["task"]
    search_fields = ["title_ko", "title_en", "task__code", "task__title_ko"]
    autocomplete_fields = ["task"]
    date_hierarchy = "due_date"

    @admin.display(description=_("slippage (days)"))
    def slippage(self, milestone):
        return milestone.slippage_days


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    """Progress history is read here, never rewritten."""

    list_display = [
        "task", "reported_at", "reported_by", "status_display", "progress", "budget_display",
    ]
    list_filter = ["status", "task__plan", "task__lead_agency"]
    list_select_related = ["task", "reported_by"]
    search_fields = ["task__code", "task__title_ko", "task__title_en", "note"]
    date_hierarchy = "reported_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, update):
        return status_badge(update.status)

    @admin.display(description=_("budget executed"), ordering="budget_executed")
    def budget_display(self, update):
        return format_won(update.budget_executed)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "created_at"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__name_ko", "agency__name_en"]
    autocomplete_fields = ["user", "agency"]
    readonly_fields = ["created_at"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class KipplanUserAdmin(UserAdmin):
    """Django's user admin, with the user's agency memberships on the same page."""

    inlines = [AgencyMembershipInline]
