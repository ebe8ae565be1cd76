"""
The annual reports (연차보고서) in the admin: a read-only list for the plan managers, each row
linking to the report's page (/plans/<year>/annual-report/), where it is generated, downloaded
and marked as sent through ``tracker.publishing``'s services. Nobody else sees it.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.access import is_plan_manager
from tracker.publishing.models import AnnualReport


@admin.register(AnnualReport)
class AnnualReportAdmin(admin.ModelAdmin):
    list_display = ["plan", "due_on", "generated_at", "generated_by", "sent_on", "page_link"]
    list_select_related = ["plan", "generated_by"]
    ordering = ["-plan__year"]
    fields = ["plan", "generated_at", "generated_by", "sent_on", "sent_marked_by"]
    readonly_fields = fields

    @admin.display(description=_("due"))
    def due_on(self, report):
        return report.due

    @admin.display(description=_("report page"))
    def page_link(self, report):
        return format_html('<a href="{}">{}</a>',
                           reverse("tracker:annual_report", args=[report.plan.year]),
                           _("Open"))

    def has_module_permission(self, request):
        return is_plan_manager(request.user)

    def has_view_permission(self, request, obj=None):
        return is_plan_manager(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
