"""Display helpers for kipplan's pages: money, statuses, percentages."""

from django import template

from tracker.common import badges
from tracker.common.choices import ReviewLight
from tracker.common.money import format_millions, format_usd, format_won
from tracker.plans.agency_names import names_for

register = template.Library()


@register.filter
def won(amount):
    """An amount in won as 억원 (Korean) or billions of won (English)."""
    return format_won(amount)


@register.filter
def millions(amount):
    """An amount in won as a number of millions (백만원), for tables that state that unit."""
    return format_millions(amount)


@register.simple_tag
def usd(amount, plan):
    """An amount in won as US dollars at the plan's reference rate."""
    return format_usd(amount, plan.won_per_usd)


@register.filter
def named(agency, plan):
    """The agency as ``plan`` names it, with its abbreviation: the name in force on the plan's
    day (특허청 in the 2024 plan, 지식재산처 in 2026's)."""
    return str(names_for(plan).of(agency))


@register.filter
def name_in(agency, plan):
    """The agency's name alone, as ``plan`` names it."""
    return names_for(plan).of(agency).name


@register.filter
def status_badge(status):
    return badges.status_badge(status)


@register.filter
def review_badge(light):
    return badges.review_badge(light) if light in ReviewLight.values else "—"


@register.filter
def percent_of(part, whole):
    """part as a whole-number percentage of whole; 0 when whole is empty."""
    if not whole:
        return 0
    return round(100 * (part or 0) / whole)
