"""`defuse lrs push` against a real learning record store: Ralph, started on loopback.

The LRS is started once for this module (credentials made with `ralph auth`, the file
system backend in a temporary folder) and stopped after; one test stops and restarts it
to prove that a push made while it was down loses and duplicates nothing.

Ralph 5.1's file-system LRS backend opens its statements file in "create" mode, so every
POST after the first fails with a 500 ("fs_lrs.jsonl already exists"). The server started
here gets a two-line `sitecustomize` on its PYTHONPATH that switches that backend to
"append" mode; nothing of ours is patched, only the test server.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from simulator.reports.lrs import Lrs, LrsError
from simulator.reports.rows import judged
from simulator.reports.xapi import statements
from simulator.library import protocol
from simulator.store import Store

from conftest import lrs_unavailable
from playthrough import BY_THE_BOOK, play




USER, PASSWORD = "instructor", "a-long-test-password"
HEADERS = {"X-Experience-API-Version": "1.0.3"}
RALPH = Path(sys.executable).with_name("ralph")
_APPEND_SHIM = """\
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ralph:
    """One Ralph LRS process on loopback, which the tests can stop and start again."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        self.log = root / "ralph.log"
        # runserver reloads on changes to .py files under its cwd, and Ralph 5.1 writes its
        # statements file (fs_lrs.jsonl) there too: a folder of its own under the tmp root
        self.cwd = root / "run"
        self.cwd.mkdir()
        shim = root / "shim"
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(_APPEND_SHIM)
        self.env = dict(
            os.environ,
            RALPH_APP_DIR=str(root / "app"),
            RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH=str(root / "data"),
            RALPH_RUNSERVER_BACKEND="fs",  # `ralph auth` loads the API, whose default backend is Elasticsearch
            PYTHONPATH=os.pathsep.join([str(shim)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
        )
        (root / "data").mkdir()
        self.proc: subprocess.Popen | None = None
        subprocess.run(
            [str(RALPH), "auth", "-u", USER, "-p", PASSWORD, "-s", "all", "-w", "-M", "mailto:instructor@defuse.example"],
            env=self.env, cwd=root, check=True, capture_output=True, timeout=120,
        )

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(RALPH), "runserver", "-b", "fs", "-h", "127.0.0.1", "-p", str(self.port)],
                env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ralph runserver exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                self.get("statements/?limit=1")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"ralph did not answer within {timeout:.0f} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)

    def get(self, path: str) -> dict:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        url = path if path.startswith("http") else f"http://127.0.0.1:{self.port}" + (path if path.startswith("/") else "/xAPI/" + path)
        req = urllib.request.Request(url, headers={**HEADERS, "Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def statements(self) -> list[dict]:
        """Every statement the LRS holds (following `more` links)."""
        out, page = [], self.get("statements/?limit=500")
        for _ in range(1000):
            out.extend(page["statements"])
            if not page.get("more"):
                return out
            page = self.get(page["more"])
        raise AssertionError("too many pages")


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    if not RALPH.exists():
        lrs_unavailable(f"Ralph is not installed ({RALPH} missing): pip install -e '.[test]'")
    try:
        lrs = Ralph(tmp_path_factory.mktemp("ralph"))
    except (subprocess.SubprocessError, OSError) as e:
        lrs_unavailable(f"`ralph auth` failed, so the live LRS tests cannot run: {e}")
    try:
        lrs.start()
    except RuntimeError as e:
        lrs_unavailable(f"Ralph LRS could not start here: {e}")
    yield lrs
    lrs.stop()


@pytest.fixture
def running(ralph):
    """The LRS, up (a test that stopped it has it started again)."""
    if ralph.proc is None or ralph.proc.poll() is not None:
        ralph.start()
    return ralph




def expected_ids(db: Path) -> list[str]:
    with Store(db) as store:
        return [st["id"] for j in judged(store.find(), protocol) for st in statements(j)]


def push(cli, db: Path, endpoint: str, *extra: str, password: str = PASSWORD) -> tuple[int, dict, str]:
    status, out, err = cli("lrs", "push", "--db", str(db), "--endpoint", endpoint, "--user", USER, "--password", password, "--timeout", "10", "--json", *extra)
    return status, json.loads(out), err


def held(ralph: Ralph, ids: list[str]) -> list[str]:
    """The ids of these statements that the LRS holds, with repeats if it holds any twice."""
    wanted = set(ids)
    return [s["id"] for s in ralph.statements() if s["id"] in wanted]


@pytest.mark.lrs
@pytest.mark.slow
def test_push_stores_every_statement_once_and_a_second_push_sends_nothing(cli, running, tmp_path):
    db = tmp_path / "a.sqlite3"
    with Store(db) as store:
        play(store, "Amira", BY_THE_BOOK)
        play(store, "Ben", ["quick_see!", "her_side"])
    ids = expected_ids(db)
    status, doc, err = push(cli, db, running.endpoint)
    assert status == 0, err
    assert doc["sent"] == 2 and doc["statements"] == len(ids) and doc["pending"] == 0 and doc["errors"] == []
    assert sorted(held(running, ids)) == sorted(ids)

    status, doc, err = push(cli, db, running.endpoint)
    assert status == 0 and doc["sent"] == 0 and doc["already_sent"] == 2
    assert sorted(held(running, ids)) == sorted(ids)


@pytest.mark.lrs
@pytest.mark.slow
def test_push_while_the_lrs_is_down_stays_pending_and_is_retried(cli, ralph, running, tmp_path):
    db = tmp_path / "b.sqlite3"
    with Store(db) as store:
        play(store, "Chloe", BY_THE_BOOK)
    assert push(cli, db, running.endpoint)[0] == 0

    ralph.stop()
    with Store(db) as store:
        play(store, "Chloe", ["quick_see!", "her_side"])
        play(store, "Dev", BY_THE_BOOK)
    status, doc, err = push(cli, db, ralph.endpoint)
    assert status == 1
    assert doc["sent"] == 0 and doc["already_sent"] == 1 and doc["pending"] == 2
    assert "cannot reach" in err and "still pending" in err and "Traceback" not in err

    ralph.start()
    status, doc, err = push(cli, db, ralph.endpoint)
    assert status == 0, err
    assert doc["sent"] == 2 and doc["pending"] == 0
    ids = expected_ids(db)
    assert sorted(held(ralph, ids)) == sorted(ids)  # every statement, none twice


@pytest.mark.lrs
@pytest.mark.slow
def test_an_unfinished_session_is_sent_again_once_it_has_moved_on(cli, running, tmp_path):
    db = tmp_path / "c.sqlite3"
    with Store(db) as store:
        rec = play(store, "Eve", BY_THE_BOOK[:3], finish=False)
        assert push(cli, db, running.endpoint)[1]["sent"] == 1
        for c in BY_THE_BOOK[3:]:
            rec.choose(c)
    status, doc, _ = push(cli, db, running.endpoint)
    assert status == 0 and doc["sent"] == 1
    ids = expected_ids(db)
    assert len(ids) == 1 + len(BY_THE_BOOK) + 3
    assert sorted(held(running, ids)) == sorted(ids)


@pytest.mark.lrs
@pytest.mark.slow
def test_refused_credentials_send_nothing_and_mark_nothing(cli, running, tmp_path):
    db = tmp_path / "d.sqlite3"
    with Store(db) as store:
        play(store, "Finn", BY_THE_BOOK)
    status, doc, err = push(cli, db, running.endpoint, password="wrong")
    assert status == 1 and doc["sent"] == 0 and doc["pending"] == 1
    assert "401" in err or "403" in err
    status, doc, _ = push(cli, db, running.endpoint)
    assert status == 0 and doc["sent"] == 1


@pytest.mark.lrs
@pytest.mark.slow
def test_filters_choose_what_is_pushed(cli, running, tmp_path):
    db = tmp_path / "e.sqlite3"
    with Store(db) as store:
        play(store, "Gus", BY_THE_BOOK)
        play(store, "Hana", BY_THE_BOOK)
    status, doc, _ = push(cli, db, running.endpoint, "--trainee", "Gus")
    assert status == 0 and doc["sent"] == 1
    status, doc, _ = push(cli, db, running.endpoint)
    assert doc["sent"] == 1 and doc["already_sent"] == 1


# ---------------------------------------------------------------- how answers are read (a scripted HTTP peer)


class _Scripted(BaseHTTPRequestHandler):
    answers: list[int] = []
    bodies: list[list] = []

    def do_POST(self):  # noqa: N802
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        code = self.answers.pop(0) if self.answers else 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        ids = [st["id"] for st in self.bodies[-1]]
        self.wfile.write(json.dumps(ids).encode() if code < 300 else b'{"detail": "scripted"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    _Scripted.answers, _Scripted.bodies = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xAPI/", _Scripted
    server.shutdown()
    server.server_close()


def test_conflict_means_already_stored_and_the_rest_are_sent_one_by_one(scripted):
    endpoint, peer = scripted
    peer.answers = [409, 409, 200]
    Lrs(endpoint, "u", "p").send([{"id": "a"}, {"id": "b"}])
    assert peer.bodies == [[{"id": "a"}, {"id": "b"}], [{"id": "a"}], [{"id": "b"}]]


def test_server_errors_are_retryable_and_client_errors_are_not(scripted):
    endpoint, peer = scripted
    peer.answers = [503, 400]
    with pytest.raises(LrsError) as e:
        Lrs(endpoint, "u", "p").send([{"id": "a"}])
    assert e.value.retry and "503" in str(e.value)
    with pytest.raises(LrsError) as e:
        Lrs(endpoint, "u", "p").send([{"id": "a"}])
    assert not e.value.retry and "400" in str(e.value)


def test_a_5xx_leaves_the_session_pending(cli, scripted, tmp_path):
    endpoint, peer = scripted
    db = tmp_path / "f.sqlite3"
    with Store(db) as store:
        play(store, "Ivy", BY_THE_BOOK)
    peer.answers = [500]
    status, doc, _ = push(cli, db, endpoint)
    assert status == 1 and doc["pending"] == 1
    status, doc, _ = push(cli, db, endpoint)
    assert status == 0 and doc["sent"] == 1
    assert peer.bodies[0] == peer.bodies[1]  # the retry sends the very same statements (same ids)


def test_connection_refused_is_a_clear_message(cli, tmp_path):
    db = tmp_path / "g.sqlite3"
    with Store(db) as store:
        play(store, "Jo", BY_THE_BOOK)
    status, doc, err = push(cli, db, f"http://127.0.0.1:{free_port()}/xAPI/")
    assert status == 1 and doc["pending"] == 1 and "cannot reach" in err


# ---------------------------------------------------------------- the record store as the shared record: --from-lrs


def _csv_rows(path: Path, ids: set[str]) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return sorted((r for r in csv.DictReader(fh) if r["session"] in ids), key=lambda r: r["session"])


@pytest.mark.lrs
@pytest.mark.slow
def test_a_report_from_the_lrs_has_the_local_reports_numbers(cli, running, tmp_path):
    db = tmp_path / "desk.sqlite3"
    with Store(db) as store:
        play(store, "Iris", BY_THE_BOOK)
        play(store, "Iris", ["quick_see!", "her_side"])
        play(store, "Jon", BY_THE_BOOK)
        play(store, "Jon", ["breathe_listen", "keep_listening", "paraphrase!", "apologize"], finish=False)  # still open on the desk
        finished = {s.id for s in store.find() if s.complete}
    assert push(cli, db, running.endpoint)[0] == 0
    creds = ("--user", USER, "--password", PASSWORD, "--timeout", "20")
    local, remote = tmp_path / "local.csv", tmp_path / "remote.csv"
    assert cli("report", "--db", str(db), "--format", "csv", "-o", str(local))[0] == 0
    status, _, err = cli("report", "--from-lrs", running.endpoint, *creds, "--format", "csv", "-o", str(remote))
    assert status == 0, err
    mine = _csv_rows(remote, finished | {"?"})
    assert len(mine) == len(finished) == 3
    assert mine == _csv_rows(local, finished)  # every column: score, components, sequence, missed, timings
    # the JSON report agrees too, feedback and all
    for fmt in ("json",):
        assert cli("report", "--db", str(db), "--format", fmt, "-o", str(tmp_path / f"l.{fmt}"))[0] == 0
        assert cli("report", "--from-lrs", running.endpoint, *creds, "--format", fmt, "-o", str(tmp_path / f"r.{fmt}"))[0] == 0
        here = {s["id"]: s for s in json.loads((tmp_path / f"l.{fmt}").read_text(encoding="utf-8"))["sessions"] if s["id"] in finished}
        there = {s["id"]: s for s in json.loads((tmp_path / f"r.{fmt}").read_text(encoding="utf-8"))["sessions"] if s["id"] in finished}
        assert there == here


@pytest.mark.lrs
@pytest.mark.slow
def test_import_from_the_lrs_brings_the_sessions_into_a_local_store(cli, running, tmp_path):
    db = tmp_path / "desk2.sqlite3"
    with Store(db) as store:
        play(store, "Kai", BY_THE_BOOK)
        play(store, "Kai", ["quick_see!", "her_side"])
        mine = {s.id: s for s in store.find()}
    assert push(cli, db, running.endpoint)[0] == 0
    other = tmp_path / "instructor.sqlite3"
    args = ("import", "--from-lrs", running.endpoint, "--user", USER, "--password", PASSWORD, "--db", str(other), "--json")
    status, out, err = cli(*args)
    assert status == 0, err
    doc = json.loads(out)
    assert doc["imported"] >= 2 and doc["errors"] == [] and doc["conflicts"] == 0
    with Store(other) as store:
        got = {s.id: s for s in store.find() if s.id in mine}
    assert set(got) == set(mine)
    for sid, s in mine.items():
        g = got[sid]
        assert (g.trainee, g.total, g.passed, g.outcome, len(g.turns), g.started_at, g.ended_at) == (s.trainee, s.total, s.passed, s.outcome, len(s.turns), s.started_at, s.ended_at)
        assert g.turns == s.turns
    # a second import finds them all already there
    status, out, _ = cli(*args)
    assert status == 0 and json.loads(out)["imported"] == 0


@pytest.mark.lrs
@pytest.mark.slow
def test_from_lrs_mistakes_are_clear(cli, running, tmp_path):
    status, _, err = cli("report", "--from-lrs", running.endpoint, "--format", "csv", "-o", str(tmp_path / "r.csv"))
    assert status == 2 and "--from-lrs needs --user" in err
    status, _, err = cli("report", "--from-lrs", running.endpoint, "--user", USER, "--password", "wrong", "--format", "csv", "-o", str(tmp_path / "r.csv"))
    assert status == 1 and "reading the record store" in err and ("401" in err or "403" in err) and "Traceback" not in err
    assert not (tmp_path / "r.csv").exists()
    status, _, err = cli("import", "--db", str(tmp_path / "x.sqlite3"))
    assert status == 2 and "give the files to import, or --from-lrs URL" in err
