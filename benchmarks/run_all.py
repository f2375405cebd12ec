"""`make bench`: run every benchmarks/bench_*.py and print one table (`make bench BENCH_ARGS=--quick`:
scripts that accept `--quick` measure a smaller sample).

Each script prints one JSON object per line on stdout:
  {"figure": "...", "value": 1.23, "unit": "s", "peer": "name or null", "ratio": 4.5 or null, "note": "..."}
Figures are measured, never asserted; compare ratios within one run, not across machines.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    rows = []
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    quick = ["--quick"] if "--quick" in sys.argv[1:] else []  # scripts that know it take a smaller sample
    for script in sorted(HERE.glob("bench_*.py")):
        proc = subprocess.run([sys.executable, str(script), *quick], capture_output=True, text=True, env=env, cwd=HERE.parent)
        if proc.returncode != 0:
            rows.append({"figure": script.stem, "value": None, "unit": "", "note": "FAILED: " + proc.stderr.strip().splitlines()[-1:][0] if proc.stderr.strip() else "FAILED"})
            continue
        for line in proc.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    print(f"{'figure':<52} {'value':>12} {'unit':<8} {'vs peer':>10}  note")
    for r in rows:
        v = r.get("value")
        value = f"{v:.4g}" if isinstance(v, (int, float)) else "-"
        ratio = r.get("ratio")
        rat = f"{ratio:.2f}x" if isinstance(ratio, (int, float)) else ""
        print(f"{r['figure']:<52} {value:>12} {r.get('unit', ''):<8} {rat:>10}  {r.get('note', '')}")
    return 0 if all(r.get("value") is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
