"""Many playthroughs at once: the random, always:ACTION and position:N trainees (cutting in or
not), vectorised over runs.

Each run is one seed. Every array below has one lane per run, and every lane plays by the
rules the engine plays by, read from the same compiled tables and computed by the same
functions (`simulator.compiled`: offered options, the order shown, what a choice counts as
when heard or said over the customer, the customer's reaction, the flags, counters and
visits `set:` and arrivals leave, `route`, `settle`), with the
same counter-based random numbers (the policy's pick and `policies.cuts_in`), so a lane
gives bit for bit what `policies.play_policy` gives for that seed. Each turn's features are
kept as a column, and the scores come from the very kernel `scoring.score` runs
(`scoring.kernel.judge`). tests/test_analyze.py proves both, on the bundled library and on
generated scenarios and protocols.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.kernel import OUTCOMES, TurnArrays, compile_protocol, judge
from scoring.protocol import Protocol

from ..compiled import View, reply_anger, route, settle, shown_order, tables
from ..facts import apply as apply_sets
from ..customer import ACTION_INDEX, ACTIONS
from ..model import Outcome, Scenario
from ..policies import MAX_TURNS, Policy, cuts_in, random_pick

__all__ = ["Batch", "simulate", "OUTCOMES", "STUCK", "UNFINISHED"]

UNFINISHED = -1  # stopped by MAX_TURNS (cannot happen while patience <= MAX_TURNS)
STUCK = -2  # reached a node that offered no option
_LEFT = OUTCOMES.index(Outcome.CUSTOMER_LEFT)


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


def simulate(
    scenario: Scenario,
    protocol: Protocol,
    policy: Policy,
    seeds,
    *,
    record: bool = False,
) -> Batch:
    """Play `policy` (random, always:ACTION or position:N, cutting in or not) once per seed, all runs together."""
    if policy.kind not in ("random", "always", "position"):
        raise ValueError(f"the batch simulator plays random, always:ACTION and position:N, not {policy.name}")
    t = tables(scenario)
    seeds = np.asarray(seeds, dtype=np.int64)
    R, A = len(seeds), len(ACTIONS)
    start = t.anger_start
    node = np.full(R, t.start, dtype=np.int64)
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
    ft = t.facts
    if t.tracks:  # flags and counters ([R, V]) and the visits conditions ask about (bits), per lane
        values = np.broadcast_to(t.values_start, (R, len(t.values_start))).copy()
        seen = np.full(R, t.seen_start, dtype=np.uint64)
    # one column per turn of what the score needs (rows of finished runs keep their old values)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("acts", "interrupted", "venting", "threat", "abuse", "beyond", "narration", "anger")}

    live = np.arange(R)
    turn = 0
    while live.size and turn < MAX_TURNS:
        turn += 1
        nd = node[live]
        ag = anger[live]
        pf = performed[live]
        fk = ft.facts_of(values[live], seen[live]) if t.tracks else np.uint64(0)
        offered = t.offered(nd, View(ag[:, None], pf[:, None], np.asarray(fk)[..., None], turn))
        c = np.maximum(t.at[nd], 0)
        n = offered.sum(axis=1)
        stuck = n == 0
        if stuck.any():
            outcome[live[stuck]] = STUCK
            keep = ~stuck
            live, nd, ag, pf, c, offered, n = live[keep], nd[keep], ag[keep], pf[keep], c[keep], offered[keep], n[keep]
            if not live.size:
                break
        if policy.kind == "position":
            # the options as this session shows them (engine.presented), then the N-th of them
            shown = shown_order(t, nd, offered, seeds[live], turn)
            want = np.where(policy.position > 0, np.minimum(policy.position, n), n) - 1
            slot = shown[np.arange(live.size), want]
        else:
            # the seeded pick among the offered options (in slot order, as engine.available lists them)
            j = random_pick(seeds[live], turn, n)
            rank = np.cumsum(offered, axis=1) - 1
            slot = np.argmax(offered & (rank == j[:, None]), axis=1)
        if carrying is not None:
            has = offered & carrying[c]
            anyhas = has.any(axis=1)
            slot = np.where(anyhas, np.argmax(has, axis=1), slot)
            fell_back[live[~anyhas]] = True
        o = c[np.arange(live.size), slot]
        early = cuts_in(policy, seeds[live], turn).astype(np.int64)
        if record:
            chosen_log[live, turn - 1] = o

        cn = counts[live]
        new_anger = reply_anger(t, nd, o, early, ag, cn, seeds[live], turn)
        np.add.at(anger_added, nd, np.maximum(new_anger - ag, 0.0))
        counts[live] = cn + t.chosen[o, early]
        pf = pf | t.bits[o, early]
        performed[live] = pf

        for key, value in (
            ("acts", t.bits[o, early]), ("interrupted", t.cut_in[o, early]), ("venting", t.venting[nd]), ("threat", t.threat[nd]),
            ("abuse", t.abuse[nd]), ("beyond", t.beyond[nd]), ("narration", t.narration[nd]), ("anger", new_anger),
        ):
            col = np.zeros(R, dtype=value.dtype)
            col[live] = value
            cols[key].append(col)

        vals = sn = None
        fr = np.uint64(0)
        if t.tracks:  # the answer's own `set:` counts for its routing; the next node's on arrival
            vals = apply_sets(ft.option_sets, o, values[live])
            sn = seen[live]
            fr = ft.facts_of(vals, sn)
        goto, _ = route(t, o, t.restarted[o, early], new_anger, pf, fr, turn)
        goto, end, _, arrived, vals, sn = settle(t, goto, new_anger, turn, vals, sn)  # the next node's own move included
        if t.tracks:
            values[live] = vals
            seen[live] = sn
        anger[live] = arrived
        cols["anger"][-1][live] = arrived
        node[live] = goto
        turns[live] = turn
        finished = end >= 0
        outcome[live] = np.where(finished, end, outcome[live])
        np.add.at(left_from, nd[end == _LEFT], 1)
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
