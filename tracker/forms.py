from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Milestone, ProgressUpdate, ReviewAssessment
from .services import validate_milestone_change
from .validators import FIRST_YEAR, LAST_YEAR, check_day


class ProgressReportForm(forms.ModelForm):
    """A progress report on a task. The service checks the rules and saves it."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ProgressUpdate
        fields = ["status", "progress", "budget_executed", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "note": _(
                "Required when the task needs attention, is delayed or suspended, when progress "
                "goes back, when spending exceeds the budget, or when a closed task reopens."
            ),
            "budget_executed": _("In won, the total executed to date."),
        }

    def __init__(self, *args, task, **kwargs):
        kwargs.setdefault("initial", {
            "status": task.status, "progress": task.progress,
            "budget_executed": task.budget_executed, "version": task.version,
        })
        super().__init__(*args, **kwargs)
        self.fields["progress"].widget.attrs.update(min=0, max=100)
        self.fields["budget_executed"].widget.attrs.update(min=0)

    def _post_clean(self):
        # The service validates the whole report against the task; skip the model's own pass.
        pass


class ContributionForm(forms.Form):
    note = forms.CharField(
        label=_("Contribution note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What your agency contributed. This does not change the task's status."),
    )


class ReviewForm(forms.ModelForm):
    class Meta:
        model = ReviewAssessment
        fields = ["light", "comment"]
        widgets = {"light": forms.RadioSelect, "comment": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"comment": _("Required for amber and red.")}


class MilestoneForm(forms.ModelForm):
    """The admin's milestone form. Changing an existing milestone goes through the service."""

    reason = forms.CharField(
        label=_("Reason for moving the due date"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the current due date changes; kept in the history."),
    )

    class Meta:
        model = Milestone
        fields = [
            "task", "title_ko", "title_en", "baseline_date", "due_date", "completed_on",
            "is_illustrative",
        ]

    def clean(self):
        cleaned = super().clean()
        due_date = cleaned.get("due_date")
        if self.instance.pk and due_date:
            # self.instance still holds the stored values here.
            validate_milestone_change(
                milestone=self.instance, due_date=due_date,
                completed_on=cleaned.get("completed_on"), reason=cleaned.get("reason", ""),
            )
        return cleaned


class DayInput(forms.DateInput):
    """A browser date picker. A value that is not a date (as typed into the URL) is left out, as
    the browser would drop it anyway and HTML allows only a valid date there."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value):
        value = super().format_value(value)
        try:
            return value if date.fromisoformat(value).isoformat() == value else None
        except (TypeError, ValueError):
            return None


class AsOfForm(forms.Form):
    """?as_of=YYYY-MM-DD: show the plan as it stood at the end of that day."""

    as_of = forms.DateField(
        label=_("As of"), required=False, input_formats=["%Y-%m-%d"],
        widget=DayInput,
        help_text=_("Show each task's status at the end of this day, from its reports."),
    )

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day:
            check_day(day)
        return day


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
