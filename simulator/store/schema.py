"""The session store's schema and its migrations: what a Defuse SQLite file holds, version by version.

The version is PRAGMA user_version. A new file gets the whole schema; an older one is brought
up to date in place, in one write transaction (two programs opening it at once queue, and a
migration cut short leaves the file as it was). Schema 6 repairs the `passed`/`total` columns
that contradict the session's saved score (written by older versions, or edited); schema 5 keeps the trainer's note on each
turn's choice; schema 4 what went wrong (steps missed, kinds of feedback) as columns too;
schema 2 added `lrs_sent` (which state of each session a learning record store already
holds, per endpoint) and an index by start time.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..diagnostics import DefuseError
from .records import fault_columns, saved_score, score_columns, verdict_columns

__all__ = ["SCHEMA_VERSION", "StoreError", "migrate", "refuse_foreign", "check_db_path", "cannot_write"]

SCHEMA_VERSION = 6

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


# Version 5 -> 6: no new table or column; the verdict columns (`total`, `passed`) of every session
# are made to mirror its saved score (see `repair_verdicts`).


class StoreError(DefuseError):
    """The session file cannot be used (newer schema, not a database)."""


def check_db_path(path: Path) -> None:
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


def cannot_write(e: sqlite3.OperationalError) -> bool:
    text = str(e).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text


def refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """StoreError for another program's SQLite file: it is left untouched."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != 0:
        return
    tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
    if tables and not {"sessions", "turns"} <= set(tables):
        raise StoreError(
            f"{path}: another program's SQLite database (tables: {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''});"
            " left untouched: give --db a new file or a Defuse session store"
        )


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the file to SCHEMA_VERSION in one write transaction (a new file gets the whole schema).

    Returns how many sessions had their verdict repaired (see `repair_verdicts`): the command
    that opened the store says so."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: session store schema {version} is newer than this Defuse ({SCHEMA_VERSION})")
    if version == SCHEMA_VERSION:
        return 0
    # one write transaction for every step: two programs opening a new or old file at once
    # queue here instead of both adding the same columns, and a migration cut short leaves
    # the file as it was
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < 1:
            tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
            if tables and not {"sessions", "turns"} <= set(tables):
                raise StoreError(
                    f"{path}: another program's SQLite database (tables: {', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''});"
                    " left untouched: give --db a new file or a Defuse session store"
                )
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            version = 1
        columns = {r[1] for r in conn.execute("PRAGMA table_info(sessions)")}
        if version < 2 or "turn_count" not in columns:
            # (the second test: files from an early schema-2 build that had no score columns yet)
            for statement in filter(str.strip, _SCHEMA_2.split(";")):
                added = statement.split("ADD COLUMN")[-1].split()[0] if "ADD COLUMN" in statement else None
                if added in columns:
                    continue
                conn.execute(statement)
            rows = conn.execute("SELECT id, score_json FROM sessions WHERE score_json IS NOT NULL").fetchall()
            conn.executemany(
                "UPDATE sessions SET coverage=?, order_score=?, conduct=?, outcome_score=?, sequence=? WHERE id=?",
                [(*score_columns(saved_score(r[1])), r[0]) for r in rows],
            )
            version = 2
        if version < 3:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(sessions)")}
            turn_columns = {r[1] for r in conn.execute("PRAGMA table_info(turns)")}
            for statement in filter(str.strip, _SCHEMA_3.split(";")):
                table = statement.split()[2]
                added = statement.split("ADD COLUMN")[-1].split()[0]
                if added in (turn_columns if table == "turns" else columns):
                    continue
                conn.execute(statement)
        if version < 4:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(sessions)")}
            for statement in filter(str.strip, _SCHEMA_4.split(";")):
                if "ADD COLUMN" not in statement or statement.split("ADD COLUMN")[-1].split()[0] not in columns:
                    conn.execute(statement)
            rows = conn.execute("SELECT id, score_json FROM sessions WHERE score_json IS NOT NULL").fetchall()
            conn.executemany("UPDATE sessions SET missed=?, mistakes=? WHERE id=?", [(*fault_columns(saved_score(r[1])), r[0]) for r in rows])
        if version < 5 and "feedback" not in {r[1] for r in conn.execute("PRAGMA table_info(turns)")}:
            conn.execute(_SCHEMA_5.strip().rstrip(";"))
        repaired = repair_verdicts(conn) if version < 6 else 0
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return repaired


def repair_verdicts(conn: sqlite3.Connection) -> int:
    """Make each session's `total` and `passed` columns (and the score's parts kept beside them)
    mirror its saved score, as `Store.finish` writes them (`verdict_columns`); returns how many
    sessions were repaired.

    Older versions, or a hand-edited file, could leave columns that contradict the score: a
    PASS in the listing and a FAIL in xAPI, or a total of -5 or 1e308. A saved score that does
    not add up is no score at all (`saved_score`): its columns are emptied, and the reports
    score that session again from its turns.
    """
    repairs = []
    cur = conn.cursor()
    cur.row_factory = None
    for sid, text, total, passed in cur.execute("SELECT id, score_json, total, passed FROM sessions"):
        score = saved_score(text)
        verdict = verdict_columns(score)
        if (total, passed) != verdict:
            repairs.append((*verdict, *score_columns(score), *fault_columns(score), sid))
    conn.executemany(
        "UPDATE sessions SET total=?, passed=?, coverage=?, order_score=?, conduct=?, outcome_score=?, sequence=?, missed=?, mistakes=? WHERE id=?",
        repairs,
    )
    return len(repairs)
