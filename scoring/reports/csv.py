"""The CSV report: one row per session, streamed to a text stream as it is read."""
from __future__ import annotations

import csv
from typing import Iterable, TextIO

from .rows import COLUMNS, Judged, neutralise, row

__all__ = ["write_csv"]


def write_csv(items: Iterable[Judged], out: TextIO) -> int:
    """Write the header and a row per session; returns the number of sessions written."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    n = 0
    for j in items:
        r = row(j)
        w.writerow([_cell(r[k]) for k in COLUMNS])
        n += 1
    return n


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return neutralise(v)
