"""Traffic-light badges, the same on the pages and in the admin: the label carries the meaning,
the colour only adds to it."""

from django.utils.html import format_html

from .models import ReviewLight, Status


def status_badge(status):
    """An agency's status as a badge in its traffic-light colour."""
    status = Status(status)
    return format_html('<span class="status status-{}">{}</span>', status.light, status.label)


def review_badge(light):
    """A plan manager's review light as a badge."""
    light = ReviewLight(light)
    return format_html('<span class="status status-{}">{}</span>', light, light.label)
