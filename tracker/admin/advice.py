"""Budget advice (재원배분방향) in the admin:

- the round's advice page (``round/<id>/``): every graded project of the round, by task number,
  with its lead agency, grade and panel mean, and a recommendation and reason per row, saved
  all at once (all or nothing, each problem on its row), for plan managers while the round
  takes advice (``tracker.advice.ADVISABLE``); read-only after;
- the list of advice, read-only: managers see all of it, agency staff the advice on their
  agencies' tasks once the Council has approved it (``tracker.advice.advice_visible_to``).

Every change goes through ``tracker.advice``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import advice
from ..evaluation import can_manage
from ..models import BudgetAdvice, EvaluationRound, Grade, Recommendation, RoundState
from ..names import names_for

ROUNDS_WITH_ADVICE = [*advice.ADVISABLE, RoundState.PUBLISHED]


class AdviceForm(forms.Form):
    """One project's advice on the round's page; "—" takes the advice back."""

    recommendation = forms.ChoiceField(label=gettext_lazy("Recommendation"), required=False,
                                       choices=[("", "—"), *Recommendation.choices])
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)


class AdviceRow:
    """A graded project on the round's advice page: its grade and panel mean, its advice."""

    def __init__(self, grade, agency, current, data=None):
        self.task, self.grade, self.agency, self.advice = grade.task, grade, agency, current
        initial = {"recommendation": current.recommendation if current else "",
                   "reason": current.reason if current else "",
                   "version": current.version if current else None}
        self.prefix = f"task-{self.task.pk}"
        self.form = AdviceForm(data, prefix=self.prefix, initial=initial)

    def change(self):
        """What saving the row does: "set", "remove" or None (nothing changed)."""
        data = self.form.cleaned_data
        if not data["recommendation"]:
            return "remove" if self.advice is not None else None
        if self.advice is None or (data["recommendation"], data["reason"].strip()) != (
                self.advice.recommendation, self.advice.reason):
            return "set"
        return None


def advice_rows(round, data=None):
    """The round's graded projects by task number, each with its advice: two queries, and
    one for the names the plan's year gives the agencies."""
    current = {row.task_id: row for row in BudgetAdvice.objects.filter(round=round)}
    names = names_for(round.plan)
    grades = (Grade.objects.filter(round=round, task__isnull=False)
              .select_related("task__lead_agency").order_by("task__number"))
    return [AdviceRow(grade, names.of(grade.task.lead_agency), current.get(grade.task_id), data)
            for grade in grades]


@admin.register(BudgetAdvice)
class BudgetAdviceAdmin(admin.ModelAdmin):
    list_display = ["task_code", "task_title", "recommendation", "for_year", "updated_at"]
    list_filter = ["for_year", "recommendation"]
    list_select_related = ["task"]
    search_fields = ["task__code", "task__title_ko", "task__title_en"]
    change_list_template = "admin/tracker/budgetadvice/change_list.html"

    @admin.display(description=gettext_lazy("code"), ordering="task__number")
    def task_code(self, obj):
        return obj.task.code

    @admin.display(description=gettext_lazy("task"), ordering="task__title_ko")
    def task_title(self, obj):
        return obj.task.title

    def get_fields(self, request, obj=None):
        fields = ["round", "task", "recommendation", "reason", "for_year"]
        if can_manage(request.user):
            fields += ["updated_by", "updated_at"]  # who wrote it: managers only
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            pk__in=advice.advice_visible_to(request.user).values("pk"))

    def has_module_permission(self, request):
        return advice.reads_advice_in_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return advice.reads_advice_in_admin(request.user)

    def has_add_permission(self, request):
        return False  # given on the round's page

    def has_change_permission(self, request, obj=None):
        return False  # changed on the round's page

    def has_delete_permission(self, request, obj=None):
        return False  # taken back on the round's page

    def get_urls(self):
        view = self.admin_site.admin_view(self.round_view)
        return [path("round/<int:round_id>/", view, name="tracker_budgetadvice_round"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        rounds = []
        if can_manage(request.user):
            rounds = list(EvaluationRound.objects.filter(state__in=ROUNDS_WITH_ADVICE)
                          .select_related("plan").order_by("-plan__year"))
        return super().changelist_view(request, {**(extra_context or {}), "rounds": rounds})

    def round_view(self, request, round_id):
        """Every graded project of the round with its grade, panel mean and advice; managers
        give the advice here while the round takes it."""
        if not can_manage(request.user):
            raise PermissionDenied
        round = get_object_or_404(EvaluationRound.objects.select_related("plan"), pk=round_id)
        editable = advice.is_open_for_advice(round)
        data = request.POST.copy() if request.method == "POST" else None
        rows = advice_rows(round, data)
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            saved = self.save_advice(request, round, rows, data)
            if saved is not None:
                messages.success(request, _("Saved the advice on %(count)s projects.") % {
                    "count": saved})
                return HttpResponseRedirect(
                    reverse("admin:tracker_budgetadvice_round", args=[round.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": _("Advice by project"), "subtitle": str(round),
            "round": round, "rows": rows, "editable": editable,
            "for_year": advice.advice_year(round),
            "page_url": reverse("tracker:budget_advice", args=[round.plan.year]),
        }
        return TemplateResponse(request, "admin/tracker/budgetadvice/round.html", context)

    def save_advice(self, request, round, rows, data):
        """Save every row that changed, all or nothing, each problem on its row; the number
        saved, or None when nothing was (a stale row is shown with what is saved now's
        version, so that saving again overwrites it knowingly)."""
        if not all([row.form.is_valid() for row in rows]):
            messages.error(request, _("No advice was saved: correct the rows marked below."))
            return None
        changes = [(row, row.change()) for row in rows]
        changes = [(row, change) for row, change in changes if change]
        errors = {}
        try:
            with transaction.atomic():
                for row, change in changes:
                    values = row.form.cleaned_data
                    try:
                        if change == "set":
                            advice.set_advice(
                                round=round, task=row.task, user=request.user,
                                recommendation=values["recommendation"],
                                reason=values["reason"], version=values["version"])
                        else:
                            advice.remove_advice(round=round, task=row.task, user=request.user,
                                                 version=values["version"])
                    except advice.StaleAdviceError as error:
                        errors[row.prefix] = ValidationError(error.message())
                        version = error.version
                        data[f"{row.prefix}-version"] = "" if version is None else version
                    except ValidationError as error:
                        errors[row.prefix] = error
                if errors:
                    raise ValidationError("")
        except ValidationError:
            for row in rows:
                row.form = AdviceForm(data, prefix=row.prefix, initial=row.form.initial)
                row.form.is_valid()
                if row.prefix in errors:
                    row.form.add_error(None, errors[row.prefix])
            messages.error(request, _("No advice was saved: correct the rows marked below."))
            return None
        return len(changes)
