"""The PDF for one trainee with 1,000 sessions: a summary page and the latest 3 in detail.

Made by the code behind `defuse report --format pdf --trainee NAME`. Peer, in the same run:
the report code as it was before (benchmarks/baseline: a page section per session, each with
a matplotlib PNG) on the same trainee's first 100 sessions, against the new code on those.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from classstore import fill  # noqa: E402
from simulator.reports.classview import build  # noqa: E402
from simulator.reports.pdf import render_pdf  # noqa: E402
from simulator.reports.rows import judged  # noqa: E402
from simulator.library import protocol  # noqa: E402
from simulator.store import Store  # noqa: E402

NOW = "2026-12-01T00:00:00Z"
WHO = "Trainee 000"


def new_pdf(path: Path) -> tuple[float, int, int, float]:
    with Store(path) as store:
        t0, c0 = time.perf_counter(), time.process_time()
        report = build(store, protocol, trainee=WHO, mode="practice")
        latest = deque((sm.id for sm in store.summaries(trainee=WHO, mode="practice")), maxlen=3)
        details = {WHO: list(reversed(list(judged((store.get(i) for i in latest), protocol))))}
        data = render_pdf(report, generated=NOW, details=details)
        return time.perf_counter() - t0, len(data), report.sessions, time.process_time() - c0


def old_pdf(path: Path) -> tuple[float, int]:
    from baseline.pdf import render_pdf as old_render

    with Store(path) as store:
        t0 = time.perf_counter()
        data = old_render(list(judged(store.find(trainee=WHO), protocol)), trainee=WHO, generated=NOW)
        return time.perf_counter() - t0, len(data)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        peer, large = Path(tmp) / "100.sqlite3", Path(tmp) / "1000.sqlite3"
        fill(peer, 100, trainees=1)
        fill(large, 1000, trainees=1)
        old_s, old_size = old_pdf(peer)
        new_s, new_size, _, _ = min(new_pdf(peer) for _ in range(3))
        seconds, size, n, cpu = min(new_pdf(large) for _ in range(3))
        load = os.getloadavg()[0]
    figures = [
        {"figure": "PDF summary + latest 3, trainee with 1,000 sessions", "value": round(seconds, 3), "unit": "s", "peer": None, "ratio": None,
         "note": f"best of 3 ({cpu:.2f} s of CPU, load average {load:.1f}), {n} sessions, {size / 1024:.0f} KiB; target <= 2 s; old code: {old_s / 100 * 1000:.0f} s and {1000 * old_size / 100 / 2**20:.0f} MiB by its rate below"},
        {"figure": "PDF for a trainee with 100 sessions", "value": round(new_s, 3), "unit": "s", "peer": "old code (a page per session, matplotlib PNGs)",
         "ratio": round(old_s / new_s, 1), "note": f"old {old_s:.1f} s, {old_size / 1024:.0f} KiB; new {new_size / 1024:.0f} KiB"},
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
