"""Simulated playthroughs: the vectorised batch simulator against stepping the engine.

100,000 random-policy playthroughs of a bundled scenario, each scored against its
protocol, with `authoring.batch.simulate`; the engine's figure (`policies.play_policy` +
`scoring.score`, run by run) is measured on a sample and extrapolated to 100,000.
Prints one JSON object per line (see run_all.py).
"""
from __future__ import annotations

import json
import time

import numpy as np

from scoring import score
from simulator.authoring.batch import simulate
from simulator.library import Library, protocol
from simulator.policies import Policy, play_policy

SCENARIO = "billing_double_charge"
RUNS = 100_000
SAMPLE = 400


def main() -> None:
    sc = Library().get(SCENARIO).scenario
    proto = protocol(sc.protocol)
    policy = Policy("random")
    simulate(sc, proto, policy, np.arange(100))  # build the tables once, as analyze does

    t0 = time.perf_counter()
    for lo in range(0, RUNS, 20_000):  # the chunk size analyze uses
        batch = simulate(sc, proto, policy, np.arange(lo, lo + 20_000))
    batch_s = time.perf_counter() - t0
    assert not np.isnan(batch.total).any()

    t0 = time.perf_counter()
    for seed in range(SAMPLE):
        state = play_policy(sc, policy, proto, seed)
        score(state.transcript(), proto)
    engine_s = (time.perf_counter() - t0) * RUNS / SAMPLE

    rows = [
        {
            "figure": f"analyze: {RUNS:,} random playthroughs of {SCENARIO}",
            "value": round(batch_s, 3),
            "unit": "s",
            "peer": "engine, run by run",
            "ratio": round(engine_s / batch_s, 1),
            "note": f"batch simulator, scored; engine time {engine_s:.0f} s extrapolated from {SAMPLE} runs",
        },
        {
            "figure": "batch simulator throughput",
            "value": round(RUNS / batch_s),
            "unit": "runs/s",
            "peer": "engine, run by run",
            "ratio": round(engine_s / batch_s, 1),
            "note": f"engine: {RUNS / engine_s:.0f} runs/s",
        },
    ]
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
