"""Draw downloads per day as an SVG bar chart on the server: no script, no library."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 180
PADDING = 24


def daily_bars(by_day: Mapping[date, int], *, last_day: date, days: int = 30) -> Markup:
    """Return an SVG chart of the ``days`` days up to ``last_day``; missing days count 0."""
    span = [last_day - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    values = [by_day.get(day, 0) for day in span]
    peak = max(values, default=0) or 1
    slot = (WIDTH - 2 * PADDING) / days
    plot_height = HEIGHT - 2 * PADDING
    bars = []
    for index, (day, value) in enumerate(zip(span, values, strict=True)):
        height = plot_height * value / peak
        x = PADDING + index * slot
        y = PADDING + plot_height - height
        label = escape(f"{day:%Y-%m-%d}: {value} downloads")
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{label}</title></rect>'
        )
    first, last = escape(f"{span[0]:%b %d}"), escape(f"{span[-1]:%b %d}")
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Downloads per day, {first} to {last}; peak {peak}">'
        f'<text x="{PADDING}" y="16">{peak}</text>'
        f'<line x1="{PADDING}" y1="{HEIGHT - PADDING}" x2="{WIDTH - PADDING}" '
        f'y2="{HEIGHT - PADDING}" />'
        + "".join(bars)
        + f'<text x="{PADDING}" y="{HEIGHT - 6}">{first}</text>'
        f'<text x="{WIDTH - PADDING}" y="{HEIGHT - 6}" text-anchor="end">{last}</text></svg>'
    )
