"""
A task's own pages in the admin, beside its change page: report progress, add a contribution
note, record a review. Each is a small ``TaskPage`` that says what differs (its URL, words, form,
who may use it and the service that saves); the base does the rest the same way for all three.

Access: the task is found through the task admin's ``get_queryset``, so another agency's task is
a 404 here as everywhere in the admin; the page's own check refuses the rest with a 403, and the
service checks again.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from tracker.common.stale import StaleEdit, rebind
from tracker.progress import services
from tracker.progress.forms import ContributionForm, ProgressReportForm, ReviewForm
from tracker.progress.models import Task


def summary_context(task):
    """The task's status beside its latest review: the top of its change page and of its own
    pages (admin/tracker/task/status_summary.html)."""
    latest_review = task.reviews.select_related("reviewer").first()
    return {
        "task": task,
        "latest_review": latest_review,
        "review_differs": latest_review is not None
        and task.review_differs(latest_review.light),
    }


class TaskTool:
    """A page of its own under a task's admin page, linked from the task's change page. Each
    part of the cycle adds its own with ``TaskAdmin.add_page`` (the year-end results page is
    ``tracker.evaluation.admin``'s). A tool declares ``url_name`` and ``tool_label`` (its
    link), and defines ``urlpattern`` and ``listed`` (is the link shown for this task and
    user?)."""

    url_name: str
    tool_label: str
    primary = False  # the task's main action, drawn as the primary button

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def listed(self, task, user):
        raise NotImplementedError

    def url(self, task):
        return reverse(f"{self.model_admin.admin_site.name}:{self.url_name}", args=[task.pk])


class TaskPage(TaskTool):
    """A form on one task that saves through a service. A page declares ``suffix`` (its URL
    under the task's), ``url_name``, ``title``, ``help_text`` and ``form_class``, and defines
    ``allows`` (may this user use it on this task?) and ``save`` (call the service, return the
    success message); ``make_form`` when its form needs more than the data."""

    suffix: str
    title: str
    help_text: str
    form_class: type
    template_name = "admin/tracker/task/task_form.html"

    def urlpattern(self):
        view = self.model_admin.admin_site.admin_view(self.view)
        return path(f"<path:object_id>/{self.suffix}/", view, name=self.url_name)

    def listed(self, task, user):
        return self.allows(task, user)

    def allows(self, task, user):
        raise NotImplementedError

    def make_form(self, task, data):
        return self.form_class(data)

    def save(self, task, user, data):
        """Save the valid form's ``data`` through the service; return the success message.
        A ValidationError becomes the form's error."""
        raise NotImplementedError

    def view(self, request, object_id):
        task = self.model_admin.get_object(request, unquote(object_id))
        if task is None:
            raise Http404(_("No task with that id, or not one of yours."))
        if not self.allows(task, request.user):
            raise PermissionDenied
        form = self.make_form(task, request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self.submit(request, task, form)
        return self.render(request, task, form)

    def submit(self, request, task, form):
        try:
            message = self.save(task, request.user, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(request, task, form)
        self.model_admin.log_change(request, task, message)
        messages.success(request, message)
        return HttpResponseRedirect(
            self.next_url(request) or reverse("admin:tracker_task_change", args=[task.pk]))

    @staticmethod
    def next_url(request):
        """Where the user came from to this page (My work), to go back there once saved: a
        page of this site only."""
        url = request.POST.get("next") or request.GET.get("next")
        if url and url_has_allowed_host_and_scheme(
                url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return url
        return None

    def render(self, request, task, form):
        context = {
            **self.model_admin.admin_site.each_context(request),
            **summary_context(task),
            "opts": self.model_admin.opts,
            "form": form,
            "title": self.title,
            "subtitle": str(task),
            "help_text": self.help_text,
            "next": self.next_url(request),
        }
        return TemplateResponse(request, self.template_name, context)


class ReportPage(TaskPage):
    suffix = "report"
    url_name = "tracker_task_report"
    title = _("Report progress")
    tool_label = _("Report progress")
    primary = True
    help_text = _("Your report becomes the task's current status and is kept in its history.")
    form_class = ProgressReportForm

    def allows(self, task, user):
        return task.can_report(user)

    def make_form(self, task, data):
        return self.form_class(data, task=task)

    def save(self, task, user, data):
        update = services.report_progress(
            task=task, user=user, status=data["status"], progress=data["progress"],
            budget_executed=data["budget_executed"], note=data["note"],
            expected_version=data["version"],
        )
        return _("Reported progress: %(update)s") % {"update": update}

    def submit(self, request, task, form):
        try:
            return super().submit(request, task, form)
        except StaleEdit as error:
            # Keep what the user typed, against the task's current version and values, and say
            # who reported in between.
            task = error.current
            form = rebind(lambda data: self.make_form(task, data), request.POST, error)
            return self.render(request, task, form)


class ContributionPage(TaskPage):
    suffix = "contribute"
    url_name = "tracker_task_contribute"
    title = _("Add a contribution note")
    tool_label = _("Add a contribution note")
    help_text = _("As a supporting agency you add notes; the lead agency reports the status.")
    form_class = ContributionForm

    def allows(self, task, user):
        return task.can_contribute(user)

    def save(self, task, user, data):
        note = services.add_contribution(task=task, user=user, note=data["note"])
        return _("Added a contribution note from %(agency)s.") % {"agency": note.agency}


class ReviewPage(TaskPage):
    suffix = "review"
    url_name = "tracker_task_review"
    title = _("Record a review assessment")
    tool_label = _("Record a review")
    help_text = _(
        "Your assessment is shown beside the agency's own status; it does not change it."
    )
    form_class = ReviewForm

    def allows(self, task, user):
        return Task.can_review(user)

    def save(self, task, user, data):
        review = services.record_review(
            task=task, user=user, light=data["light"], comment=data["comment"],
        )
        return _("Recorded a review assessment: %(light)s.") % {
            "light": review.get_light_display()
        }


TASK_PAGES = [ReportPage, ContributionPage, ReviewPage]
