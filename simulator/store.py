"""Session persistence in SQLite: every turn is committed as it is played.

A session row is written when play starts (complete = 0), each turn is inserted and
committed at once, and the row is closed with the outcome and score at the end. A crash
or a kill mid-session leaves the turns so far on disk, marked incomplete.
Times are ISO-8601 UTC text handed in by the caller; the schema version is PRAGMA user_version.

Schema 4 keeps what went wrong (steps missed, kinds of feedback) as columns too.
Schema 2 adds `lrs_sent` (which state of each session a learning record store already
holds, per endpoint) and an index by start time; a version 1 file is migrated in place.
Sessions arriving from another machine are merged by id with `merge`, keeping the more
complete copy, so importing the same export twice never duplicates anything.
"""
from __future__ import annotations

import json
import os
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, NamedTuple

from platformdirs import user_data_dir

from .actions import Action
from .diagnostics import DefuseError
from .model import Outcome, Transcript, Turn

__all__ = ["Store", "StoredSession", "SessionSummary", "default_db_path", "utc_now", "fold_name", "lrs_key", "SCHEMA_VERSION", "StoreError", "SCRIPTED_MODES", "MODES", "LOCK_WAIT_S", "store_problem"]

SCHEMA_VERSION = 5

# How a session was played (`sessions.mode`): scripted runs (`defuse run`, the window's
# autoplay) are not practice and stay out of a class's figures unless asked for.
SCRIPTED_MODES = ("scripted", "autoplay")
MODES = ("practice", "scripted", "all")

# Sessions are read in batches of this many: their turns come in one query per batch, so
# reading stays fast without holding more than a batch in memory.
_BATCH = 500

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

# Version 1 -> 2: what each learning record store has been sent, reading by start time, and
# the score's components, the step sequence and the turns' totals as columns (kept up to
# date by add_turn, finish, save_score and merge), so a spreadsheet of a large store is
# read in one scan, without parsing saved scores or reading turns.
_SCHEMA_2 = """
ALTER TABLE sessions ADD COLUMN coverage REAL;
ALTER TABLE sessions ADD COLUMN order_score REAL;
ALTER TABLE sessions ADD COLUMN conduct REAL;
ALTER TABLE sessions ADD COLUMN outcome_score REAL;
ALTER TABLE sessions ADD COLUMN sequence TEXT;
ALTER TABLE sessions ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN anger_peak REAL;
ALTER TABLE sessions ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_turn_at TEXT;
UPDATE sessions SET
    turn_count = (SELECT COUNT(*) FROM turns t WHERE t.session_id = sessions.id),
    anger_peak = MAX(anger_start, COALESCE((SELECT MAX(anger_after) FROM turns t WHERE t.session_id = sessions.id), anger_start)),
    interruptions = (SELECT COUNT(*) FROM turns t WHERE t.session_id = sessions.id AND t.interrupted),
    last_turn_at = (SELECT at FROM turns t WHERE t.session_id = sessions.id ORDER BY idx DESC LIMIT 1);
CREATE TABLE IF NOT EXISTS lrs_sent (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    endpoint    TEXT NOT NULL,
    turns       INTEGER NOT NULL,
    complete    INTEGER NOT NULL,
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (session_id, endpoint)
);
CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions(started_at, id);
"""

# Version 2 -> 3: what scoring judges in context (a venting line, a request beyond the trainee's
# authority, narration after the call), the order the options were shown in and the trainee's
# own words, per turn; per session, the scoring rules' version, where the scenario came from
# (its file and a hash of it) and the language it was played in.
_SCHEMA_3 = """
ALTER TABLE turns ADD COLUMN venting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN beyond_authority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN narration INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN shown TEXT NOT NULL DEFAULT '[]';
ALTER TABLE turns ADD COLUMN words TEXT;
ALTER TABLE sessions ADD COLUMN scoring_version INTEGER;
ALTER TABLE sessions ADD COLUMN scenario_source TEXT;
ALTER TABLE sessions ADD COLUMN scenario_hash TEXT;
ALTER TABLE sessions ADD COLUMN language TEXT;
"""


# Version 3 -> 4: what went wrong in each session as columns, kept with the score parts
# (`missed`: the steps not performed; `mistakes`: each kind of feedback once, "kind:step"),
# so a class report counts misses and mistakes over 100,000 sessions without parsing a score;
# and an index holding every column a class report reads, so it never reads the saved scores'
# pages (a large store is mostly those).
_SCHEMA_4 = """
ALTER TABLE sessions ADD COLUMN missed TEXT;
ALTER TABLE sessions ADD COLUMN mistakes TEXT;
CREATE INDEX IF NOT EXISTS sessions_report ON sessions(complete, trainee, started_at, id, mode, passed, total, scenario, title, protocol, mistakes);
"""


# Version 4 -> 5: the trainer's own note on the option chosen (a scenario's `feedback:`), per
# turn, so a session scored again later still shows it.
_SCHEMA_5 = """
ALTER TABLE turns ADD COLUMN feedback TEXT;
"""


class StoreError(DefuseError):
    """The session file cannot be used (newer schema, not a database)."""


def lrs_key(endpoint: str) -> str:
    """A record store's address without a trailing slash or `/statements`: the same store, however written."""
    key = endpoint.strip().rstrip("/")
    if key.endswith("/statements"):
        key = key[: -len("/statements")].rstrip("/")
    return key


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _check_db_path(path: Path) -> None:
    """StoreError unless the path can be, or already is, a session database file."""
    if path.is_dir():
        raise StoreError(f"{path}: a folder, not a session database file")
    if path.exists() and not path.is_file():
        raise StoreError(f"{path}: not a regular file (a device or a pipe cannot hold sessions)")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise StoreError(f"{path}: {parent} is a file, not a folder")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{path}: cannot create the folder {parent} ({e.strerror or e})") from None


# How long a write waits for another program (another Defuse, a backup tool, a DB browser)
# to let go of the file before it gives up with one line (see `store_problem`).
LOCK_WAIT_S = 30.0


def store_problem(e: sqlite3.Error) -> str:
    """What a store failure means, in one line for the trainee or instructor."""
    text = str(e)
    if "locked" in text.lower() or "busy" in text.lower():
        return f"{text}: another program kept the session store busy for over {LOCK_WAIT_S:g} s (close it, then try again)"
    return text


def _cannot_write(e: sqlite3.OperationalError) -> bool:
    text = str(e).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text


def fold_name(name: str) -> str:
    """A trainee name as the filters compare it: no surrounding space, case folded."""
    return " ".join(name.split()).casefold()


def default_db_path() -> Path:
    env = os.environ.get("DEFUSE_DB")
    if env:
        return Path(env)
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
    turn_times: tuple[str, ...] = ()  # when each turn was committed (ISO-8601 UTC)
    language: str | None = None  # the language it was played in (None: the scenario's own)
    scenario_source: str | None = None  # the file it was played from: `bundled:FILE` or a path
    scenario_hash: str | None = None  # sha256 of that file's bytes

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
            "language": self.language,
            "scenario_source": self.scenario_source,
            "scenario_hash": self.scenario_hash,
            "turns": [t.to_dict() for t in self.turns],
        }

    @property
    def completeness(self) -> tuple[int, int, int]:
        """Orders two copies of one session: finished beats unfinished, then more turns, then closed."""
        return (int(self.complete), len(self.turns), int(self.ended_at is not None))


class SessionSummary(NamedTuple):
    """One session as a flat record (no turns, no saved feedback): what a spreadsheet row needs."""

    id: str
    trainee: str
    scenario: str
    revision: int
    title: str
    protocol: str
    started_at: str
    ended_at: str | None
    outcome: Outcome | None
    complete: bool
    anger_start: float
    anger_end: float | None
    total: float | None
    passed: bool | None
    components: dict
    sequence: tuple[str, ...]
    scored: bool  # False: no saved score; read the full session to score it
    turn_count: int
    anger_peak: float
    interruptions: int
    last_turn_at: str | None
    mode: str = ""
    missed: tuple[str, ...] = ()  # the saved score's steps not performed (and not left out as not applying)
    mistakes: tuple[str, ...] = ()  # its kinds of feedback, "kind:step", each once
    language: str | None = None  # the language it was played in (None: the scenario's own)


class Store:
    """One SQLite file of sessions. Use as a context manager, or call close()."""

    def __init__(self, path: str | Path | None = None):
        if path is not None and not str(path):
            raise StoreError("--db: an empty path")
        self.path = Path(path) if path is not None else default_db_path()
        self.readonly = False
        memory = str(path) == ":memory:" if path is not None else False
        if not memory:
            _check_db_path(self.path)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=LOCK_WAIT_S)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the session store ({e})") from None
        self.conn.row_factory = sqlite3.Row
        # `--trainee` matches whatever the case or the spacing (SQLite's own lower() knows only ASCII)
        self.conn.create_function("defuse_fold", 1, lambda v: fold_name(v) if isinstance(v, str) else v, deterministic=True)
        self._actions: dict[str, tuple[Action, ...]] = {}
        try:
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._refuse_foreign()  # before anything (even the journal mode) is written to the file
            if not memory:
                self.conn.execute("PRAGMA journal_mode=WAL")
                # in WAL mode, NORMAL still survives a crash or kill of the program (only a power
                # cut can lose the last commits) and spares an fsync on every turn
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.OperationalError as e:
            self.conn.close()
            if not memory and self.path.is_file() and _cannot_write(e):
                self._open_readonly()  # a store on a read-only disk or in a read-only folder is still listed and reported
                return
            raise StoreError(f"{self.path}: cannot use the session store ({e})") from None
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise StoreError(f"{self.path}: not a Defuse session database ({e})") from None
        except StoreError:
            self.conn.close()
            raise

    def _refuse_foreign(self) -> None:
        if self.conn.execute("PRAGMA user_version").fetchone()[0] != 0:
            return
        tables = sorted(r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
        if tables and not {"sessions", "turns"} <= set(tables):
            raise StoreError(
                f"{self.path}: another program's SQLite database (tables: {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''});"
                " left untouched: give --db a new file or a Defuse session store"
            )

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

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: session store schema {version} is newer than this Defuse ({SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return
        # one write transaction for every step: two programs opening a new or old file at once
        # queue here instead of both adding the same columns, and a migration cut short leaves
        # the file as it was
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                tables = sorted(r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
                if tables and not {"sessions", "turns"} <= set(tables):
                    raise StoreError(
                        f"{self.path}: another program's SQLite database (tables: {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''});"
                        " left untouched: give --db a new file or a Defuse session store"
                    )
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self.conn.execute(statement)
                version = 1
            columns = {r[1] for r in self.conn.execute("PRAGMA table_info(sessions)")}
            if version < 2 or "turn_count" not in columns:
                # (the second test: files from an early schema-2 build that had no score columns yet)
                for statement in filter(str.strip, _SCHEMA_2.split(";")):
                    added = statement.split("ADD COLUMN")[-1].split()[0] if "ADD COLUMN" in statement else None
                    if added in columns:
                        continue
                    self.conn.execute(statement)
                rows = self.conn.execute("SELECT id, score_json FROM sessions WHERE score_json IS NOT NULL").fetchall()
                self.conn.executemany(
                    "UPDATE sessions SET coverage=?, order_score=?, conduct=?, outcome_score=?, sequence=? WHERE id=?",
                    [(*_score_columns(_saved_score(r[1])), r[0]) for r in rows],
                )
                version = 2
            if version < 3:
                columns = {r[1] for r in self.conn.execute("PRAGMA table_info(sessions)")}
                turn_columns = {r[1] for r in self.conn.execute("PRAGMA table_info(turns)")}
                for statement in filter(str.strip, _SCHEMA_3.split(";")):
                    table = statement.split()[2]
                    added = statement.split("ADD COLUMN")[-1].split()[0]
                    if added in (turn_columns if table == "turns" else columns):
                        continue
                    self.conn.execute(statement)
            if version < 4:
                columns = {r[1] for r in self.conn.execute("PRAGMA table_info(sessions)")}
                for statement in filter(str.strip, _SCHEMA_4.split(";")):
                    if "ADD COLUMN" not in statement or statement.split("ADD COLUMN")[-1].split()[0] not in columns:
                        self.conn.execute(statement)
                rows = self.conn.execute("SELECT id, score_json FROM sessions WHERE score_json IS NOT NULL").fetchall()
                self.conn.executemany("UPDATE sessions SET missed=?, mistakes=? WHERE id=?", [(*_fault_columns(_saved_score(r[1])), r[0]) for r in rows])
            if version < 5 and "feedback" not in {r[1] for r in self.conn.execute("PRAGMA table_info(turns)")}:
                self.conn.execute(_SCHEMA_5.strip().rstrip(";"))
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

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
            self.conn.execute(_TURN_INSERT, _turn_row(session_id, turn, at))
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
                    score["total"] if score else None,
                    (int(score["passed"]) if score else None),
                    json.dumps(score) if score else None,
                    *_score_columns(score),
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
                (score["total"], int(score["passed"]), json.dumps(score), score["protocol"], *_score_columns(score), score.get("scoring_version"), session_id),
            )
            self._save_faults(session_id, score)

    def _save_faults(self, session_id: str, score: dict | None) -> None:
        """Keep the `missed` and `mistakes` columns in step with a saved score (inside the caller's transaction)."""
        self.conn.execute("UPDATE sessions SET missed=?, mistakes=? WHERE id=?", (*_fault_columns(score), session_id))

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
        mode: str | None = None,
        with_turns: bool = True,
    ) -> Iterator[StoredSession]:
        """Sessions matching every given filter, oldest first, streamed row by row."""
        where, args = _where(trainee, scenario, since, until, passed, complete, mode)
        sql = "SELECT * FROM sessions" + where + " ORDER BY started_at, id"
        cur = self.conn.execute(sql, args)
        while True:
            rows = cur.fetchmany(_BATCH)
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
        where, args = _where(trainee, scenario, since, until, passed, complete, mode)
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
                tuple(r[18].split(_SEP)[:-1]) if r[18] else (),
                r[12] is not None and r[18] is not None and (scoring_version is None or r[27] == scoring_version),
                *r[19:24],
                tuple(r[24].split(_SEP)[:-1]) if r[24] else (),
                tuple(r[25].split(_SEP)[:-1]) if r[25] else (),
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
        where, args = _where(*(filters.get(k) for k in ("trainee", "scenario", "since", "until", "passed", "complete", "mode")))
        return self.conn.execute("SELECT COUNT(*) FROM sessions" + where, args).fetchone()[0]

    def turns(self, session_id: str) -> tuple[Turn, ...]:
        return self._turns_of([session_id]).get(session_id, ((), ()))[0]

    def _turns_of(self, ids: list[str]) -> dict[str, tuple[tuple[Turn, ...], tuple[str, ...]]]:
        """The turns (and their commit times) of several sessions in one query."""
        marks = ",".join("?" * len(ids))
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: reading a large store is dominated by per-row costs
        rows = cur.execute(f"SELECT {_TURN_COLUMNS} FROM turns WHERE session_id IN ({marks}) ORDER BY session_id, idx", ids)
        grouped: dict[str, tuple[list[Turn], list[str]]] = {}
        parsed = self._actions
        for sid, idx, node, line, text, choice, said, acts, interrupted, before, after, elapsed, restarted, threat, abuse, goto, at, venting, beyond, narration, shown, words, feedback in rows:
            actions = parsed.get(acts)
            if actions is None:
                # the same few action lists recur across a store: parse each once
                actions = tuple(Action(a) for a in json.loads(acts))
                if len(parsed) < 4096:
                    parsed[acts] = actions
            turns, times = grouped.setdefault(sid, ([], []))
            turns.append(
                Turn(
                    idx, node, line, text, choice, said, actions, bool(interrupted), before, after, elapsed, bool(restarted),
                    bool(threat), bool(abuse), goto, bool(venting), bool(beyond), bool(narration), tuple(json.loads(shown)) if shown != "[]" else (), words,
                    feedback,
                )
            )
            times.append(at)
        return {sid: (tuple(t), tuple(at)) for sid, (t, at) in grouped.items()}

    # ---------------------------------------------------------------- merging

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
                # the verdict has one source: the score itself (the columns only mirror it)
                session.score["total"] if session.score else None,
                int(bool(session.score["passed"])) if session.score else None,
                json.dumps(session.score) if session.score is not None else None,
                *_score_columns(session.score),
                len(session.turns),
                max([session.anger_start] + [t.anger_after for t in session.turns]),
                sum(1 for t in session.turns if t.interrupted),
                times[-1] if times else None,
                session.language,
                session.scenario_source,
                session.scenario_hash,
            ),
        )
        self.conn.executemany(_TURN_INSERT, [_turn_row(session.id, t, at) for t, at in zip(session.turns, times)])
        self._save_faults(session.id, session.score)
        return "imported" if ours is None else "updated"

    # ---------------------------------------------------------------- learning record store

    def lrs_ledger(self, endpoint: str) -> str:
        """The key under which a record store's ledger is kept: one per store however its address is written.

        `http://h/xAPI`, `http://h/xAPI/` and `http://h/xAPI/statements` are the same store; rows
        an older Defuse wrote under another spelling are folded into the key.
        """
        key = lrs_key(endpoint)
        variants = sorted({key + "/", key + "/statements", key + "/statements/"} - {key})
        with self.conn:
            self.conn.execute(f"UPDATE OR REPLACE lrs_sent SET endpoint = ? WHERE endpoint IN ({','.join('?' * len(variants))})", [key, *variants])
        return key

    def lrs_pending(self, endpoint: str, ids: list[str]) -> list[str]:
        """Of these sessions, those the endpoint has not been sent in their present state."""
        pending = []
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT s.id FROM sessions s LEFT JOIN lrs_sent l ON l.session_id = s.id AND l.endpoint = ?"
                f" WHERE s.id IN ({marks}) AND (l.session_id IS NULL OR l.complete != s.complete"
                f" OR l.turns != s.turn_count)",
                [endpoint, *chunk],
            )
            found = {r[0] for r in rows}
            pending.extend(i for i in chunk if i in found)
        return pending

    def mark_sent(self, endpoint: str, session: StoredSession, sent_at: str | None = None) -> None:
        self.mark_sent_many(endpoint, [session], sent_at)

    def mark_sent_many(self, endpoint: str, sessions: list[StoredSession], sent_at: str | None = None) -> None:
        """Record, in one transaction, that the endpoint holds these sessions as they are now."""
        at = sent_at or utc_now()
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO lrs_sent (session_id, endpoint, turns, complete, sent_at) VALUES (?,?,?,?,?)",
                [(s.id, endpoint, len(s.turns), int(s.complete), at) for s in sessions],
            )

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
            score=_saved_score(row["score_json"]),
            turns=turns[0],
            turn_times=turns[1],
            language=row["language"],
            scenario_source=row["scenario_source"],
            scenario_hash=row["scenario_hash"],
        )


_SUMMARY_COLUMNS = (
    "id, trainee, scenario, revision, title, protocol, started_at, ended_at, outcome, complete, anger_start, anger_end,"
    " total, passed, coverage, order_score, conduct, outcome_score, sequence, turn_count, anger_peak, interruptions, last_turn_at, mode, missed, mistakes, language"
)
_SEP = "\x1f"  # between the step ids of the `sequence` column (a character no step id can hold)


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


def _where(trainee, scenario, since, until, passed, complete, mode=None) -> tuple[str, list]:
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


def _fault_columns(score: dict | None) -> tuple[str | None, str | None]:
    """The steps a score counts as missed, and its kinds of feedback ("kind:step", once each)."""
    if not score:
        return (None, None)
    missed = "".join(
        st["id"] + _SEP for st in score.get("steps", []) if not st.get("performed") and st.get("applicable", True) is not False
    )
    kinds = dict.fromkeys(f"{f.get('kind', 'step')}:{f.get('step') or ''}" for f in score.get("feedback", []))
    return missed, "".join(k + _SEP for k in kinds)


def _saved_score(text: str | None) -> dict | None:
    """A saved score, or None (to be scored again from the turns) when it is missing or unreadable."""
    if not text:
        return None
    try:
        score = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(score, dict) or not isinstance(score.get("passed"), bool) or not isinstance(score.get("protocol"), str):
        return None
    total = score.get("total")
    if isinstance(total, bool) or not isinstance(total, (int, float)) or not (0 <= total <= 100):  # also refuses NaN
        return None
    components = score.get("components")
    if not isinstance(components, dict) or not all(v is None or (isinstance(v, (int, float)) and 0 <= v <= 1) for v in components.values()):
        return None
    if not isinstance(score.get("steps"), list) or not isinstance(score.get("sequence"), list) or not isinstance(score.get("feedback"), list):
        return None
    for step in score["steps"]:
        if not isinstance(step, dict) or not isinstance(step.get("id"), str) or not isinstance(step.get("title"), str):
            return None
        turn = step.get("turn")
        if step.get("performed") and (isinstance(turn, bool) or not isinstance(turn, int)):
            return None  # a step performed at no turn
    return score


def _score_columns(score: dict | None) -> tuple:
    """The score's components and step sequence, as the sessions table keeps them."""
    if not score:
        return (None, None, None, None, None)
    c = score.get("components", {})
    return (c.get("coverage"), c.get("order"), c.get("conduct"), c.get("outcome"), "".join(step + _SEP for step in score.get("sequence", [])))


_TURN_COLUMNS = (
    "session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after,"
    " elapsed, restarted_vent, threat, abuse, goto, at, venting, beyond_authority, narration, shown, words, feedback"
)
_TURN_INSERT = f"INSERT INTO turns ({_TURN_COLUMNS}) VALUES ({','.join('?' * 23)})"


def _turn_row(session_id: str, turn: Turn, at: str) -> tuple:
    return (
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
        at,
        int(turn.venting),
        int(turn.beyond_authority),
        int(turn.narration),
        json.dumps(list(turn.shown)),
        turn.words,
        turn.feedback,
    )
