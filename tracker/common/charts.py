"""
Bar charts drawn as SVG on the server: no script, printable, and each is shown beside a table
of the same figures (the chart is an image with a title; the table is what screen readers
read). This module only does the geometry; templates/tracker/_bar_chart.html draws it.
"""

from dataclasses import dataclass, field

WIDTH = 600
HEIGHT = 240
TOP = 24  # room above the bars for their values
BOTTOM = 40  # room below for the labels (and the values of bars that go down)
MAX_BAR = 72


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as written on the bar
    x: float
    y: float
    width: float
    height: float
    series: int = 0  # which of a grouped chart's series (its colour)
    marked: bool = False  # drawn differently (a headline figure, a preliminary value)

    @property
    def centre(self):
        return self.x + self.width / 2

    @property
    def text_y(self):
        """Where the value is written: above a bar, or below one that goes down."""
        return self.y - 4 if self.value >= 0 else self.y + self.height + 12


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    baseline: float  # the y of zero
    width: int = WIDTH
    height: int = HEIGHT
    target: float | None = None  # the y of a target line, if any
    target_text: str = ""
    groups: list[tuple[str, float]] = field(default_factory=list)  # label and its centre x

    @property
    def label_y(self):
        return self.height - 6


def bar_chart(title, groups, *, target=None, target_text=""):
    """A chart of ``groups``: [(label, [(value, text, marked), ...])], one bar per value, the
    values of a group side by side; values may be negative (the baseline moves up) or None (no
    bar). ``target`` draws a horizontal line at that value."""
    values = [v for _, bars in groups for v, _, _ in bars if v is not None]
    if target is not None:
        values.append(target)
    top, bottom = max([0, *values]), min([0, *values])
    span = (top - bottom) or 1
    plot = HEIGHT - TOP - BOTTOM

    def y_of(value):
        return TOP + (top - value) / span * plot

    per_group = max((len(bars) for _, bars in groups), default=1)
    group_width = WIDTH / max(len(groups), 1)
    bar_width = min(group_width * 0.7 / per_group, MAX_BAR)
    baseline = y_of(0)
    bars, centres = [], []
    for index, (label, values_of_group) in enumerate(groups):
        left = index * group_width + (group_width - bar_width * per_group) / 2
        centres.append((label, index * group_width + group_width / 2))
        for series, (value, text, marked) in enumerate(values_of_group):
            if value is None:
                continue
            y = y_of(max(value, 0))
            bars.append(Bar(label=label, value=value, text=text, x=left + series * bar_width,
                            y=y, width=bar_width, height=abs(y_of(value) - baseline),
                            series=series, marked=marked))
    return Chart(title=title, bars=bars, baseline=baseline,
                 target=None if target is None else y_of(target), target_text=target_text,
                 groups=centres)
