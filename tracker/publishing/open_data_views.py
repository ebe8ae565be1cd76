"""The open data page, /open-data/, and its files: each plan year's data sets as UTF-8 CSV and
JSON (tracker.publishing.open_data). Published with the pages (KIPPLAN_PUBLIC_PAGES): everyone's
then; until then the plan managers' only (tracker.access.reads_open_data), since the files hold
every agency's tasks."""

import json

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from tracker.access import reads_open_data
from tracker.common import spreadsheets
from tracker.plans.models import Plan
from tracker.progress.models import Task
from tracker.progress.pages import small_number
from tracker.publishing import open_data


class OpenDataAccess:
    def dispatch(self, request, *args, **kwargs):
        if not reads_open_data(request.user):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(_("The open data is published with the site's pages; until "
                                     "then only the plan managers see it."))
        return super().dispatch(request, *args, **kwargs)


class OpenDataView(OpenDataAccess, TemplateView):
    template_name = "tracker/publishing/open_data.html"

    def get_context_data(self, **kwargs):
        plans = Plan.objects.select_related("evaluation_round").annotate(
            has_tasks=Exists(Task.objects.filter(plan=OuterRef("pk")))).order_by("-year")
        # A plan recorded by its headline figures alone has no task data to offer yet.
        years = [(plan, open_data.available(plan) if plan.has_tasks else []) for plan in plans]
        return super().get_context_data(years=years, data_sets=open_data.DATA_SETS.values(),
                                        licence=open_data.licence(), **kwargs)


class OpenDataFile(OpenDataAccess, View):
    """One data set of one year, as CSV or JSON (``format`` from the URL)."""

    format = "csv"

    def get(self, request, year, data_set):
        year = small_number(year, _("No plan for that year."))
        if data_set not in open_data.DATA_SETS:
            raise Http404
        plan = get_object_or_404(Plan.objects.select_related("evaluation_round"), year=year)
        data_set = open_data.DATA_SETS[data_set]
        if data_set not in open_data.available(plan):
            raise Http404
        name = f"kipplan-{plan.year}-{data_set.slug}"
        if self.format == "json":
            response = HttpResponse(json.dumps({
                "data_set": data_set.slug, "name_ko": data_set.ko, "name_en": data_set.en,
                "year": plan.year, "plan_title_ko": plan.title_ko,
                "plan_title_en": plan.title_en, "licence": open_data.licence(),
                "illustrative_note_ko": plan.data_note_ko,
                "illustrative_note_en": plan.data_note_en,
                "made_at": timezone.localtime(),
                "fields": [column.as_dict() for column in data_set.fields],
                "records": list(open_data.records(data_set, plan)),
            }, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
                content_type="application/json; charset=utf-8")
        else:
            header = [column.name for column in data_set.fields]
            response = StreamingHttpResponse(
                spreadsheets.csv_chunks([header, *data_set.rows(plan)]),
                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        return response
