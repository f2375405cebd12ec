"""The JSON report: every session with its turns and score, streamed as one document.

Shape (see docs/reports.md): {"format": "defuse-report", "version": 1, "generated": ISO,
"filters": {...}, "sessions": [{...session..., "turn_times": [...], "score": {...}}]}.
"""
from __future__ import annotations

import json
from typing import Iterable, TextIO

from .rows import Judged, duration_seconds

__all__ = ["write_json", "session_doc", "REPORT_FORMAT"]

REPORT_FORMAT = "defuse-report"


def session_doc(j: Judged) -> dict:
    doc = j.session.to_dict()
    doc["turn_times"] = list(j.session.turn_times)
    doc["duration_s"] = duration_seconds(j.session)
    doc["score"] = j.score
    return doc


def write_json(items: Iterable[Judged], out: TextIO, *, generated: str, filters: dict) -> int:
    """Stream the document one session at a time; returns the number of sessions."""
    head = json.dumps({"format": REPORT_FORMAT, "version": 1, "generated": generated, "filters": filters}, ensure_ascii=False)
    out.write(head[:-1] + ', "sessions": [')
    n = 0
    for j in items:
        out.write(("," if n else "") + "\n  " + json.dumps(session_doc(j), ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n
