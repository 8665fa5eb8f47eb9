"""A map of the countries reached, drawn on the server as SVG from the world outline the
project ships (`data/world-110m.json`, see `data/make_world_outline.py`): no tiles, no script,
no request to another host, nothing the CSP blocks.

The map is a picture of the table printed beside it, which stays the accessible source: the
SVG says what it shows in its <title> and <desc>, each country's figure is in its own <title>
(a tooltip), and the legend says what each shade means.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_countries import countries

OUTLINE = Path(__file__).parent / "data" / "world-110m.json"
NONE_FILL = "#d9dee3"
# Light to dark: readable as steps by people who do not tell blues apart.
SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
LEGEND_HEIGHT = 34


@cache
def world_outline() -> dict:
    with OUTLINE.open(encoding="utf-8") as source:
        return json.load(source)


def _steps(largest: int) -> list[int]:
    """The upper bound of each shade: five equal steps up to the largest figure (fewer when the
    figures are small)."""
    bounds = sorted({max(1, round(largest * share / len(SHADES))) for share in range(1, 6)})
    bounds[-1] = largest
    return bounds


def world_map_svg(*, title: str, values: dict[str, int], measure: str) -> SafeString:
    """The countries shaded by their figure (ISO alpha-2 code -> number); countries without one
    in grey. Every label and figure is escaped."""
    outline = world_outline()
    shapes = outline["countries"]
    reached = {code: value for code, value in values.items() if code and value}
    steps = _steps(max(reached.values(), default=1))
    chart_id = f"map-{uuid.uuid4().hex[:10]}"
    _x, _y, width, height = (int(part) for part in outline["viewBox"].split())
    drawn = sum(1 for code in reached if code in shapes)
    description = _(
        "%(reached)d countries reached, %(drawn)d of them drawn; darker is more %(measure)s. "
        "The table lists every country with its figures."
    ) % {"reached": len(reached), "drawn": drawn, "measure": measure}

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-map-svg" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height + LEGEND_HEIGHT}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        '<g aria-hidden="true" stroke="#ffffff" stroke-width="0.3">',
    ]
    for code, path in shapes.items():
        value = reached.get(code)
        fill = NONE_FILL if not value else SHADES[_shade(value, steps)]
        label = f"{countries.name(code) or code}: {value or 0}"
        parts.append(f'<path d="{path}" fill="{fill}"><title>{escape(label)}</title></path>')
    parts.append("</g>")
    parts.append(_legend(steps, top=height + 8, measure=measure))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def _shade(value: int, steps: list[int]) -> int:
    index = next((i for i, bound in enumerate(steps) if value <= bound), len(steps) - 1)
    # Fewer steps than shades: spread them over the darker end, so the largest is the darkest.
    return index + len(SHADES) - len(steps)


def _legend(steps: list[int], *, top: float, measure: str) -> str:
    items = [(NONE_FILL, "0")]
    lower = 1
    for index, bound in enumerate(steps):
        label = str(bound) if bound == lower else f"{lower}–{bound}"
        items.append((SHADES[index + len(SHADES) - len(steps)], label))
        lower = bound + 1
    parts = [
        '<g aria-hidden="true">',
        f'<text x="0" y="{top + 11}" fill="currentColor">{escape(measure)}:</text>',
    ]
    x = 8 * (len(measure) + 2)
    for fill, label in items:
        parts.append(
            f'<rect x="{x}" y="{top + 1}" width="14" height="12" fill="{fill}" '
            f'stroke="currentColor" stroke-width="0.3"></rect>'
            f'<text x="{x + 18}" y="{top + 11}" fill="currentColor">{escape(label)}</text>'
        )
        x += 26 + 7 * len(label)
    parts.append("</g>")
    return "".join(parts)
