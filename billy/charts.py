"""Server-rendered SVG charts for the billy admin (no JavaScript, no chart library)."""

from __future__ import annotations

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 36


def _n(value: float) -> str:
    return f"{value:.1f}"


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^n that is >= value (at least 1), for the y axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def calls_per_day_svg(days: list[tuple[date, int, int]]) -> SafeString:
    """A bar per day: calls in blue, the errors among them in red; a tooltip gives the figures."""
    if not days:
        return mark_safe("")
    top = _nice_ceiling(max(calls for _, calls, _ in days))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)
    bar_w = max(slot * 0.7, 1)

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    bars = []
    for index, (day, calls, errors) in enumerate(days):
        x = LEFT + index * slot + (slot - bar_w) / 2
        bars.append(
            format_html(
                '<g class="day"><title>{}: {} calls, {} errors</title>'
                '<rect class="calls" x="{}" y="{}" width="{}" height="{}" fill="#417690"/>'
                '<rect class="errors" x="{}" y="{}" width="{}" height="{}" fill="#ba2121"/></g>',
                day.isoformat(),
                calls,
                errors,
                _n(x),
                _n(y(calls)),
                _n(bar_w),
                _n(TOP + plot_h - y(calls)),
                _n(x),
                _n(y(errors)),
                _n(bar_w),
                _n(TOP + plot_h - y(errors)),
            )
        )
    label_every = max(1, round(len(days) / 8))
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (_n(LEFT + index * slot + slot / 2), HEIGHT - BOTTOM + 16, day.strftime("%d %b"))
            for index, (day, _, _) in enumerate(days)
            if index % label_every == 0
        ),
    )
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        ((LEFT, WIDTH - RIGHT, _n(y(v)), _n(y(v)), LEFT - 6, _n(y(v)), v) for v in (0, top // 2, top)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="Calls per day" font-family="sans-serif" font-size="11">{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        grid,
        mark_safe("".join(bars)),  # each bar was built with format_html
        labels,
    )
