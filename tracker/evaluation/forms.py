"""The forms of the year-end results, evidence uploads, scores and grades."""

from django import forms
from django.utils.translation import gettext_lazy as _


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

    def __init__(self, data=None, *, criteria=(), round_=None, **kwargs):
        super().__init__(data, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.DecimalField(
                label=_("%(criterion)s (weight %(weight)s)") % {
                    "criterion": criterion.name, "weight": criterion.weight},
                required=False, max_digits=6, decimal_places=2,
                min_value=round_.scale_min, max_value=round_.scale_max,
                help_text=_("From %(low)s to %(high)s.") % {
                    "low": f"{round_.scale_min.normalize():f}",
                    "high": f"{round_.scale_max.normalize():f}"})
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
        from tracker.evaluation.models import GradeLevel

        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "—"), *GradeLevel.choices]


