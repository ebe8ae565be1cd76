"""The managers' pages: server-rendered, read-only, aggregated in the database."""

import dataclasses

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView, View
from django_filters.views import FilterView

from . import chains, exports, history, names, opinions, reports, round_report, years
from .access import member_agency_ids, sees_every_task
from .annual_report import status_for as annual_report_status
from .evaluation import is_evaluator
from .filters import TaskFilter
from .forms import AsOfForm
from .models import Agency, Plan, StrategicTechnology, Task
from .page_cache import CachedPageMixin

MAX_SMALL = 32767  # years and task numbers are small integers in the database


def keep_evaluators_out(user):
    """Evaluators see their assignments in the admin and nothing else of the site: every page
    here refuses them, unless the pages are published to everyone."""
    if not settings.KIPPLAN_PUBLIC_PAGES and is_evaluator(user):
        raise PermissionDenied


class PageAccessMixin:
    """Logged-in users see the pages; KIPPLAN_PUBLIC_PAGES opens them, read-only, to everyone.
    Agency staff see their agencies' tasks only, unless the pages are public; evaluators see
    none of them, unless they are public. (A page the cache serves was stored for the same
    user after these checks let it through: tracker.page_cache.CachedPageMixin.)"""

    def dispatch(self, request, *args, **kwargs):
        if not settings.KIPPLAN_PUBLIC_PAGES and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        keep_evaluators_out(request.user)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def sees_everything(self):
        return settings.KIPPLAN_PUBLIC_PAGES or sees_every_task(self.request.user)

    @cached_property
    def public(self):
        """Whether the page shows only what a government publishes, never usernames, notes or
        managers' reviews (see tracker.history): for anyone who reads it only because the
        pages are published. Plan managers see everything anyway; agency staff, when the pages
        are published, see every task, but internal data only of their own (the task page)."""
        return not sees_every_task(self.request.user) and settings.KIPPLAN_PUBLIC_PAGES

    def visible_tasks(self):
        if self.sees_everything:
            return Task.objects.all()
        return Task.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(sees_everything=self.sees_everything,
                                        public=self.public, **kwargs)


class PlanMixin(PageAccessMixin):
    """The plan of the URL's year; without a year, the latest plan (with its evaluation round,
    if it has one, read in the same query)."""

    @cached_property
    def plan(self):
        year = self.kwargs.get("year") or self.request.GET.get("year")
        plans = self.plans()
        if year is None:
            plan = plans.order_by("-year").first()
            if plan is None:
                raise Http404(_("No plan has been loaded yet."))
            return plan
        year = str(year)
        if not (year.isascii() and year.isdigit()) or not 1 <= int(year) <= MAX_SMALL:
            raise Http404(_("No plan for that year."))
        return get_object_or_404(plans, year=int(year))

    def plans(self):
        return Plan.objects.select_related("endorsed_by", "evaluation_round").annotate(
            has_tasks=Exists(Task.objects.filter(plan=OuterRef("pk"))))

    @cached_property
    def as_of_form(self):
        return AsOfForm(self.request.GET)

    @cached_property
    def moment(self):
        """The day the page describes: ?as_of=, when valid (the page shows the form's error
        otherwise), or today."""
        form = self.as_of_form
        return reports.Moment.of(form.cleaned_data["as_of"] if form.is_valid() else None,
                                 year=self.plan.year)

    def plan_tasks(self):
        return self.visible_tasks().filter(plan=self.plan)

    @cached_property
    def headline_only(self):
        """A plan recorded by its headline figures (its announced number of tasks) with none
        of its tasks entered yet; a plan being filled by an import shows its dashboard."""
        return not self.plan.has_tasks and self.plan.announced_task_count is not None

    def get_context_data(self, **kwargs):
        return super().get_context_data(plan=self.plan, moment=self.moment,
                                        as_of_form=self.as_of_form,
                                        headline_only=self.headline_only, **kwargs)


def fields_of(page):
    """A page's dataclass as template variables (shallow: its rows stay objects)."""
    return {field.name: getattr(page, field.name) for field in dataclasses.fields(page)}


class DashboardView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/dashboard.html"

    def get_template_names(self):
        if self.headline_only:
            return ["tracker/plan_headline.html"]
        return super().get_template_names()

    def plans(self):
        """The plan with the counts of the improvement opinions the user sees, read in the
        plan's query (tracker.opinions.plan_counts); none for readers of the public pages."""
        if self.public:
            return super().plans()
        plans = super().plans().annotate(
            **opinions.plan_counts(self.request.user, timezone.localdate()))
        # The annual report's status, for the managers, read with the plan too.
        return plans.select_related("annual_report") if self.sees_everything else plans

    def get_context_data(self, **kwargs):
        if self.headline_only:
            return super().get_context_data(**kwargs)
        page = reports.dashboard(self.plan, self.plan_tasks(), self.moment,
                                 restricted=not self.sees_everything, public=self.public)
        plan = self.plan
        opinion_counts = None if self.public else opinions.Counts(
            plan.opinions_open, plan.opinions_answer_overdue, plan.opinions_actions_overdue)
        annual_report = (annual_report_status(plan, selected=True)
                         if sees_every_task(self.request.user) else None)
        return super().get_context_data(**fields_of(page), opinion_counts=opinion_counts,
                                        annual_report=annual_report, **kwargs)


class TaskListView(CachedPageMixin, PlanMixin, FilterView):
    filterset_class = TaskFilter
    template_name = "tracker/task_list.html"
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
                exports.xlsx_file(rows, title=name), as_attachment=True,
                filename=f"{name}.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response = StreamingHttpResponse(
            exports.csv_chunks(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class TaskDetailView(CachedPageMixin, PlanMixin, DetailView):
    """A task, and its year-end results once its plan has an evaluation round. The plan and its
    round come with the task, in the task's query."""

    template_name = "tracker/task_detail.html"
    context_object_name = "task"

    @cached_property
    def year(self):
        if not 1 <= self.kwargs["year"] <= MAX_SMALL:
            raise Http404(_("No plan for that year."))
        return self.kwargs["year"]

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
        if not 1 <= self.kwargs["number"] <= MAX_SMALL:
            raise Http404(_("No task with that number."))
        tasks = round_report.with_grades(
            self.visible_tasks().filter(plan__year=self.year).as_of(self.moment.as_of)
        ).select_related(
            "plan__endorsed_by", "plan__evaluation_round", "strategy", "key_task__strategy",
            "lead_agency", "result",
        ).prefetch_related("supporting_agencies", "technologies", "milestones")
        task = get_object_or_404(tasks, number=self.kwargs["number"])
        task.plan.has_tasks = True  # as PlanMixin annotates it: this one has
        return task

    def get_object(self, queryset=None):
        return self.task

    @cached_property
    def public(self):
        """Internal data of a task is for those who may see the task without publication."""
        user = self.request.user
        return (settings.KIPPLAN_PUBLIC_PAGES and not sees_every_task(user)
                and not self.object.can_view(user))

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
        return opinions.listing(opinions.visible_to(self.request.user).filter(
            Q(task=task) | Q(carried_to=task)), timezone.localdate())


class YearsView(CachedPageMixin, PageAccessMixin, TemplateView):
    """The plans side by side, year by year."""

    template_name = "tracker/years.html"

    def get_context_data(self, **kwargs):
        page = years.years_page(self.visible_tasks(), public=self.public)
        return super().get_context_data(**fields_of(page), **kwargs)


class AgencyListView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/agency_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.agency_cards(self.plan_tasks(), self.moment), **kwargs)


class AgencyDetailView(CachedPageMixin, PlanMixin, DetailView):
    model = Agency
    template_name = "tracker/agency_detail.html"
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
        return opinions.listing(opinions.of_plan(self.plan, opinions.visible_to(
            self.request.user)).filter(
            Q(agency=agency) | Q(task__lead_agency=agency)
            | Q(carried_to__lead_agency=agency)), timezone.localdate())


class TechnologyListView(CachedPageMixin, PlanMixin, TemplateView):
    template_name = "tracker/technology_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.technology_cards(self.plan_tasks(), self.moment), **kwargs)


class TechnologyDetailView(CachedPageMixin, PlanMixin, DetailView):
    model = StrategicTechnology
    template_name = "tracker/technology_detail.html"
    context_object_name = "technology"

    def get_context_data(self, **kwargs):
        page = reports.technology_page(self.object, self.plan_tasks(), self.moment)
        return super().get_context_data(**fields_of(page), **kwargs)


class EvaluationView(CachedPageMixin, PlanMixin, TemplateView):
    """The plan's year-end evaluation: its round, the results submitted by agency, the
    evaluators' progress, the spread of the panel means and the grades, each shown only to
    whom may read it (tracker.round_report.reader_of)."""

    template_name = "tracker/evaluation.html"

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
        round = round_report.round_of_plan(plan)
        reader = round_report.reader_of(request.user, round)
        if reader.public and not round_report.results_published(round):
            raise PermissionDenied(_("The results of this plan's evaluation are not published."))
        if self.what == "grades" and not reader.grades:
            raise PermissionDenied(_("The grades are shown once the Council approves them."))
        tasks = Task.objects.all() if reader.public else reader.tasks
        sheets = {
            "results": lambda: exports.result_rows(plan, tasks, round, public=reader.public,
                                                   grades=reader.grades),
            "indicators": lambda: exports.indicator_rows(plan, tasks),
            "grades": lambda: exports.grade_rows(plan, round, manager=reader.manager,
                                                 readable=reader.grades_of),
        }
        name = f"kipplan-{plan.year}-evaluation"
        if self.what == "workbook":
            shown = [what for what in sheets if what != "grades" or reader.grades]
            return FileResponse(
                exports.xlsx_workbook([(what, sheets[what]()) for what in shown]),
                as_attachment=True, filename=f"{name}.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response = StreamingHttpResponse(
            exports.csv_chunks(sheets[self.what]()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{self.what}.csv"'
        return response


class MyWorkView(LoginRequiredMixin, TemplateView):
    """내 업무: agency staff's start page, what their agencies' tasks need of them now."""

    template_name = "tracker/my_work.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_evaluator(request.user):
            raise PermissionDenied  # never published: evaluators have no work here
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(work=reports.my_work(self.request.user), **kwargs)


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
    if not sees_every_task(user) and member_agency_ids(user):
        return redirect("tracker:my_work")
    return redirect("tracker:dashboard")
