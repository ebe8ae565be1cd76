"""API tokens in the admin, for whoever holds its permissions (superusers): every user's tokens,
to revoke one that leaked. Nobody makes a token here, and no key is ever shown: each user makes
their own on their tokens page (tracker.api.tokens)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "shown", "created_at", "expires_at", "last_used_at",
                    "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "user__username", "shown"]
    readonly_fields = ["user", "name", "shown", "created_at", "expires_at", "last_used_at",
                       "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only: revoked with the action

    def has_delete_permission(self, request, obj=None):
        return False  # kept, revoked, as a record of what signed in

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke()
        self.message_user(request, ngettext("%(count)s token revoked.",
                                            "%(count)s tokens revoked.", len(tokens))
                          % {"count": len(tokens)}, messages.SUCCESS)
