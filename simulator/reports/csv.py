"""The CSV report: one row per session, streamed to a text stream as it is read."""
from __future__ import annotations

import csv
from typing import Iterable, TextIO

from .rows import COLUMNS, FORMULA_START

__all__ = ["write_csv"]


def write_csv(rows: Iterable[dict], out: TextIO) -> int:
    """Write the header and a row per session (dicts keyed by COLUMNS, in that order); returns the count.

    Every text cell that a spreadsheet would read as a formula gets a leading quote,
    whatever its column; booleans are written true/false and None as an empty cell.
    """
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    n = 0
    start = FORMULA_START
    for r in rows:
        if not n and tuple(r) != COLUMNS:
            raise ValueError(f"row keys {tuple(r)} are not the report columns")
        # one comprehension, no call per cell: this loop runs for every cell of a large store
        w.writerow(
            [
                ("'" + v if v[:1] in start else v) if v.__class__ is str else (("true" if v else "false") if v.__class__ is bool else v)
                for v in r.values()
            ]
        )
        n += 1
    return n
