"""The best and the worst score a scenario can give, and the choices that lead to each.

A depth-first walk over real engine states (the very `choose` the trainee plays through),
for one seed, with choices made once the customer has finished speaking. Two playthroughs
that reach the same node with the same anger, the same action counts, the same order of
protocol steps so far, the same unanswered safety flag and on the same turn have the same
future scores, so each such state is expanded once: the walk is exhaustive but memoised.
It is bounded by `budget` expanded states; when the bound is hit the result says so
(`complete` False) and the scores are then the best and worst of the part explored.
"""
from __future__ import annotations

from dataclasses import dataclass

from scoring import score
from scoring.protocol import Protocol

from ..engine import available, choose, start
from ..model import Scenario, State

__all__ = ["Found", "Extremes", "extremes", "BUDGET"]

BUDGET = 40_000


@dataclass(frozen=True)
class Found:
    total: float
    passed: bool
    outcome: str
    choices: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"score": self.total, "passed": self.passed, "outcome": self.outcome, "choices": list(self.choices)}


@dataclass(frozen=True)
class Extremes:
    best: Found | None
    worst: Found | None
    best_passing: Found | None
    complete: bool
    explored: int

    def to_dict(self) -> dict:
        return {
            "best": self.best.to_dict() if self.best else None,
            "worst": self.worst.to_dict() if self.worst else None,
            "passing_path_exists": self.best_passing is not None,
            "complete": self.complete,
            "explored_states": self.explored,
        }


def extremes(scenario: Scenario, protocol: Protocol, seed: int = 0, budget: int = BUDGET) -> Extremes:
    flagged_by = set(protocol.safety.triggers) if protocol.safety else set()
    requires = protocol.safety.requires if protocol.safety else None
    steps = [(s.id, frozenset(s.actions)) for s in protocol.steps]

    best = worst = passing = None
    seen: set = set()
    stack: list[tuple[State, tuple, bool]] = [(start(scenario, seed), (), False)]
    explored = 0
    complete = True
    while stack:
        state, groups, pending = stack.pop()
        if state.finished:
            result = score(state.transcript(), protocol)
            found = Found(result.total, result.passed, state.outcome.value, tuple(t.choice for t in state.turns))
            if best is None or found.total > best.total:
                best = found
            if worst is None or found.total < worst.total:
                worst = found
            if found.passed and (passing is None or found.total > passing.total):
                passing = found
            continue
        if explored >= budget:
            complete = False
            break
        explored += 1
        node = scenario.node(state.node)
        flagged = ("threat" in flagged_by and node.line.threat) or ("abuse" in flagged_by and node.line.abuse)
        done = frozenset().union(*groups) if groups else frozenset()
        for option in reversed(available(scenario, state)):
            nxt = choose(scenario, state, option.id)
            acts = set(nxt.turns[-1].actions)
            new = frozenset(sid for sid, need in steps if sid not in done and acts & need)
            g = groups + (new,) if new else groups
            p = (pending or flagged) and requires not in acts
            key = (nxt.node, nxt.anger, nxt.counts, g, p, len(nxt.turns), nxt.outcome)
            if key in seen:
                continue
            seen.add(key)
            stack.append((nxt, g, p))
    return Extremes(best, worst, passing, complete, explored)
