"""Validation time of generated scenarios of 1,000 to 10,000 nodes (parse, check, validate).

Prints one JSON object per line (see run_all.py). The 10,000-node figure is the one the
README quotes; the others show how the time grows (`ratio` = time per node relative to
the 1,000-node scenario, so 1.0 means linear growth).
"""
from __future__ import annotations

import json
import time

from simulator.library import protocols
from simulator.loader import MAX_BYTES, load_scenario

SIZES = (1_000, 2_500, 5_000, 10_000)
REPEATS = 3


def generate(n: int) -> str:
    """A scenario of `n` nodes, each a line and two options (every fifth routing on anger)."""
    out = [
        "format_version: 1",
        f"id: generated_{n}",
        f"title: Generated scenario of {n} nodes",
        "summary: A stress test for the validator.",
        "setting: phone",
        "industry: benchmarks",
        "protocol: ten_step",
        "persona: {name: Pat Example, anger: 60, patience: 500}",
        "start: n0",
        "hangup: left",
        "nodes:",
    ]
    for i in range(n - 2):
        nxt = f"n{i + 1}" if i < n - 3 else "done"
        out.append(f"  - id: n{i}")
        out.append(f"    line: {{id: n{i}.l, text: \"Line {i}: I am still not happy.\"}}")
        out.append("    options:")
        out.append(f"      - {{id: a, text: \"(Listen.)\", actions: [listen], goto: {nxt}}}")
        if i % 5 == 0:  # every fifth node routes on anger
            out.append(f"      - {{id: b, text: \"Sorry.\", actions: [apologize], routes: [{{when: {{band: [hostile]}}, goto: left}}, {{goto: {nxt}}}]}}")
        else:
            out.append(f"      - {{id: b, text: \"Sorry.\", actions: [apologize], goto: {nxt}}}")
    out += [
        "  - id: done",
        "    line: {id: done.line, text: \"Thanks.\"}",
        "    end: resolved",
        "  - id: left",
        "    line: {id: left.line, text: \"Goodbye.\"}",
        "    end: customer_left",
    ]
    return "\n".join(out) + "\n"


def best_time(raw: bytes, ids: set[str]) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        scenario = load_scenario(raw, "generated.yaml", ids)
        times.append(time.perf_counter() - t0)
    assert scenario is not None
    return min(times)


def main() -> None:
    ids = set(protocols())
    base = None
    for n in SIZES:
        raw = generate(n).encode("utf-8")
        assert len(raw) <= MAX_BYTES, (n, len(raw))
        t = best_time(raw, ids)
        base = base or t / n
        print(
            json.dumps(
                {
                    "figure": f"validate a {n:,}-node scenario",
                    "value": round(t, 4),
                    "unit": "s",
                    "peer": None,
                    "ratio": round((t / n) / base, 2),
                    "note": f"{len(raw) / 1e6:.1f} MB of YAML; best of {REPEATS}; ratio = time per node vs 1,000 nodes (1.0 = linear)",
                }
            )
        )


if __name__ == "__main__":
    main()
