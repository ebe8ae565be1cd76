"""
A task's year-end results in the admin: the lead agency's staff write them, attach evidence,
submit and withdraw them on the task's "Year-end results" page; whoever sees the task reads it
there. The page's actions each call a service (``tracker.results``, ``tracker.evidence``), which
checks the rules again; another agency's task is a 404 here as everywhere in the admin.

Also the list of results (read-only), scoped as tasks are.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import evidence, results
from ..forms import EvidenceUploadForm, ResultForm
from ..models import EvidenceFile, Result
from .base import TaskScopedAdmin
from .task_pages import summary_context


def result_context(task):
    """What the results page and an evaluator's scoring page show of a task's results: the
    year-end state from its history, the results, its indicators and evidence."""
    result = results.result_for(task)
    return {
        "task": task,
        "year_end": results.year_end_state(task),
        "result": result,
        "indicators": task.performance_indicators.with_achievement(),
        "evidence": (result.evidence.select_related("uploaded_by", "withdrawn_by")
                     if result.pk else EvidenceFile.objects.none()),
        "round": results.round_of(task),
    }


class ResultsPage:
    """The task's "Year-end results" page: read by whoever may read the task's results, written
    by its lead agency's staff while the round takes results."""

    url_name = "tracker_task_results"
    template_name = "admin/tracker/task/results.html"

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def urlpattern(self):
        view = self.model_admin.admin_site.admin_view(self.view)
        return path("<path:object_id>/results/", view, name=self.url_name)

    def view(self, request, object_id):
        task = self.model_admin.get_object(request, unquote(object_id))
        if task is None:
            raise Http404(_("No task with that id, or not one of yours."))
        if not results.can_read(request.user, task):
            raise PermissionDenied
        writable = results.can_write(request.user, task)
        result = results.result_for(task)
        indicators = list(task.performance_indicators.all())
        form = ResultForm(initial=self.initial(result, indicators), indicators=indicators)
        upload = EvidenceUploadForm()
        if request.method == "POST":
            if not writable:
                raise PermissionDenied
            try:
                results.check_open_for_results(results.round_of(task))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return self.back(task)
            action = request.POST.get("action")
            handler = {"save": self.save, "submit": self.submit, "withdraw": self.withdraw,
                       "upload": self.upload, "withdraw_evidence": self.withdraw_evidence}.get(
                action)
            if handler is None:
                messages.error(request, _("Choose what to do: save, submit, withdraw or "
                                          "upload."))
                return self.back(task)
            response, form, upload = handler(request, task, indicators, form, upload)
            if response is not None:
                return response
        context = {
            **self.model_admin.admin_site.each_context(request),
            **summary_context(task),
            **result_context(task),
            "opts": self.model_admin.opts,
            "title": _("Year-end results"),
            "subtitle": str(task),
            "form": form,
            "upload": upload,
            "writable": writable and self.open_round(task),
        }
        return TemplateResponse(request, self.template_name, context)

    @staticmethod
    def open_round(task):
        round = results.round_of(task)
        return round is not None and not round.decided and round.state in results.OPEN_FOR_RESULTS

    @staticmethod
    def initial(result, indicators):
        return {"achievements": result.achievements, "problems": result.problems,
                "next_steps": result.next_steps, "summary_public": result.summary_public,
                "version": result.version,
                **{f"actual_{indicator.pk}": indicator.actual for indicator in indicators}}

    @staticmethod
    def back(task):
        return HttpResponseRedirect(reverse("admin:tracker_task_results", args=[task.pk]))

    def log(self, request, task, message):
        self.model_admin.log_change(request, task, message)
        messages.success(request, message)
        return self.back(task)

    def save(self, request, task, indicators, form, upload):
        form = ResultForm(request.POST, indicators=indicators)
        if not form.is_valid():
            return None, form, upload
        data = form.cleaned_data
        try:
            results.save_result(
                task=task, user=request.user, achievements=data["achievements"],
                problems=data["problems"], next_steps=data["next_steps"],
                summary_public=data["summary_public"], actuals=form.actuals(),
                expected_version=data["version"])
        except results.StaleResultError as error:
            # Keep what the user typed against the new version, and say so.
            resubmit = request.POST.copy()
            resubmit["version"] = error.result.version
            form = ResultForm(resubmit, indicators=indicators)
            form.is_valid()
            form.add_error(None, error.message())
            return None, form, upload
        except ValidationError as error:
            form.add_error(None, error)
            return None, form, upload
        return self.log(request, task, _("Saved the year-end results.")), form, upload

    def submit(self, request, task, indicators, form, upload):
        try:
            result = results.submit_result(task=task, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back(task), form, upload
        message = (_("Submitted the year-end results after the deadline: they are marked late.")
                   if result.is_late else _("Submitted the year-end results."))
        return self.log(request, task, message), form, upload

    def withdraw(self, request, task, indicators, form, upload):
        try:
            results.withdraw_result(task=task, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back(task), form, upload
        return self.log(request, task, _("Withdrew the year-end results: they are a draft "
                                         "again.")), form, upload

    def upload(self, request, task, indicators, form, upload):
        upload = EvidenceUploadForm(request.POST, request.FILES)
        if not upload.is_valid():
            return None, form, upload
        try:
            stored = evidence.add_evidence(task=task, user=request.user,
                                           upload=upload.cleaned_data["file"])
        except ValidationError as error:
            upload.add_error("file", error)
            return None, form, upload
        return self.log(request, task, _("Added the evidence file “%(name)s”.") % {
            "name": stored.name}), form, upload

    def withdraw_evidence(self, request, task, indicators, form, upload):
        pk = request.POST.get("evidence", "")
        found = (EvidenceFile.objects.filter(result__task=task, pk=pk).first()
                 if pk.isdigit() else None)
        if found is None:
            messages.error(request, _("No such evidence file on this task."))
            return self.back(task), form, upload
        try:
            evidence.withdraw_evidence(evidence=found, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back(task), form, upload
        return self.log(request, task, _("Withdrew the evidence file “%(name)s”.") % {
            "name": found.name}), form, upload


@admin.register(Result)
class ResultAdmin(TaskScopedAdmin):
    """The results, read-only: written on each task's results page, through the services."""

    list_display = ["task", "state", "is_late", "submitted_at", "evidence_count"]
    list_filter = ["task__plan", "state", "is_late"]
    list_select_related = ["task"]
    search_fields = ["task__code", "task__title_ko", "task__title_en"]
    fields = ["task", "state", "is_late", "submitted_at", "achievements", "problems",
              "next_steps", "summary_public"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_total=Count("evidence"))

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
        if result is not None:
            return HttpResponseRedirect(
                reverse("admin:tracker_task_results", args=[result.task_id]))
        return super().change_view(request, object_id, form_url, extra_context)
