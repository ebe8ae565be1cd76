"""Who may read the API: the pages' readers (tracker.progress.pages). Its own module, as Django
REST framework's settings name it and import it while its views are being made."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tracker.access import reads_the_plan


class ReadsThePlan(permissions.BasePermission):
    """Whoever may open the pages may read the API: signed-in users but evaluators (who see
    their assignments, in the admin), and everyone while the pages are published
    (``KIPPLAN_PUBLIC_PAGES``)."""

    message = _("Evaluators see their assignments in the admin, not the plan's pages or data.")

    def has_permission(self, request, view):
        return reads_the_plan(request.user)  # a visitor refused: DRF says credentials are missing


class MayReport(permissions.BasePermission):
    """Writes (reports, milestones): a signed-in user who may report on the task
    (``task.can_report``: staff of its lead agency), checked before the request's body is
    read, so that nobody else learns anything from its validation."""

    message = _("You may not report progress on this task.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, task):
        return task.can_report(request.user)
