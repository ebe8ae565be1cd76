"""The managers' pages: server-rendered, read-only, aggregated in the database."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import F, Func, IntegerField, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from kipplan.page_cache import CachedPageMixin
from tracker.access import is_evaluator, is_plan_manager, member_agency_ids
from tracker.common import spreadsheets
from tracker.common.models import OutgoingMail
from tracker.evaluation import selectors as round_report
from tracker.follow_up import opinions
from tracker.follow_up.models import Opinion
from tracker.overview import years
from tracker.plans import agency_names as names
from tracker.plans.models import Agency, StrategicTechnology
from tracker.progress import carry_over_chains as chains
from tracker.progress import exports
from tracker.progress import selectors as reports
from tracker.progress import timeline as history
from tracker.progress.filters import TaskFilter
from tracker.progress.pages import (
    PageAccessMixin,
    PlanMixin,
    fields_of,
    reads_task_publicly,
    small_number,
)
from tracker.publishing.services import status_for as annual_report_status


class DashboardView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/overview/dashboard.html"

    def get_template_names(self):
        if self.headline_only:
            return ["tracker/overview/plan_headline.html"]
        return super().get_template_names()

    def plans(self):
        """The plan with the counts of the improvement opinions the user sees, read in the
        plan's query (tracker.follow_up.opinions.plan_counts); none for readers of the public
        pages."""
        if self.public:
            return super().plans()
        plans = super().plans().annotate(
            **opinions.plan_counts(self.request.user, timezone.localdate()))
        if not is_plan_manager(self.request.user):
            return plans
        # For the managers, read with the plan too: the annual report's status, and the mail
        # that failed every attempt, for them to act on (tracker.common.mail).
        return plans.select_related("annual_report").annotate(failed_mail=Coalesce(Subquery(
            OutgoingMail.objects.needing_attention().order_by().annotate(total=Func(
                F("pk"), function="COUNT", output_field=IntegerField())).values("total")), 0))

    def get_context_data(self, **kwargs):
        if self.headline_only:
            return super().get_context_data(**kwargs)
        page = reports.dashboard(self.plan, self.plan_tasks(), self.moment,
                                 restricted=not self.sees_everything, public=self.public)
        plan = self.plan
        opinion_counts = None if self.public else opinions.Counts(
            plan.opinions_open, plan.opinions_answer_overdue, plan.opinions_actions_overdue)
        manager = is_plan_manager(self.request.user)
        annual_report = annual_report_status(plan, selected=True) if manager else None
        failed_mail = plan.failed_mail if manager else 0
        return super().get_context_data(**fields_of(page), opinion_counts=opinion_counts,
                                        annual_report=annual_report, failed_mail=failed_mail,
                                        **kwargs)


class TaskListView(CachedPageMixin, PlanMixin, FilterView):
    filterset_class = TaskFilter
    template_name = "tracker/overview/task_list.html"
    paginate_by = 50

    def get_queryset(self):
        return reports.task_rows(self.plan_tasks(), self.moment).select_related(
            "lead_agency"
        ).order_by("number")

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "plan": self.plan}

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(query=query.urlencode(), **kwargs)


class TaskExportView(TaskListView):
    """The task list's current filter as CSV or XLSX, streamed."""

    paginate_by = None
    format = "csv"
    page_cache = False  # streamed, never stored

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_filterset_class())
        valid = not filterset.is_bound or filterset.is_valid()  # as FilterView decides
        tasks = filterset.qs if valid else filterset.queryset.none()
        rows = exports.export_rows(tasks.order_by("number"), self.plan, self.visible_tasks())
        name = f"kipplan-{self.plan.year}-tasks"
        if self.format == "xlsx":
            return FileResponse(
                spreadsheets.xlsx_file(rows, title=name), as_attachment=True,
                filename=f"{name}.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response = StreamingHttpResponse(
            spreadsheets.csv_chunks(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class TaskDetailView(CachedPageMixin, PlanMixin, DetailView):
    """A task, and its year-end results once its plan has an evaluation round. The plan and its
    round come with the task, in the task's query."""

    template_name = "tracker/overview/task_detail.html"
    context_object_name = "task"

    @cached_property
    def year(self):
        return small_number(self.kwargs["year"], _("No plan for that year."))

    @cached_property
    def moment(self):
        form = self.as_of_form
        return reports.Moment.of(form.cleaned_data["as_of"] if form.is_valid() else None,
                                 year=self.year)

    @cached_property
    def plan(self):
        return self.task.plan

    @cached_property
    def task(self):
        number = small_number(self.kwargs["number"], _("No task with that number."))
        tasks = round_report.with_grades(
            self.visible_tasks().filter(plan__year=self.year).as_of(self.moment.as_of)
        ).select_related(
            "plan__endorsed_by", "plan__evaluation_round", "strategy", "key_task__strategy",
            "lead_agency", "result",
        ).prefetch_related("supporting_agencies", "technologies", "milestones")
        task = get_object_or_404(tasks, number=number)
        task.plan.has_tasks = True  # as PlanMixin annotates it: this one has
        return task

    def get_object(self, queryset=None):
        return self.task

    @cached_property
    def public(self):
        """Internal data of a task is for those who may see the task without publication."""
        return reads_task_publicly(self.request.user, self.object)

    def get_context_data(self, **kwargs):
        reader = round_report.reader_of(self.request.user,
                                        round_report.round_of_plan(self.object.plan))
        return super().get_context_data(
            timeline=history.timeline(self.object, public=self.public),
            chain=chains.chain_of(self.object, self.visible_tasks()),
            results=round_report.task_results(self.object, reader, public=self.public),
            open_opinions=self.open_opinions(), **kwargs)

    def open_opinions(self):
        """The open improvement opinions on the task, and those carried to it from the task it
        continues; internal, so not for readers of the public pages."""
        if self.public:
            return []
        task = self.object
        return opinions.listing(Opinion.objects.visible_to(self.request.user).filter(
            Q(task=task) | Q(carried_to=task)), timezone.localdate())


class YearsView(CachedPageMixin, PageAccessMixin, TemplateView):
    """The plans side by side, year by year."""

    template_name = "tracker/overview/years.html"

    def get_context_data(self, **kwargs):
        page = years.years_page(self.visible_tasks(), public=self.public)
        return super().get_context_data(**fields_of(page), **kwargs)


class AgencyListView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/overview/agency_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.agency_cards(self.plan_tasks(), self.moment), **kwargs)


class AgencyDetailView(CachedPageMixin, PlanMixin, DetailView):
    model = Agency
    template_name = "tracker/overview/agency_detail.html"
    context_object_name = "agency"

    def get_queryset(self):
        return Agency.objects.select_related("parent").prefetch_related("children")

    def get_context_data(self, **kwargs):
        page = reports.agency_page(self.object, self.plan_tasks(), self.moment)
        reader = round_report.reader_of(self.request.user, round_report.round_of_plan(self.plan))
        results = round_report.agency_results(self.object, self.plan, reader)
        return super().get_context_data(**fields_of(page), names=names.history(self.object),
                                        results=results, open_opinions=self.open_opinions(),
                                        **kwargs)

    def open_opinions(self):
        """The plan's open improvement opinions (with those carried into it) on the agency or
        on the tasks it leads; internal, so not for readers of the public pages."""
        if self.public:
            return []
        agency = self.object
        return opinions.listing(opinions.of_plan(self.plan, Opinion.objects.visible_to(
            self.request.user)).filter(
            Q(agency=agency) | Q(task__lead_agency=agency)
            | Q(carried_to__lead_agency=agency)), timezone.localdate())


class TechnologyListView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/overview/technology_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.technology_cards(self.plan_tasks(), self.moment), **kwargs)


class TechnologyDetailView(CachedPageMixin, PlanMixin, DetailView):
    model = StrategicTechnology
    template_name = "tracker/overview/technology_detail.html"
    context_object_name = "technology"

    def get_context_data(self, **kwargs):
        page = reports.technology_page(self.object, self.plan_tasks(), self.moment)
        return super().get_context_data(**fields_of(page), **kwargs)


class MyWorkView(LoginRequiredMixin, TemplateView):
    """내 업무: agency staff's start page, what their agencies' tasks need of them now."""

    template_name = "tracker/overview/my_work.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_evaluator(request.user):
            raise PermissionDenied  # never published: evaluators have no work here
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        work = reports.my_work(user)
        results = round_report.results_duties(user)
        owed = opinions.duties(user, timezone.localdate())
        to_do = (work.count + sum(duty.state != "submitted" for duty in results)
                 + len(owed.to_answer) + len(owed.actions))
        return super().get_context_data(work=work, results=results, opinions=owed,
                                        to_do=to_do, today=timezone.localdate(), **kwargs)


def start(request):
    """Where a login lands without a ``next``: administrators on the admin, evaluators on
    their assignments (in the admin), plan managers on the dashboard, agency staff on their
    work, anyone else on the dashboard."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_superuser:
        return redirect("admin:index")
    if is_evaluator(user):
        return redirect("admin:tracker_assignment_changelist")
    if not is_plan_manager(user) and member_agency_ids(user):
        return redirect("tracker:my_work")
    return redirect("tracker:dashboard")
