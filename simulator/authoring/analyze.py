"""`defuse analyze`: what simulated trainees make of a scenario.

Plays the scenario under the random policy, position:N (always the N-th option shown) and
every always:ACTION policy many times at once (`batch`); the protocol, greedy-steps and
greedy-calm trainees through the engine (they look ahead, so they are not vectorised);
reports each one's pass rate and the best-scoring run that a gate failed (the customer
left, an ending the protocol does not accept, the safety rule broken: none of those may
pass); and searches for the best and worst reachable scores (`search`). Returns plain
data; the command layer prints it.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scoring import score
from scoring.protocol import Protocol

from ..actions import Action
from ..diagnostics import DefuseError
from ..model import Scenario
from ..policies import Policy, parse_policy, play_policy
from .batch import OUTCOMES, STUCK, Batch, simulate
from .search import BUDGET, Found, extremes

__all__ = ["analyze", "CHUNK", "policy_names", "GAMING", "GAMING_LIMIT"]

GAMING_LIMIT = 0.10  # a model trainee who games and passes more often than this: the scenario can be gamed
CHUNK = 20_000  # runs simulated together: big enough for numpy to pay off, small enough for memory
Progress = Callable[[int, int, str], None]


GAMING = ("position:1", "position:2", "position:last", "greedy-steps", "greedy-calm")  # model trainees who game
ENGINE_RUNS = 200  # the greedy trainees look ahead through the engine: fewer runs (they barely vary by seed)


def policy_names(scenario: Scenario | None = None) -> list[str]:
    """The policies analyze reports: always:ACTION only for actions some option carries."""
    actions = list(Action) if scenario is None else [a for a in Action if any(a in o.actions for n in scenario.nodes for o in n.options)]
    return ["protocol", "random", *GAMING] + [f"always:{a.value}" for a in actions]


def analyze(
    scenario: Scenario,
    protocol: Protocol,
    runs: int = 1000,
    seed: int = 0,
    progress: Progress | None = None,
    budget: int = BUDGET,
) -> dict:
    names = policy_names(scenario)
    policies = [parse_policy(n) for n in names if n not in ("protocol", "greedy-steps", "greedy-calm")]
    protocol_runs = runs if scenario.persona.noise > 0 else 1
    greedy_runs = min(runs, ENGINE_RUNS)
    total_work = runs * len(policies) + protocol_runs + 2 * greedy_runs
    done = 0

    def tick(n: int, label: str) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total_work, label)

    report_policies = [_protocol_policy(scenario, protocol, protocol_runs, seed, tick)]
    gated_best: tuple | None = None  # (total, policy, seed) of the best run failed by a gate
    for name in ("greedy-steps", "greedy-calm"):
        doc, best = _engine_policy(scenario, protocol, parse_policy(name), greedy_runs, seed, tick)
        report_policies.append(doc)
        if best is not None and (gated_best is None or best[0] > gated_best[0]):
            gated_best = best
    losses = None
    lowest: tuple | None = None  # (total, policy, seed) of the worst and best simulated runs
    highest: tuple | None = None
    for policy in policies:
        parts: list[Batch] = []
        for lo in range(0, runs, CHUNK):
            seeds = np.arange(seed + lo, seed + min(runs, lo + CHUNK), dtype=np.int64)
            b = simulate(scenario, protocol, policy, seeds)
            parts.append(b)
            if b.gated.any():
                k = int(np.argmax(np.where(b.gated, b.total, -np.inf)))
                if gated_best is None or b.total[k] > gated_best[0]:
                    gated_best = (float(b.total[k]), policy, int(seeds[k]))
            if not np.isnan(b.total).all():
                i, j = int(np.nanargmin(b.total)), int(np.nanargmax(b.total))
                if lowest is None or b.total[i] < lowest[0]:
                    lowest = (float(b.total[i]), policy, int(seeds[i]))
                if highest is None or b.total[j] > highest[0]:
                    highest = (float(b.total[j]), policy, int(seeds[j]))
            tick(len(seeds), policy.name)
        summary = _summary(policy.name, parts, protocol)
        report_policies.append(summary)
        if policy.kind == "random":
            losses = _losses(scenario, parts, runs)
    # Without noise every seed plays the same game, so the simulated extremes are reachable
    # playthroughs for the search's seed too: they give the search its first bounds.
    known = []
    if scenario.persona.noise == 0:
        for ext in (lowest, highest):
            if ext is not None:
                known.append(_replay(scenario, protocol, ext[1], ext[2]))
    found = extremes(scenario, protocol, seed=seed, budget=budget, known=tuple(known))
    # Repetition games the scenario when a run passes with every choice carrying the action
    # (as W109 says); it merely helps when the pass rate beats random play, the always:ACTION
    # trainee having picked at random wherever no option carried the action.
    chance = next(p["pass_rate"] for p in report_policies if p["policy"] == "random")
    always = [p for p in report_policies if p["policy"].startswith("always:")]
    gaming = [p["policy"] for p in always if p["pure_pass_rate"] > 0]
    helped = [p["policy"] for p in always if p["pass_rate"] > chance and p["policy"] not in gaming]
    order = {n: i for i, n in enumerate(names)}
    report_policies.sort(key=lambda p: order.get(p["policy"], len(order)))
    gamed = [p["policy"] for p in report_policies if p["policy"] in GAMING + ("random",) and p["pass_rate"] > GAMING_LIMIT]
    gated = None
    if gated_best is not None:
        g = _replay(scenario, protocol, gated_best[1], gated_best[2])
        gated = {"policy": gated_best[1].name, "seed": gated_best[2], **g.to_dict()}
    return {
        "scenario": scenario.id,
        "revision": scenario.revision,
        "protocol": protocol.id,
        "pass_mark": protocol.pass_mark,
        "runs": runs,
        "seed": seed,
        "policies": report_policies,
        "reachable": found.to_dict(),
        "gaming_policies": gaming,
        "gamed_by": gamed,
        "best_gated": gated,
        "helped_by_repetition": helped,
        "losses": losses,
    }


def _replay(scenario: Scenario, protocol: Protocol, policy: Policy, seed: int) -> Found:
    state = play_policy(scenario, policy, protocol, seed)
    result = score(state.transcript(), protocol)
    return Found(result.total, result.passed, state.outcome.value if state.outcome else "unfinished", tuple(t.choice for t in state.turns))


def _engine_policy(scenario: Scenario, protocol: Protocol, policy: Policy, runs: int, seed: int, tick) -> tuple[dict, tuple | None]:
    """A look-ahead trainee played through the engine, and its best run that a gate failed."""
    totals, passed, outcomes = [], [], []
    best = None
    for s in range(seed, seed + runs):
        try:
            state = play_policy(scenario, policy, protocol, s)
        except DefuseError:
            totals.append(np.nan)
            passed.append(False)
            outcomes.append("stuck")
            tick(1, policy.name)
            continue
        result = score(state.transcript(), protocol)
        totals.append(result.total if state.finished else np.nan)
        passed.append(result.passed and state.finished)
        outcomes.append(state.outcome.value if state.outcome else "unfinished")
        if state.finished and (not result.ending_accepted or result.safety_broken) and (best is None or result.total > best[0]):
            best = (result.total, policy, s)
        tick(1, policy.name)
    return _describe(policy.name, np.array(totals), np.array(passed), outcomes), best


def _protocol_policy(scenario: Scenario, protocol: Protocol, runs: int, seed: int, tick) -> dict:
    totals, passed, outcomes = [], [], []
    for s in range(seed, seed + runs):
        try:
            state = play_policy(scenario, Policy("protocol"), protocol, s)
        except DefuseError:  # a node offered nothing (lint: W102); the batch calls that stuck too
            totals.append(np.nan)
            passed.append(False)
            outcomes.append("stuck")
            tick(1, "protocol")
            continue
        result = score(state.transcript(), protocol)
        totals.append(result.total if state.finished else np.nan)
        passed.append(result.passed and state.finished)
        outcomes.append(state.outcome.value if state.outcome else "unfinished")
        tick(1, "protocol")
    return _describe("protocol", np.array(totals), np.array(passed), outcomes)


def _summary(name: str, parts: list[Batch], protocol: Protocol) -> dict:
    total = np.concatenate([b.total for b in parts])
    passed = np.concatenate([b.passed for b in parts])
    codes = np.concatenate([b.outcome for b in parts])
    pure = np.concatenate([b.passed & ~b.fell_back for b in parts])
    names = [o.value for o in OUTCOMES]
    outcomes = [names[c] if c >= 0 else ("stuck" if c == STUCK else "unfinished") for c in codes.tolist()]
    doc = _describe(name, total, passed, outcomes)
    if name.startswith("always:"):
        doc["pure_pass_rate"] = round(float(pure.mean()), 4)  # passed with every choice carrying the action
    return doc


def _describe(name: str, total: np.ndarray, passed: np.ndarray, outcomes: list[str]) -> dict:
    ok = total[~np.isnan(total)]
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o] = counts.get(o, 0) + 1
    hist = np.histogram(ok, bins=10, range=(0, 100))[0].tolist() if ok.size else [0] * 10
    return {
        "policy": name,
        "runs": int(total.size),
        "mean": round(float(ok.mean()), 2) if ok.size else None,
        "median": round(float(np.median(ok)), 2) if ok.size else None,
        "min": round(float(ok.min()), 2) if ok.size else None,
        "max": round(float(ok.max()), 2) if ok.size else None,
        "pass_rate": round(float(passed.mean()), 4) if passed.size else 0.0,
        "outcomes": dict(sorted(counts.items())),
        "histogram": hist,  # runs scoring 0-10, 10-20, ... 90-100
    }


def _losses(scenario: Scenario, parts: list[Batch], runs: int, top: int = 5) -> list[dict]:
    """Where random trainees lose most: anger added per run at each node, and hang-ups after it."""
    added = sum(b.anger_added for b in parts)
    left = sum(b.left_from for b in parts)
    rows = [
        {
            "node": n.id,
            "line": n.line.text if len(n.line.text) <= 80 else n.line.text[:77] + "...",
            "anger_added_per_run": round(float(added[i]) / runs, 2),
            "customer_left_after": int(left[i]),
        }
        for i, n in enumerate(scenario.nodes)
        if added[i] > 0 or left[i] > 0
    ]
    rows.sort(key=lambda r: (-r["anger_added_per_run"], -r["customer_left_after"], r["node"]))
    return rows[:top]
