"""The plans' admin, with the page that imports a plan's tasks from a spreadsheet
(``tracker.loading.imports``). The plans' parts (strategies, technologies, indicators) are
``tracker.plans.admin``'s."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.access import is_plan_manager
from tracker.common.admin import ImportLinkMixin, localized_column
from tracker.common.money import format_won
from tracker.loading import imports, statistics
from tracker.loading.forms import PlanImportForm, StatisticsImportForm
from tracker.plans.admin import OneUndatedFigureAYear
from tracker.plans.models import Plan, Statistic, StatisticValue


@admin.register(Plan)
class PlanAdmin(ImportLinkMixin, admin.ModelAdmin):
    list_display = [
        "year", "title_display", "endorsed_on", "total_budget_display", "task_count",
        "allocated_budget_display", "budget_difference_display",
    ]
    search_fields = ["title_ko", "title_en"]
    autocomplete_fields = ["endorsed_by"]
    title_display = localized_column("title", _("title"))
    readonly_fields = ["budget_check"]
    import_url_name, import_label = "admin:tracker_plan_import", _("Import a plan")
    fieldsets = [
        (None, {"fields": ["year", "title_ko", "title_en", "endorsed_by", "endorsed_on",
                           "meeting_number", "held_in_writing"]}),
        (_("Budget"), {"fields": ["total_budget", "announced_task_count", "won_per_usd",
                                  "budget_check"]}),
        (_("Sources and demo data"), {"fields": ["source_note", "data_note_ko", "data_note_en"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_budget_totals()

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="tracker_plan_import")] + super().get_urls()

    def has_import_permission(self, request):
        """Importing a plan adds tasks for every agency: plan administrators only."""
        return request.user.has_perm("tracker.add_task") and is_plan_manager(request.user)

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
                    dry_run=data["dry_run"], user=request.user,
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
        return TemplateResponse(request, "admin/tracker/plan/import.html", context)

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
        if not plan.task_count:
            return _("tasks not entered")
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
        if not plan.task_count:
            return _("The plan is recorded by its headline figures; its tasks have not been "
                     "entered, so there are no task budgets to add up yet.")
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


class StatisticValueInline(admin.TabularInline):
    """A year's figures of the series, each as published: a revision is a new row with a later
    publication day, and the last published is the one the report shows."""

    model = StatisticValue
    formset = OneUndatedFigureAYear
    extra = 1
    fields = ["year", "value", "kind", "published_on", "source_ko", "source_en", "note_ko",
              "note_en"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}


@admin.register(Statistic)
class StatisticAdmin(ImportLinkMixin, admin.ModelAdmin):
    """The IP statistics of the annual report's trends, kept by the plan managers: each series
    with its unit and source, its figures by year, and an import of figures from a
    spreadsheet."""

    list_display = ["number", "name_display", "unit_display", "figures", "is_illustrative"]
    name_display = localized_column("name", _("name"))
    unit_display = localized_column("unit", _("unit"))
    search_fields = ["name_ko", "name_en"]
    inlines = [StatisticValueInline]
    import_url_name, import_label = "admin:tracker_statistic_import", _("Import figures")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(figure_count=models.Count("values"))

    @admin.display(description=_("figures"), ordering="figure_count")
    def figures(self, statistic):
        return statistic.figure_count

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="tracker_statistic_import")] + super().get_urls()

    def has_import_permission(self, request):
        return request.user.has_perm("tracker.add_statisticvalue") and request.user.has_perm(
            "tracker.change_statisticvalue")

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = StatisticsImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = statistics.import_statistics(upload.name, upload.read())
            except statistics.StatisticsImportError as error:
                problems = error.problems
            else:
                messages.success(request, _(
                    "Imported the figures: %(added)s added, %(updated)s updated.") % {
                    "added": result.added, "updated": result.updated})
                return HttpResponseRedirect(reverse("admin:tracker_statistic_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": _("Import IP statistics"), "form": form,
            "problems": problems, "columns": statistics.COLUMNS,
        }
        return TemplateResponse(request, "admin/tracker/statistic/import.html", context)
