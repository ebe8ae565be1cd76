"""Who belongs to which agencies, and who sees every task: the facts behind
``Task.objects.visible_to`` and ``reportable_by``."""

from tracker.plans.models import Agency


def member_agency_ids(user):
    """The agencies a user belongs to, with their sub-agencies; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "_kipplan_agency_ids"):
        direct = Agency.objects.filter(memberships__user=user)
        user._kipplan_agency_ids = frozenset(direct.with_descendants().values_list("pk", flat=True))
    return user._kipplan_agency_ids


def sees_every_task(user):
    return user.is_active and (user.is_superuser or user.has_perm("tracker.view_all_tasks"))
