
import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.common import money
from tracker.common.money import format_won
from tracker.common.validators import check_day
from tracker.common.widgets import DayInput
from tracker.progress.models import Milestone, ProgressUpdate, ReviewAssessment
from tracker.progress.services import validate_milestone_change

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


# -- The year-end evaluation ---------------------------------------------------------------------


