"""`defuse lrs push`: many sessions per request.

1. 100,000 sessions to a local do-nothing LRS (it reads each request and answers 200 with the
   statement ids, storing nothing; a process of its own, as a record store is): the time of the
   whole push, default --batch 500.
2. 500 sessions to a local Ralph LRS (file backend, the test suite's append patch), batched
   against one request per session (--batch 1, the old way), in the same run.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classstore import fill  # noqa: E402
from simulator.cli import main as defuse  # noqa: E402


SESSIONS = int(os.environ.get("BENCH_LRS_SESSIONS", "100000"))


def _serve(ready) -> None:
    """The do-nothing record store, in a process of its own: reads each request, answers 200 with its ids."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DoNothing)
    ready.put(server.server_address[1])
    server.serve_forever()


class _DoNothing(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self):  # noqa: N802
        body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))  # as cheaply as a store can read it
        answer = orjson.dumps([st["id"] for st in body])
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


def main() -> None:
    import test_lrs

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

        root = Path(tmp) / "ralph"
        root.mkdir()
        ralph = test_lrs.Ralph(root)
        ralph.start()
        try:
            small_a, small_b = Path(tmp) / "a.sqlite3", Path(tmp) / "b.sqlite3"
            fill(small_a, 500, trainees=20)
            fill(small_b, 500, trainees=20)
            one_s, _ = push(small_a, ralph.endpoint, test_lrs.USER, test_lrs.PASSWORD, "--batch", "1")
            # the same sessions again under new ids would collide with those already stored: b has its own ids
            with contextlib.closing(__import__("sqlite3").connect(small_b)) as con, con:
                con.execute("UPDATE sessions SET id = 'b' || id")
                con.execute("UPDATE turns SET session_id = 'b' || session_id")
            batched_s, _ = push(small_b, ralph.endpoint, test_lrs.USER, test_lrs.PASSWORD)
        finally:
            ralph.stop()
    figures = [
        {"figure": "lrs push, 100,000 sessions to a do-nothing LRS", "value": round(seconds, 1), "unit": "s", "peer": None, "ratio": None,
         "note": f"{doc['statements']} statements in {requests} requests (--batch 500); target <= 30 s"},
        {"figure": "lrs push, 500 sessions to a local Ralph", "value": round(batched_s, 2), "unit": "s", "peer": "one request per session",
         "ratio": round(one_s / batched_s, 1), "note": f"one per session: {one_s:.1f} s; target >= 20x"},
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
