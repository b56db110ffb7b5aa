"""Small server-rendered SVG charts for the admin dashboard: no JavaScript, no chart library.

Each function returns safe SVG markup; every label is escaped.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_COLOUR = "#417690"  # the admin's own blue
EMPTY_COLOUR = "#ddd"


def filesize(value: float) -> str:
    return str(filesizeformat(value))


def number(value: float) -> str:
    return f"{value:,.0f}"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_label: Callable[[float], str] = number,
    width: int = 420,
) -> SafeString:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    row, label_width, value_width = 22, 80, 80
    bar_space = width - label_width - value_width
    height = row * len(items) + 28
    largest = max((value for _, value in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tekup-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = 24 + index * row
        bar = max(1.0, bar_space * value / largest) if value else 0
        shown = escape(value_label(value))
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{bar:.1f}" height="{row - 8}" fill="{BAR_COLOUR}">'
            f"<title>{escape(label)}: {shown}</title></rect>"
            f'<text x="{label_width + bar + 4:.1f}" y="{y + 14}" font-size="11">{shown}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped above


def column_chart(
    points: Sequence[tuple[datetime.datetime, float]], *, title: str, width: int = 420, height: int = 140
) -> SafeString:
    """Columns over time (one per point), labelled with the local hour every six columns."""
    top, bottom = 24, 18
    plot_height = height - top - bottom
    axis = top + plot_height
    column = width / max(len(points), 1)
    largest = max((value for _, value in points), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tekup-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<text x="{width}" y="14" font-size="11" text-anchor="end">max {number(largest)}</text>',
        f'<line x1="0" y1="{axis}" x2="{width}" y2="{axis}" stroke="{EMPTY_COLOUR}"/>',
    ]
    for index, (moment, value) in enumerate(points):
        x = index * column
        bar = plot_height * value / largest if largest else 0
        hour = timezone.localtime(moment).strftime("%H:%M") if timezone.is_aware(moment) else str(moment)
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_height - bar:.1f}" width="{max(column - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="{BAR_COLOUR}"><title>{escape(hour)}: {number(value)}</title></rect>'
        )
        if index % 6 == 0 and x + 30 <= width:
            parts.append(f'<text x="{x:.1f}" y="{height - 4}" font-size="10">{escape(hour)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped above
