"""
The admin is where agency staff report and plan managers review.

Access: every queryset of task data goes through ``Task.objects.visible_to(user)``, so no
admin URL (list, change, history, delete, actions, autocomplete, raw-id popups, inlines)
reaches another agency's task. Every change with a rule goes through ``tracker.services``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import imports, services
from .forms import (
    ContributionForm,
    MilestoneForm,
    PlanImportForm,
    ProgressReportForm,
    ReviewForm,
)
from .models import (
    Agency,
    AgencyMembership,
    ContributionNote,
    Milestone,
    MilestoneChange,
    Plan,
    Profile,
    ProgressUpdate,
    Reminder,
    ReviewAssessment,
    ReviewLight,
    Status,
    StrategicTechnology,
    Strategy,
    Task,
    localized,
    sees_every_task,
)
from .money import format_won
from .reports import REPORTING_PERIOD_DAYS

admin.site.site_header = _("kipplan: national IP plan tracker")
admin.site.site_title = _("kipplan")
admin.site.index_title = _("Plan administration")


def localized_column(field, description):
    """A change-list column of a bilingual field (``title``, ``name``) in the active language,
    falling back to the other one."""

    @admin.display(description=description, ordering=f"{field}_ko")
    def column(self, obj):
        return localized(obj, field)

    return column


def status_badge(status):
    status = Status(status)
    return format_html(
        '<span class="kipplan-status kipplan-{}">{}</span>', status.light, status.label
    )


def review_badge(light):
    light = ReviewLight(light)
    return format_html('<span class="kipplan-status kipplan-{}">{}</span>', light, light.label)


class TaskScopedAdmin(admin.ModelAdmin):
    """An admin for rows that belong to a task: shows only rows of tasks the user may see."""

    task_path = "task"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_every_task(request.user):
            return queryset
        visible = Task.objects.visible_to(request.user).values("pk")
        return queryset.filter(**{f"{self.task_path}__in": visible})


class HistoryAdmin(TaskScopedAdmin):
    """History is append-only for everyone: it is read here, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "year", "title_display", "endorsed_on", "total_budget_display", "task_count",
        "allocated_budget_display", "budget_difference_display",
    ]
    search_fields = ["title_ko", "title_en"]
    autocomplete_fields = ["endorsed_by"]
    title_display = localized_column("title", _("title"))
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
    list_display = ["number", "title_display", "plan"]
    list_display_links = ["number", "title_display"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["title_ko", "title_en"]
    autocomplete_fields = ["plan"]
    title_display = localized_column("title", _("title"))


class AgencyMembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user", "agency"]
    readonly_fields = ["created_at"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name_display", "abbreviation", "kind", "parent"]
    list_filter = ["kind"]
    name_display = localized_column("name", _("name"))
    list_select_related = ["parent"]
    search_fields = ["name_ko", "name_en", "abbreviation", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [AgencyMembershipInline]


@admin.register(StrategicTechnology)
class StrategicTechnologyAdmin(admin.ModelAdmin):
    list_display = ["number", "name_display", "slug"]
    list_display_links = ["number", "name_display"]
    name_display = localized_column("name", _("name"))
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


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
        return [
            ("stale", _("No report in %(days)s days") % {"days": REPORTING_PERIOD_DAYS}),
            ("recent", _("Reported in the last %(days)s days") % {"days": REPORTING_PERIOD_DAYS}),
        ]

    def queryset(self, request, queryset):
        stale = Task.objects.without_report_since(REPORTING_PERIOD_DAYS).values("pk")
        if self.value() == "stale":
            return queryset.filter(pk__in=stale)
        if self.value() == "recent":
            return queryset.exclude(pk__in=stale)
        return queryset


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "code", "title_display", "strategy_number", "lead_agency", "status_display", "progress",
        "review_display", "budget_display", "last_reported_at", "is_illustrative",
    ]
    list_display_links = ["code", "title_display"]
    list_filter = [
        "status", "strategy", OverdueFilter, NoRecentReportFilter, "plan",
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
            "fields": ["is_illustrative", "source_note", "carried_from", "created_at",
                       "updated_at"],
        }),
    ]
    inlines = [MilestoneInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).with_latest_review()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.can_view(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.can_view(request.user)
        )

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("import/", wrap(self.import_view), name="tracker_task_import"),
            path("<path:object_id>/report/", wrap(self.report_view),
                 name="tracker_task_report"),
            path("<path:object_id>/contribute/", wrap(self.contribute_view),
                 name="tracker_task_contribute"),
            path("<path:object_id>/review/", wrap(self.review_view),
                 name="tracker_task_review"),
        ] + super().get_urls()

    def has_import_permission(self, request):
        """Importing a plan adds tasks for every agency: plan administrators only."""
        return self.has_add_permission(request) and sees_every_task(request.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = PlanImportForm(request.POST or None, request.FILES or None)
        problems, checked = [], None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = imports.import_plan(
                    data["file"].name, data["file"].read(), data["year"], total=data["total"],
                    dry_run=data["dry_run"],
                )
            except imports.PlanImportError as error:
                problems = error.problems
            else:
                if result.dry_run:
                    checked = result
                else:
                    message = _("Imported %(count)s tasks into the %(year)s plan.") % {
                        "count": result.tasks, "year": result.plan.year}
                    self.log_addition(request, result.plan, message)
                    messages.success(request, message)
                    return HttpResponseRedirect(
                        reverse("admin:tracker_task_changelist")
                        + f"?plan__id__exact={result.plan.pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import a plan"),
            "form": form,
            "problems": problems,
            "checked": checked,
        }
        return TemplateResponse(request, "admin/tracker/task/import.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        task = self.get_object(request, unquote(object_id))
        if task is not None:
            extra_context = {
                **(extra_context or {}),
                **self._summary_context(task),
                "timeline": task.timeline(),
                "can_report": task.can_edit(request.user),
                "can_contribute": task.can_contribute(request.user),
                "can_review": Task.can_review(request.user),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # The reporting views. Each finds the task through get_queryset, so another agency's
    # task is a 404, and checks the object-level permission the service checks again.

    @staticmethod
    def _summary_context(task):
        latest_review = task.reviews.select_related("reviewer").first()
        return {
            "task": task,
            "latest_review": latest_review,
            "review_differs": latest_review is not None
            and task.review_differs(latest_review.light),
        }

    def _task_or_404(self, request, object_id):
        task = self.get_object(request, unquote(object_id))
        if task is None:
            raise Http404(_("No task with that id, or not one of yours."))
        return task

    def _render_task_form(self, request, task, form, title, help_text, conflict=None):
        context = {
            **self.admin_site.each_context(request),
            **self._summary_context(task),
            "opts": self.opts,
            "form": form,
            "title": title,
            "subtitle": str(task),
            "help_text": help_text,
            "conflict": conflict,
        }
        return TemplateResponse(request, "admin/tracker/task/task_form.html", context)

    def _done(self, request, task, message):
        self.log_change(request, task, message)
        messages.success(request, message)
        return HttpResponseRedirect(reverse("admin:tracker_task_change", args=[task.pk]))

    def report_view(self, request, object_id):
        task = self._task_or_404(request, object_id)
        if not task.can_edit(request.user):
            raise PermissionDenied
        conflict = None
        form = ProgressReportForm(request.POST or None, task=task)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                update = services.report_progress(
                    task=task, user=request.user, status=data["status"],
                    progress=data["progress"], budget_executed=data["budget_executed"],
                    note=data["note"], expected_version=data["version"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            except services.ConcurrentUpdateError as error:
                # Keep what the user typed, against the task's current version and values.
                task, conflict = error.task, error
                resubmit = request.POST.copy()
                resubmit["version"] = task.version
                form = ProgressReportForm(resubmit, task=task)
                form.is_valid()
                form.add_error(None, error.message())
            else:
                return self._done(request, task, _("Reported progress: %(update)s") % {
                    "update": update,
                })
        return self._render_task_form(
            request, task, form, _("Report progress"),
            _("Your report becomes the task's current status and is kept in its history."),
            conflict,
        )

    def contribute_view(self, request, object_id):
        task = self._task_or_404(request, object_id)
        if not task.can_contribute(request.user):
            raise PermissionDenied
        form = ContributionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                note = services.add_contribution(
                    task=task, user=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self._done(request, task, _("Added a contribution note from %(agency)s.")
                                  % {"agency": note.agency})
        return self._render_task_form(
            request, task, form, _("Add a contribution note"),
            _("As a supporting agency you add notes; the lead agency reports the status."),
        )

    def review_view(self, request, object_id):
        task = self._task_or_404(request, object_id)
        if not Task.can_review(request.user):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                review = services.record_review(
                    task=task, user=request.user, light=form.cleaned_data["light"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self._done(request, task, _("Recorded a review assessment: %(light)s.")
                                  % {"light": review.get_light_display()})
        return self._render_task_form(
            request, task, form, _("Record a review assessment"),
            _("Your assessment is shown beside the agency's own status; it does not change it."),
        )

    @admin.display(description=_("review"), ordering="review_light")
    def review_display(self, task):
        if not task.review_light:
            return "—"
        badge = review_badge(task.review_light)
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

    @admin.display(description=_("strategy"), ordering="strategy__number")
    def strategy_number(self, task):
        return task.strategy.number

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, task):
        return status_badge(task.status)

    @admin.display(description=_("budget"), ordering="budget")
    def budget_display(self, task):
        return format_won(task.budget)


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
            obj is None or obj.task.can_edit(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.task.can_edit(request.user)
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


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(HistoryAdmin):
    list_display = [
        "task", "reported_at", "reported_by", "status_display", "progress", "budget_display",
    ]
    list_filter = ["status", "task__plan", ("task__lead_agency", admin.RelatedOnlyFieldListFilter)]
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


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["language"]


@admin.register(User)
class KipplanUserAdmin(UserAdmin):
    """Django's user admin, with the user's language and agency memberships on the same page."""

    inlines = [ProfileInline, AgencyMembershipInline]
