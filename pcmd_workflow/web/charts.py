"""Charts drawn on the server as inline SVG: no script, no external library, readable offline.

Each chart carries a ``<title>`` and a ``<desc>`` (``role="img"``) and every bar or point its
own ``<title>``, so a screen reader gets the figures; every text is escaped. Colours come
from classes styled in ``static/pcmd.css`` (with ``fill`` attributes as a fallback).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from pcmd_workflow.web.board import Counts

__all__ = ["rate_by_unit_svg", "rate_over_time_svg"]

_WIDTH = 680


def _pct(counts: Counts) -> float:
    return 0.0 if counts.rate is None else counts.rate * 100


def _fmt(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _band(value: float) -> tuple[str, str]:
    if value >= 90:
        return "bar-good", "#1b7f3b"
    if value >= 70:
        return "bar-mid", "#b36b00"
    return "bar-bad", "#b3261e"


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def rate_by_unit_svg(items: Sequence[tuple[str, Counts]], *, title: str) -> Markup:
    """Horizontal bars: the timeliness rate of each unit (lowest first)."""
    if not items:
        return Markup('<p class="empty">Chưa có báo cáo nào đến hạn để tính tỷ lệ.</p>')
    row, top, label_w = 24, 8, 270
    bar_w = _WIDTH - label_w - 70
    height = top + row * len(items) + 24
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="c-unit-t c-unit-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="c-unit-t">{escape(title)}</title>',
        f'<desc id="c-unit-d">Tỷ lệ báo cáo nộp đúng hạn của {len(items)} đơn vị, '
        "thấp nhất ở trên cùng.</desc>",
    ]
    for i, (label, counts) in enumerate(items):
        y = top + i * row
        value = _pct(counts)
        css, colour = _band(value)
        width = max(1.0, bar_w * value / 100)
        tip = (
            f"{label}: {_fmt(value)}% đúng hạn ({counts.on_time}/{counts.due}; muộn "
            f"{counts.late}, quá hạn {counts.overdue})"
        )
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" class="chart-label">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" '
            f'class="{css}" fill="{colour}"></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 16}" class="chart-value">'
            f"{_fmt(value)}%</text></g>"
        )
    axis_y = top + row * len(items) + 4
    for tick in (0, 50, 100):
        x = label_w + bar_w * tick / 100
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" class="chart-axis">'
            f"{tick}%</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_over_time_svg(points: Sequence[tuple[str, Counts]], *, title: str) -> Markup:
    """A line: the timeliness rate per month of the due date."""
    if not points:
        return Markup('<p class="empty">Chưa có báo cáo nào đến hạn để vẽ diễn biến.</p>')
    height, left, right, top, bottom = 260, 48, 16, 12, 40
    plot_w = _WIDTH - left - right
    plot_h = height - top - bottom
    n = len(points)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="c-time-t c-time-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="c-time-t">{escape(title)}</title>',
        f'<desc id="c-time-d">Tỷ lệ nộp đúng hạn theo tháng đến hạn, {n} tháng, từ '
        f"{escape(points[0][0])} đến {escape(points[-1][0])}.</desc>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{_WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid" stroke="#ccc"></line>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
            f"{tick}%</text>"
        )
    coords = [(x_of(i), y_of(_pct(c))) for i, (_, c) in enumerate(points)]
    parts.append(
        '<polyline class="chart-line" fill="none" stroke="#1f4e8c" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        + '"></polyline>'
    )
    step = max(1, (n + 11) // 12)
    for i, ((label, counts), (x, y)) in enumerate(zip(points, coords, strict=True)):
        tip = f"{label}: {_fmt(_pct(counts))}% đúng hạn ({counts.on_time}/{counts.due})"
        parts.append(
            f'<g><title>{escape(tip)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="4" '
            f'class="chart-point" fill="#1f4e8c"></circle></g>'
        )
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'class="chart-axis">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
