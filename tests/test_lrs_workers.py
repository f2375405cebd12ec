"""A large `defuse lrs push` is shared between worker processes (`reports.packing`): each reads
its sessions through its own connection, makes their statements and sends them; this process
keeps the ledger. The workers must send exactly what one process would, keep the ledger as
exact after an outage, say a worker's death in one line, and score again with the trainer's
protocol folders.

The chunk size and the threshold are made small here, so a few sessions use the workers.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from simulator.reports import packing
from simulator.store import Store

from test_lrs import push, scripted  # noqa: F401  (fixture)
from test_lrs_batch import class_of, sessions_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_chunks(monkeypatch):
    """Two sessions a chunk, and workers from the first chunk on; counts the pools started."""
    monkeypatch.setattr(packing, "CHUNK", 2)
    monkeypatch.setattr(packing, "WORTH_IT", 1)
    started = []
    real = packing._pool

    def spy(*args):
        pool = real(*args)
        started.append(pool)
        return pool

    monkeypatch.setattr(packing, "_pool", spy)
    return started


def statements_sent(bodies: list[list[dict]]) -> dict[str, dict]:
    return {st["id"]: st for body in bodies for st in body}


def test_workers_send_exactly_what_one_process_sends(cli, scripted, small_chunks, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    counts = class_of(tmp_path / "a.sqlite3", 9)
    (tmp_path / "b.sqlite3").write_bytes((tmp_path / "a.sqlite3").read_bytes())
    limit = 2 * max(counts.values())

    status, here, err = push(cli, tmp_path / "a.sqlite3", endpoint, "--jobs", "1", "--batch", str(limit))
    assert status == 0, err
    assert small_chunks == [] and len(peer.bodies) > 1
    alone = statements_sent(peer.bodies)

    peer.bodies.clear()
    status, shared, err = push(cli, tmp_path / "b.sqlite3", endpoint, "--jobs", "2", "--batch", str(limit))
    assert status == 0, err
    assert len(small_chunks) == 1 and small_chunks[0] is not None  # the workers did send
    assert shared == here and shared["sent"] == 9 and shared["pending"] == 0
    assert statements_sent(peer.bodies) == alone  # the very same statements, ids and all
    for body in peer.bodies:
        assert len(body) <= limit
        for sid in sessions_in(body):  # a session's statements travel in one request
            assert sum(1 for st in body if sessions_in([st]) == [sid]) == counts[sid]

    peer.bodies.clear()
    status, again, _ = push(cli, tmp_path / "b.sqlite3", endpoint, "--jobs", "2")
    assert status == 0 and again["sent"] == 0 and again["already_sent"] == 9 and peer.bodies == []


def test_an_outage_seen_by_the_workers_is_one_line_and_the_ledger_stays_exact(cli, scripted, small_chunks, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    db = tmp_path / "c.sqlite3"
    counts = class_of(db, 10, same=True)
    batch = str(max(counts.values()))  # a session a request
    peer.answers = [503] * 100  # down: every worker that asks is refused, and says so once
    status, down, _ = push(cli, db, endpoint, "--jobs", "2", "--batch", batch)
    assert status == 1 and down["sent"] == 0 and down["pending"] == 10
    assert len(down["errors"]) == 1 and "503" in down["errors"][0]
    assert len(peer.bodies) <= 4  # the workers stopped asking once one was refused (each request could wait the timeout)

    peer.answers, peer.bodies[:] = [503], []  # one refusal: the requests of the other worker land
    status, first, _ = push(cli, db, endpoint, "--jobs", "2", "--batch", batch)
    assert status == 1 and len(first["errors"]) == 1 and "503" in first["errors"][0]
    assert first["sent"] + first["pending"] == 10 and first["pending"] >= 1
    with Store(db) as store:
        marked = {r[0] for r in store.conn.execute("SELECT session_id FROM lrs_sent")}
    assert len(marked) == first["sent"]
    # what the store confirmed is in the ledger, and only that: the next push sends the rest
    peer.bodies.clear()
    status, second, err = push(cli, db, endpoint, "--jobs", "2")
    assert status == 0, err
    assert second["sent"] == first["pending"] and second["already_sent"] == first["sent"]
    assert {sid for body in peer.bodies for sid in sessions_in(body)} == set(counts) - marked


class _Killer(BaseHTTPRequestHandler):
    """Kills the worker processes at the first request (as the system does when memory runs out)."""

    killed = threading.Event()

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.killed.is_set():
            self.killed.set()
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
            return  # no answer: the worker is gone
        answer = json.dumps([st["id"] for st in body]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_a_worker_that_dies_is_one_line_and_its_sessions_stay_pending(cli, small_chunks, tmp_path):
    db = tmp_path / "d.sqlite3"
    class_of(db, 8, same=True)
    _Killer.killed.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Killer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/xAPI/"
    try:
        status, first, err = push(cli, db, endpoint, "--jobs", "2")
        assert status == 1 and _Killer.killed.is_set()
        assert first["errors"] == ["a worker process sending the sessions stopped unexpectedly; the sessions it had not sent stay pending"]
        assert first["pending"] >= 1 and first["sent"] + first["pending"] == 8
        assert "Traceback" not in err
        status, second, err = push(cli, db, endpoint, "--jobs", "2")
        assert status == 0, err
        assert second["sent"] == first["pending"] and second["already_sent"] == first["sent"]
    finally:
        server.shutdown()
        server.server_close()


def test_workers_score_again_with_the_trainers_protocol_folders(cli, scripted, small_chunks, tmp_path):  # noqa: F811
    """Sessions saved under older scoring rules are scored again as they are sent; the workers
    find a trainer's protocol where this process does (--protocols)."""
    endpoint, peer = scripted
    ours = ROOT / "tests" / "data" / "protocols"
    from simulator.authoring.starter import starter

    scenario = tmp_path / "s.yaml"
    scenario.write_text(starter("Late parcel").replace("protocol: five_steps ", "protocol: our_calls  "), encoding="utf-8")
    db = tmp_path / "e.sqlite3"
    for name in ("Ann", "Ben", "Cy", "Dee", "Eve"):
        status, _, err = cli("run", str(scenario), "--protocols", str(ours), "--db", str(db), "--trainee", name, "--choices", "let_them_finish,ask_where,sorry,resend,note_it")
        assert status == 0, err
    with sqlite3.connect(db) as conn:  # saved under rules since replaced: to be scored again
        conn.execute("UPDATE sessions SET scoring_version = 0, score_json = NULL")
    status, doc, err = push(cli, db, endpoint, "--jobs", "2", "--mode", "all", "--protocols", str(ours))
    assert status == 0, err
    assert doc["sent"] == 5 and small_chunks and small_chunks[0] is not None
    verdicts = [st for body in peer.bodies for st in body if st["verb"]["display"]["en-US"] in ("passed", "failed")]
    assert len(verdicts) == 5
    assert all(st["context"]["extensions"]["https://defuse.example/xapi/extensions/protocol"] == "our_calls" for st in verdicts)

    with Store(db) as store:  # without the folder, a worker cannot score them: each is named, and stays pending
        store.conn.execute("DELETE FROM lrs_sent")
        store.conn.commit()
    peer.bodies.clear()
    status, doc, err = push(cli, db, endpoint, "--jobs", "2", "--mode", "all")
    assert status == 1 and doc["sent"] == 0 and doc["pending"] == 5 and len(doc["errors"]) == 5
    assert all("left out" in e and "our_calls" in e for e in doc["errors"]), doc["errors"]


@pytest.mark.parametrize("jobs", ["0", "65"])
def test_jobs_out_of_range_is_refused_before_anything_is_read(cli, tmp_path, jobs):
    status, out, err = cli("lrs", "push", "--db", str(tmp_path / "none.sqlite3"), "--endpoint", "http://127.0.0.1:9/xAPI/", "--user", "u", "--password", "p", "--jobs", jobs)
    assert status == 2 and out == "" and err == "defuse: --jobs must be from 1 to 64 processes\n"
    assert not (tmp_path / "none.sqlite3").exists()
