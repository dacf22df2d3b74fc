"""Small inline SVG charts for the evaluation report: no plotting dependency, crisp at any size.

Every piece of text that goes into the markup (titles, labels, series names, numbers)
passes through `html.escape`, so a chart is safe to embed as-is in a page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 520, 270
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 52, 16, 30, 46
PALETTE = ("#2f5bd3", "#d9730d", "#127a43", "#b42318", "#6941c6", "#667085")


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) >= 0.01 else f"{value:.3g}"


def _frame(title: str, x_label: str, y_label: str, body: list[str], legend: Sequence[str] = ()) -> str:
    plot_right = WIDTH - MARGIN_RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" class="chart" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
        *body,
        f'<text x="{(MARGIN_LEFT + plot_right) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'fill="#667085">{escape(x_label)}</text>',
        f'<text x="12" y="{(MARGIN_TOP + HEIGHT - MARGIN_BOTTOM) / 2}" text-anchor="middle" fill="#667085" '
        f'transform="rotate(-90 12 {(MARGIN_TOP + HEIGHT - MARGIN_BOTTOM) / 2})">{escape(y_label)}</text>',
    ]
    x = plot_right
    for i, name in reversed(list(enumerate(legend))):
        x -= 12 + 7 * len(name)
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="17">{escape(name)}</text>')
        x -= 8
    parts.append("</svg>")
    return "".join(parts)


def _y_axis(low: float, high: float, ticks: int = 5) -> tuple[list[str], Callable[[float], float]]:
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    def y(value: float) -> float:
        span = (high - low) or 1.0
        return bottom - (value - low) / span * (bottom - top)

    body = []
    for i in range(ticks + 1):
        value = low + (high - low) * i / ticks
        body.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#e4e7ec"/>'
        )
        body.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(value))}</text>"
        )
    return body, y


def line_chart(
    series: Mapping[str, Sequence[Sequence[float | None]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = True,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> str:
    """One line per series of (x, y) points; x on a log scale by default (recall@k curves)."""
    # A point whose value is None (a metric with nothing to average) is left out.
    kept_points = {
        name: [(float(px), float(py)) for px, py in values if px is not None and py is not None]
        for name, values in series.items()
    }
    if not any(kept_points.values()):
        return _frame(title, x_label, y_label, [])
    xs = sorted({px for values in kept_points.values() for px, _ in values})
    scale = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    x_low, x_high = scale(xs[0]), scale(xs[-1])
    left, right = MARGIN_LEFT + 8, WIDTH - MARGIN_RIGHT - 8

    def x(value: float) -> float:
        span = (x_high - x_low) or 1.0
        return left + (scale(value) - x_low) / span * (right - left)

    body, y = _y_axis(*y_range)
    for value in xs:
        body.append(
            f'<text x="{x(value):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle">'
            f"{escape(_fmt(value))}</text>"
        )
    for i, kept in enumerate(kept_points.values()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in kept)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py in kept:
            body.append(
                f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="3" fill="{color}">'
                f"<title>{escape(f'k={_fmt(px)}: {py:.3f}')}</title></circle>"
            )
    return _frame(title, x_label, y_label, body, legend=list(series))


def bar_chart(
    groups: Sequence[tuple[str, Mapping[str, float | None]]],
    *,
    title: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> str:
    """Grouped bars: one group per (label, {series: value}), e.g. F1 for hits and misses."""
    names: list[str] = []
    for _, values in groups:
        names.extend(n for n in values if n not in names)
    body, y = _y_axis(*y_range)
    left, right = MARGIN_LEFT + 10, WIDTH - MARGIN_RIGHT - 10
    slot = (right - left) / max(len(groups), 1)
    bar = min(40.0, slot * 0.8 / max(len(names), 1))
    for g, (label, values) in enumerate(groups):
        start = left + g * slot + (slot - bar * len(names)) / 2
        body.append(
            f'<text x="{left + (g + 0.5) * slot:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        for s, name in enumerate(names):
            value = values.get(name)
            if value is None:
                continue
            top = y(value)
            bx = start + s * bar
            body.append(
                f'<rect x="{bx:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" '
                f'height="{y(y_range[0]) - top:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(f'{label}, {name}: {value:.3f}')}</title></rect>"
            )
            body.append(
                f'<text x="{bx + (bar - 2) / 2:.1f}" y="{top - 3:.1f}" text-anchor="middle" '
                f'font-size="10">{escape(_fmt(value))}</text>'
            )
    return _frame(title, "", y_label, body, legend=names)


def histogram_chart(
    edges: Sequence[float], counts: Sequence[float], *, title: str, x_label: str, overflow: float = 0
) -> str:
    """Bars over equal-width bins (`edges` has one more entry than `counts`); `overflow`
    values beyond the last edge are named in the axis label rather than drawn."""
    if overflow:
        x_label = f"{x_label} ({overflow:.0f} above {_fmt(edges[-1])} not shown)"
    if not counts:
        return _frame(title, x_label, "answers", [])
    peak = max(max(counts), 1.0)
    # A round step (1, 2 or 5 times a power of ten) giving at most five gridlines.
    magnitude = 10 ** math.floor(math.log10(peak / 5)) if peak >= 5 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude * 5 >= peak)
    ticks = math.ceil(peak / step)
    body, y = _y_axis(0.0, float(step * ticks), ticks=ticks)
    left, right = MARGIN_LEFT + 4, WIDTH - MARGIN_RIGHT - 4
    width = (right - left) / len(counts)
    for i, count in enumerate(counts):
        top = y(count)
        body.append(
            f'<rect x="{left + i * width:.1f}" y="{top:.1f}" width="{max(width - 1, 1):.1f}" '
            f'height="{y(0) - top:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(f'{_fmt(edges[i])}–{_fmt(edges[i + 1])}: {count:.0f}')}</title></rect>"
        )
    step = max(1, len(counts) // 5)
    for i in range(0, len(edges), step):
        body.append(
            f'<text x="{left + i * width:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle">'
            f"{escape(_fmt(edges[i]))}</text>"
        )
    return _frame(title, x_label, "answers", body)
