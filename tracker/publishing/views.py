"""
The annual report's page, /plans/<year>/annual-report/: for the plan managers only (they make
and send it). Agency staff and evaluators get a 403, anonymous users the login page; its files
are downloads for the managers only, a 404 to anyone else, as evidence files are
(``tracker.evaluation.views``). Every change goes through ``tracker.publishing``'s services.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from tracker.access import is_plan_manager
from tracker.common.widgets import DayInput
from tracker.plans.models import Plan
from tracker.publishing import services as annual_report
from tracker.publishing.content import check_reportable
from tracker.publishing.models import AnnualReport

logger = logging.getLogger(__name__)

RUNS_SHOWN = 10  # the latest makings of the report, on its page
REFRESH_SECONDS = 3  # while one is waiting or under way, the page reloads itself

CONTENT_TYPES = {
    "hwpx": "application/hwp+zip",
    "pdf": "application/pdf",
}


class SentForm(forms.Form):
    sent_on = forms.DateField(label=gettext_lazy("Sent to the National Assembly on"),
                              widget=DayInput())


class ManagersOnlyMixin(LoginRequiredMixin):
    """The plan of the URL's year, for the plan managers; a 403 for anyone else logged in."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_plan_manager(request.user):
            raise PermissionDenied(_("The annual report is the plan managers'."))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def plan(self):
        return get_object_or_404(Plan.objects.select_related("evaluation_round"),
                                 year=self.kwargs["year"])


class AnnualReportView(ManagersOnlyMixin, View):
    """The report's status, the Generate button, its four files and the Mark as sent form."""

    template_name = "tracker/publishing/annual_report.html"

    def get(self, request, year, form=None):
        return self.page(form or SentForm())

    def page(self, form, status=200):
        plan = self.plan
        report = (AnnualReport.objects.filter(plan=plan)
                  .select_related("generated_by", "sent_marked_by").first())
        try:
            check_reportable(plan)
            not_reportable = None
        except ValidationError as error:
            not_reportable = " ".join(error.messages)
        files = []
        if report is not None:
            files = [{"language": language, "kind": kind, "slug": f"{language}-{kind}"}
                     for name, language, kind in annual_report.FILES if getattr(report, name)]
        runs = list(report.runs.select_related("requested_by")[:RUNS_SHOWN]) if report else []
        # a making whose worker was lost does not hold the page: Generate sets it aside
        making = next((run for run in runs if run.unfinished and not run.stuck), None)
        return TemplateResponse(self.request, self.template_name, {
            "plan": plan, "report": report, "status": annual_report.status_for(plan),
            "not_reportable": not_reportable, "pdf_missing": annual_report.pdf_unavailable(),
            "files": files, "form": form, "runs": runs, "making": making,
            "refresh_seconds": REFRESH_SECONDS if making else None,
            "registration_number": settings.KIPPLAN_PUBLICATION_NUMBER.strip(),
        }, status=status)


class GenerateView(AnnualReportView):
    """Ask the background worker to make the report; the page then shows how far it has got."""

    http_method_names = ["post"]

    def post(self, request, year):
        try:
            run = annual_report.request(plan=self.plan, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            run.refresh_from_db()  # made already where the tasks run at once (the tests)
            if run.state == run.State.DONE:
                messages.success(request, _("The annual report has been generated."))
            elif run.state == run.State.FAILED:
                messages.error(request, _("The annual report could not be made: %(why)s")
                               % {"why": run.note})
            else:
                messages.success(request, _("The report is being made in the background. This "
                                            "page follows it, and shows the files when they "
                                            "are ready."))
        return redirect("tracker:annual_report", year=self.plan.year)


class MarkSentView(AnnualReportView):
    http_method_names = ["post"]

    def post(self, request, year):
        form = SentForm(request.POST)
        if form.is_valid():
            try:
                annual_report.mark_sent(plan=self.plan, sent_on=form.cleaned_data["sent_on"],
                                        user=request.user)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _("The annual report is marked as sent."))
                return redirect("tracker:annual_report", year=self.plan.year)
        return self.page(form, status=400)


class DownloadView(LoginRequiredMixin, View):
    """One of the report's files (``ko-hwpx``, ``en-pdf``...), as an attachment: managers
    only, a 404 for anyone else."""

    http_method_names = ["get", "head"]

    def get(self, request, year, slug):
        language, _dash, kind = slug.partition("-")  # ko-hwpx, en-pdf
        if not is_plan_manager(request.user) or language not in annual_report.LANGUAGES \
                or kind not in CONTENT_TYPES:
            raise Http404(_("No such file."))
        report = get_object_or_404(AnnualReport.objects.select_related("plan"),
                                   plan__year=year)
        field = getattr(report, f"{kind}_{language}")
        if not field:
            raise Http404(_("No such file."))
        try:
            handle = field.storage.open(field.name, "rb")
        except OSError:
            logger.error("Annual report file %s is missing from the storage", field.name)
            return HttpResponseNotFound(
                _("The report's file cannot be found in the storage: generate it again."),
                content_type="text/plain; charset=utf-8")
        response = FileResponse(
            handle, as_attachment=True,
            filename=annual_report.file_name(report.plan, language, kind),
            content_type=CONTENT_TYPES[kind])
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
