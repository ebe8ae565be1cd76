"""The plan's budget advice (재원배분방향) on the site: /plans/<year>/budget-advice/ and its XLSX,
with the evaluation page's access rules (``tracker.evaluation.selectors.reader_of``, and
``tracker.follow_up.advice.advice_of`` for the advice itself)."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from kipplan.page_cache import CachedPageMixin
from tracker.evaluation import selectors as round_report
from tracker.follow_up import advice
from tracker.progress.pages import PlanMixin, fields_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BudgetAdviceView(CachedPageMixin, PlanMixin, TemplateView):
    """The advice summed by strategy, by lead agency and by grade, and each advised project
    with its recommendation and reason."""

    template_name = "tracker/follow_up/budget_advice.html"

    def get_context_data(self, **kwargs):
        page = advice.budget_advice_page(self.plan, self.request.user)
        return super().get_context_data(**fields_of(page), **kwargs)


class BudgetAdviceExportView(PlanMixin, View):
    """The page's tables as the sheets of one XLSX workbook: "by strategy", "by agency",
    "by grade" and "projects"."""

    def get(self, request, *args, **kwargs):
        plan = self.plan
        round_ = round_report.round_of_plan(plan)
        reader = round_report.reader_of(request.user, round_)
        if not advice.reads_advice(round_, reader):
            raise PermissionDenied(_("This plan's budget advice is not shown to you yet."))
        return FileResponse(advice.workbook(round_, reader), as_attachment=True,
                            filename=f"kipplan-{plan.year}-budget-advice.xlsx",
                            content_type=XLSX)
