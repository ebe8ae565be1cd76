"""Django's model backend, reading a user's permissions in one query instead of two, and the
data's revision with the signed-in user."""

from django.contrib.auth import backends, get_user_model
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

    def get_user(self, user_id):
        """The signed-in user of a request, with the data's revision (kipplan.page_cache) read
        in the same query: a page served from the cache then costs the queries of a trivial
        logged-in page, the session and the user, and no more."""
        from kipplan.page_cache import token_query

        users = get_user_model()._default_manager.annotate(page_token=token_query())
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
