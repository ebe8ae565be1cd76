"""
The year-end evaluation in the admin: a task's results page and the list of results; rounds
with their criteria, steps and grades page; evaluators' assignments with their scoring page.
"""

import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Exists, F, OuterRef, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import roles
from tracker.access import is_evaluator, is_plan_manager, member_agency_ids
from tracker.common import spreadsheets
from tracker.common.choices import AgencyKind
from tracker.common.money import format_won
from tracker.common.stale import StaleEdit, rebind
from tracker.common.validators import RowErrors
from tracker.evaluation import evidence
from tracker.evaluation import services as evaluation
from tracker.evaluation import services as results
from tracker.evaluation.forms import (
    GradeForm,
    InstitutionIndicatorFormSet,
    ResultForm,
    ScoreForm,
)
from tracker.evaluation.models import (
    NEXT,
    Assignment,
    Criterion,
    EvaluationRound,
    EvidenceFile,
    Grade,
    Result,
    ResultState,
    RoundState,
)
from tracker.plans.models import Agency
from tracker.progress.admin import TaskAdmin
from tracker.progress.admin_base import TaskScopedAdmin
from tracker.progress.admin_pages import TaskTool, summary_context
from tracker.progress.models import Task

# A task's year-end results in the admin: the lead agency's staff write them, attach evidence,
# submit and withdraw them on the task's "Year-end results" page; whoever sees the task reads it
# there. The page's actions each call a service (``tracker.evaluation.services``,
# ``tracker.evaluation.evidence``), which checks the rules again; another agency's task is a 404
# here as everywhere in the admin.
#
# Also the list of results (read-only), scoped as tasks are.


def result_context(task, user):
    """What the results page and an evaluator's scoring page show of a task's results: the
    year-end state from its history, the results, its indicators and evidence. A draft is its
    lead agency's own: anyone else reads that it exists, not its text, values or files."""
    result = results.result_for(task)
    shown = result.submitted or task.can_write_results(user)
    return {
        "task": task,
        "year_end": results.year_end_state(task),
        "result": result,
        "draft_hidden": result.pk is not None and not shown,
        "indicators": task.performance_indicators.with_achievement(),
        "shows_actuals": shown,
        "evidence": (result.evidence.select_related("uploaded_by", "withdrawn_by")
                     if result.pk and shown else EvidenceFile.objects.none()),
        "round": results.round_of(task),
    }


ACTIONS = {"save", "submit", "withdraw"}  # and withdraw_evidence:<file id>


def chosen_action(request, form):
    """The button pressed on a results form, or None with the error on the form."""
    action = request.POST.get("action", "")
    if action in ACTIONS or action.startswith("withdraw_evidence:"):
        return action
    form.add_error(None, _("Choose what to do: save, submit or withdraw."))
    return None


def send_results(request, form, action, *, add_file, step, log):
    """After the text is saved: each new file (``add_file(upload)`` returns the stored file),
    then, unless a file was refused, the step the button asked for (``step(action)`` returns
    what it did). What went through is logged (``log``) and said, beside any refusal, which is
    on the form. Returns the messages of what was done."""
    done = []
    for upload in form.files_added():
        try:
            stored = add_file(upload)
        except ValidationError as error:
            form.add_error("files", error)
            continue
        done.append(_("Added the evidence file “%(name)s”.") % {"name": stored.name})
    if action != "save" and form.has_error("files"):
        form.add_error(None, _("A file was refused: the text is saved, nothing else was "
                               "done. Choose the files again, or go on without them."))
    else:
        try:
            done += step(action)
        except ValidationError as error:
            form.add_error(None, error)
    for message in done:
        log(message)
        messages.success(request, message)  # beside any errors: what did go through
    return done


def withdrawn_file(action, files, user):
    """Withdraw the evidence file a withdraw_evidence:<id> button names, among ``files``."""
    pk = action.removeprefix("withdraw_evidence:")
    found = files.filter(pk=pk).first() if pk.isascii() and pk.isdigit() else None
    if found is None:
        raise ValidationError(_("No such evidence file on this task."))
    evidence.withdraw_evidence(evidence=found, user=user)
    return [_("Withdrew the evidence file “%(name)s”.") % {"name": found.name}]


def with_version(data, version):
    """The posted data with the results' version now: what was typed is saved, so the form
    stays current for the next save."""
    data = data.copy()
    data["version"] = version
    return data


class ResultsPage(TaskTool):
    """The task's "Year-end results" page: read by whoever may read the task's results, written
    by its lead agency's staff while the round takes results."""

    url_name = "tracker_task_results"
    tool_label = gettext_lazy("Year-end results")
    template_name = "admin/tracker/task/results.html"

    def listed(self, task, user):
        return results.round_of(task) is not None

    def urlpattern(self):
        view = self.model_admin.admin_site.admin_view(self.view)
        return path("<path:object_id>/results/", view, name=self.url_name)

    def view(self, request, object_id):
        task = self.model_admin.get_object(request, unquote(object_id))
        if task is None:
            raise Http404(_("No task with that id, or not one of yours."))
        if not task.can_read_results(request.user):
            raise PermissionDenied
        writable = task.can_write_results(request.user)
        indicators = list(task.performance_indicators.all())
        if request.method == "POST":
            if not writable:
                raise PermissionDenied
            response, form = self.post(
                request, task, ResultForm(request.POST, request.FILES, indicators=indicators))
            if response is not None:
                return response
        else:
            result = results.result_for(task)
            form = ResultForm(initial=self.initial(result, indicators), indicators=indicators)
        return self.render(request, task, form, writable)

    def render(self, request, task, form, writable):
        context = {
            **self.model_admin.admin_site.each_context(request),
            **summary_context(task),
            **result_context(task, request.user),
            "opts": self.model_admin.opts,
            "title": _("Year-end results"),
            "subtitle": str(task),
            "form": form,
            "writable": writable and self.open_round(task),
            "files_to_choose_again": form.is_bound and bool(request.FILES),
        }
        return TemplateResponse(request, self.template_name, context)

    def post(self, request, task, form):
        """One form: the text, the indicators' actual values and new evidence files, with what
        to do besides saving them (submit, withdraw the submission, withdraw a file). The text
        is saved first, so that nothing typed is lost to a file refused or a step refused; a
        page with errors comes back with what was typed. Returns (the redirect, form), or
        (None, the form to show with its errors)."""
        try:
            results.check_open_for_results(results.round_of(task))
        except ValidationError as error:
            form.add_error(None, error)
            return None, form
        action = chosen_action(request, form)
        if action is None or not form.is_valid():
            return None, form
        data, saved = form.cleaned_data, []
        try:
            if not self.unchanged(task, form):
                results.save_result(
                    task=task, user=request.user, achievements=data["achievements"],
                    problems=data["problems"], next_steps=data["next_steps"],
                    summary_public=data["summary_public"], actuals=form.actuals(),
                    expected_version=data["version"])
                saved.append(_("Saved the year-end results."))
        except StaleEdit as error:
            # Keep what the user typed against the new version, and say so.
            return None, rebind(ResultForm, request.POST, error, indicators=form.indicators)
        except ValidationError as error:
            form.add_error(None, error)
            return None, form

        def log(message):
            self.model_admin.log_change(request, task, message)

        for message in saved:
            log(message)
            messages.success(request, message)
        done = saved + send_results(
            request, form, action, log=log,
            add_file=lambda upload: evidence.add_evidence(task=task, user=request.user,
                                                          upload=upload),
            step=lambda action: self.step(request, task, action))
        if form.errors:
            form.data = with_version(form.data, results.result_for(task).version)
            return None, form
        if not done:
            messages.info(request, _("Nothing changed."))
        return self.back(task), form

    @staticmethod
    def unchanged(task, form):
        """The text and actual values as stored, with nothing new to save (a submit or a
        file sent without changes makes no new version)."""
        stored = results.result_for(task)
        if stored.pk is None:
            return False
        data = form.cleaned_data
        same_text = all(getattr(stored, name) == data[name].strip() for name in
                        ("achievements", "problems", "next_steps", "summary_public"))
        actuals = {indicator.pk: indicator.actual for indicator in form.indicators}
        return same_text and actuals == form.actuals() and stored.version == data["version"]

    def step(self, request, task, action):
        """Submit, withdraw the submission or withdraw an evidence file, once the text is
        saved; returns what was done, or raises a ValidationError."""
        if action == "submit":
            result = results.submit_result(task=task, user=request.user)
            return [_("Submitted the year-end results after the deadline: they are marked "
                      "late.") if result.is_late else _("Submitted the year-end results.")]
        if action == "withdraw":
            results.withdraw_result(task=task, user=request.user)
            return [_("Withdrew the year-end results: they are a draft again.")]
        if action.startswith("withdraw_evidence:"):
            return withdrawn_file(action, EvidenceFile.objects.filter(result__task=task),
                                  request.user)
        return []

    @staticmethod
    def open_round(task):
        round_ = results.round_of(task)
        return round_ is not None and round_.allows("results")

    @staticmethod
    def initial(result, indicators):
        return {"achievements": result.achievements, "problems": result.problems,
                "next_steps": result.next_steps, "summary_public": result.summary_public,
                "version": result.version,
                **{f"actual_{indicator.pk}": indicator.actual for indicator in indicators}}

    @staticmethod
    def back(task):
        return HttpResponseRedirect(reverse("admin:tracker_task_results", args=[task.pk]))


TaskAdmin.add_page(ResultsPage)


@admin.register(Result)
class ResultAdmin(TaskScopedAdmin):
    """The results, read-only: written on each task's results page, through the services."""

    list_display = ["unit_display", "state", "is_late", "submitted_at", "evidence_count"]
    list_filter = ["task__plan", "state", "is_late"]
    list_select_related = ["task", "institution"]
    search_fields = ["task__code", "task__title_ko", "task__title_en"]
    fields = ["task", "state", "is_late", "submitted_at", "achievements", "problems",
              "next_steps", "summary_public"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not is_plan_manager(request.user):
            # Besides the tasks' results, a metropolitan government's own, for its staff.
            own = Result.objects.filter(institution_id__in=member_agency_ids(request.user))
            queryset = queryset | own
        return queryset.annotate(evidence_total=Count("evidence"))

    @admin.display(description=gettext_lazy("project or institution"))
    def unit_display(self, result):
        return result.task or result.institution

    @admin.display(description=gettext_lazy("evidence files"), ordering="evidence_total")
    def evidence_count(self, result):
        return result.evidence_total

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        result = self.get_object(request, unquote(object_id))
        if result is not None and result.task_id:
            return HttpResponseRedirect(
                reverse("admin:tracker_task_results", args=[result.task_id]))
        round_ = (EvaluationRound.objects.filter(plan_id=result.plan_id).first()
                  if result is not None else None)
        if round_ is not None:
            return HttpResponseRedirect(reverse("admin:tracker_institution_results",
                                                args=[round_.pk, result.institution_id]))
        return super().change_view(request, object_id, form_url, extra_context)
# The year-end evaluation in the admin:
#
# - rounds: where each plan's round is, its dates, scale, bands and criteria (set before scoring
#   starts); the action that moves a round one step on; the round's grades page, where managers
#   set each unit's grade beside the panel's mean and the band it falls in;
# - assignments: managers assign evaluators (the conflict rule is the service's); an evaluator's
#   list holds their own assignments only, and each opens their scoring page: the unit's results,
#   indicators and evidence, and a form for their scores and comment.

#
# Every change goes through ``tracker.evaluation.services``; once a round is approved, the admin
# shows it read-only, as the services refuse any change.


DATES = ["guideline_by", "submission_opens", "submission_closes", "evaluation_closes",
         "meeting_number", "meeting_date", "held_in_writing", "published_on", "notice_by",
         "is_illustrative"]
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
    list_display = ["plan", "state", "submission_closes", "meeting_date", "published_on",
                    "next_step_link"]
    list_filter = ["state"]
    list_select_related = ["plan"]
    fields = ["plan", "state", *DATES, *SCORING]
    inlines = [CriterionInline, GradeInline]
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
        grades = self.admin_site.admin_view(self.grades_view)
        step = self.admin_site.admin_view(self.step_view)
        assign = self.admin_site.admin_view(self.assign_view)
        institution = self.admin_site.admin_view(self.institution_view)
        return [path("<path:object_id>/grades/", grades, name="tracker_evaluationround_grades"),
                path("<path:object_id>/step/", step, name="tracker_evaluationround_step"),
                path("<path:object_id>/assign/", assign, name="tracker_evaluationround_assign"),
                path("<path:object_id>/institution/<int:agency_id>/", institution,
                     name="tracker_institution_results"),
                *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        round_ = self.get_object(request, unquote(object_id))
        if round_ is not None:
            following = NEXT.get(round_.state)
            extra_context = {**(extra_context or {}), "steps": steps(round_),
                             "can_grade": is_plan_manager(request.user),
                             "next_step": RoundState(following).label
                             if following and is_plan_manager(request.user) else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=gettext_lazy("next step"))
    def next_step_link(self, round_):
        following = NEXT.get(round_.state)
        if following is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse(
            "admin:tracker_evaluationround_step", args=[round_.pk]), RoundState(following).label)

    def institution_view(self, request, object_id, agency_id):
        """A metropolitan government's own results as an institution (its regional IP
        programmes): the texts, its own indicators and evidence files in one form, written by
        its staff while the round takes results, read by managers and its evaluators."""
        object_id = unquote(object_id)
        round_ = (EvaluationRound.objects.select_related("plan").filter(pk=object_id).first()
                  if object_id.isascii() and object_id.isdigit() else None)
        agency = evaluation.graded_institutions(round_).filter(pk=agency_id).first() if (
            round_ is not None) else None
        if agency is None or not evaluation.can_read_institution_results(
                request.user, round_, agency):
            raise Http404(_("No such institution in this round, or not one of yours."))
        writer = evaluation.can_write_institution_results(request.user, agency)
        if request.method == "POST":
            if not writer:
                raise PermissionDenied
            form = ResultForm(request.POST, request.FILES)
            indicators = InstitutionIndicatorFormSet(request.POST, prefix="indicators")
            response = self.save_institution(request, round_, agency, form, indicators)
            if response is not None:
                return response
        else:
            result = evaluation.institution_result_for(round_, agency)
            form = ResultForm(initial={
                "achievements": result.achievements, "problems": result.problems,
                "next_steps": result.next_steps, "summary_public": result.summary_public,
                "version": result.version})
            indicators = InstitutionIndicatorFormSet(prefix="indicators", initial=[
                {"name_ko": i.name_ko, "unit": i.unit, "target": i.target, "actual": i.actual}
                for i in (result.indicators.all() if result.pk else [])])
        result = evaluation.institution_result_for(round_, agency)  # as saved now
        shown = result.submitted or writer
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": round_, "round": round_, "agency": agency,
            "title": _("Results of the institution"), "subtitle": str(agency),
            "result": result, "shown": shown, "form": form, "indicators": indicators,
            "saved_indicators": result.indicators.with_achievement() if result.pk and shown
            else [],
            "evidence": result.evidence.all() if result.pk and shown else [],
            "writable": writer and round_.allows("results"),
            "files_to_choose_again": form.is_bound and bool(request.FILES),
            "tasks": self.institution_tasks(request.user, round_, agency),
            "scoring": round_.assignments.filter(evaluator=request.user, agency=agency).first(),
        }
        return TemplateResponse(request, "admin/tracker/evaluationround/institution.html",
                                context)

    @staticmethod
    def institution_tasks(user, round_, agency):
        """The national tasks the institution leads in the round's plan, each marked with
        whether the reader may open its results page (an evaluator reads them on the scoring
        page instead: the tasks' pages are the agencies' and the managers')."""
        tasks = list(Task.objects.filter(plan_id=round_.plan_id, lead_agency=agency)
                     .order_by("number"))
        readable = set(Task.objects.visible_to(user).results_readable_by(user).filter(
            pk__in=[task.pk for task in tasks]).values_list("pk", flat=True))
        for task in tasks:
            task.results_readable = task.pk in readable
        return tasks

    def save_institution(self, request, round_, agency, form, indicators):
        """As a task's results page does (``send_results``): the text and indicators first,
        then the files, then the step; a refusal comes back with what was typed."""
        action = chosen_action(request, form)
        if action is None or not (form.is_valid() and indicators.is_valid()):
            if indicators.non_form_errors():
                form.add_error(None, indicators.non_form_errors())
            return None
        data = form.cleaned_data
        rows = [{key: row[key] for key in ("name_ko", "unit", "target", "actual")}
                for row in indicators.cleaned_data if row and not row.get("DELETE")]
        try:
            evaluation.save_institution_result(
                round_=round_, agency=agency, user=request.user,
                achievements=data["achievements"], problems=data["problems"],
                next_steps=data["next_steps"], summary_public=data["summary_public"],
                indicators=rows, expected_version=data["version"])
        except StaleEdit as error:
            form.add_error(None, str(error))
            form.data = with_version(form.data, "" if error.version is None else error.version)
            return None
        except ValidationError as error:
            form.add_error(None, error)
            return None

        def log(message):
            self.log_change(request, round_, f"{agency}: {message}")

        saved = _("Saved the year-end results.")
        log(saved)
        messages.success(request, saved)
        send_results(
            request, form, action, log=log,
            add_file=lambda upload: evidence.add_evidence(
                user=request.user, upload=upload, round_=round_, institution=agency),
            step=lambda action: self.institution_step(request, round_, agency, action))
        if form.errors:
            form.data = with_version(
                form.data, evaluation.institution_result_for(round_, agency).version)
            return None
        return HttpResponseRedirect(reverse("admin:tracker_institution_results",
                                            args=[round_.pk, agency.pk]))

    @staticmethod
    def institution_step(request, round_, agency, action):
        unit = {"round_": round_, "agency": agency, "user": request.user}
        if action == "submit":
            evaluation.submit_institution_result(**unit)
            return [_("Submitted the year-end results.")]
        if action == "withdraw":
            evaluation.withdraw_institution_result(**unit)
            return [_("Withdrew the year-end results: they are a draft again.")]
        if action.startswith("withdraw_evidence:"):
            return withdrawn_file(action, EvidenceFile.objects.filter(
                result__plan=round_.plan, result__institution=agency), request.user)
        return []

    def assign_view(self, request, object_id):
        """Every unit of the round with its evaluators, and a balanced proposal for the places
        still missing that honours the conflict rule: edited and saved in one step, all or
        nothing. Or the same from a spreadsheet (columns ``unit`` and ``evaluator``)."""
        round_ = self.get_object(request, unquote(object_id))
        if round_ is None:
            raise Http404(_("No such evaluation round."))
        if not is_plan_manager(request.user):
            raise PermissionDenied
        proposed = evaluation.panels(round_)
        pool = {str(user.pk): user for user in evaluation.evaluator_pool()}
        data = request.POST if request.method == "POST" else None
        rows = [PanelRow(key, unit, lead, proposed, round_, data)
                for key, unit, lead in proposed.units]
        importing = data is not None and "import" in data
        upload = (AssignmentImportForm(data, request.FILES) if importing
                  else AssignmentImportForm())
        problems = []
        if data is not None and round_.allows("assignments"):
            if importing:
                chosen, problems = self.read_assignments(upload, proposed, pool)
            else:
                chosen = {row.key: row.chosen(pool) for row in rows}
                chosen = {key: users for key, users in chosen.items() if users}
                problems = [row.problem for row in rows if row.problem]
            if chosen and not problems:
                try:
                    made = evaluation.assign_many(round_, panels_chosen=chosen,
                                                  user=request.user)
                except RowErrors as error:
                    for row in rows:
                        if row.key in error.rows:
                            row.problem = " ".join(error.rows[row.key].messages)
                    problems = [f"{row.unit}: {row.problem}" for row in rows if row.problem]
                except ValidationError as error:
                    problems = error.messages
                else:
                    message = ngettext("Assigned %(count)s evaluator.",
                                       "Assigned %(count)s evaluators.", made) % {"count": made}
                    self.log_change(request, round_, message)
                    messages.success(request, message)
                    return HttpResponseRedirect(
                        reverse("admin:tracker_evaluationround_assign", args=[round_.pk]))
            elif not chosen and not problems:
                problems = [_("No evaluator was chosen.")]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": round_, "round": round_,
            "title": _("Assign the evaluators"), "subtitle": str(round_), "rows": rows,
            "problems": problems, "upload": upload, "editable": round_.allows("assignments"),
            "load": sorted(((pool.get(str(pk)), count) for pk, count in proposed.load.items()),
                           key=lambda pair: (-pair[1], pair[0].username)),
            "missing": sum(len(row.places) for row in rows),
        }
        return TemplateResponse(request, "admin/tracker/evaluationround/assign.html", context)

    @staticmethod
    def read_assignments(upload, proposed, pool):
        """{unit key: [evaluators]} from the uploaded spreadsheet, or the problems found, each
        with its row."""
        if not upload.is_valid():
            return {}, [error for errors in upload.errors.values() for error in errors]
        file = upload.cleaned_data["file"]
        try:
            rows = spreadsheets.read_rows(file.name, file.read(), limit=5001)
        except spreadsheets.Unreadable as error:
            return {}, [str(error)]
        if not rows:
            return {}, [_("The file is empty.")]
        (_number, header), *rows = rows
        header = [spreadsheets.cell_text(cell).lower() for cell in header]
        if "unit" not in header or "evaluator" not in header:
            return {}, [_("The file needs the columns “unit” (a task's code, or a metropolitan "
                          "government's name) and “evaluator” (a username).")]
        units = {}
        for key, unit, _lead in proposed.units:
            names = ([unit.code] if key[0] == "task" else
                     [unit.name_ko, unit.name_en, unit.slug, unit.abbreviation])
            for name in names:
                if name:
                    units[str(name).strip().lower()] = key
        by_username = {user.get_username().lower(): user for user in pool.values()}
        chosen, problems = {}, []
        for number, cells in rows:
            row = dict(zip(header, (spreadsheets.cell_text(cell) for cell in cells),
                           strict=False))
            key = units.get(row.get("unit", "").lower())
            evaluator = by_username.get(row.get("evaluator", "").lower())
            if key is None:
                problems.append(_("Row %(row)s: “%(unit)s” is not a unit of this round.") % {
                    "row": number, "unit": row.get("unit", "")})
            elif evaluator is None:
                problems.append(_("Row %(row)s: “%(user)s” is not an active evaluator.") % {
                    "row": number, "user": row.get("evaluator", "")})
            else:
                chosen.setdefault(key, []).append(evaluator)
        return chosen, problems

    def step_view(self, request, object_id):
        """The round's next step, behind a confirmation: what the step still lacks (it cannot
        be taken), what is incomplete or early by the round's own dates (a reason is needed,
        and recorded), and the steps taken so far."""
        round_ = self.get_object(request, unquote(object_id))
        if round_ is None:
            raise Http404(_("No such evaluation round."))
        if not is_plan_manager(request.user):
            raise PermissionDenied
        following = NEXT.get(round_.state)
        if request.method == "POST" and "withdraw" in request.POST:
            return self.withdraw_conflicted(request, round_)
        form = StepForm(request.POST or None)
        missing = evaluation.missing_for(round_, following) if following else []
        warnings = evaluation.warnings_for(round_, following) if following else []
        if request.method == "POST" and following and form.is_valid():
            try:
                if form.cleaned_data["seen"] != digest(warnings):
                    raise ValidationError(_("Something changed since the page was shown: "
                                            "read what is incomplete again."))
                evaluation.advance(round_, following, user=request.user,
                                   reason=form.cleaned_data["reason"], expected=warnings)
            except ValidationError as error:
                field = "reason" if "reason" in getattr(error, "error_dict", {}) else None
                form.add_error(field, error.messages)
                form.data = form.data.copy()
                form.data["seen"] = digest(warnings)
            else:
                message = _("%(round)s is now “%(state)s”.") % {
                    "round": round_, "state": RoundState(following).label}
                self.log_change(request, round_, message)
                messages.success(request, message)
                return HttpResponseRedirect(
                    reverse("admin:tracker_evaluationround_change", args=[round_.pk]))
        if request.method == "GET":
            form = StepForm(initial={"seen": digest(warnings)})
        return self.render_step(request, round_, following, form, missing, warnings)

    def render_step(self, request, round_, following, form, missing, warnings,
                    withdrawal=None):
        conflicted = evaluation.conflicted(round_) if following == RoundState.APPROVED else []
        for assignment in conflicted:
            assignment.withdraw_form = (
                withdrawal if withdrawal is not None and withdrawal.pk == assignment.pk
                else WithdrawForm(initial={"withdraw": assignment.pk}, pk=assignment.pk))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": round_, "round": round_,
            "title": _("Next step of the round"), "subtitle": str(round_),
            "following": RoundState(following).label if following else None,
            "missing": missing, "warnings": warnings, "form": form, "steps": steps(round_),
            "dates": round_dates(round_), "taken": round_.steps_taken.select_related(
                "taken_by").order_by("taken_at", "pk"),
            "conflicted": conflicted,
            "error_form": withdrawal if withdrawal is not None and withdrawal.errors else form,
        }
        return TemplateResponse(request, "admin/tracker/evaluationround/step.html", context)

    def withdraw_conflicted(self, request, round_):
        """Take back an assignment whose evaluator now has a conflict of interest, with a
        reason kept in the round's history; or the step page again, with the error beside
        what was typed."""
        pk = request.POST.get("withdraw", "")
        form = WithdrawForm(request.POST, pk=int(pk) if pk.isascii() and pk.isdigit() and len(
            pk) <= 18 else 0)
        if form.is_valid():
            assignment = round_.assignments.filter(pk=form.cleaned_data["withdraw"]).first()
            try:
                if assignment is None:
                    raise ValidationError(_("This assignment has been withdrawn already."))
                record = evaluation.withdraw_conflicted(
                    assignment=assignment, user=request.user,
                    reason=form.cleaned_data["reason"])
            except ValidationError as error:
                field = "reason" if "reason" in getattr(error, "error_dict", {}) else None
                form.add_error(field, error.messages)
            else:
                self.log_change(request, round_, record)
                messages.success(request, record + " " + _(
                    "Assign another evaluator to the unit, and look at its grade again once "
                    "the panel has scored."))
                return HttpResponseRedirect(
                    reverse("admin:tracker_evaluationround_step", args=[round_.pk]))
        following = NEXT.get(round_.state)
        warnings = evaluation.warnings_for(round_, following) if following else []
        return self.render_step(
            request, round_, following, StepForm(initial={"seen": digest(warnings)}),
            evaluation.missing_for(round_, following) if following else [], warnings,
            withdrawal=form)

    def grades_view(self, request, object_id):
        """Every graded unit of the round with the panel's mean, the band it falls in and its
        grade; managers set the grades here while the round is being evaluated."""
        round_ = self.get_object(request, unquote(object_id))
        if round_ is None:
            raise Http404(_("No such evaluation round."))
        if not self.has_view_permission(request, round_):
            raise PermissionDenied
        editable = is_plan_manager(request.user) and round_.allows("grades")
        rows = grade_rows(round_, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            if "apply_bands" in request.POST:
                return self.apply_bands(request, round_)
            if self.save_grades(request, round_, rows):
                return HttpResponseRedirect(
                    reverse("admin:tracker_evaluationround_grades", args=[round_.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": round_, "title": _("Grades"),
            "subtitle": str(round_), "round": round_, "rows": rows, "editable": editable,
            "bands": round_.bands[:-1],
        }
        return TemplateResponse(request, "admin/tracker/evaluationround/grades.html", context)

    def apply_bands(self, request, round_):
        try:
            graded, left = evaluation.apply_bands(round_, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            message = ngettext("Graded %(graded)s unit by its band.",
                               "Graded %(graded)s units by their bands.", graded) % {
                "graded": graded}
            if left:
                message += " " + ngettext(
                    "%(left)s unit is left for you: no panel mean, or no results submitted.",
                    "%(left)s units are left for you: no panel mean, or no results submitted.",
                    left) % {"left": left}
            if graded:
                self.log_change(request, round_, message)
            messages.success(request, message)
        return HttpResponseRedirect(
            reverse("admin:tracker_evaluationround_grades", args=[round_.pk]))

    def save_grades(self, request, round_, rows):
        """Set every grade that changed (the service's all or nothing), each problem on its
        row."""
        changed = [row for row in rows if row.form.is_valid() and row.changed()]
        if any(row.form.errors for row in rows):
            return False
        try:
            count = evaluation.set_grades(round_, user=request.user, grades={
                row.form.prefix: {"grade": row.form.cleaned_data["grade"],
                                  "reason": row.form.cleaned_data["reason"], **row.unit}
                for row in changed})
        except RowErrors as error:
            for row in changed:
                if row.form.prefix in error.rows:
                    row.form.add_error(None, error.rows[row.form.prefix])
            messages.error(request, _("No grade was saved: correct the rows marked below."))
            return False
        messages.success(request, _("Saved %(count)s grades.") % {"count": count})
        return True


class AssignmentImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet"), required=False, help_text=(
        gettext_lazy("CSV (UTF-8) or XLSX with the columns “unit” (a task's code such as "
                     "2025-17, or a metropolitan government's name) and “evaluator” (a "
                     "username), one row an assignment.")))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise forms.ValidationError(_("Choose a file to import."))
        if upload.size > 5 * 2**20:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class PanelRow:
    """A unit on the assignment page: its evaluators now, and a select for each place still
    missing, proposed or as posted."""

    def __init__(self, key, unit, lead, proposed, round_, data=None):
        self.key, self.unit, self.lead = key, unit, lead
        self.current = proposed.current.get(key, [])
        self.eligible = proposed.eligible[key]
        proposal = proposed.proposal[key]
        count = max(round_.evaluators_per_unit - len(self.current), 0)
        self.prefix = f"{key[0]}-{key[1]}"
        self.places = []
        for n in range(count):
            name = f"{self.prefix}-{n}"
            if data is not None:
                value = data.get(name, "")
            else:
                value = str(proposal[n].pk) if n < len(proposal) else ""
            self.places.append({"name": name, "value": value})
        self.problem = ""

    def chosen(self, pool):
        users = []
        for place in self.places:
            if not place["value"]:
                continue
            user = pool.get(place["value"])
            if user is None:
                self.problem = _("Choose an evaluator from the list.")
                return []
            users.append(user)
        return users


class StepForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for going ahead"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Needed when something above is incomplete or early; kept "
                               "with the step."))
    # What the manager was shown (``digest``): a step is not taken past a warning unseen.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)


class WithdrawForm(forms.Form):
    """Take back one assignment whose evaluator now has a conflict of interest: one such form
    a row of the step page, each with ids of its own."""

    withdraw = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, required=False,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text=gettext_lazy("Kept in the round's history, with the scores withdrawn."))

    def __init__(self, *args, pk, **kwargs):
        super().__init__(*args, auto_id=f"id_withdraw_{pk}_%s", **kwargs)
        self.pk = pk


def digest(warnings):
    return hashlib.sha256("\n".join(warnings).encode()).hexdigest()[:16]


def round_dates(round_):
    """The round's dates in order, each with whether it has passed, for the step page."""
    today = timezone.localdate()
    fields = ["guideline_by", "submission_opens", "submission_closes", "evaluation_closes",
              "meeting_date", "published_on", "notice_by"]
    return [{"label": round_._meta.get_field(name).verbose_name, "day": getattr(round_, name),
             "passed": getattr(round_, name) is not None and getattr(round_, name) < today}
            for name in fields]


def steps(round_):
    """The round's steps for its change page: each with whether it is done, current or to come."""
    order = list(RoundState)
    here = order.index(RoundState(round_.state))
    return [{"label": state.label, "done": index < here, "current": index == here}
            for index, state in enumerate(order)]


class GradeRow:
    """One graded unit on the grades page: the unit, its panel mean and band, its grade."""

    def __init__(self, round_, *, task=None, agency=None, mean=None, evaluators=0, grade=None,
                 data=None):
        self.task, self.agency, self.mean, self.evaluators = task, agency, mean, evaluators
        self.band = round_.band_for(mean)
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


def grade_rows(round_, data=None):
    """The grades page's rows: the round's projects by task number, then its institutions."""
    means = evaluation.unit_means(round_)
    grades = {("task", grade.task_id) if grade.task_id else ("agency", grade.agency_id): grade
              for grade in round_.grades.all()}
    rows = []
    for task in evaluation.graded_tasks(round_).select_related("lead_agency").order_by("number"):
        key = ("task", task.pk)
        score = means.get(key)
        rows.append(GradeRow(round_, task=task, mean=score and score.mean,
                             evaluators=score.evaluators if score else 0,
                             grade=grades.get(key), data=data))
    for agency in evaluation.graded_institutions(round_).order_by("name_ko"):
        key = ("agency", agency.pk)
        score = means.get(key)
        rows.append(GradeRow(round_, agency=agency, mean=score and score.mean,
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
        # Only the metropolitan governments taking part in a plan whose round is open.
        open_rounds = self.fields["round"].queryset
        taking_part = Agency.objects.none()
        for round_ in open_rounds:
            taking_part |= evaluation.graded_institutions(round_)
        self.fields["agency"].queryset = Agency.objects.filter(
            pk__in=taking_part.values("pk")).order_by("name_ko")

    def clean(self):
        data = super().clean()
        round_, evaluator = data.get("round"), data.get("evaluator")
        if round_ and evaluator and not self.errors:
            try:
                evaluation.check_assignment(round_=round_, evaluator=evaluator,
                                            task=data.get("task"), agency=data.get("agency"))
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return data

    def validate_unique(self):
        pass  # the service says it in words


class ToScoreFilter(admin.SimpleListFilter):
    """An evaluator's assignments still to score, or scored."""

    title = gettext_lazy("scoring")
    parameter_name = "to_score"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Still to score")), ("no", gettext_lazy("Scored"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(scored__lt=F("required"))
        if self.value() == "no":
            return queryset.filter(scored__gte=F("required"))
        return queryset


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Managers see and make every assignment; an evaluator sees their own and scores them: the
    open round first, what is still to score first, each with its lead agency, budget and
    whether its results were submitted."""

    form = AssignmentForm
    list_display = ["unit_display", "round", "evaluator_display", "progress_display",
                    "scored_at"]
    list_filter = ["round"]
    list_select_related = ["round__plan", "task", "agency", "evaluator"]
    search_fields = ["task__code", "task__title_ko", "agency__name_ko", "evaluator__username"]

    def get_queryset(self, request):
        if is_plan_manager(request.user):
            return super().get_queryset(request).with_progress()
        # An evaluator's queue, ordered by what the annotations say (get_ordering).
        return Assignment.objects.with_progress().for_evaluator(request.user).annotate(
            open_first=Case(When(round__state=RoundState.EVALUATION, then=Value(0)),
                            default=Value(1)),
            done_last=Case(When(scored__gte=F("required"), then=Value(1)), default=Value(0)),
            submitted=Exists(Result.objects.filter(task_id=OuterRef("task_id"),
                                                   state=ResultState.SUBMITTED)),
        ).select_related("task__lead_agency").order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        if is_evaluator(request.user):
            return ["open_first", "done_last", "-round__plan__year",
                    F("task__number").asc(nulls_last=True), "agency__name_ko"]
        return super().get_ordering(request)

    def get_list_display(self, request):
        if is_evaluator(request.user):
            return ["unit_display", "lead_agency_display", "budget_display",
                    "submitted_display", "round", "progress_display", "scored_at"]
        return super().get_list_display(request)

    def get_list_filter(self, request):
        if is_evaluator(request.user):
            return [ToScoreFilter, "round"]
        return super().get_list_filter(request)

    @admin.display(description=gettext_lazy("lead agency"))
    def lead_agency_display(self, assignment):
        return assignment.task.lead_agency if assignment.task_id else assignment.agency

    @admin.display(description=gettext_lazy("budget"))
    def budget_display(self, assignment):
        return format_won(assignment.task.budget) if assignment.task_id else "—"

    @admin.display(description=gettext_lazy("results"))
    def submitted_display(self, assignment):
        if not assignment.task_id:
            return "—"
        return _("submitted") if assignment.submitted else _("not submitted")

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
            round_=obj.round, evaluator=obj.evaluator, task=obj.task, agency=obj.agency,
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

    def next_to_score(self, request, assignment):
        """The evaluator's next assignment of the round still to score, in the list's order."""
        return (self.get_queryset(request).filter(round=assignment.round,
                                                  scored__lt=F("required"))
                .exclude(pk=assignment.pk).order_by(*self.get_ordering(request)).first())

    def score_view(self, request, assignment):
        """The evaluator's scoring page: the unit's results, and their scores and comment."""
        round_ = assignment.round
        criteria = list(evaluation.applicable_criteria(assignment))
        current = {score.criterion_id: score.value for score in assignment.scores.all()}
        initial = {"comment": assignment.comment, "version": assignment.version,
                   **{f"criterion_{pk}": value for pk, value in current.items()}}
        form = ScoreForm(request.POST or None, initial=initial, criteria=criteria, round_=round_)
        if request.method == "POST" and form.is_valid():
            try:
                evaluation.score(assignment=assignment, user=request.user, values=form.values(),
                                 comment=form.cleaned_data["comment"],
                                 expected_version=form.cleaned_data["version"])
            except StaleEdit as error:
                form = rebind(ScoreForm, request.POST, error, criteria=criteria, round_=round_)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved your scores for %(unit)s.") % {
                    "unit": assignment.unit})
                following = self.next_to_score(request, assignment)
                if "_next" in request.POST and following is not None:
                    return HttpResponseRedirect(reverse("admin:tracker_assignment_change",
                                                        args=[following.pk]))
                return HttpResponseRedirect(reverse("admin:tracker_assignment_changelist")
                                            + "?to_score=yes")
        tasks = ([assignment.task] if assignment.task_id else list(
            Task.objects.filter(plan_id=round_.plan_id, lead_agency=assignment.agency)
            .select_related("plan").order_by("number")))
        following = self.next_to_score(request, assignment)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": assignment, "title": _("Score"),
            "following": following, "lead_agency": tasks[0].lead_agency if tasks else None,
            "subtitle": str(assignment.unit), "round": round_, "assignment": assignment,
            "form": form, "units": [result_context(task, request.user) for task in tasks],
            "scoring_open": round_.allows("scores"),
        }
        return TemplateResponse(request, "admin/tracker/assignment/score.html", context)

