"""What every part's admin uses, and the admin of the mail kipplan sends."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.common import mail
from tracker.common.i18n import localized
from tracker.common.models import OutgoingMail


def localized_column(field, description):
    """A change-list column of a bilingual field (``title``, ``name``) in the active language,
    falling back to the other one."""

    @admin.display(description=description, ordering=f"{field}_ko")
    def column(self, obj):
        return localized(obj, field)

    return column


class ImportLinkMixin:
    """A change list whose object tools link to an import from a spreadsheet, for those who
    may use it: ``import_url_name`` says where, ``import_label`` what, and the admin's
    ``has_import_permission(request)`` who."""

    change_list_template = "admin/tracker/change_list_with_import.html"
    import_url_name: str
    import_label: str

    def changelist_view(self, request, extra_context=None):
        if self.has_import_permission(request):
            extra_context = {**(extra_context or {}), "import_url": reverse(self.import_url_name),
                             "import_label": self.import_label}
        return super().changelist_view(request, extra_context)




class AttentionFilter(admin.SimpleListFilter):
    """The mail a manager must act on: failed, or stuck in the queue."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("1", _("Failed, or waiting too long"))]

    def queryset(self, request, queryset):
        return queryset.needing_attention() if self.value() == "1" else queryset


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The mail kipplan sends, for the plan managers: what failed, why, and send it again. A
    password reset's text is never shown (its link signs in as its recipient)."""

    list_display = ["queued_at", "to", "subject", "kind", "state", "attempts", "last_error"]
    list_filter = [AttentionFilter, "state", "kind"]
    search_fields = ["to", "subject"]
    actions = ["send_again"]
    date_hierarchy = "queued_at"

    def get_fields(self, request, obj=None):
        fields = ["kind", "to", "subject", "body", "state", "attempts", "last_error",
                  "queued_at", "finished_at"]
        if obj is not None and obj.kind in mail.SECRET_KINDS:
            fields.remove("body")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed or stuck mail again"),
                  permissions=["change"])
    def send_again(self, request, queryset):
        count = mail.retry(queryset)
        self.message_user(request, ngettext(
            "%(count)s failed mail queued again.", "%(count)s failed mails queued again.",
            count) % {"count": count}, messages.SUCCESS if count else messages.WARNING)
