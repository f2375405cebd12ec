"""Reading the session store: one session, a stream of sessions with their turns, or flat
summaries aggregated in SQL for large stores; the filters every listing and report shares."""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from typing import Iterator

from ..actions import Action
from ..model import Outcome, Turn
from .records import MODES, SCRIPTED_MODES, SEP, SESSION_COLUMNS, TURN_COLUMNS, SessionSummary, StoredSession, fold_name, saved_score

__all__ = ["Reading", "where_clause", "BATCH"]

# Sessions are read in batches of this many: their turns come in one query per batch, so
# reading stays fast without holding more than a batch in memory.
BATCH = 500

_SUMMARY_COLUMNS = (
    "id, trainee, scenario, revision, title, protocol, started_at, ended_at, outcome, complete, anger_start, anger_end,"
    " total, passed, coverage, order_score, conduct, outcome_score, sequence, turn_count, anger_peak, interruptions, last_turn_at, mode, missed, mistakes, language"
)


class Reading:
    """The store's read paths (a part of `Store`: it holds the connection)."""

    conn: sqlite3.Connection

    def get(self, session_id: str) -> StoredSession | None:
        row = self._rows(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id=?", (session_id,)).fetchone()
        return self._session(row, self._turns_of([session_id]).get(session_id, _NO_TURNS)) if row else None

    def get_many(self, ids: list[str]) -> Iterator[StoredSession]:
        """These sessions with their turns, in the order given (an id not in the store is passed over)."""
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = {r[0]: r for r in self._rows(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
            turns = self._turns_of(list(rows))
            for i in chunk:
                if i in rows:
                    yield self._session(rows[i], turns.get(i, _NO_TURNS))

    def find(
        self,
        *,
        trainee: str | None = None,
        scenario: str | None = None,
        since: str | None = None,
        until: str | None = None,
        passed: bool | None = None,
        complete: bool | None = None,
        mode: str | None = None,
        with_turns: bool = True,
    ) -> Iterator[StoredSession]:
        """Sessions matching every given filter, oldest first, streamed row by row."""
        where, args = where_clause(trainee, scenario, since, until, passed, complete, mode)
        cur = self._rows(f"SELECT {SESSION_COLUMNS} FROM sessions" + where + " ORDER BY started_at, id", args)
        while True:
            rows = cur.fetchmany(BATCH)
            if not rows:
                return
            turns = self._turns_of([r[0] for r in rows]) if with_turns else {}
            for row in rows:
                yield self._session(row, turns.get(row[0], _NO_TURNS))

    def summaries(
        self,
        *,
        trainee: str | None = None,
        scenario: str | None = None,
        since: str | None = None,
        until: str | None = None,
        passed: bool | None = None,
        complete: bool | None = None,
        mode: str | None = None,
        scoring_version: int | None = None,
    ) -> Iterator["SessionSummary"]:
        """Like `find`, but one flat record per session with its turns aggregated in SQL: for large tables.

        With `scoring_version`, a score saved under other rules counts as no score (`scored`
        False), so the caller re-scores that session from its turns."""
        where, args = where_clause(trainee, scenario, since, until, passed, complete, mode)
        cur = self.conn.cursor()
        cur.row_factory = None
        cur.execute(f"SELECT {_SUMMARY_COLUMNS}, scoring_version FROM sessions" + where + " ORDER BY started_at, id", args)
        outcomes = {o.value: o for o in Outcome}
        for r in cur:
            yield SessionSummary(
                *r[:8],
                outcomes.get(r[8]) if r[8] else None,
                bool(r[9]),
                *r[10:12],
                r[12],
                None if r[13] is None else bool(r[13]),
                {"coverage": r[14], "order": r[15], "conduct": r[16], "outcome": r[17]},
                tuple(r[18].split(SEP)[:-1]) if r[18] else (),
                r[12] is not None and r[18] is not None and (scoring_version is None or r[27] == scoring_version),
                *r[19:24],
                tuple(r[24].split(SEP)[:-1]) if r[24] else (),
                tuple(r[25].split(SEP)[:-1]) if r[25] else (),
                r[26],
            )

    def outdated_ids(self, scoring_version: int) -> list[str]:
        """The sessions that keep a score saved under other scoring rules than `scoring_version`."""
        rows = self.conn.execute(
            "SELECT id FROM sessions WHERE score_json IS NOT NULL AND (scoring_version IS NULL OR scoring_version != ?) ORDER BY started_at, id",
            (scoring_version,),
        )
        return [r[0] for r in rows]

    def ids(self, **filters) -> list[str]:
        """The ids of the sessions matching the filters (as `find` takes them), oldest first."""
        where, args = _where(filters)
        return [r[0] for r in self._rows("SELECT id FROM sessions" + where + " ORDER BY started_at, id", args)]

    def count(self, **filters) -> int:
        """How many sessions match the filters (as `find` takes them)."""
        where, args = _where(filters)
        return self.conn.execute("SELECT COUNT(*) FROM sessions" + where, args).fetchone()[0]

    def turns(self, session_id: str) -> tuple[Turn, ...]:
        return self._turns_of([session_id]).get(session_id, _NO_TURNS)[0]

    def _rows(self, sql: str, args) -> sqlite3.Cursor:
        """A query's rows as plain tuples: reading a large store is dominated by per-row costs."""
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur.execute(sql, args)

    def _turns_of(self, ids: list[str]) -> dict[str, tuple[tuple[Turn, ...], tuple[str, ...]]]:
        """The turns (and their commit times) of several sessions in one query."""
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT {TURN_COLUMNS} FROM turns WHERE session_id IN ({marks}) ORDER BY session_id, idx", ids)
        grouped: dict[str, tuple[tuple[Turn, ...], tuple[str, ...]]] = {}
        last = None
        turns: list[Turn] = []
        times: list[str] = []
        for sid, idx, node, line, text, choice, said, acts, interrupted, before, after, elapsed, restarted, threat, abuse, goto, at, venting, beyond, narration, shown, words, feedback in rows:
            if sid != last:  # the rows come session by session
                turns, times, last = [], [], sid
                grouped[sid] = (turns, times)  # type: ignore[assignment]  (made tuples below)
            turns.append(
                Turn(
                    idx, node, line, text, choice, said, _actions_of(acts), bool(interrupted), before, after, elapsed, bool(restarted),
                    bool(threat), bool(abuse), goto, bool(venting), bool(beyond), bool(narration), _shown_of(shown), words,
                    feedback,
                )
            )
            times.append(at)
        return {sid: (tuple(t), tuple(at)) for sid, (t, at) in grouped.items()}

    @staticmethod
    def _session(r: tuple, turns: tuple[tuple[Turn, ...], tuple[str, ...]]) -> StoredSession:
        """A row of SESSION_COLUMNS, with its turns and their times, as a session."""
        return StoredSession(
            id=r[0],
            trainee=r[1],
            scenario=r[2],
            revision=r[3],
            title=r[4],
            protocol=r[5],
            seed=r[6],
            mode=r[7],
            started_at=r[8],
            ended_at=r[9],
            outcome=Outcome(r[10]) if r[10] else None,
            complete=bool(r[11]),
            anger_start=r[12],
            anger_end=r[13],
            total=r[14],
            passed=None if r[15] is None else bool(r[15]),
            score=saved_score(r[16]),
            turns=turns[0],
            turn_times=turns[1],
            language=r[17],
            scenario_source=r[18],
            scenario_hash=r[19],
        )


_NO_TURNS: tuple[tuple[Turn, ...], tuple[str, ...]] = ((), ())


# A turn's actions and shown options are JSON lists, and the same few recur across a store:
# each is parsed once (by its text; the results are tuples, never changed).
@lru_cache(maxsize=4096)
def _actions_of(text: str) -> tuple[Action, ...]:
    return tuple(Action(a) for a in json.loads(text))


@lru_cache(maxsize=4096)
def _shown_of(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text != "[]" else ()


def _where(filters: dict) -> tuple[str, list]:
    return where_clause(*(filters.get(k) for k in ("trainee", "scenario", "since", "until", "passed", "complete", "mode")))


def where_clause(trainee, scenario, since, until, passed, complete, mode=None) -> tuple[str, list]:
    """The WHERE clause of the session filters (since inclusive, until exclusive).

    `trainee` matches without regard to case or spacing; `mode` is "practice" (anything
    but a scripted run), "scripted", or None / "all" for every session.
    """
    where, args = [], []
    if mode not in (None, "all"):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        marks = ",".join("?" * len(SCRIPTED_MODES))
        where.append(f"mode {'NOT ' if mode == 'practice' else ''}IN ({marks})")
        args.extend(SCRIPTED_MODES)
    for clause, value in (
        ("defuse_fold(trainee) = ?", None if trainee is None else fold_name(trainee)),
        ("scenario = ?", scenario),
        ("started_at >= ?", since),
        ("started_at < ?", until),
        ("passed = ?", None if passed is None else int(passed)),
        ("complete = ?", None if complete is None else int(complete)),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    return (" WHERE " + " AND ".join(where) if where else ""), args
