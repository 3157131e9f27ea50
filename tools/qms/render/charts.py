"""Small charts as inline SVG, written at build time: no JavaScript, no external service or library.

Each chart is accessible: `role="img"` with a <title> and a <desc> that say what it shows, visible
axis labels, and a <title> on every bar or point so pointing at it shows the value. Text uses
`currentColor`, so charts follow the page's light or dark scheme.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

from qms.render.writer import Markup
from qms.render.writer import html_escape as _e

FONT = "font-family=\"inherit\" font-size=\"11\""
INK = "currentColor"
BAR = "#3f51b5"
LINE = "#3f51b5"
TARGET = "#c62828"
STATUS_COLOURS = {"covered": "#2e7d32", "partial": "#f9a825", "gap": "#c62828", "not applicable": "#9e9e9e"}
LIGHT_FILLS = {"#f9a825", "#9e9e9e"}  # fills that need dark text on them


CHAR_W = 6.8  # average width of a character of FONT, in SVG units, for sizing label margins


def fmt(value: float) -> str:
    """'3' for 3.0, '97.5' for 97.5, '0.25' for 0.25."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ticks(low: float, high: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values from at most `low` to at least `high` (about `count` of them); whole numbers if `whole`."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    value = math.floor(low / step) * step
    ticks = [round(value, 10)]
    while value < high - step * 1e-9:
        value += step
        ticks.append(round(value, 10))
    return ticks


def _id(chart_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", chart_id).strip("-") or "chart"


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    cid = _id(chart_id)
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="qms-chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" style="max-width:100%;height:auto" role="img" '
            f'aria-labelledby="{cid}-title {cid}-desc">',
            f'<title id="{cid}-title">{_e(title)}</title>',
            f'<desc id="{cid}-desc">{_e(description)}</desc>']


def _shown_labels(labels: Sequence[str], most: int = 12) -> set[int]:
    """Indexes of the x labels to print when there are too many to fit."""
    step = max(1, math.ceil(len(labels) / most))
    return {i for i in range(len(labels)) if i % step == 0 or i == len(labels) - 1}


def _axes(out: list[str], left: int, top: int, plot_w: int, plot_h: int, ticks: list[float], low: float,
          high: float, x_label: str, y_label: str, width: int, height: int) -> None:
    """Grid lines with y tick labels, both axes and their labels."""
    for tick in ticks:
        y = top + plot_h - (tick - low) / (high - low) * plot_h
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{INK}" '
                   f'stroke-opacity="0.15"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}" {FONT}>{_e(fmt(tick))}</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{INK}"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="{INK}" {FONT}>'
               f'{_e(x_label)}</text>')
    out.append(f'<text transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
               f'fill="{INK}" {FONT}>{_e(y_label)}</text>')


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[float],
              x_label: str, y_label: str, width: int = 640, height: int = 240) -> str:
    """Vertical bars, one per label (e.g. nonconformities per month)."""
    left, right, top, bottom = 52, 12, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(0, max([*values, 1]), whole=all(float(v).is_integer() for v in values))
    low, high = 0.0, ticks[-1]
    out = _open(chart_id, width, height, title, description)
    _axes(out, left, top, plot_w, plot_h, ticks, low, high, x_label, y_label, width, height)
    n = max(len(values), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1)
    shown = _shown_labels(labels)
    for i, (label, value) in enumerate(zip(labels, values)):
        x = left + i * slot + (slot - bar_w) / 2
        h = (value - low) / (high - low) * plot_h
        y = top + plot_h - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}">'
                   f'<title>{_e(label)}: {_e(fmt(value))}</title></rect>')
        if value:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}" {FONT}>'
                       f'{_e(fmt(value))}</text>')
        if i in shown:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{INK}" '
                       f'{FONT}>{_e(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
               values: Sequence[float | None], x_label: str, y_label: str, target: float | None = None,
               target_label: str = "target", width: int = 640, height: int = 240) -> str:
    """A line over labelled points (None leaves a gap), with an optional dashed target line."""
    left, right, top, bottom = 52, 72, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for v in values if v is not None]
    extent = [*known, *([target] if target is not None else [])] or [0.0, 1.0]
    span = max(extent) - min(extent)
    pad = span * 0.15 if span else max(abs(max(extent)) * 0.1, 1)
    bottom_value = min(extent) - pad
    if bottom_value < 0 <= min(extent):
        bottom_value = 0.0
    ticks = nice_ticks(bottom_value, max(extent) + pad)
    low, high = ticks[0], ticks[-1]
    out = _open(chart_id, width, height, title, description)
    _axes(out, left, top, plot_w, plot_h, ticks, low, high, x_label, y_label, width, height)
    n = len(labels)
    slot = plot_w / max(n, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + slot * (i + 0.5), top + plot_h - (v - low) / (high - low) * plot_h

    if target is not None:
        _, ty = xy(0, target)
        out.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="{TARGET}" '
                   f'stroke-width="1.5" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{left + plot_w + 4}" y="{ty + 4:.1f}" fill="{TARGET}" {FONT}>'
                   f'{_e(target_label)} {_e(fmt(target))}</text>')
    segment: list[str] = []
    segments = []
    for i, v in enumerate(values):
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(i, v)
        segment.append(f"{x:.1f},{y:.1f}")
    if segment:
        segments.append(segment)
    for points in segments:
        if len(points) > 1:
            out.append(f'<path d="M{" L".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    shown = _shown_labels(labels)
    for i, (label, v) in enumerate(zip(labels, values)):
        if v is not None:
            x, y = xy(i, v)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}"><title>{_e(label)}: {_e(fmt(v))}'
                       f'</title></circle>')
        if i in shown:
            x, _ = xy(i, low)
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{INK}" {FONT}>'
                       f'{_e(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked_bar_chart(chart_id: str, title: str, description: str, rows: Sequence[tuple[str, Sequence[int]]],
                      categories: Sequence[str], colours: Sequence[str], x_label: str, width: int = 640) -> str:
    """Horizontal bars split into categories (e.g. clause statuses per clause group), with a legend."""
    longest = max((len(label) for label, _ in rows), default=0)
    left = max(60, int(CHAR_W * longest) + 14)  # room for the longest row label, which is never cut
    right, top, row_h, legend_h = 16, 8, 24, 44
    width = max(width, left + 320)
    height = top + row_h * len(rows) + legend_h
    plot_w = width - left - right
    total = max([sum(v) for _, v in rows] or [1]) or 1
    out = _open(chart_id, width, height, title, description)
    for r, (label, values) in enumerate(rows):
        y = top + r * row_h
        out.append(f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" fill="{INK}" {FONT}>'
                   f'{_e(label)}</text>')
        x = float(left)
        for category, colour, value in zip(categories, colours, values):
            if not value:
                continue
            w = value / total * plot_w
            out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
                       f'<title>{_e(label)}: {value} {_e(category)}</title></rect>')
            if w >= 16:
                ink = "#000" if colour in LIGHT_FILLS else "#fff"
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + row_h / 2 + 4:.1f}" text-anchor="middle" fill="{ink}" '
                           f'{FONT}>{value}</text>')
            x += w
    base = top + row_h * len(rows)
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{INK}"/>')
    lx = float(left)
    for category, colour in zip(categories, colours):
        out.append(f'<rect x="{lx:.1f}" y="{base + 10}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14:.1f}" y="{base + 19}" fill="{INK}" {FONT}>{_e(category)}</text>')
        lx += 14 + 7 * len(category) + 18
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="{INK}" {FONT}>'
               f'{_e(x_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def figure(svg: str, caption: str) -> Markup:
    """The chart in a <figure> with a caption, as a raw HTML block Markdown leaves alone."""
    return Markup(f'<figure class="qms-figure">\n{svg}\n<figcaption>{_e(caption)}</figcaption>\n</figure>\n\n')
