"""The plan import's form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.common.validators import FIRST_YEAR, LAST_YEAR


class PlanImportForm(forms.Form):
    """A plan's tasks as a spreadsheet, for the admin's import page."""

    MAX_SIZE = 20 * 2**20

    year = forms.IntegerField(label=_("Plan year"), min_value=FIRST_YEAR, max_value=LAST_YEAR,
                              help_text=_("A year without a plan gets one, with the "
                                          "strategies of the latest earlier plan."))
    file = forms.FileField(label=_("File"), help_text=_(
        "CSV (UTF-8) or XLSX in the columns of the task list's export."))
    total = forms.IntegerField(label=_("Total budget (won)"), min_value=0, required=False,
                               help_text=_("If given, the tasks' budgets must add up to it."))
    dry_run = forms.BooleanField(label=_("Only check the file"), required=False,
                                 help_text=_("Report problems without storing anything."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload




class StatisticsImportForm(forms.Form):
    """IP statistics' figures as a spreadsheet, for the admin's import page."""

    MAX_SIZE = 5 * 2**20

    file = forms.FileField(label=_("File"), help_text=_(
        "CSV (UTF-8) or XLSX: series, year, value, and optionally kind, published_on, "
        "source_ko, source_en, note_ko, note_en."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError(_("The file is larger than %(size)s MB.") % {
                "size": self.MAX_SIZE // 2**20})
        return upload
