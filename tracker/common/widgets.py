
from datetime import date
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe


def options_html(choices):
    """<option> elements for (value, label) pairs, escaped with the standard library."""
    return "".join(
        f'<option value="{escape(str(value))}">{escape(str(label))}</option>'
        for value, label in choices
    )


class FastSelect(forms.Select):
    """A <select> of one choice, rendered in Python. Django renders a template per option, which
    for the hundreds of agencies in a plan costs more than the rest of the page. Selects offering
    the same choices can share one ``options`` string, built once (see options_html)."""

    def __init__(self, attrs=None, choices=(), options=None):
        super().__init__(attrs, choices)
        self.options = options

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = self.options if self.options is not None else options_html(self.choices)
        if value not in (None, ""):
            chosen = f'value="{escape(str(value))}"'
            options = options.replace(f"{chosen}>", f"{chosen} selected>", 1)
        return mark_safe(f"<select{flatatt(attrs)}>{options}</select>")  # escaped above


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


