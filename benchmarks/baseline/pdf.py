"""A one-trainee report as PDF (fpdf2, no system libraries), to hand to the trainee.

Uses the bundled DejaVu Sans when it is installed with the assets, so any name or line of
dialogue prints; without it, text falls back to the core Helvetica font and is reduced to
Latin-1 (characters it cannot hold become '?').
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from .charts import anger_png
from simulator.reports.rows import Judged, anger_curve, duration_seconds

__all__ = ["render_pdf"]

_INK, _MUTED, _PASS, _FAIL = (29, 39, 51), (95, 107, 120), (47, 125, 79), (178, 58, 58)


def _fonts() -> tuple[Path, Path] | None:
    try:
        from importlib import resources

        folder = Path(str(resources.files("simulator.assets") / "fonts"))
    except (ModuleNotFoundError, TypeError):
        return None
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.is_file() and bold.is_file() else None


class _Doc:
    """fpdf2 with the font chosen once and text made printable for it."""

    def __init__(self, trainee: str, generated: str):
        from fpdf import FPDF

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
        self.pdf.set_title(self.text(f"Defuse training report: {trainee}"))
        self.pdf.set_creator("Defuse")
        try:
            self.pdf.set_creation_date(datetime.fromisoformat(generated.replace("Z", "+00:00")))
        except ValueError:
            self.pdf.set_creation_date(datetime.now(timezone.utc))

    def text(self, s: str) -> str:
        s = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in s)
        if self.unicode:
            return s
        s = s.replace("→", "->").replace("✓", "x").replace("✗", "-").replace("–", "-").replace("—", "-").replace("’", "'")
        return s.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, colour=_INK) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def line(self, s: str, size: float = 10, bold: bool = False, colour=_INK, h: float = 5.2) -> None:
        self.font(size, bold, colour)
        self.pdf.multi_cell(0, h, self.text(s), align="L", new_x="LMARGIN", new_y="NEXT")


def render_pdf(items: list[Judged], *, trainee: str, generated: str) -> bytes:
    doc = _Doc(trainee, generated)
    pdf = doc.pdf
    pdf.add_page()
    doc.line("Defuse training report", 9, colour=_MUTED)
    doc.line(trainee, 20, bold=True, h=9)
    totals = [j.score["total"] for j in items]
    passed = sum(j.passed for j in items)
    doc.line(
        f"{len(items)} session(s), {passed} passed, mean score {sum(totals) / len(totals):.1f}/100, best {max(totals):.1f}. "
        f"Generated {generated.replace('T', ' ').removesuffix('Z')} UTC.",
        10,
        colour=_MUTED,
    )
    pdf.ln(2)
    pdf.set_draw_color(*_INK)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    for n, j in enumerate(items, 1):
        _session(doc, j, n)
    return bytes(pdf.output())


def _session(doc: _Doc, j: Judged, n: int) -> None:
    pdf, s, sc = doc.pdf, j.session, j.score
    if pdf.get_y() > pdf.h - 110:
        pdf.add_page()
    verdict = "UNFINISHED" if not s.complete else ("PASS" if sc["passed"] else "FAIL")
    doc.line(f"{n}. {s.title or s.scenario}  ({s.scenario} r{s.revision})", 13, bold=True, h=7)
    dur = duration_seconds(s)
    curve = anger_curve(s)
    doc.line(
        f"{s.started_at.replace('T', ' ').removesuffix('Z')} UTC, {int(dur or 0) // 60}:{int(dur or 0) % 60:02d} min, "
        f"outcome {s.outcome.value.replace('_', ' ') if s.outcome else 'none (unfinished)'}, "
        f"anger {curve[0]:.0f} → peak {max(curve):.0f} → {curve[-1]:.0f}",
        9,
        colour=_MUTED,
    )
    colour = _PASS if verdict == "PASS" else (_FAIL if verdict == "FAIL" else _MUTED)
    comps = ", ".join(f"{k} {v:.2f}" if v is not None else f"{k} n/a" for k, v in sc["components"].items())
    doc.font(11, True, colour)
    pdf.cell(0, 6.5, doc.text(f"{sc['total']:.1f}/100  {verdict}"), new_x="LMARGIN", new_y="NEXT")
    doc.line(f"against {sc['protocol']} (pass mark {sc['pass_mark']:.0f}): {comps}", 9, colour=_MUTED)
    pdf.image(io.BytesIO(anger_png(curve)), w=120)
    pdf.ln(1)
    doc.line("Steps of the procedure", 10, bold=True)
    for st in sc["steps"]:
        mark = "✓" if st["performed"] else "✗"
        when = f"turn {st['turn']}" if st["performed"] else "missed"
        crit = " (critical)" if st["critical"] else ""
        doc.line(f"  {mark}  {st['title']}{crit} - {when}", 9.5, colour=_INK if st["performed"] else _FAIL, h=4.8)
    if sc["feedback"]:
        pdf.ln(1)
        doc.line("Feedback", 10, bold=True)
        for f in sc["feedback"]:
            doc.line(f"•  {f['message']}" if doc.unicode else f"-  {f['message']}", 9, h=4.6)
    pdf.ln(5)
