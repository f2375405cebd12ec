"""The table of every protocol step traced to its source: what docs/scoring.md shows.

`traced_table(protocols)` returns Markdown rows (a renderer: the caller writes it), so the
document and the protocol files can be checked against each other by a test.
"""
from __future__ import annotations

from .protocol import Protocol

__all__ = ["traced_table"]


def traced_table(protocols: list[Protocol]) -> str:
    rows = ["| protocol | step | kind | critical | applies when | source | the source's words |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in protocols:
        for s in p.steps:
            src = s.source
            kind = "avoid" if s.kind == "avoid" else "do"
            rows.append(
                f"| {p.id} | {s.id} | {kind} | {'yes' if s.critical else 'no'} | {s.when.value if s.when else 'always'} "
                f"| {src.file if src else '-'} | {('“' + src.quote + '”') if src else '-'} |"
            )
    return "\n".join(rows) + "\n"
