"""Many playthroughs at once: the random and the always:ACTION trainees, vectorised over runs.

Each run is one seed. Every array below has one lane per run, and every lane follows the
engine's rules in the engine's order (offered options, the seeded pick, effective actions,
the anger override, the customer's reaction, noise, the tape-recorder restart, routing
with the new anger and the performed set including this turn, the hang-up at 100 and
patience), using the same `Reactor` and the same counter-based random numbers, so a lane
gives bit for bit what `policies.play_policy` gives for that seed. The scores are the
protocol's scores computed the way `scoring.score` computes them, additions in the same
order. tests/test_analyze.py proves both.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.protocol import Protocol

from ..actions import Action
from ..customer import ACTION_INDEX, ACTIONS, HANG_UP, uniform, unit_noise
from ..engine import effective_actions, reactor_for
from ..model import BAND_FLOORS, Band, Condition, Outcome, Scenario
from ..policies import MAX_TURNS, RANDOM_STREAM, Policy

__all__ = ["Batch", "simulate", "OUTCOMES", "STUCK", "UNFINISHED"]

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
UNFINISHED = -1  # stopped by MAX_TURNS (cannot happen while patience <= MAX_TURNS)
STUCK = -2  # reached a node that offered no option
_BANDS = (Band.CALM, Band.UPSET, Band.ANGRY, Band.HOSTILE)


@dataclass
class Batch:
    """The results of many runs: one entry per run (seed), plus where anger was added."""

    seeds: np.ndarray
    outcome: np.ndarray  # index into OUTCOMES, or UNFINISHED / STUCK
    anger: np.ndarray  # final anger
    turns: np.ndarray  # number of turns played
    total: np.ndarray  # score, NaN when the run did not finish
    passed: np.ndarray
    anger_added: np.ndarray  # per node (scenario order): anger added by choices made there
    left_from: np.ndarray  # per node: runs whose customer left after a choice made there
    fell_back: np.ndarray  # always:ACTION runs that had to pick at random somewhere (no option carried it)
    choices: list[list[str]] | None = None  # option ids per run, when recorded


class _Tables:
    """The scenario and protocol as arrays, built once per simulation."""

    def __init__(self, scenario: Scenario, protocol: Protocol):
        nodes = scenario.nodes
        self.node_ids = [n.id for n in nodes]
        index = {n.id: i for i, n in enumerate(nodes)}
        options = [(i, o) for i, n in enumerate(nodes) for o in n.options]
        self.option_ids = [o.id for _, o in options]
        n_opt = max(1, len(options))
        width = max([len(n.options) for n in nodes] + [1])
        self.at = np.full((len(nodes), width), -1, dtype=np.int64)
        slot = [0] * len(nodes)
        for k, (i, _) in enumerate(options):
            self.at[i, slot[i]] = k
            slot[i] += 1
        self.venting = np.array([n.line.venting for n in nodes], dtype=bool)
        self.abuse = np.array([n.line.abuse for n in nodes], dtype=bool)
        self.end = np.array([OUTCOMES.index(n.end) if n.end is not None else -1 for n in nodes], dtype=np.int64)
        self.hangup = index[scenario.hangup] if scenario.hangup else -1

        A = len(ACTIONS)
        self.chosen = np.zeros((n_opt, A), dtype=bool)  # the actions a choice counts as
        self.declared = np.zeros((n_opt, A), dtype=bool)  # the actions the option is tagged with (what always:ACTION looks for)
        self.bits = np.zeros(n_opt, dtype=np.uint64)
        self.vent_broken = np.zeros(n_opt, dtype=bool)
        self.restarted = np.zeros(n_opt, dtype=bool)
        self.has_override = np.zeros(n_opt, dtype=bool)
        self.override = np.zeros(n_opt, dtype=np.float64)
        self.goto = np.full(n_opt, -1, dtype=np.int64)
        self.restart_to = np.zeros(n_opt, dtype=np.int64)
        self.when = _Conditions([o.when for _, o in options] or [None])
        depth = max([len(o.routes or ()) for _, o in options] + [1])
        self.route_goto = np.full((n_opt, depth), -1, dtype=np.int64)
        route_conds: list[Condition | None] = []
        seq: list[list[Action]] = []
        for k, (i, o) in enumerate(options):
            node = nodes[i]
            step = effective_actions(scenario, node, o, False)
            seq.append(list(step.actions))
            for a in step.actions:
                self.chosen[k, ACTION_INDEX[a]] = True
            for a in o.actions:
                self.declared[k, ACTION_INDEX[a]] = True
            self.bits[k] = np.uint64(_mask(step.actions))
            self.vent_broken[k] = step.vent_broken
            self.restarted[k] = step.restarted
            if o.anger_delta is not None:
                self.has_override[k] = True
                self.override[k] = o.anger_delta
            if o.goto is not None:
                self.goto[k] = index[o.goto]
            self.restart_to[k] = index[node.vent_start or node.id]
            for m, r in enumerate(o.routes or ()):
                self.route_goto[k, m] = index[r.goto]
        for k, (_, o) in enumerate(options):
            routes = list(o.routes or ())
            route_conds += [routes[m].when if m < len(routes) else None for m in range(depth)]
        self.route_when = _Conditions(route_conds or [None] * depth, shape=(n_opt, depth))

        # scoring tables
        self.steps = protocol.steps
        self.step_bits = np.array([_mask(s.actions) for s in protocol.steps], dtype=np.uint64)
        w = [protocol.critical_weight if s.critical else 1.0 for s in protocol.steps]
        self.step_weight = np.array(w, dtype=np.float64)
        self.weight_total = sum({s.id: wt for s, wt in zip(protocol.steps, w)}.values())
        self.critical = np.array([s.critical for s in protocol.steps], dtype=bool)
        ids = [s.id for s in protocol.steps]
        self.pairs = [(ids.index(a), ids.index(b)) for a, b in sorted(protocol.precedence)]
        self.penalty_slots = np.zeros((n_opt, A + 1), dtype=np.float64)
        for k, acts in enumerate(seq):
            j = 0
            for a in acts:
                rule = protocol.penalty_for(a)
                if rule is not None:
                    self.penalty_slots[k, j] = rule.penalty
                    j += 1
        safety = protocol.safety
        self.flagged = np.array(
            [
                bool(safety) and (("threat" in safety.triggers and n.line.threat) or ("abuse" in safety.triggers and n.line.abuse))
                for n in nodes
            ],
            dtype=bool,
        )
        self.helps = np.array([bool(safety) and safety.requires in acts for acts in seq] or [False], dtype=bool)
        self.outcome_value = np.array([protocol.outcome_value(o) for o in OUTCOMES], dtype=np.float64)


def _mask(actions) -> int:
    m = 0
    for a in actions:
        m |= 1 << ACTION_INDEX[a]
    return m


class _Conditions:
    """Structured conditions as arrays, evaluated for many runs at once like `engine.holds`."""

    def __init__(self, conds: list[Condition | None], shape: tuple | None = None):
        shape = shape or (len(conds),)
        self.bands = np.array([_band_bits(c) for c in conds], dtype=np.int64).reshape(shape)
        self.at_least = np.array([c.anger_at_least if c and c.anger_at_least is not None else -np.inf for c in conds]).reshape(shape)
        self.below = np.array([c.anger_below if c and c.anger_below is not None else np.inf for c in conds]).reshape(shape)
        self.done = np.array([_mask(c.done) if c else 0 for c in conds], dtype=np.uint64).reshape(shape)
        self.not_done = np.array([_mask(c.not_done) if c else 0 for c in conds], dtype=np.uint64).reshape(shape)

    def holds(self, idx, anger: np.ndarray, performed: np.ndarray) -> np.ndarray:
        band = _band_code(anger)
        ok = ((self.bands[idx] >> band) & 1).astype(bool)
        ok &= ~(anger < self.at_least[idx])
        ok &= ~(anger >= self.below[idx])
        done = self.done[idx]
        ok &= (performed & done) == done
        ok &= (performed & self.not_done[idx]) == 0
        return ok


def _band_bits(c: Condition | None) -> int:
    if c is None or c.band is None:
        return 0b1111
    return sum(1 << _BANDS.index(b) for b in set(c.band))


def _band_code(anger: np.ndarray) -> np.ndarray:
    # the same comparisons as model.band_of
    return (
        (anger >= BAND_FLOORS[Band.UPSET]).astype(np.int64)
        + (anger >= BAND_FLOORS[Band.ANGRY]).astype(np.int64)
        + (anger >= BAND_FLOORS[Band.HOSTILE]).astype(np.int64)
    )


def simulate(
    scenario: Scenario,
    protocol: Protocol,
    policy: Policy,
    seeds,
    *,
    record: bool = False,
) -> Batch:
    """Play `policy` (random or always:ACTION) once per seed, all runs together."""
    if policy.kind not in ("random", "always"):
        raise ValueError(f"the batch simulator plays random and always:ACTION, not {policy.name}")
    t = scenario.derived("batch_tables:" + protocol.id, lambda sc: _Tables(sc, protocol))
    reactor = reactor_for(scenario)
    rp = reactor.dynamics.restart_penalty
    seeds = np.asarray(seeds, dtype=np.int64)
    R, A, S = len(seeds), len(ACTIONS), len(t.steps)
    start = float(scenario.persona.anger)
    node = np.full(R, t.node_ids.index(scenario.start), dtype=np.int64)
    anger = np.full(R, start, dtype=np.float64)
    counts = np.zeros((R, A), dtype=np.int64)
    performed = np.zeros(R, dtype=np.uint64)
    outcome = np.full(R, UNFINISHED, dtype=np.int64)
    turns = np.zeros(R, dtype=np.int64)
    first = np.zeros((R, S), dtype=np.int64)
    penalties = np.zeros(R, dtype=np.float64)
    pending = np.zeros(R, dtype=bool)
    anger_added = np.zeros(len(t.node_ids), dtype=np.float64)
    left_from = np.zeros(len(t.node_ids), dtype=np.int64)
    chosen_log = np.full((R, MAX_TURNS), -1, dtype=np.int64) if record else None
    fell_back = np.zeros(R, dtype=bool)
    carrying = t.declared[:, ACTION_INDEX[policy.action]] if policy.kind == "always" else None
    patience = scenario.persona.patience

    live = np.arange(R)
    turn = 0
    while live.size and turn < MAX_TURNS:
        turn += 1
        nd = node[live]
        ag = anger[live]
        pf = performed[live]
        cand = t.at[nd]
        valid = cand >= 0
        c = np.where(valid, cand, 0)
        offered = valid & t.when.holds(c, ag[:, None], pf[:, None])
        n = offered.sum(axis=1)
        stuck = n == 0
        if stuck.any():
            outcome[live[stuck]] = STUCK
            keep = ~stuck
            live, nd, ag, pf, cand, c, offered, n = live[keep], nd[keep], ag[keep], pf[keep], cand[keep], c[keep], offered[keep], n[keep]
            if not live.size:
                break
        # the seeded pick among the offered options, as policies.random_pick does it
        u = uniform(seeds[live], turn, RANDOM_STREAM)
        j = np.minimum(n - 1, (u * n).astype(np.int64))
        rank = np.cumsum(offered, axis=1) - 1
        slot = np.argmax(offered & (rank == j[:, None]), axis=1)
        if carrying is not None:
            has = offered & carrying[c]
            anyhas = has.any(axis=1)
            slot = np.where(anyhas, np.argmax(has, axis=1), slot)
            fell_back[live[~anyhas]] = True
        o = c[np.arange(live.size), slot]
        if record:
            chosen_log[live, turn - 1] = o

        ch = t.chosen[o]
        cn = counts[live]
        restarted = t.restarted[o]
        modelled = reactor.delta(ch, cn, t.venting[nd], t.abuse[nd], t.vent_broken[o], restarted)
        overridden = t.override[o] + np.where(restarted, rp, 0.0)
        delta = np.where(t.has_override[o], overridden, modelled)
        new_anger = reactor.apply(ag, delta, unit_noise(seeds[live], turn))
        np.add.at(anger_added, nd, np.maximum(new_anger - ag, 0.0))
        cn = cn + ch
        counts[live] = cn
        pf = pf | t.bits[o]
        performed[live] = pf
        anger[live] = new_anger

        # scoring bookkeeping: first turn of each step, conduct penalties in turn order, safety
        hit = (t.bits[o][:, None] & t.step_bits[None, :]) != 0
        fr = first[live]
        first[live] = np.where((fr == 0) & hit, turn, fr)
        pen = penalties[live]
        slots = t.penalty_slots[o]
        for k in range(slots.shape[1]):
            pen = pen + slots[:, k]
        penalties[live] = pen
        pending[live] = (pending[live] | t.flagged[nd]) & ~t.helps[o]

        # where the choice leads: restart, goto, or the first route that holds now
        goto = np.where(restarted, t.restart_to[o], t.goto[o])
        open_ = goto < 0
        for m in range(t.route_goto.shape[1]):
            if not open_.any():
                break
            rg = t.route_goto[o, m]
            ok = open_ & (rg >= 0) & t.route_when.holds((o, m), new_anger, pf)
            goto = np.where(ok, rg, goto)
            open_ &= ~ok
        end = t.end[goto]
        left = new_anger >= HANG_UP
        tired = (end < 0) & ~left & (turn >= patience)
        gone = left | tired
        end = np.where(gone, OUTCOMES.index(Outcome.CUSTOMER_LEFT), end)
        if t.hangup >= 0:
            goto = np.where(gone, t.hangup, goto)
        node[live] = goto
        turns[live] = turn
        finished = end >= 0
        outcome[live] = np.where(finished, end, outcome[live])
        np.add.at(left_from, nd[end == OUTCOMES.index(Outcome.CUSTOMER_LEFT)], 1)
        live = live[~finished]

    total, passed = _score(t, protocol, outcome, anger, start, first, penalties, pending)
    choices = None
    if record:
        choices = [[t.option_ids[k] for k in row if k >= 0] for row in chosen_log]
    return Batch(seeds, outcome, anger, turns, total, passed, anger_added, left_from, fell_back, choices)


def _score(t: _Tables, protocol: Protocol, outcome, anger, start, first, penalties, pending):
    """scoring.score for every run at once, each addition in the order the scalar makes it."""
    R, S = first.shape
    done = first > 0
    # coverage: weights added in the order the steps were first performed (ties: list order)
    key = np.where(done, first * (S + 1) + np.arange(S), np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1, kind="stable")
    acc = np.zeros(R)
    for p in range(S):
        idx = order[:, p]
        acc = acc + np.where(done[np.arange(R), idx], t.step_weight[idx], 0.0)
    coverage = acc / t.weight_total

    comps: dict[str, np.ndarray | None] = {"coverage": coverage, "order": None, "conduct": None, "outcome": None}
    if protocol.ordered:
        relevant = np.zeros(R, dtype=np.int64)
        wrong = np.zeros(R, dtype=np.int64)
        for a, b in t.pairs:
            both = done[:, a] & done[:, b]
            relevant += both
            wrong += both & (first[:, a] > first[:, b])
        safe = np.maximum(relevant, 1)
        comps["order"] = np.where(relevant > 0, 1.0 - wrong / safe, 1.0)
    comps["conduct"] = np.maximum(0.0, 1.0 - penalties)
    finished = outcome >= 0
    value = t.outcome_value[np.where(finished, outcome, 0)]
    fall = np.minimum(1.0, np.maximum(0.0, (start - anger) / start)) if start > 0 else np.zeros(R)
    comps["outcome"] = 0.6 * value + 0.4 * fall

    weights = protocol.weights.model_dump()
    used = {k: w for k, w in weights.items() if comps[k] is not None and w > 0}
    total_w = sum(used.values())
    acc = np.zeros(R)
    for k, w in used.items():
        acc = acc + comps[k] * w
    raw = 100.0 * acc / total_w if total_w else np.zeros(R)
    total = np.array([round(x, 2) for x in raw.tolist()])
    missed = (t.critical[None, :] & ~done).any(axis=1)
    passed = (total >= protocol.pass_mark) & ~missed & ~pending & finished
    total = np.where(finished, total, np.nan)
    return total, passed
