"""`defuse lrs push`: many sessions per request.

1. 100,000 sessions to a local do-nothing LRS (it reads each request, parses it as JSON and
   answers 200 with the statement ids, storing nothing; a process of its own, as a record store
   is): the time of the whole push, default --batch 500 and --jobs. It parses with simdjson,
   which checks the whole document but builds Python objects only for the ids: parsing every
   statement into dicts (orjson) cost it about 30 s of processor time per 100,000 sessions, on a
   machine whose two cores it shares with the push, so the figure measured the stand-in.
2. 2,000 sessions to a local Ralph LRS (file backend, the test suite's append patch), batched
   against one request per session (--batch 1, the old way), in the same run, each into an
   empty Ralph of its own.
Pushed with the code behind the command line, in this process.
"""
from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import sys
import tempfile
import urllib.request
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import simdjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classstore import fill  # noqa: E402
from simulator.cli import main as defuse  # noqa: E402


SESSIONS = int(os.environ.get("BENCH_LRS_SESSIONS", "100000"))
RALPH_SESSIONS = int(os.environ.get("BENCH_RALPH_SESSIONS", "2000"))  # as the issue measured the old way: 2,000 took 171 s


def _serve(ready) -> None:
    """The do-nothing record store, in a process of its own: reads each request, answers 200 with its ids."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DoNothing)
    ready.put(server.server_address[1])
    server.serve_forever()


class _DoNothing(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self):  # noqa: N802
        # the whole body is checked as JSON; only the ids become Python objects (a parser per request: one per thread)
        doc = simdjson.Parser().parse(self.rfile.read(int(self.headers["Content-Length"])))
        answer = orjson.dumps([st["id"] for st in doc])
        del doc  # (a parser holds one document at a time)
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802  (how many requests it was sent, for the figure)
        answer = json.dumps({"requests": type(self).requests}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def push(db: Path, endpoint: str, user: str, password: str, *extra: str) -> tuple[float, dict]:
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = defuse(["lrs", "push", "--db", str(db), "--endpoint", endpoint, "--user", user, "--password", password, "--json", "--timeout", "120", *extra])
    seconds = time.perf_counter() - t0
    doc = json.loads(out.getvalue())
    if status != 0:
        raise RuntimeError(f"push failed: {doc['errors'][:3]}")
    return seconds, doc


def _into_a_fresh_ralph(root: Path, db: Path, *extra: str) -> float:
    """Seconds to push every session of `db` into a new, empty Ralph LRS (stopped afterwards)."""
    import test_lrs

    root.mkdir()
    ralph = test_lrs.Ralph(root)
    ralph.start()
    try:
        seconds, doc = push(db, ralph.endpoint, test_lrs.USER, test_lrs.PASSWORD, *extra)
    finally:
        ralph.stop()
    if doc["pending"]:
        raise RuntimeError(f"{doc['pending']} sessions were not stored")
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "100k.sqlite3"
        fill(big, SESSIONS)
        # the record store is a program of its own, as a real one is: it must not share this process's interpreter
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Queue()
        server = ctx.Process(target=_serve, args=(ready,), daemon=True)
        server.start()
        port = ready.get(timeout=60)
        try:
            seconds, doc = push(big, f"http://127.0.0.1:{port}/xAPI/", "u", "p")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=10) as answer:
                requests = json.loads(answer.read())["requests"]
        finally:
            server.terminate()
            server.join(10)

        # each way into an empty Ralph of its own: its file backend reads every statement it holds
        # on each POST (to find ids it has already), so what one way left behind would slow the other
        small = Path(tmp) / "class.sqlite3"
        fill(small, RALPH_SESSIONS, trainees=20)
        one_s = _into_a_fresh_ralph(Path(tmp) / "one", small, "--batch", "1")
        batched_s = _into_a_fresh_ralph(Path(tmp) / "batched", small)
    figures = [
        {"figure": f"lrs push, {SESSIONS:,} sessions to a do-nothing LRS", "value": round(seconds, 1), "unit": "s", "peer": None, "ratio": None,
         "note": f"{doc['statements']} statements in {requests} requests (--batch 500); target <= 30 s"},
        {"figure": f"lrs push, {RALPH_SESSIONS:,} sessions to a local Ralph", "value": round(batched_s, 2), "unit": "s", "peer": "one request per session",
         "ratio": round(one_s / batched_s, 1), "note": f"one per session: {one_s:.1f} s; target >= 20x"},
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
