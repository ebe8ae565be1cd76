"""
Agencies' names over time. An agency keeps its identity (slug, tasks, history, memberships) when
it is renamed: its current name is on the agency, with the day it took effect (``named_on``),
and each earlier name is an ``AgencyName`` in force until its last day (``used_until``).

A plan speaks of its agencies by the names in force on its day (``name_day``): the day the
Council endorsed it, or 1 January of its year. So the 2024 plan says 특허청 and a 2026 plan says
지식재산처 of the same agency. ``AgencyNames`` reads the names in force on a day in one query,
for a whole page; ``rename`` is the one way a rename is recorded.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from tracker.common.validators import check_day
from tracker.plans.models import Agency, AgencyName


def name_day(plan):
    """The day whose agency names a plan uses: its endorsement, or 1 January of its year."""
    return plan.endorsed_on or datetime.date(plan.year, 1, 1)


class AgencyNames:
    """The names agencies had on one day: ``of(agency)`` is the agency itself when its
    current name was in force, or the former name that was. One query, on first use."""

    def __init__(self, day):
        self.day = day

    @cached_property
    def former(self):
        # The name in force on the day is the first one to end on or after it.
        names = {}
        for name in AgencyName.objects.filter(used_until__gte=self.day).order_by(
                "agency_id", "-used_until"):
            names[name.agency_id] = name  # the earliest-ending one is written last
        return names

    def of(self, agency):
        return self.former.get(agency.pk, agency)


def name_in_force(agency_field, day, field="name_ko"):
    """An expression for ``field`` of the name in force on ``day`` of the agency that
    ``agency_field`` points to (None: the agency of the row itself), for a query to read the
    names with its rows."""
    former = AgencyName.objects.filter(agency=OuterRef(agency_field or "pk"),
                                       used_until__gte=day)
    return Coalesce(Subquery(former.order_by("used_until").values(field)[:1]),
                    F(f"{agency_field}__{field}" if agency_field else field))


def name_in_its_plans_year(agency_field, plan_field="plan", field="name_ko"):
    """Like ``name_in_force``, for rows of several plans: the name in force on the day of each
    row's own plan (its endorsement, or else 1 January of its year)."""
    former = AgencyName.objects.filter(agency=OuterRef(agency_field))

    def first(names):
        return Subquery(names.order_by("used_until").values(field)[:1])

    by_endorsement = first(former.filter(used_until__gte=OuterRef(f"{plan_field}__endorsed_on")))
    by_year = first(former.filter(used_until__year__gte=OuterRef(f"{plan_field}__year")))
    return Coalesce(
        Case(When(**{f"{plan_field}__endorsed_on__isnull": False}, then=by_endorsement),
             default=by_year),
        F(f"{agency_field}__{field}"))


def names_for(plan):
    """The agency names of a plan's day, read once for the plan object (a page's plan)."""
    if "_agency_names" not in plan.__dict__:
        plan.__dict__["_agency_names"] = AgencyNames(name_day(plan))
    return plan.__dict__["_agency_names"]


def history(agency):
    """The agency's names, earliest first: [(name, from day or None, until day or None)]."""
    former = list(agency.former_names.order_by("used_until"))
    periods, start = [], None
    for name in former:
        periods.append((name, start, name.used_until))
        start = name.used_until + datetime.timedelta(days=1)
    periods.append((agency, agency.named_on or start, None))
    return periods


def name_on(agency, day, former):
    """The agency's name in force on ``day`` (the agency itself, or a former name), given its
    former names."""
    ending = [name for name in former if name.used_until >= day]
    return min(ending, key=lambda name: name.used_until) if ending else agency


def check_former_names(agency, names):
    """Refuse former names that would give the agency two names on one day: each ends on its
    own day, before the current name took effect."""
    days = [name.used_until for name in names if name.used_until is not None]
    if len(days) != len(set(days)):
        raise ValidationError(_("Two former names end on the same day: each day has one name."))
    if agency.named_on and any(day >= agency.named_on for day in days):
        raise ValidationError(_(
            "A former name must end before the current name took effect (%(day)s).")
            % {"day": date_format(agency.named_on, "SHORT_DATE_FORMAT")})


def rename(agency, *, name_ko, name_en="", abbreviation="", effective, source_note=""):
    """Give the agency a new name from ``effective``: its current name becomes a former name
    in force until the day before. Its tasks, history and memberships stay as they are."""
    check_day(effective)
    with transaction.atomic():
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        last = agency.former_names.order_by("-used_until").values_list(
            "used_until", flat=True).first()
        latest = max(day for day in (agency.named_on, last and last + datetime.timedelta(days=1))
                     if day) if (agency.named_on or last) else None
        if latest and effective <= latest:
            raise ValidationError(_(
                "A rename takes effect after the previous one (%(day)s).")
                % {"day": date_format(latest, "SHORT_DATE_FORMAT")})
        if not name_ko.strip():
            raise ValidationError(_("The new Korean name is required."))
        AgencyName.objects.create(
            agency=agency, name_ko=agency.name_ko, name_en=agency.name_en,
            abbreviation=agency.abbreviation,
            used_until=effective - datetime.timedelta(days=1), source_note=source_note)
        agency.name_ko, agency.name_en, agency.abbreviation = name_ko.strip(), name_en, abbreviation
        agency.named_on = effective
        agency.save(update_fields=["name_ko", "name_en", "abbreviation", "named_on"])
    return agency
