"""Agencies (with their former names and a rename page), who belongs to which, and the users
(with their language and memberships)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import AgencyMembership, Profile
from tracker.common.admin import localized_column
from tracker.common.validators import check_day
from tracker.plans import agency_names as names
from tracker.plans.models import Agency, AgencyName


class AgencyMembershipInline(admin.StackedInline):
    # Stacked, so that every field has its label; plain selects, not select2 autocompletes
    # (their empty options fail the HTML checker).
    model = AgencyMembership
    extra = 0
    readonly_fields = ["created_at"]


class FormerNameFormSet(BaseInlineFormSet):
    def validate_unique(self):
        """Two names ending on one day: said in words by ``clean``, not by field names."""

    def clean(self):
        super().clean()
        kept = [form.instance for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            names.check_former_names(self.instance, kept)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class FormerNameInline(admin.StackedInline):
    """Names the agency had before, each in force until its last day: for recording history.
    A rename from today on is recorded with the agency's Rename page."""

    model = AgencyName
    formset = FormerNameFormSet
    extra = 0
    fields = ["name_ko", "name_en", "abbreviation", "used_until", "is_approximate", "source_note"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}


class RenameForm(forms.Form):
    name_ko = forms.CharField(label=_("New name (Korean)"), max_length=200)
    name_en = forms.CharField(label=_("New name (English)"), max_length=200, required=False)
    abbreviation = forms.CharField(label=_("New abbreviation"), max_length=30, required=False)
    effective = forms.DateField(label=_("In force from"), validators=[check_day], help_text=_(
        "The first day of the new name; the current name stays in force until the day before."))
    source_note = forms.CharField(label=_("Sources"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name_display", "abbreviation", "kind", "parent", "named_on"]
    list_filter = ["kind"]
    name_display = localized_column("name", _("name"))
    list_select_related = ["parent"]
    search_fields = ["name_ko", "name_en", "abbreviation", "slug", "former_names__name_ko",
                     "former_names__name_en", "former_names__abbreviation"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [FormerNameInline, AgencyMembershipInline]
    change_form_template = "admin/tracker/agency/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.rename_view)
        return [path("<path:object_id>/rename/", view, name="tracker_agency_rename"),
                *super().get_urls()]

    def rename_view(self, request, object_id):
        """Record a rename: the agency keeps its tasks, history and memberships."""
        agency = self.get_object(request, unquote(object_id))
        if agency is None:
            raise Http404(_("No agency with that id."))
        if not self.has_change_permission(request, agency):
            raise PermissionDenied
        form = RenameForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                renamed = names.rename(agency, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = _("Renamed “%(old)s” to “%(new)s” from %(day)s.") % {
                    "old": agency, "new": renamed,
                    "day": date_format(form.cleaned_data["effective"], "SHORT_DATE_FORMAT")}
                self.log_change(request, renamed, message)
                messages.success(request, message)
                return HttpResponseRedirect(
                    reverse("admin:tracker_agency_change", args=[agency.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rename an agency"),
            "subtitle": str(agency),
            "agency": agency,
            "form": form,
        }
        return TemplateResponse(request, "admin/tracker/agency/rename.html", context)


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
