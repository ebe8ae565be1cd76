"""The forms of the year-end results, evidence uploads, scores and grades."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

EVIDENCE_KINDS = _("PDF, HWP, HWPX, DOCX, XLSX, PPTX, PNG or JPEG")


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that takes several files (Django's documented recipe)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once, each checked as a FileField checks one; none is an empty list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, (list, tuple)):
            return [one(file, initial) for file in data]
        return [one(data, initial)] if data else []


def evidence_help():
    return _("%(kinds)s, at most %(limit)s MB each; checked by its content. You may choose "
             "several.") % {"kinds": EVIDENCE_KINDS, "limit": settings.KIPPLAN_EVIDENCE_MAX_MB}


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

    def __init__(self, data=None, files=None, *, indicators=(), **kwargs):
        super().__init__(data, files, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[f"actual_{indicator.pk}"] = forms.DecimalField(
                label=_("%(indicator)s: actual (%(unit)s)") % {
                    "indicator": indicator.name, "unit": indicator.unit},
                help_text=_("Target: %(target)s %(unit)s") % {
                    "target": f"{indicator.target.normalize():,f}", "unit": indicator.unit},
                required=False, min_value=0, max_digits=14, decimal_places=2)

        # New evidence files, sent with the text: nothing typed is lost to an upload.
        limit = settings.KIPPLAN_EVIDENCE_MAX_MB
        self.fields["files"] = MultipleFileField(
            label=_("Add evidence files"), required=False,
            allow_empty_file=True,  # the service says why an empty one is refused
            help_text=evidence_help(),
            widget=MultipleFileInput(attrs={
                "data-max-bytes": limit * 1024 * 1024,
                "data-too-large": _("“%(name)s” is %(size)s MB: files may be at most "
                                    "%(limit)s MB.") % {"name": "%(name)s", "size": "%(size)s",
                                                        "limit": limit},
                "accept": ".pdf,.hwp,.hwpx,.docx,.xlsx,.pptx,.png,.jpg,.jpeg"}))

    def actuals(self):
        return {indicator.pk: self.cleaned_data.get(f"actual_{indicator.pk}")
                for indicator in self.indicators}

    def files_added(self):
        return self.cleaned_data.get("files") or []


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




class InstitutionIndicatorForm(forms.Form):
    """One of a metropolitan government's own performance indicators, with its result."""

    name_ko = forms.CharField(label=_("Indicator"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=30)
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=14, decimal_places=2)
    actual = forms.DecimalField(label=_("Actual"), min_value=0, max_digits=14, decimal_places=2,
                                required=False)


InstitutionIndicatorFormSet = forms.formset_factory(
    InstitutionIndicatorForm, extra=2, can_delete=True, max_num=30, validate_max=True)
