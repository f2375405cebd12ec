"""Session persistence in SQLite: every turn is committed as it is played.

A session row is written when play starts (complete = 0), each turn is inserted and
committed at once, and the row is closed with the outcome and score at the end. A crash
or a kill mid-session leaves the turns so far on disk, marked incomplete.
Times are ISO-8601 UTC text handed in by the caller.

`Store` opens the file (WAL, foreign keys on, migrated to the current schema) and writes;
its other jobs are parts of their own: reading (`reading`), merging sessions from another
machine (`merging`) and the learning record store ledger (`ledger`); the schema and its
migrations are in `schema`, the values and row codecs in `records`.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path

from platformdirs import user_data_dir

from ..model import Outcome, Turn
from .ledger import LrsLedger
from .merging import Merging
from .reading import Reading
from .records import TURN_INSERT, fault_columns, fold_name, score_columns, turn_row, utc_now, verdict_columns
from .schema import SCHEMA_VERSION, StoreError, cannot_write, check_db_path, migrate, refuse_foreign

__all__ = ["Store", "default_db_path", "LOCK_WAIT_S", "store_problem"]

# How long a write waits for another program (another Defuse, a backup tool, a DB browser)
# to let go of the file before it gives up with one line (see `store_problem`).
LOCK_WAIT_S = 30.0


def default_db_path() -> Path:
    env = os.environ.get("DEFUSE_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("defuse", appauthor=False)) / "sessions.sqlite3"


def store_problem(e: sqlite3.Error) -> str:
    """What a store failure means, in one line for the trainee or instructor."""
    text = str(e)
    if "locked" in text.lower() or "busy" in text.lower():
        return f"{text}: another program kept the session store busy for over {LOCK_WAIT_S:g} s (close it, then try again)"
    return text


class Store(Reading, Merging, LrsLedger):
    """One SQLite file of sessions. Use as a context manager, or call close()."""

    def __init__(self, path: str | Path | None = None):
        if path is not None and not str(path):
            raise StoreError("--db: an empty path")
        self.path = Path(path) if path is not None else default_db_path()
        self.readonly = False
        self.repaired = 0  # sessions whose verdict columns the migration to schema 6 repaired (see schema.repair_verdicts)
        memory = str(path) == ":memory:" if path is not None else False
        if not memory:
            check_db_path(self.path)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=LOCK_WAIT_S)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the session store ({e})") from None
        self.conn.row_factory = sqlite3.Row
        # `--trainee` matches whatever the case or the spacing (SQLite's own lower() knows only ASCII)
        self.conn.create_function("defuse_fold", 1, lambda v: fold_name(v) if isinstance(v, str) else v, deterministic=True)
        try:
            self.conn.execute("PRAGMA foreign_keys=ON")
            refuse_foreign(self.conn, self.path)  # before anything (even the journal mode) is written to the file
            self.repaired = self._prepare(memory)
        except sqlite3.OperationalError as e:
            self.conn.close()
            if not memory and self.path.is_file() and cannot_write(e):
                self._open_readonly()  # a store on a read-only disk or in a read-only folder is still listed and reported
                return
            raise StoreError(f"{self.path}: cannot use the session store ({e})") from None
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise StoreError(f"{self.path}: not a Defuse session database ({e})") from None
        except StoreError:
            self.conn.close()
            raise

    def _prepare(self, memory: bool) -> int:
        """The journal mode and the schema (returns what `migrate` repaired).

        Two programs opening a new file at once can meet half-way, each holding a lock the other
        needs: SQLite then answers "locked" at once instead of waiting (waiting would deadlock),
        so the one that lost tries again, for up to LOCK_WAIT_S in all."""
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.01
        while True:
            try:
                if not memory:
                    self.conn.execute("PRAGMA journal_mode=WAL")
                    # in WAL mode, NORMAL still survives a crash or kill of the program (only a power
                    # cut can lose the last commits) and spares an fsync on every turn
                    self.conn.execute("PRAGMA synchronous=NORMAL")
                return migrate(self.conn, self.path)
            except sqlite3.OperationalError as e:
                text = str(e).lower()
                if not ("locked" in text or "busy" in text) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _open_readonly(self) -> None:
        uri = self.path.resolve().as_uri()
        last = None
        for mode in ("?mode=ro", "?immutable=1"):  # immutable: not even the WAL's shared memory can be made
            try:
                conn = sqlite3.connect(uri + mode, uri=True, timeout=LOCK_WAIT_S)
                conn.row_factory = sqlite3.Row
                conn.create_function("defuse_fold", 1, lambda v: fold_name(v) if isinstance(v, str) else v, deterministic=True)
                conn.execute("PRAGMA foreign_keys=ON")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as e:
                last = e
                continue
            if version != SCHEMA_VERSION:
                conn.close()
                raise StoreError(f"{self.path}: the session store is read-only here and needs an upgrade (schema {version} to {SCHEMA_VERSION}); open it once where it can be written")
            self.conn, self.readonly = conn, True
            return
        raise StoreError(f"{self.path}: cannot read the session store ({last})")

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
        language: str | None = None,
        scenario_source: str | None = None,
        scenario_hash: str | None = None,
    ) -> str:
        sid = session_id or str(uuid.uuid4())
        with self.conn:
            self.conn.execute(
                "INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, anger_start, anger_peak, language,"
                " scenario_source, scenario_hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sid, trainee, scenario, revision, title, protocol, seed, mode, started_at or utc_now(), anger_start, anger_start, language,
                 scenario_source, scenario_hash),
            )
        return sid

    def add_turn(self, session_id: str, turn: Turn, at: str | None = None) -> None:
        at = at or utc_now()
        with self.conn:
            self.conn.execute(TURN_INSERT, turn_row(session_id, turn, at))
            self.conn.execute(
                "UPDATE sessions SET turn_count = turn_count + 1, anger_peak = MAX(COALESCE(anger_peak, anger_start), ?),"
                " interruptions = interruptions + ?, last_turn_at = ? WHERE id = ?",
                (turn.anger_after, int(turn.interrupted), at, session_id),
            )

    def finish(self, session_id: str, *, outcome: Outcome | None, anger_end: float, score: dict | None, ended_at: str | None = None, complete: bool = True) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE sessions SET ended_at=?, outcome=?, complete=?, anger_end=?, total=?, passed=?, score_json=?,"
                " coverage=?, order_score=?, conduct=?, outcome_score=?, sequence=?, scoring_version=? WHERE id=?",
                (
                    ended_at or utc_now(),
                    outcome.value if outcome else None,
                    int(complete),
                    anger_end,
                    *verdict_columns(score),
                    json.dumps(score) if score else None,
                    *score_columns(score),
                    score.get("scoring_version") if score else None,
                    session_id,
                ),
            )
            self._save_faults(session_id, score)

    def save_score(self, session_id: str, score: dict) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE sessions SET total=?, passed=?, score_json=?, protocol=?, coverage=?, order_score=?, conduct=?, outcome_score=?, sequence=?,"
                " scoring_version=? WHERE id=?",
                (*verdict_columns(score), json.dumps(score), score["protocol"], *score_columns(score), score.get("scoring_version"), session_id),
            )
            self._save_faults(session_id, score)

    def _save_faults(self, session_id: str, score: dict | None) -> None:
        """Keep the `missed` and `mistakes` columns in step with a saved score (inside the caller's transaction)."""
        self.conn.execute("UPDATE sessions SET missed=?, mistakes=? WHERE id=?", (*fault_columns(score), session_id))
