"""Inline SVG plots drawn here (no plotting library, no script): a paired slope plot per outcome
and a response-rate bar chart. Each SVG has a title and a description with the numbers, so a
screen reader gets what the picture shows."""

from __future__ import annotations

from html import escape

from facilitator.report.tables import num

INK, FAINT, ACCENT = "#1f2937", "#6b7280", "#1d4ed8"


def _y(value: float, lo: float, hi: float, top: float, bottom: float) -> float:
    return bottom - (value - lo) / (hi - lo) * (bottom - top) if hi > lo else (top + bottom) / 2


def slope_plot(ident: str, title: str, pre: list[float], post: list[float], note: str = "") -> str:
    """One line per pair from pre to post, with the means drawn thick."""
    width, height, left, right, top, bottom = 360, 300, 56, 300, 24, 260
    lo, hi = min(pre + post), max(pre + post)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    mean_pre, mean_post = sum(pre) / len(pre), sum(post) / len(post)
    desc = f"{len(pre)} pairs. Mean {num(mean_pre)} before and {num(mean_post)} after. {note}".strip()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}: each line is one student, pre to post</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{INK}"/>',
    ]
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        y = _y(value, lo, hi, top, bottom)
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="{INK}"/>')
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{num(value)}</text>'
        )
    x_pre, x_post = left + 40, right - 20
    for a, b in zip(pre, post, strict=True):
        parts.append(
            f'<line x1="{x_pre}" y1="{_y(a, lo, hi, top, bottom):.1f}" x2="{x_post}" '
            f'y2="{_y(b, lo, hi, top, bottom):.1f}" stroke="{FAINT}" stroke-opacity="0.35"/>'
        )
    parts.append(
        f'<line x1="{x_pre}" y1="{_y(mean_pre, lo, hi, top, bottom):.1f}" x2="{x_post}" '
        f'y2="{_y(mean_post, lo, hi, top, bottom):.1f}" stroke="{ACCENT}" stroke-width="4"/>'
    )
    for x, label in ((x_pre, "Pre"), (x_post, "Post")):
        parts.append(
            f'<text x="{x}" y="{bottom + 20}" font-size="13" text-anchor="middle" fill="{INK}">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def rates_chart(counts: list[tuple[str, int]], total: int) -> str:
    """Horizontal bars: how many of the roster answered each survey, and both."""
    width, bar_h, gap, left = 420, 22, 10, 130
    height = len(counts) * (bar_h + gap) + gap
    span = width - left - 90
    desc = "; ".join(f"{label} {n} of {total}" for label, n in counts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="rates-t rates-d">',
        '<title id="rates-t">Response rates</title>',
        f'<desc id="rates-d">{escape(desc)}</desc>',
    ]
    for i, (label, n) in enumerate(counts):
        y = gap + i * (bar_h + gap)
        w = span * n / total if total else 0
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" font-size="13" text-anchor="end" '
            f'fill="{INK}">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{left}" y="{y}" width="{span}" height="{bar_h}" fill="#e5e7eb"/>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{ACCENT}"/>')
        parts.append(
            f'<text x="{left + span + 6}" y="{y + 16}" font-size="13" fill="{INK}">{n} of {total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
