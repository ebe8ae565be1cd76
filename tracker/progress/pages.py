"""What every server-rendered page shares: who may open the pages at all, the plan of the year
in the URL, and the fields a page's dataclass hands to its template."""

import dataclasses

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from tracker.access import is_evaluator, is_plan_manager
from tracker.plans.models import Plan
from tracker.progress import selectors as reports
from tracker.progress.forms import AsOfForm
from tracker.progress.models import Task

MAX_SMALL = 32767  # years and task numbers are small integers in the database


def small_number(value, message) -> int:
    """A year or task number from a URL or a query (a small positive integer), or a 404 that
    says ``message``: anything else would not fit the database's column."""
    value = str(value)
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_SMALL:
        raise Http404(message)
    return int(value)


def keep_evaluators_out(user):
    """Evaluators see their assignments in the admin and nothing else of the site: every page
    here refuses them, unless the pages are published to everyone."""
    if not settings.KIPPLAN_PUBLIC_PAGES and is_evaluator(user):
        raise PermissionDenied


# Who reads what of the plan, the same for the pages and the API (tracker.api). ----------------


def sees_everything(user) -> bool:
    """Every task: plan managers, and everyone while the pages are published."""
    return settings.KIPPLAN_PUBLIC_PAGES or is_plan_manager(user)


def reads_publicly(user) -> bool:
    """Whether a reader sees only what a government publishes, never usernames, notes or
    managers' reviews (see tracker.progress.timeline): anyone who reads only because the pages
    are published. Plan managers see everything anyway; agency staff, when the pages are
    published, see every task, but internal data only of their own (the task page)."""
    return not is_plan_manager(user) and settings.KIPPLAN_PUBLIC_PAGES


def visible_tasks(user):
    """The tasks a reader of the pages or the API sees."""
    if sees_everything(user):
        return Task.objects.all()
    return Task.objects.visible_to(user)


def reads_task_publicly(user, task) -> bool:
    """Whether a task's internal data (its history's notes and names, reviews, opinions) is
    kept from this reader: those who see the task only because the pages are published."""
    return reads_publicly(user) and not task.can_view(user)


class PageAccessMixin:
    """Logged-in users see the pages; KIPPLAN_PUBLIC_PAGES opens them, read-only, to everyone.
    Agency staff see their agencies' tasks only, unless the pages are public; evaluators see
    none of them, unless they are public. (A page the cache serves was stored for a user of the
    same sight after these checks let them through: kipplan.page_cache.CachedPageMixin.)"""

    def dispatch(self, request, *args, **kwargs):
        if not settings.KIPPLAN_PUBLIC_PAGES and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        keep_evaluators_out(request.user)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def sees_everything(self):
        return sees_everything(self.request.user)

    @cached_property
    def public(self):
        """Whether the page shows only what a government publishes (reads_publicly)."""
        return reads_publicly(self.request.user)

    def visible_tasks(self):
        return visible_tasks(self.request.user)

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
        return get_object_or_404(plans, year=small_number(year, _("No plan for that year.")))

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


