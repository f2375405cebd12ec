"""Reading the session store: one session, a stream of sessions with their turns, or flat
summaries aggregated in SQL for large stores; the filters every listing and report shares."""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from typing import Iterator

from ..actions import Action
from ..model import Outcome, Turn
from .records import MODES, SCRIPTED_MODES, SEP, TURN_COLUMNS, SessionSummary, StoredSession, fold_name, saved_score

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
        row = self.conn.execute("SELECT * FROM sessions WHERE id=?", (session_id,)).fetchone()
        return self._session(row) if row else None

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
        sql = "SELECT * FROM sessions" + where + " ORDER BY started_at, id"
        cur = self.conn.execute(sql, args)
        while True:
            rows = cur.fetchmany(BATCH)
            if not rows:
                return
            turns = self._turns_of([r["id"] for r in rows]) if with_turns else {}
            for row in rows:
                yield self._session(row, with_turns=False, turns=turns.get(row["id"], ((), ())))

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

    def count(self, **filters) -> int:
        """How many sessions match the filters (as `find` takes them)."""
        where, args = where_clause(*(filters.get(k) for k in ("trainee", "scenario", "since", "until", "passed", "complete", "mode")))
        return self.conn.execute("SELECT COUNT(*) FROM sessions" + where, args).fetchone()[0]

    def turns(self, session_id: str) -> tuple[Turn, ...]:
        return self._turns_of([session_id]).get(session_id, ((), ()))[0]

    def _turns_of(self, ids: list[str]) -> dict[str, tuple[tuple[Turn, ...], tuple[str, ...]]]:
        """The turns (and their commit times) of several sessions in one query."""
        marks = ",".join("?" * len(ids))
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: reading a large store is dominated by per-row costs
        rows = cur.execute(f"SELECT {TURN_COLUMNS} FROM turns WHERE session_id IN ({marks}) ORDER BY session_id, idx", ids)
        grouped: dict[str, tuple[list[Turn], list[str]]] = {}
        for sid, idx, node, line, text, choice, said, acts, interrupted, before, after, elapsed, restarted, threat, abuse, goto, at, venting, beyond, narration, shown, words, feedback in rows:
            turns, times = grouped.setdefault(sid, ([], []))
            turns.append(
                Turn(
                    idx, node, line, text, choice, said, _actions_of(acts), bool(interrupted), before, after, elapsed, bool(restarted),
                    bool(threat), bool(abuse), goto, bool(venting), bool(beyond), bool(narration), _shown_of(shown), words,
                    feedback,
                )
            )
            times.append(at)
        return {sid: (tuple(t), tuple(at)) for sid, (t, at) in grouped.items()}

    def _session(self, row: sqlite3.Row, with_turns: bool = True, turns: tuple | None = None) -> StoredSession:
        if turns is None:
            turns = self._turns_of([row["id"]]).get(row["id"], ((), ())) if with_turns else ((), ())
        return StoredSession(
            id=row["id"],
            trainee=row["trainee"],
            scenario=row["scenario"],
            revision=row["revision"],
            title=row["title"],
            protocol=row["protocol"],
            seed=row["seed"],
            mode=row["mode"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            complete=bool(row["complete"]),
            anger_start=row["anger_start"],
            anger_end=row["anger_end"],
            total=row["total"],
            passed=None if row["passed"] is None else bool(row["passed"]),
            score=saved_score(row["score_json"]),
            turns=turns[0],
            turn_times=turns[1],
            language=row["language"],
            scenario_source=row["scenario_source"],
            scenario_hash=row["scenario_hash"],
        )


# A turn's actions and shown options are JSON lists, and the same few recur across a store:
# each is parsed once (by its text; the results are tuples, never changed).
@lru_cache(maxsize=4096)
def _actions_of(text: str) -> tuple[Action, ...]:
    return tuple(Action(a) for a in json.loads(text))


@lru_cache(maxsize=4096)
def _shown_of(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text != "[]" else ()


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
