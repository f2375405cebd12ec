"""Charts for the reports, drawn with matplotlib without pyplot (no global state, no window).

SVG output is deterministic (fixed hash salt, no date) and starts at the <svg> element so
it can be placed inline in an HTML page; every text matplotlib writes into it is escaped.
"""
from __future__ import annotations

import io
from typing import Sequence

from simulator.model import BAND_FLOORS, Band

__all__ = ["anger_svg", "anger_png", "pass_rate_svg"]

_BAND_COLOURS = {Band.CALM: "#e3f1e6", Band.UPSET: "#fbf3d9", Band.ANGRY: "#fbe4d2", Band.HOSTILE: "#f6d5d5"}
_LINE = "#1f5f8b"
_RC = {"svg.hashsalt": "defuse", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 8}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _save(fig, fmt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None}, bbox_inches="tight", pad_inches=0.04)
    return buf.getvalue()


def _anger_figure(curve: Sequence[float], width: float, height: float):
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        floors = sorted(BAND_FLOORS.items(), key=lambda kv: kv[1]) + [(None, 100.0)]
        for (band, lo), (_, hi) in zip(floors, floors[1:]):
            ax.axhspan(lo, hi, color=_BAND_COLOURS[band], lw=0, zorder=0)
            ax.text(0.01, (lo + hi) / 2, band.value, transform=ax.get_yaxis_transform(), va="center", fontsize=6.5, color="#777")
        xs = list(range(len(curve)))
        ax.plot(xs, list(curve), color=_LINE, lw=1.8, marker="o", ms=3, zorder=3)
        ax.set_ylim(0, 100)
        ax.set_xlim(-0.2, max(1, len(curve) - 1) + 0.2)
        ax.set_xticks(xs if len(xs) <= 20 else xs[:: max(1, len(xs) // 10)])
        ax.set_xlabel("turn", fontsize=7, labelpad=1)
        ax.set_ylabel("anger", fontsize=7, labelpad=1)
        ax.tick_params(labelsize=6.5, length=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


def anger_svg(curve: Sequence[float], width: float = 4.0, height: float = 1.7) -> str:
    """The anger curve of one session over its turns, on the four anger bands."""
    return _inline(_save(_anger_figure(curve, width, height), "svg"))


def anger_png(curve: Sequence[float], width: float = 5.0, height: float = 1.8) -> bytes:
    fig = _anger_figure(curve, width, height)
    fig.set_dpi(150)
    return _save(fig, "png")


def pass_rate_svg(rows: Sequence[tuple[str, int, int]], width: float = 4.6) -> str:
    """Horizontal bars: the share of sessions passed for each (scenario, passed, sessions)."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(width, 0.45 + 0.26 * max(1, len(rows)))
        ax = fig.add_subplot()
        labels = [name for name, _, _ in rows][::-1]
        rates = [100.0 * p / n if n else 0.0 for _, p, n in rows][::-1]
        counts = [(p, n) for _, p, n in rows][::-1]
        ax.barh(range(len(rows)), [100] * len(rows), color="#eef1f4", height=0.62)
        ax.barh(range(len(rows)), rates, color="#3b8a5a", height=0.62)
        for y, (rate, (p, n)) in enumerate(zip(rates, counts)):
            ax.text(min(rate, 100) + 1.5, y, f"{rate:.0f}%  ({p}/{n})", va="center", fontsize=7.5, color="#333")
        # parse_math off: a scenario named like '$\\undefined$' is text, never mathtext markup
        ax.set_yticks(range(len(rows)), labels=labels, fontsize=7.5, parse_math=False)
        ax.set_xlim(0, 125)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.tick_params(labelsize=7, length=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return _inline(_save(fig, "svg"))


def _inline(svg: bytes) -> str:
    text = svg.decode("utf-8")
    return text[text.index("<svg"):]
