"""Session persistence in SQLite: every turn is committed as it is played.

A session row is written when play starts (complete = 0), each turn is inserted and
committed at once, and the row is closed with the outcome and score at the end. A crash
or a kill mid-session leaves the turns so far on disk, marked incomplete.
Times are ISO-8601 UTC text handed in by the caller; the schema version is PRAGMA user_version.
"""
from __future__ import annotations

import json
import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .actions import Action
from .model import Outcome, Transcript, Turn

__all__ = ["Store", "StoredSession", "default_db_path", "utc_now", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id            TEXT PRIMARY KEY,
    trainee       TEXT NOT NULL,
    scenario      TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    protocol      TEXT NOT NULL,
    seed          INTEGER NOT NULL DEFAULT 0,
    mode          TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    outcome       TEXT,
    complete      INTEGER NOT NULL DEFAULT 0,
    anger_start   REAL NOT NULL,
    anger_end     REAL,
    total         REAL,
    passed        INTEGER,
    score_json    TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    node           TEXT NOT NULL,
    line           TEXT NOT NULL,
    text           TEXT NOT NULL,
    choice         TEXT NOT NULL,
    said           TEXT NOT NULL,
    actions        TEXT NOT NULL,
    interrupted    INTEGER NOT NULL,
    anger_before   REAL NOT NULL,
    anger_after    REAL NOT NULL,
    elapsed        REAL,
    restarted_vent INTEGER NOT NULL DEFAULT 0,
    threat         INTEGER NOT NULL DEFAULT 0,
    abuse          INTEGER NOT NULL DEFAULT 0,
    goto           TEXT NOT NULL DEFAULT '',
    at             TEXT NOT NULL,
    PRIMARY KEY (session_id, idx)
);
CREATE INDEX IF NOT EXISTS sessions_by_trainee ON sessions(trainee, started_at);
CREATE INDEX IF NOT EXISTS sessions_by_scenario ON sessions(scenario, started_at);
"""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_db_path() -> Path:
    env = os.environ.get("DEFUSE_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("defuse", appauthor=False)) / "sessions.sqlite3"


@dataclass(frozen=True)
class StoredSession:
    id: str
    trainee: str
    scenario: str
    revision: int
    title: str
    protocol: str
    seed: int
    mode: str
    started_at: str
    ended_at: str | None
    outcome: Outcome | None
    complete: bool
    anger_start: float
    anger_end: float | None
    total: float | None
    passed: bool | None
    score: dict | None
    turns: tuple[Turn, ...]

    def transcript(self) -> Transcript:
        end = self.anger_end if self.anger_end is not None else (self.turns[-1].anger_after if self.turns else self.anger_start)
        return Transcript(self.turns, self.outcome, self.anger_start, end)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "trainee": self.trainee,
            "scenario": self.scenario,
            "revision": self.revision,
            "title": self.title,
            "protocol": self.protocol,
            "seed": self.seed,
            "mode": self.mode,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome.value if self.outcome else None,
            "complete": self.complete,
            "anger_start": self.anger_start,
            "anger_end": self.anger_end,
            "total": self.total,
            "passed": self.passed,
            "turns": [t.to_dict() for t in self.turns],
        }


class Store:
    """One SQLite file of sessions. Use as a context manager, or call close()."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys=ON")
        if str(self.path) != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
        self._migrate()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path}: session store schema {version} is newer than this Defuse ({SCHEMA_VERSION})")
        if version < 1:
            with self.conn:
                self.conn.executescript(_SCHEMA)
                self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- writing

    def begin(
        self,
        *,
        trainee: str,
        scenario: str,
        revision: int,
        title: str,
        protocol: str,
        anger_start: float,
        seed: int = 0,
        mode: str = "",
        started_at: str | None = None,
        session_id: str | None = None,
    ) -> str:
        sid = session_id or str(uuid.uuid4())
        with self.conn:
            self.conn.execute(
                "INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, anger_start)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (sid, trainee, scenario, revision, title, protocol, seed, mode, started_at or utc_now(), anger_start),
            )
        return sid

    def add_turn(self, session_id: str, turn: Turn, at: str | None = None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    turn.index,
                    turn.node,
                    turn.line,
                    turn.text,
                    turn.choice,
                    turn.said,
                    json.dumps([a.value for a in turn.actions]),
                    int(turn.interrupted),
                    turn.anger_before,
                    turn.anger_after,
                    turn.elapsed,
                    int(turn.restarted_vent),
                    int(turn.threat),
                    int(turn.abuse),
                    turn.goto,
                    at or utc_now(),
                ),
            )

    def finish(self, session_id: str, *, outcome: Outcome | None, anger_end: float, score: dict | None, ended_at: str | None = None, complete: bool = True) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE sessions SET ended_at=?, outcome=?, complete=?, anger_end=?, total=?, passed=?, score_json=? WHERE id=?",
                (
                    ended_at or utc_now(),
                    outcome.value if outcome else None,
                    int(complete),
                    anger_end,
                    score["total"] if score else None,
                    (int(score["passed"]) if score else None),
                    json.dumps(score) if score else None,
                    session_id,
                ),
            )

    def save_score(self, session_id: str, score: dict) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE sessions SET total=?, passed=?, score_json=?, protocol=? WHERE id=?",
                (score["total"], int(score["passed"]), json.dumps(score), score["protocol"], session_id),
            )

    # ---------------------------------------------------------------- reading

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
        with_turns: bool = True,
    ) -> Iterator[StoredSession]:
        """Sessions matching every given filter, oldest first, streamed row by row."""
        where, args = [], []
        if trainee is not None:
            where.append("trainee = ?")
            args.append(trainee)
        if scenario is not None:
            where.append("scenario = ?")
            args.append(scenario)
        if since is not None:
            where.append("started_at >= ?")
            args.append(since)
        if until is not None:
            where.append("started_at < ?")
            args.append(until)
        if passed is not None:
            where.append("passed = ?")
            args.append(int(passed))
        if complete is not None:
            where.append("complete = ?")
            args.append(int(complete))
        sql = "SELECT * FROM sessions" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY started_at, id"
        cur = self.conn.execute(sql, args)
        for row in cur:
            yield self._session(row, with_turns)

    def turns(self, session_id: str) -> tuple[Turn, ...]:
        rows = self.conn.execute("SELECT * FROM turns WHERE session_id=? ORDER BY idx", (session_id,)).fetchall()
        return tuple(
            Turn(
                index=r["idx"],
                node=r["node"],
                line=r["line"],
                text=r["text"],
                choice=r["choice"],
                said=r["said"],
                actions=tuple(Action(a) for a in json.loads(r["actions"])),
                interrupted=bool(r["interrupted"]),
                anger_before=r["anger_before"],
                anger_after=r["anger_after"],
                elapsed=r["elapsed"],
                restarted_vent=bool(r["restarted_vent"]),
                threat=bool(r["threat"]),
                abuse=bool(r["abuse"]),
                goto=r["goto"],
            )
            for r in rows
        )

    def _session(self, row: sqlite3.Row, with_turns: bool = True) -> StoredSession:
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
            score=json.loads(row["score_json"]) if row["score_json"] else None,
            turns=self.turns(row["id"]) if with_turns else (),
        )
