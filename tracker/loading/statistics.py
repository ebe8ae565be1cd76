"""
The IP statistics of the annual report's trends, imported from a spreadsheet (CSV or XLSX): one
figure a row, in the columns ``COLUMNS``. A series is named by its number or its Korean or English
name and must exist (it is made in the admin, with its unit and source). A figure of a series,
year and publication day already kept is updated; any other is added. All or nothing: when any
row has a problem, every problem is listed and nothing is stored.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.common.choices import FigureKind
from tracker.common.spreadsheets import Unreadable, cell_text, read_rows
from tracker.loading.imports import Problem
from tracker.plans.models import Statistic, StatisticValue

COLUMNS = ["series", "year", "value", "kind", "published_on", "source_ko", "source_en",
           "note_ko", "note_en"]
REQUIRED = {"series", "year", "value"}
MAX_ROWS = 5000
NOTE_LENGTH = StatisticValue._meta.get_field("note_ko").max_length
# A number with thousands separated by commas or not, signed: -1,110 or 180.5.
NUMBER = re.compile(r"[-+−]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


class StatisticsImportError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class StatisticsImport:
    added: int
    updated: int


def kinds():
    """A figure's kind by its value or its label in either language, lowercased."""
    from django.utils import translation

    found = {}
    for value, label in FigureKind.choices:
        found[value] = value
        for language in ("ko", "en"):
            with translation.override(language):
                found[str(label).lower()] = value
    return found


def series_by_name():
    found = {}
    for statistic in Statistic.objects.all():
        for key in (str(statistic.number), statistic.name_ko, statistic.name_en):
            if key:
                found[key.strip().lower()] = statistic
    return found


def import_statistics(name, data) -> StatisticsImport:
    """Store the file's figures (see the module's docstring); StatisticsImportError lists
    every problem when there is any."""
    try:
        rows = read_rows(name, data, limit=MAX_ROWS + 1)
    except Unreadable as error:
        raise StatisticsImportError([Problem(str(error))]) from None
    if not rows:
        raise StatisticsImportError([Problem(_("The file is empty."))])
    _number, header_cells = rows[0]
    header = [cell_text(cell).lower() for cell in header_cells]
    problems = []
    missing = sorted(REQUIRED - set(header))
    if missing:
        problems.append(Problem(_("These columns are missing: %(columns)s.") % {
            "columns": ", ".join(missing)}))
    unknown = [column for column in header if column and column not in COLUMNS]
    if unknown:
        problems.append(Problem(_("These columns are not kipplan's: %(columns)s.") % {
            "columns": ", ".join(unknown)}))
    if problems:
        raise StatisticsImportError(problems)
    if len(rows) - 1 > MAX_ROWS:
        raise StatisticsImportError([Problem(_(
            "The file has more than %(count)s rows: split it.") % {"count": MAX_ROWS})])
    series, kind_of, day = series_by_name(), kinds(), forms.DateField()
    figures, seen = [], {}
    for number, cells in rows[1:]:
        raw = dict(zip(header, cells, strict=False))
        row = {column: cell_text(cell) for column, cell in raw.items()}

        def problem(column, message, number=number):
            problems.append(Problem(message, row=number, column=column))

        statistic = series.get(row.get("series", "").lower())
        if statistic is None:
            problem("series", _("“%(name)s” is not a series of IP statistics: add it in the "
                                "admin first, with its unit and source.") % {
                "name": row.get("series", "")})
        year = row.get("year", "")
        if not (year.isascii() and year.isdigit() and 1900 <= int(year) <= 2100):
            problem("year", _("Give the year as four digits, such as 2024."))
        text = row.get("value", "").replace(" ", "")
        value = None
        if NUMBER.fullmatch(text):
            try:
                value = Decimal(text.replace(",", "").replace("−", "-"))
            except InvalidOperation:  # pragma: no cover (the pattern allows none)
                value = None
        if value is None or abs(value) >= 10**12 or -value.as_tuple().exponent > 2:
            problem("value", _("Give the value as a number with at most two decimals, such "
                               "as -1,110 or 180.5."))
        kind = kind_of.get(row.get("kind", "").lower() or FigureKind.PRELIMINARY)
        if kind is None:
            problem("kind", _("The kind is one of: %(kinds)s.") % {
                "kinds": ", ".join(str(label) for _value, label in FigureKind.choices)})
        published_on = None
        if isinstance(raw.get("published_on"), datetime.datetime):  # an XLSX date cell
            published_on = raw["published_on"].date()
        elif isinstance(raw.get("published_on"), datetime.date):
            published_on = raw["published_on"]
        elif row.get("published_on"):
            try:
                published_on = day.clean(row["published_on"])
            except ValidationError:
                problem("published_on", _("Give the day it was published as 2024-03-20 or "
                                          "2024. 3. 20."))
        for column in ("note_ko", "note_en"):
            if len(row.get(column, "")) > NOTE_LENGTH:
                problem(column, _("A note is at most %(count)s characters.") % {
                    "count": NOTE_LENGTH})
        if statistic is not None and year.isdigit() and value is not None:
            key = (statistic.pk, int(year), published_on)
            if key in seen:
                problem(None, _("The same figure as row %(row)s (series, year and day "
                                "published).") % {"row": seen[key]})
            seen[key] = number
            figures.append((key, {"value": value, "kind": kind, **{
                column: row.get(column, "") for column in ("source_ko", "source_en", "note_ko",
                                                           "note_en")}}))
    if problems:
        raise StatisticsImportError(problems)
    added = updated = 0
    with transaction.atomic():
        for (statistic_id, year, published_on), fields in figures:
            _figure, created = StatisticValue.objects.update_or_create(
                statistic_id=statistic_id, year=year, published_on=published_on,
                defaults=fields)
            added, updated = added + created, updated + (not created)
    return StatisticsImport(added=added, updated=updated)
