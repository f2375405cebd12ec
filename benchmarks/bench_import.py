"""`defuse import` of a large export: peak memory (RSS of the importing process) and time for a
10 MB and a 100 MB file. Streaming means the two peaks are close (the ratio is the figure that
matters: flat in the file size); the issue's target is a 100 MB file under 300 MB.

The export is written with the real `write_export` from one played session copied under fresh ids.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.reports.exchange import write_export  # noqa: E402
from simulator.library import Library, protocol  # noqa: E402
from simulator.session import Recorder  # noqa: E402
from simulator.store import Store  # noqa: E402

CHOICES = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"]


def make_export(path: Path, megabytes: int) -> int:
    scenario = Library().get("billing_double_charge").scenario
    with Store(":memory:") as store:
        rec = Recorder(scenario, protocol(scenario.protocol), trainee="Amira", store=store)
        for c in CHOICES:
            rec.choose(c)
        rec.finish()
        model = store.get(rec.session_id)
    one = len(json.dumps(dataclasses.asdict(model), default=str))
    n = max(1, megabytes * 1024 * 1024 // one)
    with path.open("w", encoding="utf-8") as fh:
        write_export((dataclasses.replace(model, id=str(uuid.uuid4())) for _ in range(n)), fh, exported="2026-03-02T10:00:00Z")
    return n


def measure(path: Path, db: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of `defuse import` in a child process of its own."""
    code = (
        "import resource, sys; from simulator.cli import main; s = main(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(s)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "import", "--db", str(db), str(path)], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for mb in (10, 100):
            path = Path(tmp) / f"export-{mb}.json"
            n = make_export(path, mb)
            size = path.stat().st_size / (1024 * 1024)
            seconds, peak = measure(path, Path(tmp) / f"desk-{mb}.sqlite3")
            results[mb] = (n, size, seconds, peak)
            path.unlink()
        n10, s10, t10, p10 = results[10]
        n100, s100, t100, p100 = results[100]
        print(json.dumps({"figure": f"import {s10:.0f} MB export ({n10} sessions): peak RSS", "value": p10, "unit": "MiB", "peer": None, "ratio": None, "note": f"{t10:.1f} s"}))
        print(json.dumps({"figure": f"import {s100:.0f} MB export ({n100} sessions): peak RSS", "value": p100, "unit": "MiB", "peer": "10 MB", "ratio": p100 / p10,
                          "note": f"{t100:.1f} s; target < 300 MiB, flat in file size"}))


if __name__ == "__main__":
    main()
