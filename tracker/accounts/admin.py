"""Agencies, who belongs to which, and the users (with their language and memberships)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from tracker.accounts.models import AgencyMembership, Profile
from tracker.plans.admin import AgencyMembershipInline


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "created_at"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__name_ko", "agency__name_en"]
    autocomplete_fields = ["user", "agency"]
    readonly_fields = ["created_at"]


User = get_user_model()
admin.site.unregister(User)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["language"]


@admin.register(User)
class KipplanUserAdmin(UserAdmin):
    """Django's user admin, with the user's language and agency memberships on the same page."""

    inlines = [ProfileInline, AgencyMembershipInline]
