"""
Evidence files are served here and nowhere else: never from a storage URL, only to a logged-in
user who may read the task's results (``Task.objects.results_readable_by``: its
agencies' staff, the plan managers, the evaluators assigned to it), always as a download. Anyone
else gets the 404 of a file that does not exist, whatever the published pages show.
"""

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotFound, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView, View

from kipplan.page_cache import CachedPageMixin
from tracker.common import spreadsheets
from tracker.evaluation import evidence, exports
from tracker.evaluation import selectors as round_report
from tracker.evaluation import services as results
from tracker.evaluation.evidence import CONTENT_TYPES
from tracker.evaluation.models import EvaluationRound, EvidenceFile
from tracker.progress.models import Task
from tracker.progress.pages import PlanMixin, fields_of

logger = logging.getLogger(__name__)


def readable(result, user) -> bool:
    """Whether a user may download a file of these results: whoever reads them, and a draft's
    files only its writers."""
    if not (result.submitted or evidence.writable_by(result, user)):
        return False
    if result.task_id:
        return Task.objects.results_readable_by(user).filter(pk=result.task_id).exists()
    round_ = EvaluationRound.objects.filter(plan_id=result.plan_id).first()
    return round_ is not None and results.can_read_institution_results(
        user, round_, result.institution)


@require_safe
@login_required
def evidence_download(request, pk):
    """An evidence file, as an attachment under its own name. A withdrawn file still downloads
    for those who may read it (its listing says it was withdrawn)."""
    found = EvidenceFile.objects.filter(pk=pk).select_related(
        "result__task", "result__institution").first()
    result = found.result if found is not None else None
    if result is None or not readable(result, request.user):
        raise Http404(_("No such evidence file."))
    storage = found.file.storage
    try:
        handle = storage.open(found.file.name, "rb")
    except (FileNotFoundError, OSError):
        handle = None
    if handle is None:
        logger.error("Evidence file %s (%s) is missing from the storage", found.pk,
                     found.file.name)
        return HttpResponseNotFound(
            _("The file “%(name)s” cannot be found in the storage. Tell the plan managers, "
              "who can restore it from the backup.") % {"name": found.name},
            content_type="text/plain; charset=utf-8")
    response = FileResponse(handle, as_attachment=True, filename=found.name,
                            content_type=CONTENT_TYPES[found.kind])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class EvaluationView(CachedPageMixin, PlanMixin, TemplateView):
    """The plan's year-end evaluation: its round, the results submitted by agency, the
    evaluators' progress, the spread of the panel means and the grades, each shown only to
    whom may read it (tracker.evaluation.selectors.reader_of)."""

    template_name = "tracker/evaluation/evaluation.html"

    def get_context_data(self, **kwargs):
        page = round_report.evaluation_page(self.plan, self.request.user)
        return super().get_context_data(**fields_of(page), **kwargs)


class EvaluationExportView(PlanMixin, View):
    """The evaluation's results, performance indicators or grades as CSV, or all three as the
    sheets of one XLSX workbook, streamed, each with the page's access rules: the public reads
    a published round's summaries, indicators and grades only, agency staff the results of the
    tasks they see and the grades once decided."""

    what = "results"  # "results", "indicators", "grades", or "workbook" (XLSX)

    def get(self, request, *args, **kwargs):
        plan = self.plan
        round_ = round_report.round_of_plan(plan)
        reader = round_report.reader_of(request.user, round_)
        if reader.public and not round_report.results_published(round_):
            raise PermissionDenied(_("The results of this plan's evaluation are not published."))
        if self.what == "grades" and not reader.grades:
            raise PermissionDenied(_("The grades are shown once the Council approves them."))
        tasks = Task.objects.all() if reader.public else reader.tasks
        sheets = {
            "results": lambda: exports.result_rows(plan, tasks, round_, public=reader.public,
                                                   grades=reader.grades),
            "indicators": lambda: exports.indicator_rows(plan, tasks),
            "grades": lambda: exports.grade_rows(plan, round_, manager=reader.manager,
                                                 readable=reader.grades_of),
        }
        name = f"kipplan-{plan.year}-evaluation"
        if self.what == "workbook":
            shown = [what for what in sheets if what != "grades" or reader.grades]
            return FileResponse(
                spreadsheets.xlsx_workbook([(what, sheets[what]()) for what in shown]),
                as_attachment=True, filename=f"{name}.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response = StreamingHttpResponse(
            spreadsheets.csv_chunks(sheets[self.what]()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{self.what}.csv"'
        return response


