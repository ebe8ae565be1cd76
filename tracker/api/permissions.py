"""Who may read the API: the pages' readers (tracker.progress.pages). Its own module, as Django
REST framework's settings name it and import it while its views are being made."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tracker.access import is_evaluator


class ReadsThePlan(permissions.BasePermission):
    """Whoever may open the pages may read the API: signed-in users but evaluators (who see
    their assignments, in the admin), and everyone while the pages are published
    (``KIPPLAN_PUBLIC_PAGES``)."""

    message = _("Evaluators see their assignments in the admin, not the plan's pages or data.")

    def has_permission(self, request, view):
        if settings.KIPPLAN_PUBLIC_PAGES:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers that credentials are missing
        return not is_evaluator(user)
