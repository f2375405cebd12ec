"""The CSV report: one row per session, streamed to a text stream as it is read."""
from __future__ import annotations

import csv
from typing import Iterable, TextIO

from .rows import COLUMNS, neutralise

__all__ = ["write_csv"]


def write_csv(rows: Iterable[dict], out: TextIO) -> int:
    """Write the header and a row per session (dicts keyed by COLUMNS); returns the number written."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    n = 0
    for r in rows:
        w.writerow([_cell(v) for v in r.values()] if tuple(r) == COLUMNS else [_cell(r[k]) for k in COLUMNS])
        n += 1
    return n


def _cell(v):
    if v is None:
        return ""
    if v is True or v is False:
        return "true" if v else "false"
    if v.__class__ is str:
        return neutralise(v)
    return v
