"""W113: text that YAML cut short at a ` #`.

In unquoted YAML text, a `#` after a space starts a comment, so "You're my #1 priority"
silently becomes "You're my". The file still loads, which is what makes it dangerous: the
trainee just hears a shorter line. Only the prose fields (what people say or read) are
checked, since a comment after an id or a number is how trainers annotate their files.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Severity
from ..loader import Document
from ..syntax_hints import plain_scalar_comment

__all__ = ["cut_text", "PROSE_KEYS"]

PROSE_KEYS = frozenset({"text", "speech", "summary", "title", "description", "name", "goals", "feedback"})


def _prose(data, path=()):
    """(path, text) of every string under a prose key."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k in PROSE_KEYS and isinstance(v, str):
                yield path + (k,), v
            elif k in PROSE_KEYS and isinstance(v, list):
                for i, item in enumerate(v):
                    if isinstance(item, str):
                        yield path + (k, i), item
            else:
                yield from _prose(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _prose(v, path + (i,))


def cut_text(doc: Document, severity: Severity = Severity.WARNING) -> list[Diagnostic]:
    found = []
    for path, value in _prose(doc.data):
        line, col = doc.positions.at(path)
        dropped = plain_scalar_comment(doc.text, line, col)
        if dropped is None:
            continue
        where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")
        found.append(
            Diagnostic(
                doc.path,
                line,
                col,
                "W113",
                f"{where} is cut short at ' #': YAML read {dropped!r} as a comment, leaving {value!r}; put the whole text in double quotes",
                severity,
            )
        )
    return found
