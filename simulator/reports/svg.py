"""Small charts for the HTML report, written by hand as inline SVG strings.

A chart is a few hundred bytes of SVG, made in microseconds: a class of 100,000 sessions can
carry one per trainee and one per detailed session without weighing the page down. Every
text placed in a chart goes through `html.escape`; numbers are rounded to one decimal.
"""
from __future__ import annotations

from html import escape
from typing import Sequence

from simulator.model import BAND_FLOORS, Band

__all__ = ["anger_svg", "progress_svg", "bars_svg", "weeks_svg"]

_BAND_COLOURS = {Band.CALM: "#e3f1e6", Band.UPSET: "#fbf3d9", Band.ANGRY: "#fbe4d2", Band.HOSTILE: "#f6d5d5"}
_LINE, _PASS, _MUTED, _GRID = "#1f5f8b", "#3b8a5a", "#777", "#e4e8ec"
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(label)}" {_FONT} font-size="10">'
    )


def _polyline(points: Sequence[tuple[float, float]], colour: str, width: float = 1.8) -> str:
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round" points="{pts}"/>'


def anger_svg(curve: Sequence[float], width: int = 320, height: int = 120) -> str:
    """The customer's anger over the turns, on the four anger bands."""
    left, right, top, bottom = 34, 6, 6, 18
    w, h = width - left - right, height - top - bottom
    y = lambda v: top + h * (1 - max(0.0, min(100.0, v)) / 100)  # noqa: E731
    x = lambda i: left + (w * i / max(1, len(curve) - 1))  # noqa: E731
    parts = [_open(width, height, "anger over the turns")]
    floors = sorted(BAND_FLOORS.items(), key=lambda kv: kv[1]) + [(None, 100.0)]
    for (band, lo), (_, hi) in zip(floors, floors[1:]):
        parts.append(f'<rect x="{left}" y="{_n(y(hi))}" width="{w}" height="{_n(y(lo) - y(hi))}" fill="{_BAND_COLOURS[band]}"/>')
        parts.append(f'<text x="{left - 3}" y="{_n((y(lo) + y(hi)) / 2 + 3)}" text-anchor="end" fill="{_MUTED}" font-size="8">{escape(band.value)}</text>')
    parts.append(_polyline([(x(i), y(v)) for i, v in enumerate(curve)], _LINE))
    if len(curve) <= 30:
        parts.extend(f'<circle cx="{_n(x(i))}" cy="{_n(y(v))}" r="2.2" fill="{_LINE}"/>' for i, v in enumerate(curve))
    parts.append(f'<text x="{left + w / 2:.0f}" y="{height - 4}" text-anchor="middle" fill="{_MUTED}">turn (0 to {len(curve) - 1})</text>')
    parts.append("</svg>")
    return "".join(parts)


def progress_svg(points: Sequence[tuple[float, float]], attempts: int, width: int = 260, height: int = 90, pass_mark: float | None = None) -> str:
    """A trainee's score (0 to 100) over their attempts; `points` are (attempt number, score)."""
    left, right, top, bottom = 26, 6, 6, 16
    w, h = width - left - right, height - top - bottom
    span = max(1.0, attempts - 1)
    x = lambda a: left + w * (a - 1) / span  # noqa: E731
    y = lambda v: top + h * (1 - max(0.0, min(100.0, v)) / 100)  # noqa: E731
    parts = [_open(width, height, f"score over {attempts} attempts")]
    for v in (0, 50, 100):
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{_n(y(v))}" y2="{_n(y(v))}" stroke="{_GRID}"/>')
        parts.append(f'<text x="{left - 3}" y="{_n(y(v) + 3)}" text-anchor="end" fill="{_MUTED}" font-size="8">{v}</text>')
    if pass_mark is not None:
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{_n(y(pass_mark))}" y2="{_n(y(pass_mark))}" stroke="{_PASS}" stroke-dasharray="3 2"/>')
    pts = [(x(a), y(v)) for a, v in points]
    if len(pts) == 1:
        parts.append(f'<circle cx="{_n(pts[0][0])}" cy="{_n(pts[0][1])}" r="2.5" fill="{_LINE}"/>')
    elif pts:
        parts.append(_polyline(pts, _LINE, 1.6))
    parts.append(f'<text x="{left + w / 2:.0f}" y="{height - 3}" text-anchor="middle" fill="{_MUTED}" font-size="8">attempt 1 to {attempts}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(rows: Sequence[tuple[str, int, int]], width: int = 420) -> str:
    """Horizontal bars: the share passed for each (label, passed, sessions)."""
    label_w, bar_w, row_h = 150, width - 150 - 80, 18
    height = 8 + row_h * max(1, len(rows))
    parts = [_open(width, height, "pass rate per scenario")]
    for i, (label, p, n) in enumerate(rows):
        y = 4 + i * row_h
        rate = p / n if n else 0.0
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="11" fill="#eef1f4"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{_n(bar_w * rate)}" height="11" fill="{_PASS}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 12}" fill="#333">{100 * rate:.0f}% ({p}/{n})</text>')
    parts.append("</svg>")
    return "".join(parts)


def weeks_svg(weeks: Sequence[dict], width: int = 560, height: int = 150) -> str:
    """The class by week: mean score (line) and pass rate (bars), both on 0 to 100."""
    left, right, top, bottom = 28, 8, 8, 30
    w, h = width - left - right, height - top - bottom
    n = max(1, len(weeks))
    slot = w / n
    y = lambda v: top + h * (1 - max(0.0, min(100.0, v)) / 100)  # noqa: E731
    parts = [_open(width, height, "pass rate and mean score by week")]
    for v in (0, 50, 100):
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{_n(y(v))}" y2="{_n(y(v))}" stroke="{_GRID}"/>')
        parts.append(f'<text x="{left - 3}" y="{_n(y(v) + 3)}" text-anchor="end" fill="{_MUTED}" font-size="8">{v}</text>')
    every = max(1, len(weeks) // 8)
    line = []
    for i, wk in enumerate(weeks):
        cx = left + slot * (i + 0.5)
        rate = 100 * wk["passed"] / wk["sessions"]
        parts.append(f'<rect x="{_n(cx - slot * 0.35)}" y="{_n(y(rate))}" width="{_n(slot * 0.7)}" height="{_n(y(0) - y(rate))}" fill="#cfe3d6"/>')
        line.append((cx, y(wk["mean"])))
        if i % every == 0:
            parts.append(f'<text x="{_n(cx)}" y="{top + h + 12}" text-anchor="middle" fill="{_MUTED}" font-size="8">{escape(wk["week"][5:])}</text>')
    if len(line) > 1:
        parts.append(_polyline(line, _LINE, 1.8))
    parts.extend(f'<circle cx="{_n(px)}" cy="{_n(py)}" r="2.2" fill="{_LINE}"/>' for px, py in line[:60])
    parts.append(
        f'<text x="{left}" y="{height - 4}" fill="{_MUTED}" font-size="8">bars: pass rate %, line: mean score; weeks start on Monday</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
