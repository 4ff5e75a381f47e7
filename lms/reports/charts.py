"""Server-rendered SVG charts (no JavaScript): horizontal bars and grouped columns.

Colours are presentation attributes, not style attributes, so the CSP allows them.
Every bar carries a <title> and a printed value, and the chart has a text label.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ["#0b4f8a", "#1d7a38", "#9a5b00", "#b3261e", "#6b4fa0"]


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    # Every interpolated text went through escape() above; numbers are formatted by us.
    return Markup(  # noqa: S704  (every text in it went through escape() above)  # nosec B704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" font-family="system-ui, sans-serif" font-size="12">'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    items: Sequence[tuple[str, float]], *, label: str, suffix: str = "", max_value: float | None = None
) -> Markup:
    """Horizontal bars, one per (name, value)."""
    row_h, label_w, bar_w, width = 22, 190, 230, 480
    top = max(max_value or 0, max((v for _n, v in items), default=0), 1)
    body = []
    for i, (name, value) in enumerate(items):
        y = i * row_h + 4
        w = round(bar_w * value / top)
        short = name if len(name) <= 26 else name[:25] + "…"  # ~7 px a character fits label_w
        body.append(
            f"<g><title>{escape(name)}: {escape(_fmt(value))}{escape(suffix)}</title>"
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" fill="#1b1f24">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="16" fill="#e8edf3"/>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="16" fill="{COLOURS[0]}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 13}" fill="#1b1f24">{escape(_fmt(value))}{escape(suffix)}</text></g>'
        )
    if not items:
        body.append(f'<text x="10" y="20" fill="#5a6270">{escape(label)}: —</text>')
    return _svg(width, max(len(items), 1) * row_h + 8, label, body)


def column_chart(labels: list[str], series: Sequence[tuple[str, Sequence[float]]], *, label: str) -> Markup:
    """Vertical columns: one group per label, one column per series, with a legend."""
    width, height, left, bottom, top_pad = 480, 220, 36, 40, 24
    plot_h = height - bottom - top_pad
    top = max([max(values, default=0) for _n, values in series] + [1])
    group_w = (width - left - 8) / max(len(labels), 1)
    col_w = max(group_w * 0.8 / max(len(series), 1), 2)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#8a94a3"/>'
    ]
    body.append(
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" fill="#5a6270">{escape(_fmt(top))}</text>'
    )
    body.append(f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" fill="#5a6270">0</text>')
    for gi, name in enumerate(labels):
        gx = left + gi * group_w + group_w * 0.1
        for si, (sname, values) in enumerate(series):
            v = values[gi] if gi < len(values) else 0
            h = round(plot_h * v / top)
            x = gx + si * col_w
            body.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h}" width="{col_w - 1:.1f}" height="{h}" '
                f'fill="{COLOURS[si % len(COLOURS)]}"><title>{escape(name)} · {escape(sname)}: {escape(_fmt(v))}</title></rect>'
            )
            if v and len(labels) * len(series) <= 12:
                body.append(
                    f'<text x="{x + col_w / 2:.1f}" y="{height - bottom - h - 3}" text-anchor="middle" '
                    f'font-size="10" fill="#1b1f24">{escape(_fmt(v))}</text>'
                )
        body.append(
            f'<text x="{gx + group_w * 0.4:.1f}" y="{height - bottom + 14}" text-anchor="middle" fill="#1b1f24">{escape(name)}</text>'
        )
    for si, (sname, _values) in enumerate(series):
        x = left + si * 150
        body.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{COLOURS[si % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{height - 5}" fill="#1b1f24">{escape(sname)}</text>'
        )
    return _svg(width, height, label, body)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
