"""
Outcome indicators read year by year. Statistics are published preliminary and then revised
(the Bank of Korea first put the 2022 IPR trade balance at −$1.33B, later at −$1.11B), so a
year may have several figures: the last published is the one in force, and the pages say when
it revised an earlier one.
"""

from dataclasses import dataclass

from tracker.common.choices import FigureKind
from tracker.plans.models import Indicator, IndicatorValue


@dataclass(frozen=True)
class Figure:
    """An indicator's figure for one year: the one in force, and the first published one when
    it has been revised since."""

    year: int
    value: IndicatorValue  # in force: the last published
    first: IndicatorValue | None  # the first published, when a later figure revised it

    @property
    def revised(self):
        return self.first is not None

    @property
    def preliminary(self):
        return self.value.kind == FigureKind.PRELIMINARY


def figures(values):
    """Figures by year, earliest year first, from an indicator's values in their order (by
    year, then publication)."""
    by_year = {}
    for value in values:
        by_year.setdefault(value.year, []).append(value)
    return [Figure(year, published[-1], published[0] if len(published) > 1 else None)
            for year, published in sorted(by_year.items())]


def indicators_of(plan):
    """[(indicator, figures)] of a plan's indicators that have figures, by number: one query."""
    grouped = {}
    for value in IndicatorValue.objects.filter(indicator__plan=plan).select_related("indicator"):
        grouped.setdefault(value.indicator, []).append(value)
    return sorted(((indicator, figures(values)) for indicator, values in grouped.items()),
                  key=lambda item: item[0].number)


def latest_indicators():
    """The indicators of the latest plan that has any, with their figures: two queries."""
    plan_id = (Indicator.objects.order_by("-plan__year").values_list("plan_id", flat=True)
               .first())
    if plan_id is None:
        return []
    return indicators_of(plan_id)
