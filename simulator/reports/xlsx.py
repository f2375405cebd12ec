"""The spreadsheet report: every session, a sheet per trainee, the coaching grid, progress
over time (real dates and a native chart) and the most frequent feedback.

Strings are always written as strings (never parsed as formulas or numbers) and a leading
formula character is neutralised too, so a cell copied into another sheet stays text.
"""
from __future__ import annotations

import io
import math
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Iterable

from .classview import HEAT_SCALE, ClassReport, trainee_rows
from .rows import COLUMNS, Judged, neutralise, row

__all__ = ["render_xlsx", "sheet_names", "utc_datetime"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED = {"sessions", "feedback", "history", "grid", "progress"}  # ours, and one Excel keeps for itself


def sheet_names(trainees: Iterable[str]) -> dict[str, str]:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\) for each trainee."""
    names: dict[str, str] = {}
    used = set(_RESERVED)
    for t in trainees:
        base = _BAD_SHEET_CHARS.sub("_", t).strip("'").strip() or "trainee"
        base = _cut16(base, 31)
        name, n = base, 2
        while name.lower() in used:
            suffix = f" ({n})"
            name = _cut16(base, 31 - len(suffix)) + suffix
            n += 1
        used.add(name.lower())
        names[t] = name
    return names


def _cut16(text: str, units: int) -> str:
    """The longest start of the text that fits in this many UTF-16 code units (how Excel counts),
    never cutting a character in two."""
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(ch)
        used += size
    return "".join(out).rstrip("'").rstrip() or "trainee"


def render_xlsx(items: list[Judged], report: ClassReport | None = None) -> bytes:
    import xlsxwriter  # needed for workbooks only

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDE5EE", "border": 1})
    pct = wb.add_format({"num_format": "0.00"})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    rows = [row(j) for j in items]

    def table(ws, data: list[dict]) -> None:
        for c, name in enumerate(COLUMNS):
            ws.write_string(0, c, name, head)
        for r, d in enumerate(data, start=1):
            for c, name in enumerate(COLUMNS):
                if c == _STARTED and (moment := utc_datetime(d[name])) is not None:
                    ws.write_datetime(r, c, moment, when)  # a real date: sorts, filters and charts as one
                else:
                    _cell(ws, r, c, d[name], pct)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(1, len(data)), len(COLUMNS) - 1)
        ws.set_column(0, 0, 12)
        ws.set_column(1, 2, 22)
        ws.set_column(4, 4, 21)
        ws.set_column(len(COLUMNS) - 1, len(COLUMNS) - 1, 60)

    table(wb.add_worksheet("Sessions"), rows)

    by_trainee: dict[str, list[dict]] = {}
    for d in rows:
        by_trainee.setdefault(d["trainee"], []).append(d)
    names = sheet_names(by_trainee)
    for trainee, data in by_trainee.items():
        table(wb.add_worksheet(names[trainee]), data)

    if report is not None:
        _grid_sheet(wb, report, head)
        _progress_sheet(wb, report, head, pct, when)

    ws = wb.add_worksheet("Feedback")
    counts = Counter(f["message"] for j in items for f in j.score["feedback"])
    sessions_with = Counter(m for j in items for m in {f["message"] for f in j.score["feedback"]})
    for c, name in enumerate(("feedback", "times", "sessions")):
        ws.write_string(0, c, name, head)
    for r, (message, n) in enumerate(counts.most_common(), start=1):
        ws.write_string(r, 0, neutralise(message))
        ws.write_number(r, 1, n)
        ws.write_number(r, 2, sessions_with[message])
    ws.set_column(0, 0, 110)
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


_STARTED = COLUMNS.index("started_at")


def _grid_sheet(wb, report: ClassReport, head) -> None:
    """Trainees x steps, one block per protocol: the share of the latest sessions that missed each step."""
    ws = wb.add_worksheet("Grid")
    share = wb.add_format({"num_format": "0%", "align": "center"})
    title = wb.add_format({"bold": True, "font_size": 12})
    tilted = wb.add_format({"bold": True, "bg_color": "#DDE5EE", "border": 1, "rotation": 60, "text_wrap": False})
    r = 0
    ws.write_string(r, 0, f"Share of each trainee's latest {report.latest_n} finished sessions in which the step was missed (steps in the protocol's order)")
    r += 2
    for g in report.grids:
        ws.write_string(r, 0, neutralise(f"{g.title} ({g.protocol})"), title)
        r += 1
        ws.write_string(r, 0, "trainee", head)
        for c, (sid, stitle, crit) in enumerate(g.steps, start=1):
            ws.write_string(r, c, neutralise(stitle + (" *" if crit else "")), tilted)
        ws.write_string(r, len(g.steps) + 1, "sessions", head)
        ws.set_row(r, 110)
        first = r + 1
        for name, cells in g.rows:
            r += 1
            ws.write_string(r, 0, neutralise(name))
            for c, cell in enumerate(cells, start=1):
                if cell.sessions:
                    ws.write_number(r, c, cell.missed / cell.sessions, share)
                else:
                    ws.write_blank(r, c, None)
            ws.write_number(r, len(g.steps) + 1, max((cell.sessions for cell in cells), default=0))
        if g.rows:
            scale = {"type": "3_color_scale"}
            for end, (value, colour) in zip(("min", "mid", "max"), HEAT_SCALE):  # the HTML grid's colours
                scale.update({f"{end}_color": colour.upper(), f"{end}_type": "num", f"{end}_value": value})
            ws.conditional_format(first, 1, r, len(g.steps), scale)
        r += 2
        ws.write_string(r, 0, f"Who needs coaching on what (missed in more than {report.threshold:.0%} of their latest sessions)", head)
        for c in g.coaching:
            r += 1
            ws.write_string(r, 0, neutralise(c.title))
            ws.write_string(r, 1, neutralise(", ".join(f"{name} ({missed}/{n})" for name, missed, n in c.trainees)))
        if not g.coaching:
            r += 1
            ws.write_string(r, 0, "nobody")
        r += 3
    ws.set_column(0, 0, 28)
    ws.set_column(1, 40, 7)


def _progress_sheet(wb, report: ClassReport, head, pct, when) -> None:
    """The class by week (with a native chart) and each trainee's first, latest, best and trend."""
    ws = wb.add_worksheet("Progress")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    rate = wb.add_format({"num_format": "0%"})
    one = wb.add_format({"num_format": "0.0"})
    cols = ("week of", "sessions", "passed", "pass rate", "mean")
    for c, name in enumerate(cols):
        ws.write_string(0, c, name, head)
    for r, w in enumerate(report.weeks, start=1):
        moment = utc_datetime(w["week"])
        if moment is not None:
            ws.write_datetime(r, 0, moment, day)
        else:
            ws.write_string(r, 0, w["week"])
        ws.write_number(r, 1, w["sessions"])
        ws.write_number(r, 2, w["passed"])
        ws.write_number(r, 3, w["passed"] / w["sessions"], rate)
        ws.write_number(r, 4, w["mean"], one)
    n = len(report.weeks)
    if n:
        chart = wb.add_chart({"type": "line"})
        chart.add_series({"name": "mean score", "categories": ["Progress", 1, 0, n, 0], "values": ["Progress", 1, 4, n, 4], "marker": {"type": "circle"}})
        chart.add_series({"name": "pass rate", "categories": ["Progress", 1, 0, n, 0], "values": ["Progress", 1, 3, n, 3], "y2_axis": True, "marker": {"type": "square"}})
        chart.set_title({"name": "The class by week"})
        chart.set_x_axis({"name": "week of", "date_axis": True, "num_format": "yyyy-mm-dd"})
        chart.set_y_axis({"name": "mean score", "min": 0, "max": 100})
        chart.set_y2_axis({"name": "pass rate", "min": 0, "max": 1, "num_format": "0%"})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(1, 6, chart, {"x_scale": 1.4, "y_scale": 1.2})
    start = max(n + 3, 22)
    tcols = ("trainee", "sessions", "passed", "unfinished", "mean", "first", "latest", "best", "trend (points per attempt)", "first session", "last session")
    for c, name in enumerate(tcols):
        ws.write_string(start, c, name, head)
    for r, t in enumerate(trainee_rows(report), start=start + 1):
        ws.write_string(r, 0, neutralise(t["trainee"]))
        for c, key in enumerate(("sessions", "passed", "unfinished"), start=1):
            ws.write_number(r, c, t[key])
        for c, key in enumerate(("mean", "first", "latest", "best", "trend"), start=4):
            if t[key] is None:
                ws.write_blank(r, c, None)
            else:
                ws.write_number(r, c, t[key], one)
        for c, key in enumerate(("first_at", "last_at"), start=9):
            moment = utc_datetime(t[key])
            if moment is None:
                ws.write_blank(r, c, None)
            else:
                ws.write_datetime(r, c, moment, when)
    ws.set_column(0, 0, 22)
    ws.set_column(8, 8, 24)
    ws.set_column(9, 10, 19)


def utc_datetime(text: str | None):
    """An ISO-8601 UTC time as the naive datetime a spreadsheet cell holds (None if unreadable)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _cell(ws, r: int, c: int, value, fmt) -> None:
    if value is None:
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            ws.write_blank(r, c, None)  # a cell cannot hold NaN or infinity
        else:
            ws.write_number(r, c, value, fmt if isinstance(value, float) else None)
    else:
        ws.write_string(r, c, neutralise(str(value)))
