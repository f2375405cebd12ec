"""The session store failing while a trainee plays (disk full, or another program holding the file):
one line says what failed and what was kept, and the trainee chooses whether to go on without
saving. Going on finishes the game with its debrief and writes nothing more; declining (or no
more input) ends there. Either way the store holds exactly the turns saved before the fault,
marked incomplete. The terminal here; the window in tests/test_window_store_fault.py."""
from __future__ import annotations

import io
import os
import sqlite3
from argparse import Namespace
from pathlib import Path

import pytest

from scoring import score
from simulator.engine import choose, presented, start
from simulator.library import protocol
from simulator.play.text_console import Console, LineReader
from simulator.play.text_view import Style
from simulator.store import Store

from playthrough import BY_THE_BOOK, bundled, play_in_terminal

DISK_FULL = "database or disk is full"


def numbers_for(choices: list[str]) -> list[str]:
    """The option numbers a trainee types to make these choices (with --seed 0)."""
    scenario = bundled()
    state, out = start(scenario, 0), []
    for cid in choices:
        ids = [o.id for o in presented(scenario, state)]
        out.append(str(ids.index(cid) + 1))
        state = choose(scenario, state, cid)
    return out


def fill_the_disk(conn: sqlite3.Connection) -> None:
    """No page may be added to the file any more (as tests/test_store_faults.py fills it): raises
    "database or disk is full" where the store was about to write."""
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count={pages}")
    conn.execute("CREATE TABLE filler (x BLOB)")
    conn.execute("INSERT INTO filler VALUES (zeroblob(100000))")


def disk_full_at_turn(monkeypatch, n: int) -> None:
    real_add = Store.add_turn

    def add_turn(self, session_id, turn, at=None):
        if turn.index == n:
            fill_the_disk(self.conn)
        return real_add(self, session_id, turn, at)

    monkeypatch.setattr(Store, "add_turn", add_turn)


def _args(db: Path) -> Namespace:
    return Namespace(scenario="billing_double_charge", text=True, debug=False, trainee="Tess", protocol=None, seed=0,
                     no_save=False, db=str(db), scenarios=[], pace=0.0, lang=None)


def _pipe_with(text: str) -> int:
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    return r


def play(db: Path, typed: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = play_in_terminal(_args(db), Console(LineReader(_pipe_with("".join(t + "\n" for t in typed))), out, Style()))
    return status, out.getvalue()


def stored(db: Path):
    with Store(db) as store:
        (session,) = store.find()
    return session


def expected_line(turn: int, kept: str, reason: str = DISK_FULL) -> str:
    return f"defuse: the session store failed at turn {turn}: {reason}; {kept}, marked incomplete\n"


def test_going_on_without_saving_finishes_the_game_and_the_store_keeps_the_turns_before(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_turn(monkeypatch, 4)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, typed[:4] + ["y"] + typed[4:] + ["q"])
    err = capsys.readouterr().err
    assert status == 0 and "Traceback" not in out + err
    assert err == expected_line(4, "the 3 turns before it are saved")
    assert "Go on without saving? [y/N] " in out
    # the game went on to its end: every choice taken, the debrief of all of it shown
    expected = score(_played(BY_THE_BOOK), protocol("ten_step"))
    assert f"Score: {expected.total:.1f} / 100  PASS" in out
    assert "Session not saved after turn 3: the session store failed (its first 3 turns are kept, marked incomplete)." in out
    assert "Session saved." not in out
    s = stored(db)
    assert [t.choice for t in s.turns] == BY_THE_BOOK[:3]
    assert not s.complete and s.ended_at is None and s.total is None and s.outcome is None


def _played(choices):
    from simulator.session import Recorder

    scenario = bundled()
    rec = Recorder(scenario, protocol(scenario.protocol), seed=0)
    for c in choices:
        rec.choose(c)
    return rec.state.transcript()


@pytest.mark.parametrize("answer", [["n"], [""], ["whatever"], []], ids=["n", "enter", "other", "no-more-input"])
def test_declining_ends_with_the_one_line_and_keeps_the_turns_before(tmp_path, monkeypatch, capsys, answer):
    db = tmp_path / "full.sqlite3"
    disk_full_at_turn(monkeypatch, 4)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, typed[:4] + answer + typed[4:] + ["q"])
    err = capsys.readouterr().err
    assert status == 1
    assert err == expected_line(4, "the 3 turns before it are saved")
    assert "Score:" not in out and "Turn 5" not in out and "Traceback" not in out
    s = stored(db)
    assert [t.choice for t in s.turns] == BY_THE_BOOK[:3] and not s.complete and s.ended_at is None


def test_a_fault_on_the_first_turn_says_no_turn_is_kept(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_turn(monkeypatch, 1)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, typed[:1] + ["yes"] + typed[1:] + ["q"])
    assert status == 0
    assert capsys.readouterr().err == expected_line(1, "the session is kept without any turn")
    assert "Session not saved: the session store failed before its first turn was saved." in out
    s = stored(db)
    assert s.turns == () and not s.complete


def test_a_fault_closing_the_session_keeps_every_turn_and_the_debrief_is_shown(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    real_finish = Store.finish

    def finish(self, *a, **k):
        fill_the_disk(self.conn)
        return real_finish(self, *a, **k)

    monkeypatch.setattr(Store, "finish", finish)
    status, out = play(db, numbers_for(BY_THE_BOOK) + ["y", "q"])
    assert status == 0
    assert capsys.readouterr().err == expected_line(11, "the 11 turns so far are saved")
    assert "Score:" in out and "Session not saved after turn 11" in out
    s = stored(db)
    assert len(s.turns) == 11 and not s.complete and s.total is None


def _hold_lock(db: Path) -> sqlite3.Connection:
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_lock_held_mid_session_asks_too_and_going_on_writes_nothing_more(tmp_path, monkeypatch, capsys):
    import simulator.store.database as store_module  # where Store reads the wait

    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.2)  # the real wait is 30 s
    db = tmp_path / "locked.sqlite3"
    real_add = Store.add_turn
    held = []

    def add_turn(self, session_id, turn, at=None):
        if turn.index == 5 and not held:
            held.append(_hold_lock(db))
        return real_add(self, session_id, turn, at)

    monkeypatch.setattr(Store, "add_turn", add_turn)
    typed = numbers_for(BY_THE_BOOK)
    try:
        status, out = play(db, typed[:5] + ["y"] + typed[5:] + ["q"])
    finally:
        for conn in held:
            conn.rollback()
            conn.close()
    assert status == 0
    assert capsys.readouterr().err == expected_line(
        5, "the 4 turns before it are saved",
        "database is locked: another program kept the session store busy for over 0.2 s (close it, then try again)",
    )
    assert "PASS" in out and "Session not saved after turn 4" in out
    s = stored(db)
    assert [t.choice for t in s.turns] == BY_THE_BOOK[:4] and not s.complete and s.ended_at is None


def test_quitting_after_going_on_says_what_the_store_keeps(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_turn(monkeypatch, 3)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, typed[:3] + ["y"] + typed[3:5] + ["q"])
    assert status == 0
    assert "You left the session after 5 turns; the session store failed: only its first 2 turns are saved, marked incomplete." in out
    s = stored(db)
    assert len(s.turns) == 2 and not s.complete and s.ended_at is None


class _CtrlCAtTheQuestion(Console):
    def ask(self, prompt: str) -> str:
        if prompt.startswith("Go on without saving"):
            raise KeyboardInterrupt
        return super().ask(prompt)


def test_ctrl_c_at_the_question_writes_nothing_more_and_says_what_is_kept(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_turn(monkeypatch, 4)
    typed = numbers_for(BY_THE_BOOK)
    console = _CtrlCAtTheQuestion(LineReader(_pipe_with("".join(t + "\n" for t in typed))), io.StringIO(), Style())
    status = play_in_terminal(_args(db), console)
    assert status == 130
    assert capsys.readouterr().err == expected_line(4, "the 3 turns before it are saved") + (
        "defuse: interrupted after 4 turns; the session store failed: only its first 3 turns are saved, marked incomplete.\n"
    )
    s = stored(db)
    assert len(s.turns) == 3 and not s.complete and s.ended_at is None


# ---------------------------------------------------------------- the store fails as the session begins

BEGIN_LINE = f"defuse: the session store failed as the session began: {DISK_FULL}; nothing of it is saved\n"


def disk_full_at_begin(monkeypatch) -> None:
    real_begin = Store.begin

    def begin(self, **details):
        fill_the_disk(self.conn)
        return real_begin(self, **details)

    monkeypatch.setattr(Store, "begin", begin)


def test_a_store_that_cannot_begin_the_session_asks_too_and_going_on_plays_it_unsaved(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_begin(monkeypatch)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, ["y"] + typed + ["q"])
    err = capsys.readouterr().err
    assert status == 0 and "Traceback" not in out + err
    assert err == BEGIN_LINE
    assert out.index("Go on without saving? [y/N] ") < out.index("Turn 1")  # asked before the first line
    expected = score(_played(BY_THE_BOOK), protocol("ten_step"))
    assert f"Score: {expected.total:.1f} / 100  PASS" in out
    assert "Session not saved: the session store failed as it began." in out and "Session saved." not in out
    with Store(db) as store:
        assert list(store.find()) == []


@pytest.mark.parametrize("answer", [["n"], []], ids=["n", "no-more-input"])
def test_declining_when_the_session_cannot_begin_ends_with_the_one_line(tmp_path, monkeypatch, capsys, answer):
    db = tmp_path / "full.sqlite3"
    disk_full_at_begin(monkeypatch)
    status, out = play(db, answer + numbers_for(BY_THE_BOOK))
    assert status == 1
    assert capsys.readouterr().err == BEGIN_LINE
    assert "Turn 1" not in out and "Score:" not in out and "Traceback" not in out
    with Store(db) as store:
        assert list(store.find()) == []


def test_quitting_a_session_the_store_never_began_says_nothing_was_saved(tmp_path, monkeypatch, capsys):
    db = tmp_path / "full.sqlite3"
    disk_full_at_begin(monkeypatch)
    typed = numbers_for(BY_THE_BOOK)
    status, out = play(db, ["y"] + typed[:2] + ["q"])
    assert status == 0
    assert "You left the session after 2 turns; the session store failed as it began: nothing of it is saved." in out
