"""Traffic-light badges, the same on the pages and in the admin: the label carries the meaning,
the colour only adds to it."""

from django.utils.html import format_html

from tracker.common.choices import ReviewLight, Status, TrafficLight


def status_badge(status):
    """An agency's status as a badge in its traffic-light colour."""
    status = Status(status)
    return format_html('<span class="status status-{}">{}</span>', status.light, status.label)


def review_badge(light, short=False):
    """A plan manager's review light as a badge; ``short`` for narrow columns: the colour's name
    alone (녹색), the whole label on hover."""
    light = ReviewLight(light)
    if short:
        return format_html('<span class="status status-{}" title="{}">{}</span>', light,
                           light.label, TrafficLight(light).label)
    return format_html('<span class="status status-{}">{}</span>', light, light.label)
