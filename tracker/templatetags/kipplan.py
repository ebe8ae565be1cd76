"""Display helpers for kipplan's pages: money, statuses, percentages."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from tracker.models import ReviewLight, Status
from tracker.money import format_usd, format_won

register = template.Library()


@register.filter
def won(amount):
    """An amount in won as 억원 (Korean) or billions of won (English)."""
    return format_won(amount)


@register.simple_tag
def usd(amount, plan):
    """An amount in won as US dollars at the plan's reference rate."""
    return format_usd(amount, plan.won_per_usd)


@register.filter
def day(moment):
    """A time as its date in the active time zone, YYYY-MM-DD; '' for none. Cheaper than the
    date filter in long tables."""
    if moment is None:
        return ""
    return timezone.localdate(moment).isoformat()


@register.filter
def status_badge(status):
    status = Status(status)
    return format_html('<span class="status status-{}">{}</span>', status.light, status.label)


@register.filter
def status_label(status):
    return Status(status).label


@register.filter
def percent_of(part, whole):
    """part as a whole-number percentage of whole; 0 when whole is empty."""
    if not whole:
        return 0
    return round(100 * (part or 0) / whole)


@register.filter
def review_label(light):
    return ReviewLight(light).label if light in ReviewLight.values else "—"
