"""Many playthroughs at once: the random, always:ACTION and position:N trainees, vectorised over runs.

Each run is one seed. Every array below has one lane per run, and every lane follows the
engine's rules in the engine's order (offered options, the seeded pick, effective actions,
the anger override, the customer's reaction, noise, the tape-recorder restart, routing
with the new anger and the performed set including this turn, the hang-up at 100 and
patience), using the same `Reactor` and the same counter-based random numbers, so a lane
gives bit for bit what `policies.play_policy` gives for that seed. Each turn's features are
kept as a column, and the scores come from the very kernel `scoring.score` runs
(`scoring.kernel.judge`). tests/test_analyze.py proves both.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.kernel import OUTCOMES, TurnArrays, compile_protocol, judge
from scoring.protocol import Protocol

from ..actions import Action
from ..customer import ACTION_INDEX, ACTIONS, HANG_UP, uniform, unit_noise
from ..engine import effective_actions, holds_lanes, reactor_for, shuffle_keys
from ..facts import apply as apply_sets
from ..facts import facts_table
from ..engine import start as start_session
from ..model import BAND_FLOORS, Band, Condition, Outcome, Scenario, band_ceiling
from ..policies import MAX_TURNS, RANDOM_STREAM, Policy

__all__ = ["Batch", "simulate", "OUTCOMES", "STUCK", "UNFINISHED"]

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
    gated: np.ndarray  # finished runs failed by a gate: the customer left, an ending not accepted, the safety rule broken
    choices: list[list[str]] | None = None  # option ids per run, when recorded


class _Tables:
    """The scenario as arrays, built once per scenario object (the protocol has its own tables)."""

    def __init__(self, scenario: Scenario):
        nodes = scenario.nodes
        self.node_ids = [n.id for n in nodes]
        index = {n.id: i for i, n in enumerate(nodes)}
        options = [(i, o) for i, n in enumerate(nodes) for o in n.options]
        self.option_ids = [o.id for _, o in options]
        n_opt = max(1, len(options))
        width = max([len(n.options) for n in nodes] + [1])
        self.at = np.full((len(nodes), width), -1, dtype=np.int64)
        self.pin = np.zeros((len(nodes), width), dtype=np.float64)  # -1 first, +1 last
        slot = [0] * len(nodes)
        for k, (i, o) in enumerate(options):
            self.at[i, slot[i]] = k
            self.pin[i, slot[i]] = {None: 0.0, "first": -1.0, "last": 1.0}[o.pin]
            slot[i] += 1
        self.venting = np.array([n.line.venting for n in nodes], dtype=bool)
        self.abuse = np.array([n.line.abuse for n in nodes], dtype=bool)
        self.threat = np.array([n.line.threat for n in nodes], dtype=bool)
        self.beyond = np.array([n.line.beyond_authority for n in nodes], dtype=bool)
        self.narration = np.array([n.narration for n in nodes], dtype=bool)
        self.end = np.array([OUTCOMES.index(n.end) if n.end is not None else -1 for n in nodes], dtype=np.int64)
        self.hangup = index[scenario.hangup] if scenario.hangup else -1
        # each node's own move on arrival (engine.arrive): a mood clamps anger into a band, a delta adds
        self.mood_floor = np.array([BAND_FLOORS[n.mood] if n.mood is not None else -np.inf for n in nodes], dtype=np.float64)
        self.mood_ceiling = np.array([band_ceiling(n.mood) if n.mood is not None else np.inf for n in nodes], dtype=np.float64)
        self.has_mood = np.array([n.mood is not None for n in nodes], dtype=bool)
        self.arrive_delta = np.array([n.anger_delta if n.mood is None and n.anger_delta is not None else 0.0 for n in nodes], dtype=np.float64)
        self.has_delta = np.array([n.mood is None and n.anger_delta is not None for n in nodes], dtype=bool)

        A = len(ACTIONS)
        self.chosen = np.zeros((n_opt, A), dtype=bool)  # the actions a choice counts as
        self.declared = np.zeros((n_opt, A), dtype=bool)  # the actions the option is tagged with (what always:ACTION looks for)
        self.bits = np.zeros(n_opt, dtype=np.uint64)
        self.cut_in = np.zeros(n_opt, dtype=bool)
        self.vent_broken = np.zeros(n_opt, dtype=bool)
        self.restarted = np.zeros(n_opt, dtype=bool)
        self.has_override = np.zeros(n_opt, dtype=bool)
        self.override = np.zeros(n_opt, dtype=np.float64)
        self.goto = np.full(n_opt, -1, dtype=np.int64)
        self.restart_to = np.zeros(n_opt, dtype=np.int64)
        # conditions on state (flags, counters, visits, the turn, any/all/not) are evaluated
        # whole by engine.holds_lanes, one condition over all lanes; the arrays hold them as "always"
        self.when = _Conditions([None if o.when is not None and o.when.stateful else o.when for _, o in options] or [None])
        self.stateful_when = [(k, o.when) for k, (_, o) in enumerate(options) if o.when is not None and o.when.stateful]
        depth = max([len(o.routes or ()) for _, o in options] + [1])
        self.route_goto = np.full((n_opt, depth), -1, dtype=np.int64)
        route_conds: list[Condition | None] = []
        for k, (i, o) in enumerate(options):
            node = nodes[i]
            step = effective_actions(scenario, node, o, False)
            for a in step.actions:
                self.chosen[k, ACTION_INDEX[a]] = True
            for a in o.actions:
                self.declared[k, ACTION_INDEX[a]] = True
            self.bits[k] = np.uint64(_mask(step.actions))
            self.cut_in[k] = step.interrupted
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
        self.stateful_routes: list[tuple[int, int, Condition]] = []
        for k, (_, o) in enumerate(options):
            routes = list(o.routes or ())
            for m, r in enumerate(routes):
                if r.when is not None and r.when.stateful:
                    self.stateful_routes.append((k, m, r.when))
            route_conds += [routes[m].when if m < len(routes) and not (routes[m].when is not None and routes[m].when.stateful) else None for m in range(depth)]
        self.route_when = _Conditions(route_conds or [None] * depth, shape=(n_opt, depth))


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
    """Play `policy` (random, always:ACTION or position:N) once per seed, all runs together."""
    if policy.kind not in ("random", "always", "position"):
        raise ValueError(f"the batch simulator plays random, always:ACTION and position:N, not {policy.name}")
    t = scenario.derived("batch_tables", _Tables)
    reactor = reactor_for(scenario)
    rp = reactor.dynamics.restart_penalty
    seeds = np.asarray(seeds, dtype=np.int64)
    R, A = len(seeds), len(ACTIONS)
    start = start_session(scenario).anger  # after the start node's own move
    node = np.full(R, t.node_ids.index(scenario.start), dtype=np.int64)
    anger = np.full(R, start, dtype=np.float64)
    counts = np.zeros((R, A), dtype=np.int64)
    performed = np.zeros(R, dtype=np.uint64)
    outcome = np.full(R, UNFINISHED, dtype=np.int64)
    turns = np.zeros(R, dtype=np.int64)
    anger_added = np.zeros(len(t.node_ids), dtype=np.float64)
    left_from = np.zeros(len(t.node_ids), dtype=np.int64)
    chosen_log = np.full((R, MAX_TURNS), -1, dtype=np.int64) if record else None
    fell_back = np.zeros(R, dtype=bool)
    carrying = t.declared[:, ACTION_INDEX[policy.action]] if policy.kind == "always" else None
    patience = scenario.persona.patience
    ft = facts_table(scenario)
    first = start_session(scenario)
    values = np.broadcast_to(ft.values_of(first.flags), (R, len(ft.values_of(first.flags)))).copy()  # flags and counters, per lane
    seen = np.full(R, ft.seen_of(first.visited), dtype=np.uint64)  # the visits conditions ask about, as bits
    stateful = bool(t.stateful_when or t.stateful_routes)
    # one column per turn of what the score needs (rows of finished runs keep their old values)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("acts", "interrupted", "venting", "threat", "abuse", "beyond", "narration", "anger")}

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
        if t.stateful_when:
            fk = ft.facts_of(values[live], seen[live])
            for k, cond in t.stateful_when:
                here = c == k
                if here.any():
                    ok = holds_lanes(cond, ag, pf, fk, np.int64(turn), ft)
                    offered &= ~here | ok[:, None]
        n = offered.sum(axis=1)
        stuck = n == 0
        if stuck.any():
            outcome[live[stuck]] = STUCK
            keep = ~stuck
            live, nd, ag, pf, cand, c, offered, n = live[keep], nd[keep], ag[keep], pf[keep], cand[keep], c[keep], offered[keep], n[keep]
            if not live.size:
                break
        if policy.kind == "position":
            # the options as this session shows them (engine.presented), then the N-th of them
            W = offered.shape[1]
            keys = shuffle_keys(seeds[live], turn, np.arange(W, dtype=np.float64), t.pin[nd])
            keys = np.where(offered, keys, np.inf)
            shown = np.argsort(keys, axis=1, kind="stable")
            want = np.where(policy.position > 0, np.minimum(policy.position, n), n) - 1
            slot = shown[np.arange(live.size), want]
        else:
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
        moved = reactor.apply(ag, delta, unit_noise(seeds[live], turn))
        new_anger = np.where(t.narration[nd], ag, moved)  # after the call nothing moves anger
        np.add.at(anger_added, nd, np.maximum(new_anger - ag, 0.0))
        cn = cn + ch
        counts[live] = cn
        pf = pf | t.bits[o]
        performed[live] = pf
        anger[live] = new_anger
        if stateful or ft.names:
            vals = apply_sets(ft.option_sets, o, values[live])  # the answer's own `set:`
            values[live] = vals

        for key, value in (
            ("acts", t.bits[o]), ("interrupted", t.cut_in[o]), ("venting", t.venting[nd]), ("threat", t.threat[nd]),
            ("abuse", t.abuse[nd]), ("beyond", t.beyond[nd]), ("narration", t.narration[nd]), ("anger", new_anger),
        ):
            col = np.zeros(R, dtype=value.dtype)
            col[live] = value
            cols[key].append(col)

        # where the choice leads: restart, goto, or the first route that holds now
        goto = np.where(restarted, t.restart_to[o], t.goto[o])
        open_ = goto < 0
        fr = ft.facts_of(values[live], seen[live]) if t.stateful_routes else None
        for m in range(t.route_goto.shape[1]):
            if not open_.any():
                break
            rg = t.route_goto[o, m]
            cond_ok = t.route_when.holds((o, m), new_anger, pf)
            for k, mm, cond in t.stateful_routes:
                if mm == m:
                    here = o == k
                    if here.any():
                        cond_ok = cond_ok & (~here | holds_lanes(cond, new_anger, pf, fr, np.int64(turn), ft))
            ok = open_ & (rg >= 0) & cond_ok
            goto = np.where(ok, rg, goto)
            open_ &= ~ok
        # the next node's own move, as engine.arrive (a customer who hung up arrives nowhere)
        here = new_anger < HANG_UP
        moody = here & t.has_mood[goto]
        shifted = here & t.has_delta[goto]
        new_anger = np.where(moody, np.minimum(np.maximum(new_anger, t.mood_floor[goto]), t.mood_ceiling[goto]), new_anger)
        new_anger = np.where(shifted, np.clip(new_anger + t.arrive_delta[goto], 0.0, HANG_UP), new_anger)
        if stateful or ft.names:  # the node's own `set:` and the visit, on arrival
            vals = values[live]
            values[live] = np.where(here[:, None], apply_sets(ft.node_sets, goto, vals), vals)
            seen[live] = np.where(here, seen[live] | ft.visit_bit[goto], seen[live])
        anger[live] = new_anger
        cols["anger"][-1][live] = new_anger
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

    def stack(key: str, dtype) -> np.ndarray:
        return np.stack(cols[key], axis=1) if cols[key] else np.zeros((R, 1), dtype=dtype)

    features = TurnArrays(
        acts=stack("acts", np.uint64),
        interrupted=stack("interrupted", bool),
        venting=stack("venting", bool),
        threat=stack("threat", bool),
        abuse=stack("abuse", bool),
        beyond=stack("beyond", bool),
        narration=stack("narration", bool),
        anger_after=stack("anger", np.float64),
        n=turns,
        anger_start=np.full(R, start),
        anger_end=anger,
        outcome=np.where(outcome >= 0, outcome, -1),
    )
    judged = judge(compile_protocol(protocol), features)
    finished = outcome >= 0
    total = np.where(finished, judged.total, np.nan)
    passed = judged.passed & finished
    choices = None
    if record:
        choices = [[t.option_ids[k] for k in row if k >= 0] for row in chosen_log]
    gated = finished & (~judged.ending_ok | (judged.safety_turn > 0))
    return Batch(seeds, outcome, anger, turns, total, passed, anger_added, left_from, fell_back, gated, choices)
