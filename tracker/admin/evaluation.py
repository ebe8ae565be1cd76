"""The year-end evaluation in the admin:

- rounds: where each plan's round is, its dates, scale, bands and criteria (set before scoring
  starts); the action that moves a round one step on; the round's grades page, where managers
  set each unit's grade beside the panel's mean and the band it falls in;
- assignments: managers assign evaluators (the conflict rule is the service's); an evaluator's
  list holds their own assignments only, and each opens their scoring page: the unit's results,
  indicators and evidence, and a form for their scores and comment.

Every change goes through ``tracker.evaluation``; once a round is approved, the admin shows it
read-only, as the services refuse any change.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import evaluation, roles
from ..forms import GradeForm, ScoreForm
from ..models import (
    Agency,
    AgencyKind,
    Assignment,
    Criterion,
    EvaluationRound,
    Grade,
    GradeLevel,
    RoundState,
    Task,
)
from .results import result_context

DATES = ["submission_opens", "submission_closes", "evaluation_closes", "meeting_number",
         "meeting_date", "held_in_writing", "published_on", "is_illustrative"]
SCORING = ["scale_min", "scale_max", "band_outstanding", "band_excellent", "band_satisfactory",
           "evaluators_per_unit"]


class CriterionInline(admin.StackedInline):
    """The criteria and their weights: set before scoring starts, then fixed."""

    model = Criterion
    extra = 0
    fields = ["number", "name_ko", "name_en", "weight", "institutions_only"]

    def editable(self, obj):
        return obj is not None and not obj.scoring_started

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self.editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.editable(obj)


class GradeInline(admin.TabularInline):
    """The grades, read here; they are set on the round's grades page."""

    model = Grade
    extra = 0
    fields = ["task", "agency", "grade", "mean", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task", "agency")


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(admin.ModelAdmin):
    list_display = ["plan", "state", "submission_closes", "meeting_date", "published_on"]
    list_filter = ["state"]
    list_select_related = ["plan"]
    fields = ["plan", "state", *DATES, *SCORING]
    inlines = [CriterionInline, GradeInline]
    actions = ["move_to_next_step"]
    change_form_template = "admin/tracker/evaluationround/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["state"]
        if obj.decided:
            return ["plan", "state", *DATES, *SCORING]
        if obj.scoring_started:
            return ["plan", "state", *SCORING]
        return ["plan", "state"]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.decided)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            evaluation.add_default_criteria(obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.grades_view)
        return [path("<path:object_id>/grades/", view, name="tracker_evaluationround_grades"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        round = self.get_object(request, unquote(object_id))
        if round is not None:
            extra_context = {**(extra_context or {}), "steps": steps(round),
                             "can_grade": evaluation.can_manage(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=gettext_lazy("Move the selected rounds to their next step"),
                  permissions=["change"])
    def move_to_next_step(self, request, queryset):
        for round in queryset.select_related("plan"):
            following = evaluation.NEXT.get(round.state)
            try:
                if following is None:
                    raise ValidationError(_("The round is published: there is no next step."))
                evaluation.advance(round, following, user=request.user)
            except ValidationError as error:
                messages.error(request, f"{round}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("%(round)s is now “%(state)s”.") % {
                    "round": round, "state": RoundState(following).label})

    def grades_view(self, request, object_id):
        """Every graded unit of the round with the panel's mean, the band it falls in and its
        grade; managers set the grades here while the round is being evaluated."""
        round = self.get_object(request, unquote(object_id))
        if round is None:
            raise Http404(_("No such evaluation round."))
        if not self.has_view_permission(request, round):
            raise PermissionDenied
        editable = (evaluation.can_manage(request.user)
                    and round.state == RoundState.EVALUATION)
        rows = grade_rows(round, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            if self.save_grades(request, round, rows):
                return HttpResponseRedirect(
                    reverse("admin:tracker_evaluationround_grades", args=[round.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": round, "title": _("Grades"),
            "subtitle": str(round), "round": round, "rows": rows, "editable": editable,
            "bands": [(GradeLevel.OUTSTANDING, round.band_outstanding),
                      (GradeLevel.EXCELLENT, round.band_excellent),
                      (GradeLevel.SATISFACTORY, round.band_satisfactory)],
        }
        return TemplateResponse(request, "admin/tracker/evaluationround/grades.html", context)

    def save_grades(self, request, round, rows):
        """Set every grade that changed; all or nothing, each problem on its row."""
        changed = [row for row in rows if row.form.is_valid() and row.changed()]
        if any(row.form.errors for row in rows):
            return False
        failed = False
        try:
            with transaction.atomic():
                for row in changed:
                    try:
                        evaluation.set_grade(round, grade=row.form.cleaned_data["grade"],
                                             reason=row.form.cleaned_data["reason"],
                                             user=request.user, **row.unit)
                    except ValidationError as error:
                        row.form.add_error(None, error)
                        failed = True
                if failed:
                    raise ValidationError("")
        except ValidationError:
            messages.error(request, _("No grade was saved: correct the rows marked below."))
            return False
        messages.success(request, _("Saved %(count)s grades.") % {"count": len(changed)})
        return True


def steps(round):
    """The round's steps for its change page: each with whether it is done, current or to come."""
    order = list(RoundState)
    here = order.index(RoundState(round.state))
    return [{"label": state.label, "done": index < here, "current": index == here}
            for index, state in enumerate(order)]


class GradeRow:
    """One graded unit on the grades page: the unit, its panel mean and band, its grade."""

    def __init__(self, round, *, task=None, agency=None, mean=None, evaluators=0, grade=None,
                 data=None):
        self.task, self.agency, self.mean, self.evaluators = task, agency, mean, evaluators
        self.band = round.band_for(mean)
        self.grade = grade
        self.unit = {"task": task, "agency": agency}
        prefix = f"task-{task.pk}" if task else f"agency-{agency.pk}"
        initial = {"grade": grade.grade if grade else "", "reason": grade.reason if grade else ""}
        self.form = GradeForm(data, prefix=prefix, initial=initial)
        self.departs = grade is not None and self.band is not None and grade.grade != self.band

    @property
    def name(self):
        return str(self.task or self.agency)

    def changed(self):
        data = self.form.cleaned_data
        if not data["grade"]:
            return False
        return self.grade is None or (data["grade"], data["reason"].strip()) != (
            self.grade.grade, self.grade.reason)


def grade_rows(round, data=None):
    """The grades page's rows: the round's projects by task number, then its institutions."""
    means = evaluation.unit_means(round)
    grades = {("task", grade.task_id) if grade.task_id else ("agency", grade.agency_id): grade
              for grade in round.grades.all()}
    rows = []
    for task in evaluation.graded_tasks(round).select_related("lead_agency").order_by("number"):
        key = ("task", task.pk)
        score = means.get(key)
        rows.append(GradeRow(round, task=task, mean=score and score.mean,
                             evaluators=score.evaluators if score else 0,
                             grade=grades.get(key), data=data))
    for agency in evaluation.graded_institutions(round).order_by("name_ko"):
        key = ("agency", agency.pk)
        score = means.get(key)
        rows.append(GradeRow(round, agency=agency, mean=score and score.mean,
                             evaluators=score.evaluators if score else 0,
                             grade=grades.get(key), data=data))
    return rows


class AssignmentForm(forms.ModelForm):
    """A manager's assignment of an evaluator to a project or an institution; the service
    checks the conflict rule."""

    class Meta:
        model = Assignment
        fields = ["round", "evaluator", "task", "agency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            return  # an existing assignment is shown read-only
        self.fields["evaluator"].queryset = get_user_model().objects.filter(
            groups__name=roles.EVALUATORS, is_active=True).order_by("username")
        self.fields["round"].queryset = EvaluationRound.objects.exclude(
            state__in=RoundState.decided()).select_related("plan")
        self.fields["task"].queryset = Task.objects.exclude(
            lead_agency__kind=AgencyKind.METROPOLITAN).filter(
            plan__evaluation_round__isnull=False).exclude(
            plan__evaluation_round__state__in=RoundState.decided()).order_by("code")
        self.fields["agency"].queryset = Agency.objects.filter(kind=AgencyKind.METROPOLITAN)

    def clean(self):
        data = super().clean()
        round, evaluator = data.get("round"), data.get("evaluator")
        if round and evaluator and not self.errors:
            try:
                evaluation.check_assignment(round=round, evaluator=evaluator,
                                            task=data.get("task"), agency=data.get("agency"))
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return data

    def validate_unique(self):
        pass  # the service says it in words


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Managers see and make every assignment; an evaluator sees their own and scores them."""

    form = AssignmentForm
    list_display = ["unit_display", "round", "evaluator_display", "progress_display",
                    "scored_at"]
    list_filter = ["round"]
    list_select_related = ["round__plan", "task", "agency", "evaluator"]
    search_fields = ["task__code", "task__title_ko", "agency__name_ko", "evaluator__username"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_progress()
        if evaluation.can_manage(request.user) or request.user.is_superuser:
            return queryset
        return queryset.for_evaluator(request.user)

    def get_list_display(self, request):
        if evaluation.is_evaluator(request.user):
            return ["unit_display", "round", "progress_display", "scored_at"]
        return super().get_list_display(request)

    def get_list_filter(self, request):
        return [] if evaluation.is_evaluator(request.user) else super().get_list_filter(request)

    def has_change_permission(self, request, obj=None):
        return False  # scores are given on the scoring page, assignments are made anew

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and (obj.round.decided or obj.scores.exists()))

    @admin.display(description=gettext_lazy("project or institution"))
    def unit_display(self, assignment):
        return assignment.unit

    @admin.display(description=gettext_lazy("evaluator"), ordering="evaluator__username")
    def evaluator_display(self, assignment):
        return assignment.evaluator.get_username()

    @admin.display(description=gettext_lazy("scored"))
    def progress_display(self, assignment):
        return f"{assignment.scored}/{assignment.required or 0}"

    def save_model(self, request, obj, form, change):
        obj.pk = evaluation.assign(
            round=obj.round, evaluator=obj.evaluator, task=obj.task, agency=obj.agency,
            user=request.user).pk

    def delete_model(self, request, obj):
        evaluation.unassign(assignment=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            evaluation.unassign(assignment=assignment, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        assignment = self.get_object(request, unquote(object_id))
        if assignment is not None and assignment.evaluator_id == request.user.pk:
            return self.score_view(request, assignment)
        return super().change_view(request, object_id, form_url, extra_context)

    def score_view(self, request, assignment):
        """The evaluator's scoring page: the unit's results, and their scores and comment."""
        round = assignment.round
        criteria = list(evaluation.applicable_criteria(assignment))
        current = {score.criterion_id: score.value for score in assignment.scores.all()}
        initial = {"comment": assignment.comment, "version": assignment.version,
                   **{f"criterion_{pk}": value for pk, value in current.items()}}
        form = ScoreForm(request.POST or None, initial=initial, criteria=criteria, round=round)
        if request.method == "POST" and form.is_valid():
            try:
                evaluation.score(assignment=assignment, user=request.user, values=form.values(),
                                 comment=form.cleaned_data["comment"],
                                 expected_version=form.cleaned_data["version"])
            except evaluation.StaleScoresError as error:
                resubmit = request.POST.copy()
                resubmit["version"] = error.assignment.version
                form = ScoreForm(resubmit, criteria=criteria, round=round)
                form.is_valid()
                form.add_error(None, error.message())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved your scores for %(unit)s.") % {
                    "unit": assignment.unit})
                return HttpResponseRedirect(reverse("admin:tracker_assignment_changelist"))
        tasks = ([assignment.task] if assignment.task_id else list(
            Task.objects.filter(plan_id=round.plan_id, lead_agency=assignment.agency)
            .select_related("plan").order_by("number")))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": assignment, "title": _("Score"),
            "subtitle": str(assignment.unit), "round": round, "assignment": assignment,
            "form": form, "units": [result_context(task) for task in tasks],
            "scoring_open": round.state == RoundState.EVALUATION,
        }
        return TemplateResponse(request, "admin/tracker/assignment/score.html", context)

