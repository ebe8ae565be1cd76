"""The plans, their strategies (with their key tasks), the strategic technologies and the outcome
indicators (with their yearly figures); and the page that imports a plan's tasks from a
spreadsheet."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.access import is_plan_manager
from tracker.accounts.models import AgencyMembership
from tracker.common.admin import localized_column
from tracker.common.money import format_won
from tracker.common.validators import check_day
from tracker.plans import agency_names as names
from tracker.plans import imports
from tracker.plans.forms import PlanImportForm
from tracker.plans.models import (
    Agency,
    AgencyName,
    Indicator,
    IndicatorValue,
    KeyTask,
    Plan,
    StrategicTechnology,
    Strategy,
)


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
    change_list_template = "admin/tracker/change_list_with_import.html"
    fieldsets = [
        (None, {"fields": ["year", "title_ko", "title_en", "endorsed_by", "endorsed_on",
                           "meeting_number", "held_in_writing"]}),
        (_("Budget"), {"fields": ["total_budget", "announced_task_count", "won_per_usd",
                                  "budget_check"]}),
        (_("Sources and demo data"), {"fields": ["source_note", "data_note"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_budget_totals()

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="tracker_plan_import")] + super().get_urls()

    def has_import_permission(self, request):
        """Importing a plan adds tasks for every agency: plan administrators only."""
        return request.user.has_perm("tracker.add_task") and is_plan_manager(request.user)

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


class KeyTaskInline(admin.StackedInline):
    """The strategy's key tasks (중점과제), numbered within it: 1-2 is key task 2 of strategy 1.
    Plan administrators edit them here; managers read them."""

    model = KeyTask
    extra = 0
    fields = ["number", "title_ko", "title_en", "is_illustrative"]


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ["number", "title_display", "plan"]
    list_display_links = ["number", "title_display"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["title_ko", "title_en"]
    title_display = localized_column("title", _("title"))
    inlines = [KeyTaskInline]

    def get_readonly_fields(self, request, obj=None):
        # A strategy stays in its plan (its tasks and key tasks are the plan's).
        return ["plan"] if obj is not None else []


@admin.register(StrategicTechnology)
class StrategicTechnologyAdmin(admin.ModelAdmin):
    list_display = ["number", "name_display", "slug"]
    list_display_links = ["number", "name_display"]
    name_display = localized_column("name", _("name"))
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class IndicatorValueInline(admin.StackedInline):
    """A year's figures of the indicator, each as published: a revision is a new row with a
    later publication date, and the latest published is the one the pages show."""

    model = IndicatorValue
    extra = 1
    fields = ["year", "value", "kind", "published_on", "source", "note_ko", "note_en"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """Outcome indicators and their yearly figures: plan administrators add each year's values,
    with their source, publication date and whether they are preliminary or revised."""

    list_display = ["number", "name_display", "plan", "target_year", "target_display"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    name_display = localized_column("name", _("name"))
    inlines = [IndicatorValueInline]

    @admin.display(description=_("target"))
    def target_display(self, indicator):
        return indicator.target or "—"


class AgencyMembershipInline(admin.StackedInline):
    # Stacked, so that every field has its label; plain selects, not select2 autocompletes
    # (their empty options fail the HTML checker).
    model = AgencyMembership
    extra = 0
    readonly_fields = ["created_at"]


class FormerNameFormSet(BaseInlineFormSet):
    def validate_unique(self):
        """Two names ending on one day: said in words by ``clean``, not by field names."""

    def clean(self):
        super().clean()
        kept = [form.instance for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            names.check_former_names(self.instance, kept)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class FormerNameInline(admin.StackedInline):
    """Names the agency had before, each in force until its last day: for recording history.
    A rename from today on is recorded with the agency's Rename page."""

    model = AgencyName
    formset = FormerNameFormSet
    extra = 0
    fields = ["name_ko", "name_en", "abbreviation", "used_until", "is_approximate", "source_note"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}


class RenameForm(forms.Form):
    name_ko = forms.CharField(label=_("New name (Korean)"), max_length=200)
    name_en = forms.CharField(label=_("New name (English)"), max_length=200, required=False)
    abbreviation = forms.CharField(label=_("New abbreviation"), max_length=30, required=False)
    effective = forms.DateField(label=_("In force from"), validators=[check_day], help_text=_(
        "The first day of the new name; the current name stays in force until the day before."))
    source_note = forms.CharField(label=_("Sources"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name_display", "abbreviation", "kind", "parent", "named_on"]
    list_filter = ["kind"]
    name_display = localized_column("name", _("name"))
    list_select_related = ["parent"]
    search_fields = ["name_ko", "name_en", "abbreviation", "slug", "former_names__name_ko",
                     "former_names__name_en", "former_names__abbreviation"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [FormerNameInline, AgencyMembershipInline]
    change_form_template = "admin/tracker/agency/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.rename_view)
        return [path("<path:object_id>/rename/", view, name="tracker_agency_rename"),
                *super().get_urls()]

    def rename_view(self, request, object_id):
        """Record a rename: the agency keeps its tasks, history and memberships."""
        agency = self.get_object(request, unquote(object_id))
        if agency is None:
            raise Http404(_("No agency with that id."))
        if not self.has_change_permission(request, agency):
            raise PermissionDenied
        form = RenameForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                renamed = names.rename(agency, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = _("Renamed “%(old)s” to “%(new)s” from %(day)s.") % {
                    "old": agency, "new": renamed,
                    "day": date_format(form.cleaned_data["effective"], "SHORT_DATE_FORMAT")}
                self.log_change(request, renamed, message)
                messages.success(request, message)
                return HttpResponseRedirect(
                    reverse("admin:tracker_agency_change", args=[agency.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rename an agency"),
            "subtitle": str(agency),
            "agency": agency,
            "form": form,
        }
        return TemplateResponse(request, "admin/tracker/agency/rename.html", context)


