"""
Who is who, the one place that says it: a plan manager, an evaluator, agency staff and the
agencies they belong to. What each role may do is the role table's (``tracker.roles``); which
rows a user reads or writes is a QuerySet method beside its model, built on these functions:

- ``Task.objects.visible_to(user)``, ``.reportable_by(user)``, ``.supported_by(user)`` and
  ``.results_readable_by(user)`` (``tracker.progress.models``), with ``task.can_view(user)``,
  ``can_report``, ``can_contribute``, ``can_read_results`` and ``can_write_results``;
- ``Opinion.objects.visible_to(user)`` and ``opinion.can_answer(user)``,
  ``BudgetAdvice.objects.visible_to(user)`` (``tracker.follow_up.models``);
- ``round.grades_visible_to(user)`` (``tracker.evaluation.models``).

Every page, admin screen, export, reminder and service asks these; none tests a role itself.
The module stands below the models that use it: it imports no model but the agency.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tracker.plans.models import Agency


def is_active(user) -> bool:
    return bool(getattr(user, "is_active", False))


def is_plan_manager(user) -> bool:
    """A plan manager, or a superuser: reads every task and runs the year's cycle (the
    evaluation, improvement opinions, budget advice, the annual report). The role's mark is
    the permission ``view_all_tasks``, which only the plan managers' role holds."""
    return is_active(user) and (user.is_superuser or user.has_perm("tracker.view_all_tasks"))


def is_evaluator(user) -> bool:
    """An outside expert with evaluator's rights and no other view of the plan: they see their
    assignments and nothing else of the site."""
    return (is_active(user) and not user.is_superuser and user.has_perm("tracker.add_score")
            and not is_plan_manager(user))


def users_with_perm(perm: str):
    """The active users who hold a permission, by their role or their own (superusers only if
    given it). Django asks which backend to read when there are several, and production has two
    (django-axes, which grants nothing, and the model backend): the one that can answer is read."""
    backends = [path for path in settings.AUTHENTICATION_BACKENDS
                if hasattr(import_string(path), "with_perm")]
    return get_user_model().objects.with_perm(perm, include_superusers=False,
                                              backend=backends[0])


def member_agency_ids(user) -> frozenset:
    """The agencies a user belongs to, with their sub-agencies; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "_kipplan_agency_ids"):
        direct = Agency.objects.filter(memberships__user=user)
        user._kipplan_agency_ids = frozenset(direct.with_descendants().values_list("pk", flat=True))
    return user._kipplan_agency_ids


def sight(user) -> tuple:
    """Everything about a user that decides what the site's pages show them, and nothing else:
    users with the same sight see the same pages (their names aside), so the page cache keeps
    one page for them all (kipplan.page_cache). It is what the functions above and the
    QuerySets built on them read: the flags on the user's row, their permissions (their
    roles'), and, but for plan managers, who read everything whatever their agencies, the
    agencies they belong to with their sub-agencies. Evaluators keep pages of their own (their
    assignments are theirs). What it reads, the pages read too (``get_all_permissions``,
    ``member_agency_ids``, both kept on the user object), so it costs them no query."""
    if not getattr(user, "is_authenticated", False):
        return ("anonymous",)
    if not is_active(user):
        return ("inactive",)
    if user.is_superuser:
        return ("superuser", user.is_staff)
    permissions = tuple(sorted(user.get_all_permissions()))
    if is_plan_manager(user):
        return ("manager", user.is_staff, permissions)
    return ("user", user.is_staff, permissions, tuple(sorted(member_agency_ids(user))),
            user.pk if is_evaluator(user) else None)


def reads_the_plan(user) -> bool:
    """Whether a user may read the plan's pages and its data through the API: everyone while
    the pages are published (KIPPLAN_PUBLIC_PAGES); otherwise signed-in users but evaluators,
    who see their assignments in the admin."""
    if settings.KIPPLAN_PUBLIC_PAGES:
        return True
    return bool(getattr(user, "is_authenticated", False)) and not is_evaluator(user)


def reads_open_data(user) -> bool:
    """The open data sets are published with the pages (KIPPLAN_PUBLIC_PAGES): then everyone's;
    until then the plan managers', who see every task anyway and check the files first."""
    return settings.KIPPLAN_PUBLIC_PAGES or is_plan_manager(user)


def is_agency_staff(user) -> bool:
    """Staff who report for their agencies: the role's right to report, and neither a plan
    manager nor an evaluator."""
    return (is_active(user) and user.has_perm("tracker.add_progressupdate")
            and not is_plan_manager(user) and not is_evaluator(user))


def reads_agency_records(user) -> bool:
    """Whether the admin lists a user the records kept per agency (opinions, advice): plan
    managers all of them, members of an agency their agencies' (evaluators none)."""
    if is_plan_manager(user):
        return True
    return is_active(user) and not is_evaluator(user) and bool(member_agency_ids(user))


def check_plan_manager(user, message=None) -> None:
    """Refuse anyone but a plan manager, with the message given or a general one."""
    if not is_plan_manager(user):
        raise PermissionDenied(message or _("Only the plan managers may do this."))


def roles(request) -> dict:
    """A context processor: what the navigation shows by role, worked out here so that no
    template tests a role. Evaluators see their assignments, not the site's pages (which refuse
    them), unless the pages are published to everyone."""
    user = getattr(request, "user", None)
    evaluator = user is not None and is_evaluator(user)
    signed_in = user is not None and user.is_authenticated
    return {"shows_my_work": is_agency_staff(user) if user is not None else False,
            "shows_assignments": evaluator,
            "shows_site_pages": not evaluator or settings.KIPPLAN_PUBLIC_PAGES,
            "shows_api_tokens": signed_in and reads_the_plan(user),
            "shows_open_data": user is not None and reads_open_data(user)}
