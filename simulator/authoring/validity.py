"""How hard the bundled library is to game: each model trainee's pass rate per scenario.

The figures behind issue 9's targets and docs/scoring.md's validity table: the protocol
trainee must pass every scenario; always pressing the same position, always picking the
option that names most steps or calms most, random play and repeating one action must not.
Batch-simulated where the policy is vectorised (random, position:N, always:ACTION), played
through the engine where it looks ahead (protocol, greedy-steps, greedy-calm).
"""
from __future__ import annotations

import numpy as np

from scoring import score
from scoring.protocol import Protocol

from ..actions import Action
from ..diagnostics import DefuseError
from ..model import Scenario
from ..policies import Policy, parse_policy, play_policy
from .analyze import GAMING_LIMIT
from .batch import simulate

__all__ = ["COLUMNS", "pass_rates", "table"]

COLUMNS = ("protocol", "random", "position:1", "position:2", "position:last", "greedy-steps", "greedy-calm", "best always:ACTION")


def _engine_rate(scenario: Scenario, protocol: Protocol, policy: Policy, seeds) -> float:
    wins = 0
    for seed in seeds:
        try:
            state = play_policy(scenario, policy, protocol, int(seed))
        except DefuseError:
            continue
        wins += state.finished and score(state.transcript(), protocol).passed
    return wins / len(seeds)


def pass_rates(scenario: Scenario, protocol: Protocol, runs: int = 400, engine_runs: int = 40) -> dict[str, float]:
    """Each column's pass rate (the always:ACTION column: the best over the actions options carry)."""
    seeds = np.arange(runs)
    rates = {}
    for name in ("protocol", "greedy-steps", "greedy-calm"):
        rates[name] = _engine_rate(scenario, protocol, parse_policy(name), range(engine_runs))
    for name in ("random", "position:1", "position:2", "position:last"):
        rates[name] = float(simulate(scenario, protocol, parse_policy(name), seeds).passed.mean())
    carried = [a for a in Action if any(a in o.actions for n in scenario.nodes for o in n.options)]
    best = ("-", 0.0)
    for a in carried:
        r = float(simulate(scenario, protocol, Policy("always", a), seeds).passed.mean())
        if r > best[1]:
            best = (a.value, r)
    rates["best always:ACTION"] = best[1]
    rates["best always action"] = best[0]
    return rates


def table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table of pass rates, with the count of scenarios each trainee passes (> 10% of runs)."""
    head = "| scenario | " + " | ".join(COLUMNS) + " |\n|" + " --- |" * (len(COLUMNS) + 1) + "\n"
    body = ""
    for sid, r in sorted(rows.items()):
        cells = [f"{r[c]:.0%}" + (f" ({r['best always action']})" if c == "best always:ACTION" and r[c] > 0 else "") for c in COLUMNS]
        body += f"| {sid} | " + " | ".join(cells) + " |\n"
    passes = [sum(1 for r in rows.values() if (r[c] > GAMING_LIMIT if c != "protocol" else r[c] == 1.0)) for c in COLUMNS]
    body += "| **scenarios passed** | " + " | ".join(str(n) for n in passes) + " |\n"
    return head + body
