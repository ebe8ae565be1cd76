"""What the admins of a task's rows share: the one place that scopes them to the tasks a user
may see, and the append-only history."""

from django.contrib import admin

from tracker.access import is_plan_manager
from tracker.progress.models import Task


class TaskScopedAdmin(admin.ModelAdmin):
    """An admin for rows that belong to a task: shows only rows of tasks the user may see."""

    task_path = "task"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_plan_manager(request.user):
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
