"""Sessions from another machine merged into the store by id: the more complete copy is kept,
a finished session is never replaced, and importing the same export twice adds nothing."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ..model import Turn
from .records import TURN_INSERT, StoredSession, score_columns, turn_row, verdict_columns
from .schema import StoreError

__all__ = ["Merging"]


class Merging:
    """The store's import merge (a part of `Store`: it reads with `get` and writes through the connection)."""

    conn: sqlite3.Connection
    path: Path

    @contextmanager
    def importing(self):
        """One transaction for a whole import: taken before reading, so two imports queue instead
        of racing, and rolled back whole if anything in the file is wrong."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: cannot write ({e})") from None
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def merge(self, session: StoredSession) -> str:
        """Add a session from elsewhere: 'imported' (new), 'updated' (ours was an unfinished earlier
        state of it), 'skipped' (ours holds it already) or 'conflict' (the two copies disagree: ours
        is kept). A finished session is never replaced."""
        if self.conn.in_transaction:
            return self._merge(session)
        with self.conn:
            return self._merge(session)

    def _merge(self, session: StoredSession) -> str:
        ours = self.get(session.id)
        if ours is not None:
            verdict = _compare(ours, session)
            if verdict != "update":
                return verdict
        times = session.turn_times if len(session.turn_times) == len(session.turns) else (session.started_at,) * len(session.turns)
        if ours is not None:
            self.conn.execute("DELETE FROM turns WHERE session_id=?", (session.id,))
            self.conn.execute("DELETE FROM sessions WHERE id=?", (session.id,))
        self.conn.execute(
            "INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete,"
            " anger_start, anger_end, total, passed, score_json, coverage, order_score, conduct, outcome_score, sequence,"
            " turn_count, anger_peak, interruptions, last_turn_at, language, scenario_source, scenario_hash)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                session.id,
                session.trainee,
                session.scenario,
                session.revision,
                session.title,
                session.protocol,
                session.seed,
                session.mode,
                session.started_at,
                session.ended_at,
                session.outcome.value if session.outcome else None,
                int(session.complete),
                session.anger_start,
                session.anger_end,
                *verdict_columns(session.score),  # the verdict has one source: the score itself
                json.dumps(session.score) if session.score is not None else None,
                *score_columns(session.score),
                len(session.turns),
                max([session.anger_start] + [t.anger_after for t in session.turns]),
                sum(1 for t in session.turns if t.interrupted),
                times[-1] if times else None,
                session.language,
                session.scenario_source,
                session.scenario_hash,
            ),
        )
        self.conn.executemany(TURN_INSERT, [turn_row(session.id, t, at) for t, at in zip(session.turns, times)])
        self._save_faults(session.id, session.score)
        return "imported" if ours is None else "updated"


def _same_turn(a: Turn, b: Turn) -> bool:
    return (a.index, a.node, a.choice, a.interrupted, a.actions) == (b.index, b.node, b.choice, b.interrupted, b.actions)


def _compare(ours: StoredSession, theirs: StoredSession) -> str:
    """What to do with another copy of a session we hold: 'skipped', 'update' or 'conflict'."""
    same = (ours.trainee, ours.scenario, ours.revision, ours.protocol, ours.started_at) == (
        theirs.trainee, theirs.scenario, theirs.revision, theirs.protocol, theirs.started_at)
    shared = min(len(ours.turns), len(theirs.turns))
    if not same or not all(_same_turn(a, b) for a, b in zip(ours.turns[:shared], theirs.turns[:shared])):
        return "conflict"
    if ours.complete:
        # ours is final: theirs may be the same or an earlier state of it, nothing else
        if theirs.complete:
            return "skipped" if len(theirs.turns) == len(ours.turns) and theirs.outcome == ours.outcome else "conflict"
        return "skipped" if len(theirs.turns) <= len(ours.turns) else "conflict"
    if len(theirs.turns) < len(ours.turns):
        return "skipped"
    return "update" if theirs.completeness > ours.completeness else "skipped"
