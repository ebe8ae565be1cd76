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
