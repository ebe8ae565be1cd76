"""What the admin's modules share: bilingual columns, and the one place that scopes a task's rows
to the tasks a user may see."""

from django.contrib import admin

from ..access import sees_every_task
from ..i18n import localized
from ..models import Task


def localized_column(field, description):
    """A change-list column of a bilingual field (``title``, ``name``) in the active language,
    falling back to the other one."""

    @admin.display(description=description, ordering=f"{field}_ko")
    def column(self, obj):
        return localized(obj, field)

    return column


class TaskScopedAdmin(admin.ModelAdmin):
    """An admin for rows that belong to a task: shows only rows of tasks the user may see."""

    task_path = "task"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_every_task(request.user):
            return queryset
        visible = Task.objects.visible_to(request.user).values("pk")
        return queryset.filter(**{f"{self.task_path}__in": visible})


class HistoryAdmin(TaskScopedAdmin):
    """History is append-only for everyone: it is read here, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
