"""Store and file-system faults: one line each, what was saved stays saved, never a traceback."""
from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from simulator.store import Store

from playthrough import BY_THE_BOOK, play

RUN = ("run", "billing_double_charge", "--choices", ",".join(BY_THE_BOOK))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: "", "defuse: --db: an empty path\n"),
        (lambda tmp: str(tmp), "defuse: {db}: a folder, not a session database file\n"),
        (lambda tmp: (tmp / "f").write_text("x") and str(tmp / "f" / "s.sqlite3"), "defuse: {db}: {tmp}/f is a file, not a folder\n"),
        (lambda tmp: "/dev/null", "defuse: /dev/null: not a regular file (a device or a pipe cannot hold sessions)\n"),
    ],
)
def test_an_unusable_db_path_is_one_line(cli, tmp_path, make, message):
    db = make(tmp_path)
    status, out, err = cli(*RUN, "--db", db)
    assert status == 1 and out == ""
    assert err == message.format(db=db, tmp=tmp_path)
    assert not Path("/dev/null-journal").exists() and not Path("/dev/null-wal").exists()


def test_another_programs_database_is_refused_untouched(cli, tmp_path):
    db = tmp_path / "other.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    before = db.read_bytes()
    status, out, err = cli("sessions", "--db", str(db))
    assert status == 1
    assert err == f"defuse: {db}: another program's SQLite database (tables: invoices); left untouched: give --db a new file or a Defuse session store\n"
    assert db.read_bytes() == before


def test_a_damaged_file_is_one_line(cli, tmp_path):
    db = tmp_path / "d.sqlite3"
    with Store(db) as store:
        play(store, "Amira", BY_THE_BOOK)
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    db.write_bytes(bytes(data))
    for f in (tmp_path / "d.sqlite3-wal", tmp_path / "d.sqlite3-shm"):
        f.unlink(missing_ok=True)
    status, out, err = cli("sessions", "--db", str(db))
    assert status == 1 and err.startswith(f"defuse: {db}: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_store_in_a_read_only_folder_can_be_listed(cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "s.sqlite3"
    with Store(db) as store:
        play(store, "Amira", BY_THE_BOOK)
    os.chmod(db, stat.S_IRUSR)
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        status, out, err = cli("sessions", "--db", str(db), "--json")
        assert status == 0, err
    finally:
        os.chmod(folder, stat.S_IRWXU)


def test_a_read_only_store_is_listed_and_reported(cli, tmp_path):
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        play(store, "Amira", BY_THE_BOOK)
    store = Store.__new__(Store)
    store.path = db
    store._open_readonly()
    try:
        assert store.readonly and [s.trainee for s in store.find()] == ["Amira"]
    finally:
        store.conn.close()


def test_disk_full_mid_session_keeps_the_turns_so_far(cli, tmp_path, monkeypatch):
    db = tmp_path / "full.sqlite3"
    real_add = Store.add_turn
    calls = {"n": 0}

    def add_turn(self, session_id, turn, at=None):
        calls["n"] += 1
        if calls["n"] == 4:
            # the disk fills: no page may be added any more
            (pages,) = self.conn.execute("PRAGMA page_count").fetchone()
            self.conn.execute(f"PRAGMA max_page_count={pages}")
            self.conn.execute("CREATE TABLE filler (x BLOB)")
            self.conn.execute("INSERT INTO filler VALUES (zeroblob(100000))")
        return real_add(self, session_id, turn, at)

    monkeypatch.setattr(Store, "add_turn", add_turn)
    status, out, err = cli(*RUN, "--db", str(db))
    assert status == 1 and "Traceback" not in err
    with Store(db) as store:
        (s,) = store.find()
    assert err == f"defuse: the session store failed at turn 4: database or disk is full; session {s.id} keeps the turns saved before it, marked incomplete\n"
    assert len(s.turns) == 3 and not s.complete


def _hold_lock(db):
    """Another program takes the file and keeps it (as a DB browser mid-edit would)."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_store_locked_by_another_program_is_one_line_and_nothing_half_saved(cli, tmp_path, monkeypatch):
    import simulator.store.database as store_module  # where Store reads the wait

    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.2)  # the real wait is 30 s
    db = tmp_path / "locked.sqlite3"
    assert cli(*RUN, "--db", str(db))[0] == 0
    other = _hold_lock(db)
    try:
        status, out, err = cli(*RUN, "--db", str(db))
    finally:
        other.rollback()
        other.close()
    assert status == 1 and out == ""
    assert err == "defuse: the session store failed: database is locked: another program kept the session store busy for over 0.2 s (close it, then try again); nothing was saved\n"
    with Store(db) as store:
        assert len(list(store.find())) == 1


def test_a_lock_taken_mid_session_keeps_the_turns_so_far(cli, tmp_path, monkeypatch):
    import simulator.store.database as store_module  # where Store reads the wait

    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.2)
    db = tmp_path / "locked.sqlite3"
    real_add = Store.add_turn
    held = []

    def add_turn(self, session_id, turn, at=None):
        if turn.index == 4 and not held:
            held.append(_hold_lock(db))
        return real_add(self, session_id, turn, at)

    monkeypatch.setattr(Store, "add_turn", add_turn)
    try:
        status, _, err = cli(*RUN, "--db", str(db))
    finally:
        for conn in held:
            conn.rollback()
            conn.close()
    assert status == 1 and "Traceback" not in err
    with Store(db) as store:
        (s,) = store.find()
    assert err == (
        "defuse: the session store failed at turn 4: database is locked: another program kept the session store busy for over 0.2 s"
        f" (close it, then try again); session {s.id} keeps the turns saved before it, marked incomplete\n"
    )
    assert len(s.turns) == 3 and not s.complete
