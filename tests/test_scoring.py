"""Scoring: the four components, the total, pass/fail rules and feedback."""
from __future__ import annotations

import itertools
import random

import pytest

from scoring import score
from simulator.protocol_loader import load_protocol
from simulator.actions import Action
from simulator.library import protocol, protocols
from simulator.model import Outcome, Transcript, Turn


def turns_of(*action_lists, threat_at=()):
    out = []
    for i, acts in enumerate(action_lists, start=1):
        acts = tuple(Action(a) for a in (acts if isinstance(acts, (list, tuple)) else [acts]))
        out.append(Turn(i, f"n{i}", f"l{i}", f"line {i}", f"c{i}", f"said {i}", acts, False, 50.0, 50.0, threat=i in threat_at))
    return tuple(out)


def make_protocol(yaml_text: str):
    return load_protocol(yaml_text.encode(), "test.yaml")


TOTAL = """
id: t
title: T
source: s.txt
summary: s
steps:
{steps}
"""


def total_order(n: int):
    steps = "\n".join(f"  - {{id: s{i}, title: S{i}, description: d, actions: [{a.value}]}}" for i, a in zip(range(n), list(Action)[:n]))
    return make_protocol(TOTAL.format(steps=steps))


def brute_force_order(first: dict[str, int], before: set[tuple[str, str]]) -> float | None:
    """Count, pair by pair, the precedence pairs done the right way round (ties kept), over
    every pair of the protocol: a pair with a step not done earns nothing."""
    kept = sum(1 for a, b in before if a in first and b in first and first[a] <= first[b])
    return None if not before else kept / len(before)


def kendall_tau(xs: list[int], ys: list[int]) -> float:
    conc = disc = 0
    for i, j in itertools.combinations(range(len(xs)), 2):
        s = (xs[i] - xs[j]) * (ys[i] - ys[j])
        conc += s > 0
        disc += s < 0
    pairs = len(xs) * (len(xs) - 1) / 2
    return (conc - disc) / pairs if pairs else 1.0


@pytest.mark.parametrize("seed", range(40))
def test_order_equals_share_of_correct_pairs_on_random_sequences(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 9)
    proto = total_order(n)
    acts = list(Action)[:n]
    length = rng.randint(1, 14)
    seq = [rng.choice(acts) for _ in range(length)]
    result = score(Transcript(turns_of(*[[a.value] for a in seq])), proto)
    first = {s.id: s.turn for s in result.steps if s.performed}
    expected = brute_force_order(first, {(f"s{i}", f"s{j}") for i in range(n) for j in range(i + 1, n)})
    assert result.components["order"] == pytest.approx(expected, abs=1e-4)
    # once every step is done, with no ties, this is (1 + tau) / 2
    ids = sorted(first, key=lambda s: int(s[1:]))
    if len(ids) == n and len(set(first.values())) == n:
        tau = kendall_tau([int(s[1:]) for s in ids], [first[s] for s in ids])
        assert result.components["order"] == pytest.approx((1 + tau) / 2, abs=1e-4)


@pytest.mark.parametrize("seed", range(25))
def test_order_on_random_partial_orders(seed):
    rng = random.Random(1000 + seed)
    n = rng.randint(3, 8)
    acts = list(Action)[:n]
    lines = []
    edges = set()
    for i in range(n):
        preds = sorted(rng.sample(range(i), rng.randint(0, min(i, 2)))) if i else []
        edges |= {(f"s{p}", f"s{i}") for p in preds}
        lines.append(f"  - {{id: s{i}, title: S{i}, description: d, actions: [{acts[i].value}], after: [{', '.join(f's{p}' for p in preds)}]}}")
    proto = make_protocol(TOTAL.format(steps="\n".join(lines)))
    # brute-force transitive closure
    closure = set(edges)
    while True:
        more = {(a, d) for a, b in closure for c, d in closure if b == c} - closure
        if not more:
            break
        closure |= more
    assert proto.precedence == closure
    # several actions per turn, so that ties happen
    turns = [[a.value for a in rng.sample(acts, rng.randint(1, 2))] for _ in range(rng.randint(1, 8))]
    result = score(Transcript(turns_of(*turns)), proto)
    first = {s.id: s.turn for s in result.steps if s.performed}
    expected = brute_force_order(first, closure)
    assert result.components["order"] == (None if expected is None else pytest.approx(expected, abs=1e-4))


def test_same_turn_is_not_discordant():
    proto = total_order(2)
    a, b = (s.actions[0].value for s in proto.steps)
    tied = score(Transcript(turns_of([a, b])), proto)
    assert tied.components["order"] == 1.0 and not [f for f in tied.feedback if f.kind == "order"]
    wrong = score(Transcript(turns_of(b, a)), proto)
    assert wrong.components["order"] == 0.0 and [f.step for f in wrong.feedback if f.kind == "order"] == ["s1"]


def test_perfect_ten_step_sequence_passes_and_feedback_is_empty():
    p = protocol("ten_step")
    seq = [s.actions[0].value for s in p.steps]
    t = Transcript(turns_of(*seq), Outcome.RESOLVED, 80.0, 10.0)
    r = score(t, p)
    assert r.components["coverage"] == 1.0 and r.components["order"] == 1.0 and r.components["conduct"] == 1.0
    assert r.passed and r.total >= 90
    assert [f for f in r.feedback if f.kind != "outcome"] == []


def test_reversed_sequence_loses_order_and_says_which_step():
    p = protocol("ten_step")
    seq = [s.actions[0].value for s in p.steps][::-1]
    r = score(Transcript(turns_of(*seq), Outcome.RESOLVED, 80.0, 10.0), p)
    assert r.components["order"] < 0.2
    order_lines = [f for f in r.feedback if f.kind == "order"]
    assert order_lines and all(f.turn is not None and f.step for f in order_lines)
    assert "turn" in order_lines[0].message and '"said' in order_lines[0].message


def test_missing_critical_step_fails_even_with_a_high_total():
    p = protocol("ten_step")
    crit = next(s for s in p.steps if s.critical)
    seq = [s.actions[0].value for s in p.steps if s.id != crit.id]
    r = score(Transcript(turns_of(*seq), Outcome.RESOLVED, 80.0, 0.0), p)
    assert r.total >= p.pass_mark
    assert not r.passed and crit.id in r.critical_missed
    assert any(f.step == crit.id and f.turn is None for f in r.feedback)


def test_conduct_penalties_add_up_and_floor_at_zero():
    p = make_protocol(TOTAL.format(steps="  - {id: calm, title: Calm, description: d, actions: [stay_calm]}") + "conduct:\n  - {action: argue, penalty: 0.25, message: m}\n")
    argue = p.penalty_for(Action.ARGUE).penalty
    r1 = score(Transcript(turns_of("stay_calm", "argue")), p)
    # conduct starts from what was done: one clean turn of two, the whole procedure, less the penalty
    assert r1.components["conduct"] == pytest.approx(0.5 * 1.0 - argue)
    many = score(Transcript(turns_of(*["argue"] * 20)), p)
    assert many.components["conduct"] == 0.0
    lines = [f for f in r1.feedback if f.kind == "conduct"]
    assert len(lines) == 1 and lines[0].turn == 2 and lines[0].step == "conduct:argue"


def test_unordered_protocol_has_no_order_component():
    p = protocol("twelve_strategies")
    assert not p.ordered and p.precedence == frozenset()
    r = score(Transcript(turns_of("offer_solution", "stay_calm")), p)
    assert r.components["order"] is None


def test_safety_rule_fails_a_threat_left_without_seek_help():
    p = protocol("bluf")
    seq = [s.actions[0].value for s in p.steps]
    unsafe = score(Transcript(turns_of(*seq, threat_at=(3,)), Outcome.RESOLVED, 80.0, 10.0), p)
    assert unsafe.total >= p.pass_mark and not unsafe.passed and unsafe.safety_broken
    assert any(f.kind == "safety" and f.turn == 3 for f in unsafe.feedback)
    safe = score(Transcript(turns_of(*seq[:2], [seq[2], "seek_help"], *seq[3:], threat_at=(3,)), Outcome.RESOLVED, 80.0, 10.0), p)
    assert not safe.safety_broken
    # the answer to the threat must seek help (within: 1): the turn after is too late
    late = score(Transcript(turns_of(*seq[:3], "seek_help", *seq[3:], threat_at=(3,)), Outcome.RESOLVED, 80.0, 10.0), p)
    assert late.safety_broken
    # seek_help before the threat does not count: the threat came after
    early = score(Transcript(turns_of("seek_help", *seq, threat_at=(4,)), Outcome.RESOLVED, 80.0, 10.0), p)
    assert early.safety_broken


def test_observer_sequence_leaves_out_the_outcome_and_rescales():
    p = protocol("five_steps")
    seq = [s.actions[0].value for s in p.steps]
    r = score(Transcript(turns_of(*seq)), p)
    assert r.components["outcome"] is None
    assert r.total == pytest.approx(100.0)


def test_outcome_component_uses_the_ending_and_the_fall_in_anger():
    p = protocol("ten_step")
    seq = tuple(s.actions[0].value for s in p.steps)
    good = score(Transcript(turns_of(*seq), Outcome.RESOLVED, 80.0, 20.0), p).components["outcome"]
    left = score(Transcript(turns_of(*seq), Outcome.CUSTOMER_LEFT, 80.0, 100.0), p).components["outcome"]
    assert good == pytest.approx(0.6 * 1.0 + 0.4 * 0.75)
    assert left == 0.0


@pytest.mark.parametrize("pid", sorted(protocols()))
def test_rescoring_any_session_against_any_protocol(pid):
    from simulator.library import Library
    from simulator.policies import Policy, play_policy

    sc = Library().get("billing_double_charge").scenario
    state = play_policy(sc, Policy("protocol"), protocol(sc.protocol))
    r = score(state.transcript(), protocol(pid))
    assert r.protocol == pid
    assert 0 <= r.total <= 100
    assert all(0 <= v <= 1 for v in r.components.values() if v is not None)
    assert len(r.steps) == len(protocol(pid).steps)
    # scoring twice gives the same answer (nothing hidden in the score)
    assert score(state.transcript(), protocol(pid)) == r
