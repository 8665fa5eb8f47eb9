"""Bar charts drawn on the server as SVG: no script, no CDN, nothing the CSP blocks.

The chart is a picture of a table printed next to it; the table stays the accessible source of
truth, and the SVG says what it shows in its <title> and <desc> for screen readers.
"""

from __future__ import annotations

import uuid

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 720
LABEL_WIDTH = 230
VALUE_WIDTH = 70
BAR_HEIGHT = 18
ROW_HEIGHT = 26
TOP = 8
MAX_LABEL_CHARACTERS = 34
BAR_FILL = "#417690"  # the admin's own blue, readable on light and dark themes
TEXT_FILL = "currentColor"


def _short(label: str) -> str:
    if len(label) <= MAX_LABEL_CHARACTERS:
        return label
    return label[: MAX_LABEL_CHARACTERS - 1] + "…"


def bar_chart_svg(*, title: str, rows: list[tuple[str, int]], max_bars: int = 20) -> SafeString:
    """A horizontal bar chart of (label, value) rows, the first `max_bars` of them, in order.

    Every label and figure is escaped; the <desc> lists all the figures drawn.
    """
    shown = list(rows[:max_bars])
    hidden = len(rows) - len(shown)
    chart_id = f"chart-{uuid.uuid4().hex[:10]}"
    largest = max((value for _label, value in shown), default=0) or 1
    bar_space = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP * 2 + ROW_HEIGHT * max(len(shown), 1)

    figures = "; ".join(f"{label}: {value}" for label, value in shown)
    if not shown:
        figures = _("No data.")
    elif hidden:
        figures += " " + _("(and %(count)s more in the table)") % {"count": hidden}

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="sans-serif" '
        f'font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(figures)}</desc>',
    ]
    for index, (label, value) in enumerate(shown):
        y = TOP + index * ROW_HEIGHT
        bar = round(bar_space * value / largest) if value > 0 else 0
        text_y = y + BAR_HEIGHT / 2 + 4.5
        parts.append(
            '<g aria-hidden="true">'
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" fill="{TEXT_FILL}">'
            f"{escape(_short(str(label)))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(bar, 1 if value else 0)}" '
            f'height="{BAR_HEIGHT}" fill="{BAR_FILL}"></rect>'
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{text_y}" fill="{TEXT_FILL}">'
            f"{escape(value)}</text>"
            "</g>"
        )
    if not shown:
        parts.append(
            f'<text x="{LABEL_WIDTH}" y="{TOP + BAR_HEIGHT / 2 + 4.5}" fill="{TEXT_FILL}">'
            f"{escape(figures)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
