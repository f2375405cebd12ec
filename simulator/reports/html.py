"""The class report as one self-contained HTML page (inline CSS and SVG, nothing fetched).

Built from a `ClassReport` (aggregates, not every session in full) and streamed: the page
is written piece by piece as the template renders. The template autoescapes: every trainee
name, scenario title, line of dialogue and feedback line is escaped; only the charts, whose
text `svg` escapes itself, are inserted as markup.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Iterator

from .classview import HEAT_SCALE, ClassReport, Grid, heat, mistake_labels
from .rows import Judged, anger_curve, duration_seconds, shown_order
from .svg import anger_svg, bars_svg, progress_svg, weeks_svg

__all__ = ["render_html", "mistakes"]


@lru_cache(maxsize=1)
def _env():
    # jinja2 takes a good part of a second to load on a busy machine: only HTML reports pay for it
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = str(resources.files("simulator.reports") / "templates")
    return Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def mistakes(items: list[Judged], top: int = 10) -> list[tuple[str, int]]:
    """The most common mistakes of these sessions: (label, sessions with it), most frequent first."""
    counts = Counter(label for j in items for label in mistake_labels(j.score))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def _session_view(j: Judged) -> dict:
    s, sc = j.session, j.score
    turns = {t.index: t for t in s.turns}
    steps = [
        {
            "title": st["title"],
            "critical": st["critical"],
            "performed": bool(st["performed"]) and isinstance(st["turn"], int),
            "applies": st.get("applicable", True) is not False,
            "turn": st["turn"],
            "said": turns[st["turn"]].said if st["performed"] and st["turn"] in turns else "",
        }
        for st in sc["steps"]
    ]
    curve = anger_curve(s)
    components = dict(sc["components"])
    if "order" in components:
        components["order"] = shown_order(components["order"], sc["sequence"])
    return {
        "id": s.id,
        "title": s.title or s.scenario,
        "scenario": s.scenario,
        "revision": s.revision,
        "mode": s.mode,
        "language": s.language,
        "started": s.started_at.replace("T", " ").removesuffix("Z"),
        "duration": _minutes(duration_seconds(s)),
        "outcome": s.outcome.value.replace("_", " ") if s.outcome else "incomplete",
        "complete": s.complete,
        "protocol": sc["protocol"],
        "total": sc["total"],
        "pass_mark": sc["pass_mark"],
        "passed": bool(sc["passed"]),
        "components": components,
        "anger": {"start": curve[0], "peak": max(curve), "end": curve[-1]},
        "interruptions": sum(1 for t in s.turns if t.interrupted),
        "chart": _markup(anger_svg(curve)),
        "steps": steps,
        "feedback": [f["message"] for f in sc["feedback"]],
        "turns": [{"text": t.text, "said": t.said, "words": t.words, "interrupted": t.interrupted, "anger_before": t.anger_before, "anger_after": t.anger_after} for t in s.turns],
    }


def _grid_view(g: Grid) -> dict:
    rows = []
    for name, cells in g.rows:
        rows.append(
            {
                "trainee": name,
                "cells": [
                    {
                        "sessions": c.sessions,
                        "done": c.done,
                        "in_order": c.in_order,
                        "missed": c.missed,
                        "colour": heat(c.missed_share),
                    }
                    for c in cells
                ],
            }
        )
    return {"protocol": g.protocol, "title": g.title, "steps": g.steps, "rows": rows, "coaching": g.coaching}


def _trainee_views(report: ClassReport):
    """Per trainee, lazily: the detail of their latest sessions is built only as the page reaches it."""
    for n, t in enumerate(report.trainees, 1):
        pass_mark = t.latest[-1].score["pass_mark"] if t.latest else None
        earlier = t.sessions - len(t.latest)
        earlier_sum = t.sum_total - sum(j.score["total"] for j in t.latest)
        yield {
            "name": t.name,
            "anchor": f"t{n}",
            "sessions": t.sessions,
            "passed": t.passed,
            "unfinished": t.unfinished,
            "mean": t.mean,
            "first": t.first,
            "latest": t.latest_total,
            "best": t.best,
            "trend": t.trend,
            "last": t.last_at[:10],
            "chart": _markup(progress_svg(t.points, t.sessions, pass_mark=pass_mark)) if t.sessions else "",
            "earlier": earlier,
            "earlier_mean": earlier_sum / earlier if earlier else None,
            "views": (_session_view(j) for j in reversed(t.latest)),
        }


def render_html(report: ClassReport, *, generated: str, filters: dict, title: str = "Class report") -> Iterator[str]:
    """The page, in pieces (join them, or write each as it comes)."""
    shown_filters = {k: v for k, v in filters.items() if v not in (None, False)}
    return _env().get_template("report.html.j2").generate(
        title=title,
        generated=generated.replace("T", " ").removesuffix("Z") + " UTC",
        filters=shown_filters,
        r=report,
        pass_chart=_markup(bars_svg([(s["title"], s["passed"], s["sessions"]) for s in report.scenarios])) if report.scenarios else "",
        weeks_chart=_markup(weeks_svg(report.weeks)) if report.weeks else "",
        grids=[_grid_view(g) for g in report.grids],
        heat_scale=[colour for _, colour in HEAT_SCALE],
        trainees=_trainee_views(report),
    )


def _markup(svg: str):
    from markupsafe import Markup  # jinja2's, loaded with it (see _env)

    return Markup(svg)
