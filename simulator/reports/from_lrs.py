"""Sessions read back from a learning record store: `report --from-lrs` and `import --from-lrs`.

Every finished session a desk pushed carries itself in its `completed` statement (the
extension `.../extensions/record`, see `xapi.statements`). Reading them back asks the store
for the `completed` statements, page by page, and hands each record to the same checks an
export file gets (`exchange.session_from`, then `rescored`: the saved score is never trusted),
so a report made from the record store has the same numbers as the report made on the desk.

Statements pushed by a Defuse older than these records (no `record` extension) cannot be
turned back into sessions; they are counted and named, never guessed at. A session whose
statements were sent twice (from two desks, or again after an export) appears once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from simulator.diagnostics import DefuseError
from simulator.library import UnknownName
from simulator.store import Store, StoredSession

from .exchange import EXPORT_FORMAT, ExchangeError, rescored, session_from
from .lrs import Lrs
from .xapi import RECORD_EXTENSION, VERBS

__all__ = ["records", "Fetched", "fetch", "into_store"]

PAGE = 200  # statements asked for per page (each carries one whole session)


@dataclass
class Fetched:
    """What the record store gave back."""

    sessions: list[StoredSession] = field(default_factory=list)
    without_record: int = 0  # `completed` statements from an older Defuse, or another tool
    problems: list[str] = field(default_factory=list)  # records that failed the checks, one line each


def records(statements: Iterable[dict]) -> Iterator[tuple[str, object]]:
    """(statement id, the session record) for every statement that carries one; a statement
    without one yields (id, None)."""
    for st in statements:
        if not isinstance(st, dict):
            continue
        ext = (st.get("result") or {}).get("extensions") if isinstance(st.get("result"), dict) else None
        found = None
        if isinstance(ext, dict):
            for key, value in ext.items():
                if isinstance(key, str) and key.rstrip("/").endswith("/extensions/" + RECORD_EXTENSION) and isinstance(value, dict) and value.get("format") == EXPORT_FORMAT:
                    found = value.get("session")
                    break
        yield str(st.get("id", "?")), found


def fetch(lrs: Lrs, protocol_of: Callable[[str], object], progress: Callable[[Iterable], Iterable] = lambda it: it) -> Fetched:
    """Every finished session the record store holds, checked and scored again from its turns."""
    out = Fetched()
    best: dict[str, StoredSession] = {}
    where = lrs.url
    for n, (sid, raw) in enumerate(progress(records(_completed(lrs))), start=1):
        if raw is None:
            out.without_record += 1
            continue
        try:
            s = rescored(session_from(raw, n, f"{where} statement {sid}"), protocol_of)
        except UnknownName:
            out.problems.append(f"{where} statement {sid}: protocol {raw.get('protocol')!r} is not installed here, so the session cannot be scored")
            continue
        except (ExchangeError, DefuseError) as e:
            out.problems.append(str(e).splitlines()[0])
            continue
        had = best.get(s.id)
        if had is None or s.completeness > had.completeness:
            best[s.id] = s
    out.sessions = sorted(best.values(), key=lambda s: (s.started_at, s.id))
    return out


def _completed(lrs: Lrs) -> Iterator[dict]:
    """The `completed` statements: asked for by verb; a record store that answers that query
    with nothing (some ignore the verb filter, e.g. Ralph 5's file backend) is read whole and
    filtered here."""
    verb = VERBS["completed"]["id"]
    found = False
    for st in lrs.statements({"verb": verb, "limit": str(PAGE)}):
        found = True
        yield st
    if not found:
        for st in lrs.statements({"limit": str(PAGE)}):
            if isinstance(st, dict) and isinstance(st.get("verb"), dict) and st["verb"].get("id") == verb:
                yield st


def into_store(store: Store, sessions: Iterable[StoredSession]) -> dict[str, int]:
    """Merge the sessions into the store as `import` does (one transaction): counts by verdict."""
    counts = {"imported": 0, "updated": 0, "skipped": 0, "conflicts": 0}
    with store.importing():
        for s in sessions:
            verdict = store.merge(s)
            counts["conflicts" if verdict == "conflict" else verdict] += 1
    return counts
