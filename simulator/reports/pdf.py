"""Trainee reports as PDF (fpdf2, no system libraries), to print or hand over.

Each trainee gets a summary page (scores over the attempts, first / latest / best and the
trend, the weakest steps, the latest sessions in a table), then the detail of the sessions
asked for. Charts are drawn with PDF lines, not images, so a long history costs nothing.
Uses the bundled DejaVu Sans when it is installed with the assets, so any name or line of
dialogue prints; without it, text falls back to the core Helvetica font and is reduced to
Latin-1 (characters it cannot hold become '?').
"""
from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

from simulator.diagnostics import DefuseError
from simulator.model import BAND_FLOORS, Band

from .classview import ClassReport, Grid, TraineeProgress
from .rows import Judged, anger_curve, duration_seconds, shown_order

__all__ = ["render_pdf", "weakest_steps"]

_INK, _MUTED, _PASS, _FAIL, _LINE, _GRID = (29, 39, 51), (95, 107, 120), (47, 125, 79), (178, 58, 58), (31, 95, 139), (214, 220, 226)
_BANDS = {Band.CALM: (227, 241, 230), Band.UPSET: (251, 243, 217), Band.ANGRY: (251, 228, 210), Band.HOSTILE: (246, 213, 213)}


def _fonts() -> tuple[Path, Path] | None:
    try:
        folder = Path(str(resources.files("simulator.assets") / "fonts"))
    except (ModuleNotFoundError, TypeError):
        return None
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.is_file() and bold.is_file() else None


_COVERED: set[int] = set()


def _covered() -> set[int]:
    """The characters the bundled font can draw (read once from its cmap)."""
    if not _COVERED:
        from fontTools.ttLib import TTFont  # fpdf2's font library: loaded with it, for PDF reports only

        fonts = _fonts()
        if fonts:
            for path in fonts:
                _COVERED.update(TTFont(str(path), lazy=True).getBestCmap())
    return _COVERED


class _Doc:
    """fpdf2 with the font chosen once and text made printable for it."""

    def __init__(self, title: str, generated: str):
        from fpdf import FPDF  # heavy, and needed for PDF reports only

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.set_margins(16, 16, 16)
        fonts = _fonts()
        if fonts:
            self.pdf.add_font("DejaVu", "", str(fonts[0]))
            self.pdf.add_font("DejaVu", "B", str(fonts[1]))
            self.family, self.unicode = "DejaVu", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.set_title(self.text(title))
        self.pdf.set_creator("Defuse")
        try:
            self.pdf.set_creation_date(datetime.fromisoformat(generated.replace("Z", "+00:00")))
        except ValueError:
            self.pdf.set_creation_date(datetime.now(timezone.utc))

    def text(self, s: str) -> str:
        s = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in s)
        if self.unicode:
            missing = sorted({ch for ch in s if ch != "\n" and ord(ch) not in _covered()})
            if missing:
                # fpdf2 would leave these out without a word: a name must never silently vanish
                shown = "".join(missing[:10]) + ("..." if len(missing) > 10 else "")
                raise DefuseError(
                    f"the PDF font (DejaVu Sans) has no letters for {shown!r} in {s.strip()[:60]!r}:"
                    " the PDF would leave them out; use --format html, which shows every script"
                )
            return s
        s = s.replace("→", "->").replace("✓", "x").replace("✗", "-").replace("–", "-").replace("—", "-").replace("’", "'").replace("•", "-")
        return s.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, colour=_INK) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def line(self, s: str, size: float = 10, bold: bool = False, colour=_INK, h: float = 5.2) -> None:
        self.font(size, bold, colour)
        self.pdf.multi_cell(0, h, self.text(s), align="L", new_x="LMARGIN", new_y="NEXT")

    def rule(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*_INK)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())


def weakest_steps(grids: Sequence[Grid], trainee: str, top: int = 5) -> list[tuple[str, int, int, int]]:
    """(step title, missed, out of order, sessions) for the trainee's most often missed steps."""
    found = []
    for g in grids:
        for name, cells in g.rows:
            if name != trainee:
                continue
            for (sid, title, _), c in zip(g.steps, cells):
                if c.sessions and (c.missed or c.done > c.in_order):
                    found.append((title, c.missed, c.done - c.in_order, c.sessions))
    found.sort(key=lambda f: (-f[1] / f[3], -f[2] / f[3]))  # stable: ties stay in the protocol's order
    return found[:top]


def render_pdf(report: ClassReport, *, generated: str, details: dict[str, Iterable[Judged]] | None = None, title: str | None = None) -> bytes:
    """A summary page per trainee of the report, each followed by the detail of `details[trainee]`."""
    names = [t.name for t in report.trainees]
    doc = _Doc(title or ("Defuse training report: " + names[0] if len(names) == 1 else "Defuse training reports"), generated)
    details = details or {}
    when = generated.replace("T", " ").removesuffix("Z") + " UTC"
    for t in report.trainees:
        _summary(doc, t, report, when)
        for n, j in enumerate(details.get(t.name, ()), 1):
            _session(doc, j, n)
    return bytes(doc.pdf.output())


def _summary(doc: _Doc, t: TraineeProgress, report: ClassReport, when: str) -> None:
    pdf = doc.pdf
    pdf.add_page()
    doc.line("Defuse training report", 9, colour=_MUTED)
    doc.line(t.name, 20, bold=True, h=9)
    if t.sessions:
        head = f"{t.sessions} finished session(s), {t.passed} passed ({100 * t.passed / t.sessions:.0f}%), mean score {t.mean:.1f}/100"
    else:
        head = "no finished session yet"
    if t.unfinished:
        head += f"; {t.unfinished} unfinished (not counted)"
    doc.line(f"{head}. Generated {when}.", 10, colour=_MUTED)
    pdf.ln(1)
    doc.rule()
    pdf.ln(3)
    if t.sessions:
        doc.line("Progress", 12, bold=True, h=6.5)
        trend = f"{t.trend:+.1f} points per attempt" if t.trend is not None else "n/a (one attempt)"
        doc.line(f"first {t.first:.1f} · latest {t.latest_total:.1f} · best {t.best:.1f} · trend {trend}", 10)
        pass_mark = t.latest[-1].score["pass_mark"] if t.latest else None
        _progress_chart(doc, t.points, t.sessions, pass_mark)
        pdf.ln(2)
    weak = weakest_steps(report.grids, t.name)
    doc.line(f"Weakest steps (latest {min(report.latest_n, len(t.latest))} finished sessions)", 12, bold=True, h=6.5)
    if weak:
        for step, missed, wrong, n in weak:
            parts = [f"missed {missed} of {n}"] + ([f"out of order {wrong}"] if wrong else [])
            doc.line(f"  •  {step}: {', '.join(parts)}", 9.5, colour=_FAIL if missed * 2 > n else _INK, h=5)
    else:
        doc.line("  Every step done, in order.", 9.5, colour=_MUTED)
    pdf.ln(2)
    doc.line(f"Latest {len(t.latest)} finished session(s)", 12, bold=True, h=6.5)
    if t.latest:
        _table(doc, list(reversed(t.latest)))


def _table(doc: _Doc, items: list[Judged]) -> None:
    pdf = doc.pdf
    widths = (34, 62, 24, 18, 20)
    heads = ("started (UTC)", "scenario", "outcome", "score", "verdict")
    doc.font(8.5, True, _MUTED)
    for w, h in zip(widths, heads):
        pdf.cell(w, 5.5, doc.text(h), border="B")
    pdf.ln()
    for j in items:
        s, sc = j.session, j.score
        verdict = "UNFINISHED" if not s.complete else ("PASS" if sc["passed"] else "FAIL")
        cells = (s.started_at.replace("T", " ").removesuffix("Z")[:16], (s.title or s.scenario)[:38], s.outcome.value.replace("_", " ") if s.outcome else "-", f"{sc['total']:.1f}", verdict)
        for i, (w, c) in enumerate(zip(widths, cells)):
            doc.font(8.5, i == 4, (_PASS if verdict == "PASS" else _FAIL) if i == 4 else _INK)
            pdf.cell(w, 5.2, doc.text(c))
        pdf.ln()


def _frame(doc: _Doc, x: float, y: float, w: float, h: float, labels: Sequence[float] = (0, 50, 100)) -> None:
    pdf = doc.pdf
    pdf.set_line_width(0.15)
    pdf.set_draw_color(*_GRID)
    doc.font(6.5, colour=_MUTED)
    for v in labels:
        yy = y + h * (1 - v / 100)
        pdf.line(x, yy, x + w, yy)
        pdf.text(x - 6, yy + 1, f"{v:g}")


def _progress_chart(doc: _Doc, points: Sequence[tuple[float, float]], attempts: int, pass_mark: float | None) -> None:
    pdf = doc.pdf
    x, y, w, h = pdf.l_margin + 8, pdf.get_y() + 2, 150, 42
    _frame(doc, x, y, w, h)
    if pass_mark is not None:
        pdf.set_draw_color(*_PASS)
        pdf.set_dash_pattern(dash=1.2, gap=0.8)
        pdf.line(x, y + h * (1 - pass_mark / 100), x + w, y + h * (1 - pass_mark / 100))
        pdf.set_dash_pattern()
    span = max(1.0, attempts - 1)
    pts = [(x + w * (a - 1) / span, y + h * (1 - max(0.0, min(100.0, v)) / 100)) for a, v in points]
    pdf.set_draw_color(*_LINE)
    pdf.set_line_width(0.5)
    if len(pts) > 1:
        pdf.polyline(pts)
    elif pts:
        pdf.set_fill_color(*_LINE)
        pdf.circle(pts[0][0], pts[0][1], 0.8, style="F")
    doc.font(7, colour=_MUTED)
    pdf.text(x, y + h + 4, doc.text(f"score over attempts 1 to {attempts}" + (f" (dashed: pass mark {pass_mark:.0f})" if pass_mark is not None else "")))
    pdf.set_y(y + h + 6)


def _anger_chart(doc: _Doc, curve: Sequence[float]) -> None:
    pdf = doc.pdf
    x, y, w, h = pdf.l_margin + 14, pdf.get_y() + 1, 110, 30
    floors = sorted(BAND_FLOORS.items(), key=lambda kv: kv[1]) + [(None, 100.0)]
    doc.font(6, colour=_MUTED)
    for (band, lo), (_, hi) in zip(floors, floors[1:]):
        pdf.set_fill_color(*_BANDS[band])
        top = y + h * (1 - hi / 100)
        pdf.rect(x, top, w, h * (hi - lo) / 100, style="F")
        pdf.text(x - 13, top + h * (hi - lo) / 200 + 1, band.value)
    pts = [(x + w * i / max(1, len(curve) - 1), y + h * (1 - max(0.0, min(100.0, v)) / 100)) for i, v in enumerate(curve)]
    pdf.set_draw_color(*_LINE)
    pdf.set_line_width(0.5)
    if len(pts) > 1:
        pdf.polyline(pts)
    doc.font(6.5, colour=_MUTED)
    pdf.text(x, y + h + 3.5, doc.text(f"anger over turns 0 to {len(curve) - 1}"))
    pdf.set_y(y + h + 5)


def _session(doc: _Doc, j: Judged, n: int) -> None:
    pdf, s, sc = doc.pdf, j.session, j.score
    if n == 1 or pdf.get_y() > pdf.h - 110:
        pdf.add_page()
    verdict = "UNFINISHED" if not s.complete else ("PASS" if sc["passed"] else "FAIL")
    doc.line(f"{n}. {s.title or s.scenario}  ({s.scenario} r{s.revision})", 13, bold=True, h=7)
    dur = duration_seconds(s)
    curve = anger_curve(s)
    doc.line(
        f"{s.started_at.replace('T', ' ').removesuffix('Z')} UTC, {int(dur or 0) // 60}:{int(dur or 0) % 60:02d} min, {s.mode or 'mode unknown'}, "
        f"outcome {s.outcome.value.replace('_', ' ') if s.outcome else 'none (unfinished)'}, "
        f"anger {curve[0]:.0f} → peak {max(curve):.0f} → {curve[-1]:.0f}",
        9,
        colour=_MUTED,
    )
    colour = _PASS if verdict == "PASS" else (_FAIL if verdict == "FAIL" else _MUTED)
    components = dict(sc["components"])
    if "order" in components:
        components["order"] = shown_order(components["order"], sc["sequence"])
    comps = ", ".join(f"{k} {v:.2f}" if v is not None else f"{k} n/a" for k, v in components.items())
    doc.font(11, True, colour)
    pdf.cell(0, 6.5, doc.text(f"{sc['total']:.1f}/100  {verdict}"), new_x="LMARGIN", new_y="NEXT")
    doc.line(f"against {sc['protocol']} (pass mark {sc['pass_mark']:.0f}): {comps}", 9, colour=_MUTED)
    _anger_chart(doc, curve)
    pdf.ln(1)
    doc.line("Steps of the procedure", 10, bold=True)
    for st in sc["steps"]:
        applies = st.get("applicable", True) is not False
        mark = "✓" if st["performed"] else ("✗" if applies else "–")
        when = f"turn {st['turn']}" if st["performed"] else ("missed" if applies else "did not apply")
        crit = " (critical)" if st["critical"] else ""
        doc.line(f"  {mark}  {st['title']}{crit} - {when}", 9.5, colour=_FAIL if applies and not st["performed"] else _INK, h=4.8)
    if sc["feedback"]:
        pdf.ln(1)
        doc.line("Feedback", 10, bold=True)
        for f in sc["feedback"]:
            doc.line(f"•  {f['message']}", 9, h=4.6)
    pdf.ln(5)
