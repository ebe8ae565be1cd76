"""The plans' strategies (with their key tasks), the strategic technologies and the outcome
indicators (with their yearly figures). The plan itself, with its import page, is
``tracker.loading.admin``'s; agencies, with their members, ``tracker.accounts.admin``'s."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.common.admin import localized_column
from tracker.plans.council import decided_at
from tracker.plans.models import (
    AgendaItem,
    CouncilMeeting,
    Indicator,
    IndicatorValue,
    KeyTask,
    StrategicTechnology,
    Strategy,
)


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


class OneUndatedFigureAYear(forms.BaseInlineFormSet):
    """A year has one undated figure (a revision says when it was published): two undated
    figures of a year in one save are said on the row. The database's constraint, which has
    a condition, is not one a formset checks, and refused them with an error page."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("published_on") is not None:
                continue
            if data.get("year") in seen:
                form.add_error("published_on", _(
                    "This year has an undated figure already: give the day this one was "
                    "published."))
            seen.add(data.get("year"))


class IndicatorValueInline(admin.StackedInline):
    """A year's figures of the indicator, each as published: a revision is a new row with a
    later publication date, and the latest published is the one the pages show."""

    model = IndicatorValue
    formset = OneUndatedFigureAYear
    extra = 1
    fields = ["year", "value", "kind", "published_on", "source_ko", "source_en", "note_ko",
              "note_en"]
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


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 1
    fields = ["number", "title_ko", "title_en", "decision_ko", "decision_en"]


@admin.register(CouncilMeeting)
class CouncilMeetingAdmin(admin.ModelAdmin):
    """The Council's meetings, recorded by the secretariat: the day, whether in writing, the
    agenda with its decisions, the minutes; and, read from kipplan's records by the meeting's
    number, the plans it endorsed and the evaluations it approved."""

    list_display = ["number", "held_on", "held_in_writing", "decided_display",
                    "is_illustrative"]
    inlines = [AgendaItemInline]
    readonly_fields = ["decided_display"]
    fields = ["number", "held_on", "held_in_writing", "minutes_ko", "minutes_en",
              "is_illustrative", "decided_display"]

    @admin.display(description=_("decided in kipplan's records"))
    def decided_display(self, meeting):
        if meeting.pk is None:
            return "—"
        return "; ".join(decided_at(meeting)) or "—"
