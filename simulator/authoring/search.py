"""The best and the worst score a scenario can give, and the choices that lead to each.

A depth-first walk over real engine states (the very `choose` the trainee plays through),
for one seed, with choices made once the customer has finished speaking. Two playthroughs
that reach the same node with the same anger, the same action counts, the same order of
protocol steps so far, the same unanswered safety flag and on the same turn have the same
future scores, so each such state is expanded once; a state from which no playthrough can
beat the best (or worst) total found so far is not expanded at all (branch and bound with
bounds that never cut off a better playthrough). So the walk is exhaustive, memoised and
pruned. It is capped at `budget` expanded states per direction; when the cap is hit the
result says so (`complete` False) and the scores are the best and worst of the part explored.
"""
from __future__ import annotations

from dataclasses import dataclass

from scoring import score
from scoring.kernel import HOSTILE, HOSTILE_FROM_TURN, outcome_score
from scoring.protocol import Protocol

from ..actions import Action
from ..customer import ACTION_INDEX
from ..engine import available, choose, start
from ..model import Outcome, Scenario, State

__all__ = ["Found", "Extremes", "extremes", "passing_path", "BUDGET"]

BUDGET = 2_000  # expanded states per direction: a second or two at most


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


def extremes(
    scenario: Scenario,
    protocol: Protocol,
    seed: int = 0,
    budget: int = BUDGET,
    known: tuple[Found, ...] = (),
) -> Extremes:
    """The best and worst reachable totals (and the best passing one), each with its choices.

    `known` playthroughs (for the same seed, e.g. the extremes of simulated runs) start the
    bounds off, so the walk prunes from its first step; they are results in their own right.
    """
    top = _walk(scenario, protocol, seed, budget, best=True, known=known)
    low = _walk(scenario, protocol, seed, budget, best=False, known=known)
    return Extremes(top.found, low.found, top.passing, top.complete and low.complete, top.explored + low.explored)


def passing_path(scenario: Scenario, protocol: Protocol, seed: int = 0, budget: int = BUDGET) -> Extremes:
    """Stop at the first passing playthrough: enough to tell whether the scenario can be won."""
    top = _walk(scenario, protocol, seed, budget, best=True, stop_at_pass=True)
    return Extremes(top.found, None, top.passing, top.complete or top.passing is not None, top.explored)


class _Walk:
    __slots__ = ("found", "passing", "complete", "explored")

    def __init__(self):
        self.found: Found | None = None
        self.passing: Found | None = None
        self.complete = True
        self.explored = 0


def _walk(
    scenario: Scenario,
    protocol: Protocol,
    seed: int,
    budget: int,
    best: bool,
    stop_at_pass: bool = False,
    known: tuple[Found, ...] = (),
) -> _Walk:
    """Depth-first branch and bound: a state is skipped when no playthrough through it can
    beat what was already found (for `best`, an upper bound on its final total; for the
    worst, a lower bound)."""
    flagged_by = set(protocol.safety.triggers) if protocol.safety else set()
    requires = protocol.safety.requires if protocol.safety else None
    steps = [(s.id, frozenset(s.actions)) for s in protocol.steps]
    bound = _Bound(scenario, protocol)
    sign = 1.0 if best else -1.0
    w = _Walk()
    for found in known:
        if w.found is None or sign * found.total > sign * w.found.total:
            w.found = found
        if found.passed and (w.passing is None or found.total > w.passing.total):
            w.passing = found
    seen: set = set()
    stack: list[tuple[State, tuple, bool]] = [(start(scenario, seed), (), False)]
    while stack:
        state, groups, pending = stack.pop()
        if state.finished:
            result = score(state.transcript(), protocol)
            found = Found(result.total, result.passed, state.outcome.value, tuple(t.choice for t in state.turns))
            if w.found is None or sign * found.total > sign * w.found.total:
                w.found = found
            if found.passed and (w.passing is None or found.total > w.passing.total):
                w.passing = found
                if stop_at_pass:
                    break
            continue
        if stop_at_pass and bound.upper(state, groups) < protocol.pass_mark:
            continue  # nothing through here can pass
        if w.found is not None:
            if best:
                hope = bound.upper(state, groups)
                # keep exploring where a pass is still possible until one is found
                if round(hope, 2) <= w.found.total and (w.passing is not None or hope < protocol.pass_mark):
                    continue
            elif bound.lower(groups) >= w.found.total:
                continue
        if w.explored >= budget:
            w.complete = False
            break
        w.explored += 1
        node = scenario.node(state.node)
        flagged = ("threat" in flagged_by and node.line.threat) or ("abuse" in flagged_by and node.line.abuse)
        done = frozenset().union(*groups) if groups else frozenset()
        offered = available(scenario, state)
        # Try likely winners first (for the worst: the most harmful options), so that the
        # bound prunes early; the stack pops the last pushed first.
        offered.sort(key=lambda o: sum(a.harmful for a in o.actions) * (-1 if best else 1))
        for option in reversed(offered):
            nxt = choose(scenario, state, option.id)
            acts = set(nxt.turns[-1].actions)
            new = frozenset(sid for sid, need in steps if sid not in done and acts & need)
            g = groups + (new,) if new else groups
            p = (pending or flagged) and requires not in acts
            key = (nxt.node, nxt.anger, nxt.counts, g, p, len(nxt.turns), nxt.outcome, _facts(nxt), nxt.flags, frozenset(nxt.visited))
            if key in seen:
                continue
            seen.add(key)
            stack.append((nxt, g, p))
    return w


def _facts(state: State) -> tuple:
    """What the score's conditions and lost steps read from the past, beyond the counts: two
    states that differ here may score differently from then on, so they are not merged."""
    t = state.turns
    return (
        min(2, sum(u.abuse for u in t)),
        any(u.beyond_authority for u in t),
        any(u.threat for u in t),
        any(u.venting and u.interrupted for u in t),
        any(u.anger_after >= HOSTILE and u.index >= HOSTILE_FROM_TURN for u in t),
    )


class _Bound:
    """Bounds on the final total of any playthrough through a state (see adherence.score).

    The upper bound credits full coverage (a conditional step may yet leave the score, so
    the share of steps still possible is no bound), the order pairs not yet broken, the
    conduct left after the penalties already taken, the best ending still reachable from here
    and anger falling to 0; the lower bound is 0 (a step met so far may still be lost).
    """

    def __init__(self, scenario: Scenario, protocol: Protocol):
        self.protocol = protocol
        self.ahead = _ahead(scenario)
        self.weights = {s.id: (protocol.critical_weight if s.critical else 1.0) for s in protocol.steps}
        self.total_weight = sum(self.weights.values())
        self.pairs = sorted(protocol.precedence)
        self.penalty = [(ACTION_INDEX[c.action], c.penalty) for c in protocol.conduct]
        self.step_actions = [(s.id, frozenset(s.actions)) for s in protocol.steps]
        self.outcome_of = {n.id: protocol.outcome_value(n.end) for n in scenario.endings}
        self.left = protocol.outcome_value(Outcome.CUSTOMER_LEFT)
        w = protocol.weights.model_dump()
        self.w = {k: v for k, v in w.items() if v > 0 and (k != "order" or protocol.ordered)}
        self.wsum = sum(self.w.values())

    def _total(self, comps: dict[str, float]) -> float:
        return 100.0 * sum(comps[k] * v for k, v in self.w.items()) / self.wsum if self.wsum else 0.0

    def upper(self, state: State, groups: tuple) -> float:
        first = {sid: i for i, g in enumerate(groups) for sid in g}
        acts, ends = self.ahead[state.node]
        coverage = 1.0
        best_end = max([self.outcome_of[e] for e in ends] + [self.left])
        wrong = sum(1 for a, b in self.pairs if a in first and b in first and first[a] > first[b])
        # later steps can at best all be done in order: the discordant pairs stay, diluted by all pairs
        order = 1.0 - wrong / len(self.pairs) if self.pairs else 1.0
        conduct = max(0.0, 1.0 - sum(p * state.counts[i] for i, p in self.penalty))
        comps = {"coverage": coverage, "order": order, "conduct": conduct, "outcome": outcome_score(best_end, 1.0)}
        return self._total(comps) + 1e-6

    def lower(self, groups: tuple) -> float:
        return -1e-6


def _ahead(scenario: Scenario) -> dict[str, tuple[frozenset, frozenset]]:
    """For each node: every action an option from there on may count as, and every ending
    that may follow (ignoring conditions, so both are supersets).

    A fixed point over the graph with a worklist: each node's sets only grow, and are
    bounded (the actions, the endings), so the work is linear in the edges for any shape
    of graph, loops included.
    """
    ids = [n.id for n in scenario.nodes]
    index = {nid: i for i, nid in enumerate(ids)}
    ending_bit = {n.id: 1 << k for k, n in enumerate(scenario.endings)}
    action_bit = {a: 1 << k for k, a in enumerate(Action)}
    acts = [0] * len(ids)
    ends = [0] * len(ids)
    preds: list[set[int]] = [set() for _ in ids]
    for i, n in enumerate(scenario.nodes):
        ends[i] = ending_bit.get(n.id, 0)
        nxt = {n.vent_start or n.id} if n.options else set()
        for o in n.options:
            for a in o.actions:
                acts[i] |= action_bit[a]
            acts[i] |= action_bit[Action.INTERRUPT]  # any answer given too early counts as one
            if o.goto:
                nxt.add(o.goto)
            nxt.update(r.goto for r in o.routes or ())
        for m in nxt:
            preds[index[m]].add(i)
    work = list(range(len(ids)))
    while work:
        j = work.pop()
        for i in preds[j]:
            a, e = acts[i] | acts[j], ends[i] | ends[j]
            if a != acts[i] or e != ends[i]:
                acts[i], ends[i] = a, e
                work.append(i)
    actions = list(Action)
    endings = [n.id for n in scenario.endings]
    return {
        nid: (
            frozenset(a for k, a in enumerate(actions) if acts[i] >> k & 1),
            frozenset(e for k, e in enumerate(endings) if ends[i] >> k & 1),
        )
        for i, nid in enumerate(ids)
    }
