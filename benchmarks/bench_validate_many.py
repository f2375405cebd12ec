"""`defuse validate DIR` of 10,000 small scenario files: peak RSS and time of the process, and
the same for 1,000 files (`ratio` = peak at 10,000 / peak at 1,000: 1.0 is flat in the number
of files). The issue's target: 10,000 files under 200 MB.
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


def measure(folder: Path, env: dict) -> tuple[float, float]:
    code = (
        "import resource, sys; from simulator.cli import main; s = main(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(s)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "validate", str(folder)], env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return seconds, int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        text = generate(10)
        out = {}
        for n in (1_000, 10_000):
            folder = Path(tmp) / f"f{n}"
            folder.mkdir()
            for i in range(n):
                (folder / f"s{i:05d}.yaml").write_text(text.replace("id: generated_10", f"id: v{n}_{i}", 1), encoding="utf-8")
            out[n] = measure(folder, env)
        (t1, p1), (t10, p10) = out[1_000], out[10_000]
        print(json.dumps({"figure": "validate 1,000 files: peak RSS", "value": p1, "unit": "MiB", "peer": None, "ratio": None, "note": f"{t1:.1f} s"}))
        print(json.dumps({"figure": "validate 10,000 files: peak RSS", "value": p10, "unit": "MiB", "peer": "1,000 files", "ratio": p10 / p1, "note": f"{t10:.1f} s; target < 200 MB"}))


if __name__ == "__main__":
    main()
