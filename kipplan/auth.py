"""Django's model backend, reading a user's permissions in one query instead of two."""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    """Every page asks what the user may do (the navigation, the scoping of tasks); Django's
    backend reads the user's own permissions and their groups' in two queries, this one reads
    both at once. Permissions and their rules are Django's."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_kipplan_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = perms.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._kipplan_perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._kipplan_perm_cache
