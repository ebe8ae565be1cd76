import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from . import money
from .models import Milestone, ProgressUpdate, ReviewAssessment
from .money import format_won
from .services import validate_milestone_change
from .validators import FIRST_YEAR, LAST_YEAR, check_day

# The units an amount of money is typed in, with what one of each is worth in won.
UNITS = {"eok": 10**8, "million": 10**6, "won": 1}
UNIT_CHOICES = [("eok", _("억원 (100 million won)")), ("million", _("백만원 (million won)")),
                ("won", _("won"))]
MAX_WON = 10**18


def amount_in_unit(won):
    """An amount of won as people write it: (text with separators, unit), in 억원 from one 억
    when that takes at most two decimals, in 백만원 when whole, in won otherwise."""
    for unit, places in (("eok", 2), ("million", 0)):
        if won >= UNITS[unit] and won % (UNITS[unit] // 10**places) == 0:
            return f"{(Decimal(won) / UNITS[unit]).normalize():,f}", unit
    return f"{won:,}", "won"


class AmountField(forms.CharField):
    """A non-negative amount typed with or without thousands separators, decimals allowed:
    "1,980.7". The form turns it into won with its unit."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        text = super().to_python(value).replace(",", "").replace(" ", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Write an amount such as 1,980.7."),
                                        code="invalid") from None
        if not amount.is_finite() or amount < 0:
            raise forms.ValidationError(_("Write an amount of zero or more."), code="invalid")
        return amount


class ProgressReportForm(forms.ModelForm):
    """A progress report on a task. The budget executed is typed in won, 백만원 or 억원, beside
    the task's budget and the last report's amount; the service checks the rules and saves."""

    budget_executed = AmountField(label=_("Budget executed (total to date)"))
    budget_unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, required=False,
                                    help_text=_("Without a unit, the amount is in won."))
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ProgressUpdate
        fields = ["status", "progress", "budget_executed", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "note": _(
                "Required when the task needs attention, is delayed or suspended, when progress "
                "goes back, when spending exceeds the budget or jumps to ten times the last "
                "report, or when a closed task reopens."
            ),
        }

    field_order = ["status", "progress", "budget_executed", "budget_unit", "note"]

    class Media:
        js = ["tracker/amount-preview.js"]

    def __init__(self, *args, task, **kwargs):
        amount, unit = amount_in_unit(task.budget_executed)
        kwargs.setdefault("initial", {
            "status": task.status, "progress": task.progress, "budget_executed": amount,
            "budget_unit": unit, "version": task.version,
        })
        super().__init__(*args, **kwargs)
        self.task = task
        self.fields["progress"].widget.attrs.update(min=0, max=100)
        self.fields["budget_executed"].help_text = self.budget_line(task.budget_executed, _(
            "The task's budget is %(budget)s; the last report had %(executed)s executed "
            "(%(share)s%%)."))
        # For the live preview (amount-preview.js): what the typed amount comes to, as it types.
        amount_format, scale = money.amount_format()
        self.fields["budget_executed"].widget.attrs.update({
            "data-budget": task.budget, "data-units": json.dumps(UNITS),
            "data-amount-format": amount_format, "data-scale": scale,
            "data-preview": _("This report: %(executed)s executed (%(share)s%% of the budget)"),
        })

    def budget_line(self, won, text):
        budget = self.task.budget
        return text % {"budget": format_won(budget), "executed": format_won(won),
                       "share": won * 100 // budget if budget else 0}

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("budget_executed")
        if amount is None:
            return cleaned
        won = amount * UNITS[cleaned.get("budget_unit") or "won"]
        if won > MAX_WON:
            self.add_error("budget_executed", _("That amount is far larger than any budget."))
            return cleaned
        if won != won.to_integral_value():
            self.add_error("budget_executed", _(
                "That is not a whole number of won in this unit; check the decimals."))
            return cleaned
        cleaned["budget_executed"] = int(won)
        # Said beside the field when the form comes back, so the amount can be checked (on
        # the bound field, which copied the field's help text when it was made).
        self["budget_executed"].help_text = self.budget_line(int(won), _(
            "The task's budget is %(budget)s; this report says %(executed)s executed "
            "(%(share)s%%)."))
        return cleaned

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


# -- The year-end evaluation ---------------------------------------------------------------------

class ResultForm(forms.Form):
    """A task's year-end results, with one field for the actual value of each of its performance
    indicators (``actual_<id>``); the service checks the rules and saves."""

    achievements = forms.CharField(label=_("Main achievements"), widget=forms.Textarea,
                                   required=False, max_length=20000)
    problems = forms.CharField(label=_("Problems"), widget=forms.Textarea(attrs={"rows": 4}),
                               required=False, max_length=20000)
    next_steps = forms.CharField(label=_("Next steps"), widget=forms.Textarea(attrs={"rows": 4}),
                                 required=False, max_length=20000)
    summary_public = forms.CharField(
        label=_("Public summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=2000,
        help_text=_("Shown on the published pages once the Council has approved the grades."))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, indicators=(), **kwargs):
        super().__init__(data, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[f"actual_{indicator.pk}"] = forms.DecimalField(
                label=_("%(indicator)s: actual (%(unit)s)") % {
                    "indicator": indicator.name, "unit": indicator.unit},
                help_text=_("Target: %(target)s %(unit)s") % {
                    "target": f"{indicator.target.normalize():,f}", "unit": indicator.unit},
                required=False, min_value=0, max_digits=14, decimal_places=2)

    def actuals(self):
        return {indicator.pk: self.cleaned_data.get(f"actual_{indicator.pk}")
                for indicator in self.indicators}


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Evidence file"), allow_empty_file=True,  # the service says why an empty one
        help_text=_("PDF, HWP, HWPX, DOCX, XLSX, PPTX, PNG or JPEG; checked by its content."))


class ScoreForm(forms.Form):
    """An evaluator's scores of the criteria that apply to their unit (``criterion_<id>``) and
    their comment, from the version they opened."""

    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False, max_length=5000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, criteria=(), round=None, **kwargs):
        super().__init__(data, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.DecimalField(
                label=_("%(criterion)s (weight %(weight)s)") % {
                    "criterion": criterion.name, "weight": criterion.weight},
                required=False, max_digits=6, decimal_places=2,
                min_value=round.scale_min, max_value=round.scale_max,
                help_text=_("From %(low)s to %(high)s.") % {
                    "low": f"{round.scale_min.normalize():f}",
                    "high": f"{round.scale_max.normalize():f}"})
        # The comment last, after the scores.
        self.order_fields([name for name in self.fields if name.startswith("criterion_")]
                          + ["comment", "version"])

    def values(self):
        return {criterion.pk: self.cleaned_data.get(f"criterion_{criterion.pk}")
                for criterion in self.criteria}


class GradeForm(forms.Form):
    """A unit's final grade on the round's grades page."""

    grade = forms.ChoiceField(label=_("Grade"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from .models import GradeLevel

        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "—"), *GradeLevel.choices]
