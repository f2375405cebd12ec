"""The class report as one self-contained HTML page (inline CSS and SVG, nothing fetched).

The page is filled by a Jinja2 template with autoescaping on: every trainee name, scenario
title, line of dialogue and feedback line is escaped; only the SVG charts, which
matplotlib escapes itself, are inserted as markup.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from functools import lru_cache

from .charts import anger_svg, pass_rate_svg
from simulator.reports.rows import Judged, anger_curve, duration_seconds

__all__ = ["render_html", "mistakes"]


@lru_cache(maxsize=1)
def _env():
    from importlib import resources

    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = str(Path(__file__).resolve().parent / "templates")
    return Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _mistake_labels(score: dict) -> set[str]:
    """What went wrong in one session, named so that the same mistake counts once per session."""
    titles = {s["id"]: s["title"] for s in score["steps"]}
    labels = set()
    for f in score["feedback"]:
        kind, step = f["kind"], f["step"] or ""
        if kind == "step":
            labels.add(f"Missed: {titles.get(step, step)}")
        elif kind == "order":
            labels.add(f"Out of order: {titles.get(step, step)}")
        elif kind == "conduct":
            labels.add(f"Harmful move: {step.removeprefix('conduct:').replace('_', ' ')}")
        elif kind == "safety":
            labels.add("Safety rule broken")
    return labels


def mistakes(items: list[Judged], top: int = 10) -> list[tuple[str, int]]:
    """The most common mistakes: (label, sessions with it), most frequent first."""
    counts = Counter(label for j in items for label in _mistake_labels(j.score))
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
            "performed": st["performed"],
            "turn": st["turn"],
            "said": turns[st["turn"]].said if st["performed"] and st["turn"] in turns else "",
        }
        for st in sc["steps"]
    ]
    curve = anger_curve(s)
    return {
        "id": s.id,
        "title": s.title or s.scenario,
        "scenario": s.scenario,
        "revision": s.revision,
        "started": s.started_at.replace("T", " ").removesuffix("Z"),
        "duration": _minutes(duration_seconds(s)),
        "outcome": s.outcome.value.replace("_", " ") if s.outcome else "incomplete",
        "complete": s.complete,
        "protocol": sc["protocol"],
        "total": sc["total"],
        "pass_mark": sc["pass_mark"],
        "passed": bool(sc["passed"]),
        "components": {k: v for k, v in sc["components"].items()},
        "anger": {"start": curve[0], "peak": max(curve), "end": curve[-1]},
        "interruptions": sum(1 for t in s.turns if t.interrupted),
        "chart": anger_svg(curve),
        "steps": steps,
        "feedback": [f["message"] for f in sc["feedback"]],
        "turns": [{"text": t.text, "said": t.said, "interrupted": t.interrupted, "anger_before": t.anger_before, "anger_after": t.anger_after} for t in s.turns],
    }


def render_html(items: list[Judged], *, generated: str, filters: dict, title: str = "Class report") -> str:
    by_trainee: dict[str, list[Judged]] = defaultdict(list)
    by_scenario: dict[tuple[str, str], list[Judged]] = defaultdict(list)
    for j in items:
        by_trainee[j.session.trainee].append(j)
        by_scenario[(j.session.scenario, j.session.title or j.session.scenario)].append(j)

    trainees = []
    for name in sorted(by_trainee, key=str.casefold):
        js = by_trainee[name]
        totals = [j.score["total"] for j in js]
        trainees.append(
            {
                "name": name,
                "anchor": f"t{len(trainees) + 1}",
                "sessions": len(js),
                "passed": sum(j.passed for j in js),
                "mean": sum(totals) / len(totals),
                "best": max(totals),
                "last": js[-1].session.started_at[:10],
                "views": [_session_view(j) for j in js],
            }
        )
    scenarios = [
        {"id": sid, "title": t, "sessions": len(js), "passed": sum(j.passed for j in js), "mean": sum(j.score["total"] for j in js) / len(js)}
        for (sid, t), js in sorted(by_scenario.items())
    ]
    totals = [j.score["total"] for j in items]
    summary = {
        "sessions": len(items),
        "trainees": len(by_trainee),
        "passed": sum(j.passed for j in items),
        "mean": sum(totals) / len(totals) if totals else 0.0,
        "incomplete": sum(1 for j in items if not j.session.complete),
    }
    chart = pass_rate_svg([(s["id"], s["passed"], s["sessions"]) for s in scenarios]) if scenarios else ""
    shown_filters = {k: v for k, v in filters.items() if v not in (None, False)}
    return _env().get_template("report.html.j2").render(
        title=title,
        generated=generated.replace("T", " ").removesuffix("Z") + " UTC",
        filters=shown_filters,
        summary=summary,
        scenarios=scenarios,
        pass_chart=_markup(chart),
        mistakes=mistakes(items),
        trainees=[dict(t, views=[dict(v, chart=_markup(v["chart"])) for v in t["views"]]) for t in trainees],
    )


def _markup(svg: str):
    from markupsafe import Markup

    return Markup(svg)
