"""`defuse run ID --scenarios DIR` with a folder of 10,000 scenario files: the first run indexes
the folder (parses every file once), later runs find the id in the cached index and parse one
file. Figures: wall time of the first and of a later run (each a process of its own, as a
trainer runs it); the issue's target is <= 1 s after the first index. `ratio` = later / first.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_validate import generate  # noqa: E402

N = 10_000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "many"
        folder.mkdir()
        text = generate(10)
        for i in range(N):
            (folder / f"s{i:05d}.yaml").write_text(text.replace("id: generated_10", f"id: many_{i}", 1), encoding="utf-8")
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "cache"), DEFUSE_DB=str(Path(tmp) / "s.sqlite3"))
        cmd = [sys.executable, "-m", "simulator.cli", "run", "many_4321", "--scenarios", str(folder), "--policy", "protocol", "--no-save"]
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(json.dumps({"figure": f"run one scenario, {N} files, first run (indexes)", "value": times[0], "unit": "s", "peer": None, "ratio": None, "note": ""}))
        print(json.dumps({"figure": f"run one scenario, {N} files, after the index", "value": times[1], "unit": "s", "peer": "first run", "ratio": times[1] / times[0], "note": "target <= 1 s"}))


if __name__ == "__main__":
    main()
