"""The evaluation rounds: where each plan's round is, its dates, and its grades. A round moves on
one step at a time through the admin action, which calls the service; once approved, the admin
shows it read-only, as the services refuse any change."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import evaluation
from ..models import AgencyKind, EvaluationRound, Grade, RoundState, Task

DATES = ["submission_opens", "submission_closes", "evaluation_closes", "meeting_number",
         "meeting_date", "held_in_writing", "published_on", "is_illustrative"]


class GradeInline(admin.StackedInline):
    """Grades are given while the round is being evaluated, and then never change."""

    model = Grade
    extra = 0
    fields = ["task", "agency", "grade", "reason"]

    def editable(self, obj):
        return obj is not None and obj.state == RoundState.EVALUATION

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self.editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.editable(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task", "agency")

    def get_formset(self, request, obj=None, **kwargs):
        request.kipplan_round_plan = obj.plan_id if obj else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "task":
            kwargs["queryset"] = Task.objects.filter(
                plan_id=getattr(request, "kipplan_round_plan", None)).order_by("number")
        if db_field.name == "agency":
            kwargs["queryset"] = db_field.related_model.objects.exclude(
                kind=AgencyKind.TEAM)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(admin.ModelAdmin):
    list_display = ["plan", "state", "submission_closes", "meeting_date", "published_on"]
    list_filter = ["state"]
    list_select_related = ["plan"]
    fields = ["plan", "state", *DATES]
    inlines = [GradeInline]
    actions = ["move_to_next_step"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["state"]
        if obj.decided:
            return ["plan", "state", *DATES]
        return ["plan", "state"]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.decided)

    @admin.action(description=_("Move the selected rounds to their next step"),
                  permissions=["change"])
    def move_to_next_step(self, request, queryset):
        for round in queryset.select_related("plan"):
            following = evaluation.NEXT.get(round.state)
            try:
                if following is None:
                    raise ValidationError(_("The round is published: there is no next step."))
                evaluation.advance(round, following)
            except ValidationError as error:
                messages.error(request, f"{round}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("%(round)s is now “%(state)s”.") % {
                    "round": round, "state": RoundState(following).label})
