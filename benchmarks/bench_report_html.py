"""The HTML class report at class scale: time and size at 100,000 sessions, peak memory at 10,000 vs 100,000.

The store (100 trainees, three kinds of session, a year of days) is filled directly; the report
is made by the code behind `defuse report --format html` (aggregates from SQLite, the latest 5
sessions per trainee in detail, hand-built SVG) and streamed to a sink that counts the bytes.
Peer, in the same run: the report code as it was before (benchmarks/baseline: every session
read in full, a matplotlib chart per session) on a 100-session store, against the new code on
the same store; at 100,000 sessions the old code would run for over an hour.
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from classstore import fill  # noqa: E402
from simulator.reports.classview import build  # noqa: E402
from simulator.reports.html import render_html  # noqa: E402
from simulator.reports.rows import judged  # noqa: E402
from simulator.library import protocol  # noqa: E402
from simulator.store import Store  # noqa: E402

NOW = "2026-12-01T00:00:00Z"


class _Sink(io.TextIOBase):
    def __init__(self):
        self.bytes = 0

    def write(self, s: str) -> int:
        self.bytes += len(s.encode("utf-8"))
        return len(s)


def new_report(path: Path) -> tuple[float, int, float]:
    """(wall seconds, bytes, CPU seconds): on a shared machine the CPU time shows the code's own cost."""
    with Store(path) as store:
        t0, c0 = time.perf_counter(), time.process_time()
        sink = _Sink()
        for chunk in render_html(build(store, protocol, mode="practice"), generated=NOW, filters={}):
            sink.write(chunk)
        return time.perf_counter() - t0, sink.bytes, time.process_time() - c0


def old_report(path: Path) -> tuple[float, int]:
    from baseline.html import render_html as old_render

    with Store(path) as store:
        t0 = time.perf_counter()
        page = old_render(list(judged(store.find(), protocol)), generated=NOW, filters={})
        return time.perf_counter() - t0, len(page.encode("utf-8"))


def peak_mib(path: Path) -> float:
    tracemalloc.start()
    new_report(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        peer, small, large = Path(tmp) / "100.sqlite3", Path(tmp) / "10k.sqlite3", Path(tmp) / "100k.sqlite3"
        fill(peer, 100, trainees=10)
        fill(small, 10_000)
        fill(large, 100_000)
        old_s, old_size = old_report(peer)
        new_s, new_size, _ = min(new_report(peer) for _ in range(3))
        seconds, size, cpu = min(new_report(large) for _ in range(3))
        load = os.getloadavg()[0]
        mem_small, mem_large = peak_mib(small), peak_mib(large)
    figures = [
        {"figure": "HTML class report, 100,000 sessions", "value": round(seconds, 2), "unit": "s", "peer": None, "ratio": None,
         "note": f"best of 3 ({cpu:.2f} s of CPU, load average {load:.1f} on 2 cores); 100 trainees, latest 5 each in detail; target <= 5 s; old code: {old_s / 100 * 100_000 / 3600:.1f} h by its rate below"},
        {"figure": "HTML class report size, 100,000 sessions", "value": round(size / 2**20, 2), "unit": "MiB", "peer": None, "ratio": None,
         "note": f"target <= 5 MB; the old page weighed {old_size / 100 / 1024:.1f} KiB per session"},
        {"figure": "HTML class report, 100 sessions", "value": round(new_s, 3), "unit": "s", "peer": "old code (full sessions, matplotlib)",
         "ratio": round(old_s / new_s, 1), "note": f"old {old_s:.1f} s, {old_size / 2**20:.2f} MiB; new {new_size / 2**20:.2f} MiB"},
        {"figure": "HTML class report peak memory, 10,000 sessions", "value": round(mem_small, 2), "unit": "MiB", "peer": None, "ratio": None,
         "note": "tracemalloc peak"},
        {"figure": "HTML class report peak memory, 100,000 sessions", "value": round(mem_large, 2), "unit": "MiB", "peer": "10,000 sessions",
         "ratio": round(mem_large / mem_small, 2), "note": "flat: SQLite aggregates, one trainee's scores held at a time"},
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
