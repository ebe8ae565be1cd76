"""
What follows the evaluation, in the admin: budget advice (a round's page of advice, and the
list) and improvement opinions (issued, answered, reported, checked, closed).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from tracker.access import is_plan_manager, reads_agency_records
from tracker.common.calendar import improvement_plan_due
from tracker.common.stale import StaleEdit
from tracker.common.validators import RowErrors
from tracker.evaluation.models import ALLOWS, EvaluationRound, Grade, RoundState
from tracker.follow_up import advice, opinions
from tracker.follow_up.models import (
    ActionCheck,
    ActionStatus,
    BudgetAdvice,
    ImprovementAction,
    Opinion,
    OpinionAnswer,
    Recommendation,
)
from tracker.plans.agency_names import names_for
from tracker.plans.models import Plan

# Budget advice (재원배분방향) in the admin:
#
# - the round's advice page (``round/<id>/``): every graded project of the round, by task number,
#   with its lead agency, grade and panel mean, and a recommendation and reason per row, saved
#   all at once (all or nothing, each problem on its row), for plan managers while the round
#   takes advice (``ALLOWS["advice"]`` in ``tracker.evaluation.models``); read-only after;
# - the list of advice, read-only: managers see all of it, agency staff the advice on their
#   agencies' tasks once the Council has approved it
#   (``BudgetAdvice.objects.visible_to``).
#
# Every change goes through ``tracker.follow_up.advice``.


ROUNDS_WITH_ADVICE = [*ALLOWS["advice"], RoundState.PUBLISHED]


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


def advice_rows(round_, data=None):
    """The round's graded projects by task number, each with its advice: two queries, and
    one for the names the plan's year gives the agencies."""
    current = {row.task_id: row for row in BudgetAdvice.objects.filter(round=round_)}
    names = names_for(round_.plan)
    grades = (Grade.objects.filter(round=round_, task__isnull=False)
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
        if is_plan_manager(request.user):
            fields += ["updated_by", "updated_at"]  # who wrote it: managers only
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            pk__in=BudgetAdvice.objects.visible_to(request.user).values("pk"))

    def has_module_permission(self, request):
        return reads_agency_records(request.user)

    def has_view_permission(self, request, obj=None):
        return reads_agency_records(request.user)

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
        if is_plan_manager(request.user):
            rounds = list(EvaluationRound.objects.filter(state__in=ROUNDS_WITH_ADVICE)
                          .select_related("plan").order_by("-plan__year"))
        return super().changelist_view(request, {**(extra_context or {}), "rounds": rounds})

    def round_view(self, request, round_id):
        """Every graded project of the round with its grade, panel mean and advice; managers
        give the advice here while the round takes it."""
        if not is_plan_manager(request.user):
            raise PermissionDenied
        round_ = get_object_or_404(EvaluationRound.objects.select_related("plan"), pk=round_id)
        closed = advice.closed_because(round_)
        editable = closed is None
        data = request.POST.copy() if request.method == "POST" else None
        rows = advice_rows(round_, data)
        if request.method == "POST" and not editable:
            # Closed while the page was open: what was typed stays on the page, with why.
            messages.error(request, _("Nothing was saved: %(reason)s") % {"reason": closed})
        elif request.method == "POST":
            saved = self.save_advice(request, round_, rows, data)
            if saved is not None:
                messages.success(request, _("Saved the advice on %(count)s projects.") % {
                    "count": saved})
                return HttpResponseRedirect(
                    reverse("admin:tracker_budgetadvice_round", args=[round_.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": _("Advice by project"), "subtitle": str(round_),
            "round": round_, "rows": rows, "editable": editable, "closed": closed,
            "typed": data is not None,
            "for_year": advice.advice_year(round_),
            "page_url": reverse("tracker:budget_advice", args=[round_.plan.year]),
        }
        return TemplateResponse(request, "admin/tracker/budgetadvice/round.html", context)

    def save_advice(self, request, round_, rows, data):
        """Save every row that changed, all or nothing, each problem on its row; the number
        saved, or None when nothing was (a stale row is shown with what is saved now's
        version, so that saving again overwrites it knowingly)."""
        if not all([row.form.is_valid() for row in rows]):
            messages.error(request, _("No advice was saved: correct the rows marked below."))
            return None
        changes = {}
        for row in rows:
            change, values = row.change(), row.form.cleaned_data
            if change == "set":
                changes[row.prefix] = {"task": row.task, "version": values["version"],
                                       "recommendation": values["recommendation"],
                                       "reason": values["reason"]}
            elif change:
                changes[row.prefix] = {"task": row.task, "version": values["version"],
                                       "remove": True}
        try:
            return advice.save_advice(round_=round_, changes=changes, user=request.user)
        except RowErrors as error:
            errors = error.rows
        for row in rows:
            refused = errors.get(row.prefix)
            if isinstance(refused, StaleEdit):
                # Against what is saved now, so that saving again overwrites it knowingly.
                data[f"{row.prefix}-version"] = "" if refused.version is None else refused.version
                refused = ValidationError(str(refused))
            row.form = AdviceForm(data, prefix=row.prefix, initial=row.form.initial)
            row.form.is_valid()
            if refused is not None:
                row.form.add_error(None, refused)
        messages.error(request, _("No advice was saved: correct the rows marked below."))
        return None
# Improvement opinions in the admin (개선의견 → 개선계획 → 이행점검):
#
# - plan managers issue opinions (the add form), check each action and close opinions;
# - the answering agency's staff answer with an improvement plan (the opinion's "Answer" page: the
#   plan's text and a formset of actions with due dates) and report each action's status;
# - everyone who sees an opinion reads its whole history on its page: who issued it and when,
#   every answer with its actions (withdrawn ones marked), every status and check.
#
# Nothing is changed or deleted here: every step is a new row, written by
# ``tracker.follow_up.opinions``. Staff see only the opinions on their agencies' tasks or on their
# agencies: the list, the opinion's page, its history, its pages of answer and status, all read
# through ``get_queryset``; another agency's opinion is a 404.


ISSUE_FIELDS = ["plan", "round", "task", "agency", "text", "issued_on", "answer_due"]
RECORD_FIELDS = ["plan", "round", "task", "agency", "carried_to", "text", "issued_on",
                 "answer_due", "issued_by", "issued_at", "closed_at", "closed_by",
                 "closing_note"]


class StateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", pgettext("opinion", "Open")),
                ("answer_overdue", _("Open, answer overdue")),
                ("actions_overdue", _("Open, actions overdue")), ("closed", _("Closed"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        return {
            "open": lambda: opinions.only_open(queryset),
            "answer_overdue": lambda: opinions.answer_overdue(queryset, today),
            "actions_overdue": lambda: opinions.actions_overdue(queryset, today),
            "closed": lambda: queryset.filter(closed_at__isnull=False),
        }.get(self.value(), lambda: queryset)()


class PlanFilter(admin.SimpleListFilter):
    """A plan's opinions, with those carried into it with their tasks."""

    title = gettext_lazy("plan")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(str(plan.year), plan.title) for plan in Plan.objects.order_by("-year")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        valid = value.isascii() and value.isdigit() and len(value) <= 5  # a year, no more
        plan = Plan.objects.filter(year=int(value)).first() if valid else None
        return opinions.of_plan(plan, queryset) if plan else queryset.none()


class IssueForm(forms.ModelForm):
    """A manager's new opinion; the rules are the service's, shown on the fields."""

    user = None  # set by OpinionAdmin.get_form

    class Meta:
        model = Opinion
        fields = ISSUE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "answer_due" not in self.fields:  # an opinion issued is read, not changed
            return
        days = settings.KIPPLAN_CALENDAR["improvement_plan_days"]
        self.fields["answer_due"].required = False
        self.fields["answer_due"].help_text = ngettext(
            "Left empty: %(days)s day after the day issued (enforcement decree art. 11).",
            "Left empty: %(days)s days after the day issued (enforcement decree art. 11).",
            days) % {"days": days}

    def clean(self):
        data = super().clean()
        if data.get("issued_on") and not data.get("answer_due") and "answer_due" not in (
                self.errors):  # the service's default, checked here with the rest
            data["answer_due"] = improvement_plan_due(data["issued_on"])
        if self.errors:
            return data
        try:
            opinions.check_opinion(
                plan=data.get("plan"), task=data.get("task"), agency=data.get("agency"),
                round_=data.get("round"), issued_on=data.get("issued_on"),
                answer_due=data.get("answer_due"), user=self.user)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return data

    def _post_clean(self):
        pass  # the service validates the model (issued_by is its to set)


class AnswerForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Improvement plan"), widget=forms.Textarea)
    # The answer the page was opened on: a plan submitted meanwhile is not overwritten.
    revises = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ActionForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("Improvement action"),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=gettext_lazy("Due on"),
                             widget=forms.DateInput(attrs={"type": "date"}))


ActionFormSet = forms.formset_factory(ActionForm, extra=2, min_num=1, validate_min=True,
                                     can_delete=True)  # a revision may drop an action


class StatusForm(forms.Form):
    # No status chosen in advance: the Council's check, and the agency's own status, are each a
    # decision of the person filling in the form, never a default left as it was.
    status = forms.ChoiceField(label=gettext_lazy("Status"),
                               choices=[("", "---------"), *ActionStatus.choices])
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea)


class CloseForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Closing note"), required=False,
                           widget=forms.Textarea)


@admin.register(Opinion)
class OpinionAdmin(admin.ModelAdmin):
    form = IssueForm
    list_display = ["unit_display", "plan", "issued_on", "answer_due", "state_display",
                    "carried_to"]
    list_filter = [StateFilter, PlanFilter]
    list_select_related = ["plan", "task", "agency", "carried_to"]
    search_fields = ["text", "task__code", "task__title_ko", "task__title_en", "agency__name_ko",
                     "agency__name_en"]
    autocomplete_fields = ["task", "agency"]
    change_form_template = "admin/tracker/opinion/change_form.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).visible_to(request.user)
        return opinions.with_state(queryset, timezone.localdate())

    def get_fields(self, request, obj=None):
        return ISSUE_FIELDS if obj is None else RECORD_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else RECORD_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user}) if obj is None else form

    def get_changeform_initial_data(self, request):
        """Issued today, the answer due as the decree's calendar says (KIPPLAN_CALENDAR)."""
        today = timezone.localdate()
        return {"issued_on": today, "answer_due": improvement_plan_due(today),
                **super().get_changeform_initial_data(request)}

    def has_module_permission(self, request):
        return reads_agency_records(request.user)

    def has_view_permission(self, request, obj=None):
        return reads_agency_records(request.user)

    def has_add_permission(self, request):
        return is_plan_manager(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # every step is a new row, on the pages below

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was asked and answered is kept

    @admin.display(description=gettext_lazy("task or agency"))
    def unit_display(self, opinion):
        return str(opinion.task or opinion.agency)

    @admin.display(description=gettext_lazy("state"))
    def state_display(self, opinion):
        if not opinion.is_open:
            return _("Closed")
        if opinion.has_overdue_actions:
            return _("Actions overdue")
        if not opinion.answered:
            return _("Answer overdue") if opinion.is_answer_overdue else _("Awaiting the answer")
        return _("Answered")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = opinions.issue_opinion(
            plan=data["plan"], task=data.get("task"), agency=data.get("agency"),
            round_=data.get("round"), text=data["text"], issued_on=data["issued_on"],
            answer_due=data["answer_due"], user=request.user)
        vars(obj).update(vars(created))  # the admin logs and redirects to what was stored

    # -- The opinion's page and its own pages ---------------------------------------------------

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<path:object_id>/answer/", view(self.answer_view),
                 name="tracker_opinion_answer"),
            path("<path:object_id>/close/", view(self.close_view),
                 name="tracker_opinion_close"),
            path("<path:object_id>/actions/<int:action_id>/status/", view(self.status_view),
                 name="tracker_opinion_action_status"),
            *super().get_urls(),
        ]

    def opinion_or_404(self, request, object_id):
        opinion = self.get_object(request, unquote(object_id))
        if opinion is None:
            raise Http404(_("No improvement opinion with that id, or not one of yours."))
        return opinion

    def change_view(self, request, object_id, form_url="", extra_context=None):
        opinion = self.get_object(request, unquote(object_id))
        if opinion is not None:
            extra_context = {**(extra_context or {}), **self.record_context(request, opinion)}
        return super().change_view(request, object_id, form_url, extra_context)

    def record_context(self, request, opinion):
        """The opinion's history: its answers, each with its actions (their latest statuses)
        and every check of them, with who and when."""
        checks = ActionCheck.objects.select_related("checked_by")
        actions = (opinions.with_action_status(ImprovementAction.objects.all())
                   .select_related("created_by")
                   .prefetch_related(Prefetch("checks", queryset=checks)))
        answers = (OpinionAnswer.objects.filter(opinion=opinion).select_related("submitted_by")
                   .prefetch_related(Prefetch("actions", queryset=actions)))
        user = request.user
        return {
            "answers": answers,
            "may_answer": opinion.is_open and opinion.can_answer(user),
            "may_manage": opinion.is_open and is_plan_manager(user),
            "today": timezone.localdate(),
        }

    def page(self, request, opinion, template, title, **context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.opts, "original": opinion,
            "opinion": opinion, "title": title, "subtitle": str(opinion), **context})

    def back(self, opinion):
        return HttpResponseRedirect(reverse("admin:tracker_opinion_change", args=[opinion.pk]))

    def answer_view(self, request, object_id):
        """The answering agency's improvement plan; a revised plan replaces the actions in
        force (they stay on record, withdrawn)."""
        opinion = self.opinion_or_404(request, object_id)
        if not opinion.can_answer(request.user):
            raise PermissionDenied
        latest = opinion.answers.order_by("-submitted_at", "-pk").first()
        initial = ([{"description": a.description, "due_on": a.due_on}
                    for a in latest.actions.filter(withdrawn_at__isnull=True)]
                   if latest else [])
        form = AnswerForm(request.POST or None, initial={
            "text": latest.text if latest else "", "revises": latest.pk if latest else None})
        formset = ActionFormSet(request.POST or None, initial=initial, prefix="actions")
        if request.method == "POST" and form.is_valid() and formset.is_valid():
            actions = [(f.cleaned_data["description"], f.cleaned_data["due_on"])
                       for f in formset if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            try:
                opinions.answer_opinion(opinion=opinion, text=form.cleaned_data["text"],
                                        actions=actions, user=request.user,
                                        revises=form.cleaned_data["revises"])
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                message = _("Submitted the improvement plan.")
                self.log_change(request, opinion, message)
                messages.success(request, message)
                return self.back(opinion)
        return self.page(request, opinion, "admin/tracker/opinion/answer.html",
                         _("Answer with an improvement plan"), form=form, formset=formset,
                         revising=latest is not None, is_open=opinion.is_open)

    def status_view(self, request, object_id, action_id):
        """An action's status: the Council's check for plan managers, the agency's own status
        for its staff."""
        opinion = self.opinion_or_404(request, object_id)
        action = (opinions.with_action_status(opinion.actions.all()).filter(pk=action_id)
                  .first())
        if action is None:
            raise Http404(_("No such action on this opinion."))
        council = is_plan_manager(request.user)
        if not council and not opinion.can_answer(request.user):
            raise PermissionDenied
        service = opinions.check_action if council else opinions.report_action
        form = StatusForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                service(action=action, status=form.cleaned_data["status"],
                        note=form.cleaned_data["note"], user=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                message = (_("Checked action %(number)s.") if council
                           else _("Reported the status of action %(number)s.")) % {
                    "number": action.number}
                self.log_change(request, opinion, message)
                messages.success(request, message)
                return self.back(opinion)
        title = _("Check the action") if council else _("Report the action's status")
        return self.page(request, opinion, "admin/tracker/opinion/status.html", title,
                         form=form, action=action, council=council)

    def close_view(self, request, object_id):
        opinion = self.opinion_or_404(request, object_id)
        if not is_plan_manager(request.user):
            raise PermissionDenied
        form = CloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                opinions.close_opinion(opinion=opinion, note=form.cleaned_data["note"],
                                       user=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                message = _("Closed the improvement opinion.")
                self.log_change(request, opinion, message)
                messages.success(request, message)
                return self.back(opinion)
        return self.page(request, opinion, "admin/tracker/opinion/close.html",
                         _("Close the opinion"), form=form)
