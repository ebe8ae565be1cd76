"""The managers' pages: server-rendered, read-only, aggregated in the database."""

import dataclasses

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from . import chains, exports, history, names, reports, years
from .access import member_agency_ids, sees_every_task
from .filters import TaskFilter
from .forms import AsOfForm
from .models import Agency, Plan, StrategicTechnology, Task

MAX_SMALL = 32767  # years and task numbers are small integers in the database


class PageAccessMixin:
    """Logged-in users see the pages; KIPPLAN_PUBLIC_PAGES opens them, read-only, to everyone.
    Agency staff see their agencies' tasks only, unless the pages are public."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.KIPPLAN_PUBLIC_PAGES and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
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
    """The plan of the URL's year; without a year, the latest plan."""

    @cached_property
    def plan(self):
        year = self.kwargs.get("year") or self.request.GET.get("year")
        plans = Plan.objects.select_related("endorsed_by").annotate(
            has_tasks=Exists(Task.objects.filter(plan=OuterRef("pk"))))
        if year is None:
            plan = plans.order_by("-year").first()
            if plan is None:
                raise Http404(_("No plan has been loaded yet."))
            return plan
        year = str(year)
        if not (year.isascii() and year.isdigit()) or not 1 <= int(year) <= MAX_SMALL:
            raise Http404(_("No plan for that year."))
        return get_object_or_404(plans, year=int(year))

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


class DashboardView(PlanMixin, TemplateView):
    template_name = "tracker/dashboard.html"

    def get_template_names(self):
        if self.headline_only:
            return ["tracker/plan_headline.html"]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        if self.headline_only:
            return super().get_context_data(**kwargs)
        page = reports.dashboard(self.plan, self.plan_tasks(), self.moment,
                                 restricted=not self.sees_everything, public=self.public)
        return super().get_context_data(**fields_of(page), **kwargs)


class TaskListView(PlanMixin, FilterView):
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


class TaskDetailView(PlanMixin, DetailView):
    template_name = "tracker/task_detail.html"
    context_object_name = "task"

    def get_object(self, queryset=None):
        tasks = self.plan_tasks().as_of(self.moment.as_of).select_related(
            "plan", "strategy", "key_task__strategy", "lead_agency"
        ).prefetch_related("supporting_agencies", "technologies", "milestones")
        if not 1 <= self.kwargs["number"] <= MAX_SMALL:
            raise Http404(_("No task with that number."))
        return get_object_or_404(tasks, number=self.kwargs["number"])

    @cached_property
    def public(self):
        """Internal data of a task is for those who may see the task without publication."""
        user = self.request.user
        return (settings.KIPPLAN_PUBLIC_PAGES and not sees_every_task(user)
                and not self.object.can_view(user))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            timeline=history.timeline(self.object, public=self.public),
            chain=chains.chain_of(self.object, self.visible_tasks()), **kwargs)


class YearsView(PageAccessMixin, TemplateView):
    """The plans side by side, year by year."""

    template_name = "tracker/years.html"

    def get_context_data(self, **kwargs):
        page = years.years_page(self.visible_tasks(), public=self.public)
        return super().get_context_data(**fields_of(page), **kwargs)


class AgencyListView(PlanMixin, TemplateView):
    template_name = "tracker/agency_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.agency_cards(self.plan_tasks(), self.moment), **kwargs)


class AgencyDetailView(PlanMixin, DetailView):
    model = Agency
    template_name = "tracker/agency_detail.html"
    context_object_name = "agency"

    def get_queryset(self):
        return Agency.objects.select_related("parent").prefetch_related("children")

    def get_context_data(self, **kwargs):
        page = reports.agency_page(self.object, self.plan_tasks(), self.moment)
        return super().get_context_data(**fields_of(page), names=names.history(self.object),
                                        **kwargs)


class TechnologyListView(PlanMixin, TemplateView):
    template_name = "tracker/technology_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cards=reports.technology_cards(self.plan_tasks(), self.moment), **kwargs)


class TechnologyDetailView(PlanMixin, DetailView):
    model = StrategicTechnology
    template_name = "tracker/technology_detail.html"
    context_object_name = "technology"

    def get_context_data(self, **kwargs):
        page = reports.technology_page(self.object, self.plan_tasks(), self.moment)
        return super().get_context_data(**fields_of(page), **kwargs)


class MyWorkView(LoginRequiredMixin, TemplateView):
    """내 업무: agency staff's start page, what their agencies' tasks need of them now."""

    template_name = "tracker/my_work.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(work=reports.my_work(self.request.user), **kwargs)


def start(request):
    """Where a login lands without a ``next``: administrators on the admin, plan managers on
    the dashboard, agency staff on their work, anyone else on the dashboard."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_superuser:
        return redirect("admin:index")
    if not sees_every_task(user) and member_agency_ids(user):
        return redirect("tracker:my_work")
    return redirect("tracker:dashboard")
