"""The session store's migrations from schema 1, in place, keeping every session (schema 6's verdict repair: tests/test_store_verdicts.py)."""
from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path

import pytest

from simulator.library import Library, protocol
from simulator.session import Recorder
from simulator.store import SCHEMA_VERSION, Store, StoreError


@lru_cache(maxsize=None)
def bundled(scenario_id: str = "billing_double_charge"):
    """A bundled scenario, loaded once for the module (scenarios are immutable values)."""
    return Library().get(scenario_id).scenario


V1 = Path(__file__).parent / "data" / "store" / "v1.sql"


@pytest.fixture
def v1(tmp_path) -> Path:
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(V1.read_text(encoding="utf-8"))
    con.close()
    return path


def user_version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def test_a_version_1_file_is_migrated_in_place_and_keeps_its_sessions(v1):
    assert user_version(v1) == 1
    con = sqlite3.connect(v1)
    before = con.execute("SELECT * FROM sessions ORDER BY id").fetchall(), con.execute("SELECT * FROM turns ORDER BY session_id, idx").fetchall()
    con.close()

    with Store(v1) as store:
        sessions = list(store.find())
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
    assert SCHEMA_VERSION == 6 and user_version(v1) == 6
    assert {"lrs_sent", "sessions_by_start"} <= tables

    con = sqlite3.connect(v1)
    v1_columns = ", ".join(r[1] for r in con.execute("PRAGMA table_info(sessions)").fetchall()[:17])
    v1_turn_columns = ", ".join(r[1] for r in con.execute("PRAGMA table_info(turns)").fetchall()[:17])
    after = con.execute(f"SELECT {v1_columns} FROM sessions ORDER BY id").fetchall(), con.execute(f"SELECT {v1_turn_columns} FROM turns ORDER BY session_id, idx").fetchall()
    backfilled = con.execute("SELECT trainee, coverage, order_score, conduct, outcome_score, sequence FROM sessions ORDER BY trainee").fetchall()
    con.close()
    assert after == before
    # the saved score's parts become columns; the unscored session has none
    assert backfilled[0][:5] == ("Amira", 1.0, 1.0, 1.0, 1.0) and backfilled[0][5].split("\x1f")[:2] == ["stay_calm", "listen"]
    assert backfilled[1] == ("Ben", None, None, None, None, None)
    # version 4: what went wrong, from the saved score (Amira followed the book: nothing missed, no mistake)
    con = sqlite3.connect(v1)
    faults = con.execute("SELECT trainee, missed, mistakes FROM sessions ORDER BY trainee").fetchall()
    con.close()
    assert faults == [("Amira", "", ""), ("Ben", None, None)]
    con = sqlite3.connect(v1)
    totals = con.execute("SELECT trainee, turn_count, anger_peak, interruptions, last_turn_at FROM sessions ORDER BY trainee").fetchall()
    con.close()
    assert totals == [("Amira", 11, 70.0, 0, "2026-02-10T14:01:00Z"), ("Ben", 1, 70.0, 0, "2026-02-10T14:01:00Z")]

    done, open_ = sorted(sessions, key=lambda s: not s.complete)
    assert done.trainee == "Amira" and done.complete and len(done.turns) == 11 and done.score["passed"] is True
    assert done.turn_times == ("2026-02-10T14:01:00Z",) * 11
    assert open_.trainee == "Ben" and not open_.complete and len(open_.turns) == 1


def test_opening_a_migrated_file_again_changes_nothing(v1):
    with Store(v1):
        pass
    with Store(v1) as store:
        assert len(list(store.find())) == 2
    assert user_version(v1) == SCHEMA_VERSION


def test_a_migrated_file_records_new_sessions_and_reports_on_old_ones(v1, cli, tmp_path):
    scenario = bundled()
    with Store(v1) as store:
        rec = Recorder(scenario, protocol(scenario.protocol), trainee="Chloe", store=store)
        rec.choose("breathe_listen")
        rec.finish()
    status, out, err = cli("report", "--db", str(v1), "--format", "csv", "-o", str(tmp_path / "r.csv"))
    assert status == 0, err
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 1 + 3


def test_old_sessions_become_pending_for_a_learning_record_store(v1):
    with Store(v1) as store:
        ids = [s.id for s in store.find()]
        assert store.lrs_pending("http://lrs.example/xAPI/", ids) == ids


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path, cli):
    path = tmp_path / "future.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version=99")
    con.close()
    with pytest.raises(StoreError, match="newer than this Defuse"):
        Store(path)
    status, out, err = cli("sessions", "--db", str(path))
    assert status == 1 and "schema 99 is newer" in err and "Traceback" not in err
