"""The spreadsheet report: every session, a sheet per trainee, and the most frequent feedback.

Strings are always written as strings (never parsed as formulas or numbers) and a leading
formula character is neutralised too, so a cell copied into another sheet stays text.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from typing import Iterable

from .rows import COLUMNS, Judged, neutralise, row

__all__ = ["render_xlsx", "sheet_names", "utc_datetime"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED = {"sessions", "feedback", "history"}  # ours, and one Excel keeps for itself


def sheet_names(trainees: Iterable[str]) -> dict[str, str]:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\) for each trainee."""
    names: dict[str, str] = {}
    used = set(_RESERVED)
    for t in trainees:
        base = _BAD_SHEET_CHARS.sub("_", t).strip("'").strip() or "trainee"
        base = base[:31]
        name, n = base, 2
        while name.lower() in used:
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
            n += 1
        used.add(name.lower())
        names[t] = name
    return names


def render_xlsx(items: list[Judged]) -> bytes:
    import xlsxwriter

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


def utc_datetime(text: str | None):
    """An ISO-8601 UTC time as the naive datetime a spreadsheet cell holds (None if unreadable)."""
    from datetime import datetime, timezone

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
        ws.write_number(r, c, value, fmt if isinstance(value, float) else None)
    else:
        ws.write_string(r, c, neutralise(str(value)))
