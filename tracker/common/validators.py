"""Rules that data from people and files must obey, shared by models, forms, services and the
import."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.common.choices import Status

# Rules shared by a task's current state and each report on it, in the database.
PROGRESS_RANGE = Q(progress__gte=0, progress__lte=100)
FINISHED_MEANS_FULL = ~Q(status__in=Status.finished()) | Q(progress=100)
PROGRESS_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]

# The years whose plans and dates kipplan takes from people and files: a date outside them is a
# typing mistake, and one near the calendar's ends cannot be moved a year or into UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(_("Give a year between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR, "last": LAST_YEAR}, code="out_of_range")


def check_day(day):
    """A date (or the date of a time, as written) within the years above."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(_("Choose a date between %(first)s and %(last)s.") % {
            "first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31"}, code="out_of_range")


def check_finished_means_full(status, progress):
    if status in Status.finished() and progress != 100:
        raise ValidationError(
            {"progress": _("A completed task must be at 100%% progress, not %(progress)s%%.")
             % {"progress": progress}}
        )


class RowErrors(ValidationError):
    """An all-or-nothing write of several rows (grades, budget advice) was refused, and nothing
    was saved. ``rows`` maps each refused row's key (its form's prefix) to what refused it: a
    ValidationError, or a StaleEdit where the row changed after the user opened it."""

    def __init__(self, rows: dict):
        self.rows = rows
        super().__init__(_("Nothing was saved: correct the rows marked below."))
