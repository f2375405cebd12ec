"""The session store: each turn committed as played, a killed process leaves the session."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from simulator.library import Library, protocol
from simulator.session import Recorder
from simulator.store import SCHEMA_VERSION, Store


def test_turns_are_committed_one_by_one(tmp_path):
    db = tmp_path / "s.db"
    sc = Library().get("billing_double_charge").scenario
    with Store(db) as store:
        rec = Recorder(sc, protocol(sc.protocol), trainee="Kim", store=store)
        rec.choose("breathe_listen")
        rec.choose("keep_listening", interrupted=True, elapsed=1.5)
        # a second connection sees both turns already, before the session ends
        with Store(db) as reader:
            seen = reader.get(rec.session_id)
            assert len(seen.turns) == 2 and not seen.complete and seen.outcome is None
            assert seen.turns[1].elapsed == 1.5 and seen.turns[1].choice == "keep_listening"


def test_a_finished_session_is_complete_and_scored(tmp_path):
    sc = Library().get("billing_double_charge").scenario
    with Store(tmp_path / "s.db") as store:
        rec = Recorder(sc, protocol(sc.protocol), trainee="Kim", store=store)
        rec.choose("cut_in", interrupted=True)
        rec.choose("her_side")
        got = store.get(rec.session_id)
        assert got.complete and got.outcome.value == "customer_left" and got.passed is False
        assert got.score["protocol"] == "ten_step" and got.total == rec.result.total
        assert got.turns[0].interrupted and got.started_at.endswith("Z")
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_killed_mid_session_leaves_it_on_disk_marked_incomplete(tmp_path):
    db = tmp_path / "k.db"
    script = textwrap.dedent(
        f"""
        import sys, time
        from simulator.library import Library, protocol
        from simulator.session import Recorder
        from simulator.store import Store
        sc = Library().get("billing_double_charge").scenario
        rec = Recorder(sc, protocol(sc.protocol), trainee="Lee", store=Store({str(db)!r}))
        for c in ["breathe_listen", "keep_listening", "paraphrase"]:
            rec.choose(c)
        print(rec.session_id, flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        sid = proc.stdout.readline().strip()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Store(db) as store:
        got = store.get(sid)
        assert got is not None and not got.complete
        assert [t.choice for t in got.turns] == ["breathe_listen", "keep_listening", "paraphrase"]
        assert [s.id for s in store.find(complete=False)] == [sid]


def test_sessions_read_by_id_come_in_the_order_asked_and_ids_follow_the_filters(tmp_path):
    from playthrough import BY_THE_BOOK, play

    with Store(tmp_path / "m.db") as store:
        made = [play(store, name, BY_THE_BOOK).session_id for name in ("Ann", "Ben", "Cy", "Ann")]
        assert store.ids() == [s.id for s in store.find(with_turns=False)]  # oldest first, as find gives them
        ann = store.ids(trainee=" ann ")  # the same filters, the same folding of names
        assert ann == [s.id for s in store.find(trainee="Ann", with_turns=False)] and set(ann) == {made[0], made[3]}
        asked = [made[2], "not-a-session", made[0], made[3]]
        got = list(store.get_many(asked))
        assert [s.id for s in got] == [made[2], made[0], made[3]]  # in the order asked; an unknown id passed over
        for s in got:  # each whole, as get() reads it
            assert s == store.get(s.id) and len(s.turns) == len(BY_THE_BOOK) and s.complete
