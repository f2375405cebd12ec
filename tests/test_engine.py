"""The engine and the customer model: rules of a turn, anger dynamics, determinism."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulator.actions import Action
from simulator.customer import ACTION_INDEX, ACTIONS, DEFAULT_EFFECTS, Dynamics, Reactor, unit_noise, uniform
from simulator.diagnostics import IllegalChoice
from simulator.engine import available, choose, start
from simulator.loader import load_scenario
from simulator.model import Band, Outcome, band_of

BASE = """
format_version: 1
id: probe
title: Probe
summary: A small scenario for engine tests.
setting: phone
industry: testing
protocol: ten_step
persona: {{name: Pat, anger: {anger}, tape_recorder: {tape}, noise: {noise}, patience: {patience}}}
start: vent1
hangup: left
nodes:
  - id: vent1
    line: {{id: vent1.l, text: "First part of the rant.", venting: true}}
    options:
      - {{id: hush, text: "(listen)", actions: [listen], goto: vent2}}
      - {{id: see, text: "I see.", actions: [acknowledge], goto: vent2}}
      - {{id: argue, text: "That's wrong.", actions: [argue], goto: vent2}}
  - id: vent2
    line: {{id: vent2.l, text: "Second part of the rant.", venting: true}}
    vent_start: vent1
    options:
      - {{id: hush, text: "(listen)", actions: [listen], goto: ask}}
      - {{id: see, text: "I see.", actions: [acknowledge], goto: ask}}
  - id: ask
    line: {{id: ask.l, text: "Well?"}}
    options:
      - {{id: sorry, text: "Sorry.", actions: [apologize], goto: ask}}
      - {{id: why, text: "What happened?", actions: [ask_clarifying], goto: ask}}
      - {{id: fix, text: "Here's a fix.", actions: [offer_solution], routes: [{{when: {{band: [calm, upset]}}, goto: done}}, {{goto: ask}}]}}
      - {{id: quiet, text: "(silence)", actions: [listen], goto: ask}}
      - id: late
        text: "Only after asking."
        actions: [take_action]
        when: {{done: [ask_clarifying]}}
        goto: done
      - {{id: fixed_delta, text: "Scripted.", actions: [empathize], anger_delta: -30, goto: ask}}
      - {{id: hold, text: "(hold)", actions: [hold_without_permission], goto: ask}}
  - id: done
    line: {{id: done.l, text: "Thanks."}}
    end: resolved
  - id: left
    line: {{id: left.l, text: "Bye."}}
    end: customer_left
"""


def scenario(anger=60, tape="false", noise=0, patience=40):
    return load_scenario(BASE.format(anger=anger, tape=tape, noise=noise, patience=patience), "probe.yaml", {"ten_step"})


def test_start_state():
    sc = scenario()
    s = start(sc, seed=3)
    assert s.node == "vent1" and s.anger == 60 and s.turns == () and not s.finished and s.seed == 3


def test_illegal_choice_raises_and_changes_nothing():
    sc = scenario(noise=4)
    s = start(sc, seed=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.anger = 0  # a state is a value: nothing can change it in place
    with pytest.raises(IllegalChoice, match="no option 'nope' at node 'vent1'"):
        choose(sc, s, "nope")
    # "changes nothing" for a pure engine: the session goes on exactly as one that never tried
    # (no cache, counter or random draw moved), compared with a freshly loaded scenario
    fresh = scenario(noise=4)
    tried, never = s, start(fresh, seed=5)
    for c in ["hush", "hush", "why", "sorry", "why"]:
        tried, never = choose(sc, tried, c), choose(fresh, never, c)
    assert tried == never and len(tried.turns) == 5
    # an option whose `when` does not hold is not offered and cannot be chosen
    s = choose(sc, choose(sc, s, "hush"), "hush")
    assert "late" not in [o.id for o in available(sc, s)]
    with pytest.raises(IllegalChoice):
        choose(sc, s, "late")


def test_no_choice_after_the_end():
    sc = scenario(anger=20)
    s = start(sc)
    for c in ["hush", "hush", "fix"]:
        s = choose(sc, s, c)
    assert s.outcome == Outcome.RESOLVED and available(sc, s) == []
    with pytest.raises(IllegalChoice, match="ended"):
        choose(sc, s, "fix")


def test_listening_through_a_vent_lowers_anger_and_interrupting_raises_it():
    sc = scenario()
    quiet = choose(sc, start(sc), "hush")
    cut = choose(sc, start(sc), "hush", interrupted=True)  # keeping quiet is never an interruption
    assert quiet.anger < 60 and cut == quiet
    early = choose(sc, start(sc), "argue", interrupted=True)
    assert early.turns[0].interrupted and Action.INTERRUPT in early.turns[0].actions
    assert early.anger > choose(sc, start(sc), "argue").anger > 60


def test_tape_recorder_restarts_the_vent_even_for_i_see():
    sc = scenario(tape="true")
    s = choose(sc, start(sc), "hush")
    assert s.node == "vent2"
    s2 = choose(sc, s, "see")  # not even early: an "I see" inside a vent restarts it
    assert s2.node == "vent1" and s2.turns[-1].restarted_vent and s2.turns[-1].interrupted
    assert s2.anger > s.anger
    plain = scenario(tape="false")
    s3 = choose(plain, choose(plain, start(plain), "hush"), "see")
    assert s3.node == "ask" and not s3.turns[-1].restarted_vent


def test_diminishing_returns_then_impatience():
    sc = scenario(anger=90)
    s = choose(sc, choose(sc, start(sc), "hush"), "hush")
    drops = []
    for _ in range(5):
        nxt = choose(sc, s, "sorry")
        drops.append(s.anger - nxt.anger)
        s = nxt
    assert drops[0] > drops[1] > drops[2] > 0
    assert drops[3] < 0 and drops[4] < drops[3]  # the fourth and fifth apology grate


def test_solution_works_better_once_the_cause_is_known():
    sc = scenario(anger=80)
    s = choose(sc, choose(sc, start(sc), "hush"), "hush")
    blind = choose(sc, s, "fix")
    asked = choose(sc, s, "why")
    informed = choose(sc, asked, "fix")
    assert (s.anger - blind.anger) < (asked.anger - informed.anger)


def test_stalling_and_holds_raise_anger():
    sc = scenario()
    s = choose(sc, choose(sc, start(sc), "hush"), "hush")
    q1 = choose(sc, s, "quiet")
    q2 = choose(sc, q1, "quiet")
    assert q2.anger > q1.anger  # silence when an answer is expected
    held = choose(sc, s, "hold")
    assert held.anger - s.anger >= DEFAULT_EFFECTS[Action.HOLD_WITHOUT_PERMISSION]


def test_anger_override_replaces_the_model():
    sc = scenario()
    s = choose(sc, choose(sc, start(sc), "hush"), "hush")
    assert choose(sc, s, "fixed_delta").anger == pytest.approx(max(0.0, s.anger - 30))


def test_routes_depend_on_anger_band():
    hot = scenario(anger=95)
    s = choose(hot, choose(hot, start(hot), "hush"), "hush")
    assert band_of(s.anger) in (Band.ANGRY, Band.HOSTILE)
    assert choose(hot, s, "fix").node == "ask"
    cool = scenario(anger=30)
    s = choose(cool, choose(cool, start(cool), "hush"), "hush")
    assert choose(cool, s, "fix").outcome == Outcome.RESOLVED


def test_reaching_100_ends_the_call_at_the_hangup_node():
    sc = scenario(anger=92)
    s = choose(sc, start(sc), "argue")
    assert s.anger == 100 and s.outcome == Outcome.CUSTOMER_LEFT and s.node == "left"


def test_patience_runs_out():
    sc = scenario(anger=10, patience=6)
    s = choose(sc, choose(sc, start(sc), "hush"), "hush")
    while not s.finished:
        s = choose(sc, s, "why")
    assert s.outcome == Outcome.CUSTOMER_LEFT and len(s.turns) == 6


def test_same_seed_same_choices_same_session_bit_for_bit():
    sc = scenario(noise=4)
    def play(seed):
        s = start(sc, seed)
        for c in ["hush", "hush", "why", "sorry", "why", "sorry"]:
            s = choose(sc, s, c)
        return s
    a, b, c = play(7), play(7), play(8)
    assert a == b
    assert [t.anger_after for t in a.turns] == [t.anger_after for t in b.turns]
    assert [t.anger_after for t in a.turns] != [t.anger_after for t in c.turns]


def test_noise_is_centred_and_vectorises_exactly():
    seeds = np.arange(20000)
    z = unit_noise(seeds, 3)
    assert abs(z.mean()) < 0.05 and 0.9 < z.std() < 1.1
    scalars = np.array([float(unit_noise(int(s), 3)) for s in seeds[:200]])
    assert np.array_equal(scalars, z[:200])
    u = uniform(seeds, 5, 1)
    assert 0 <= u.min() and u.max() < 1


def test_reactor_batch_lane_equals_single_run():
    r = Reactor({Action.APOLOGIZE: -9.5}, Dynamics(decay=0.55), noise=2.0)
    rng = np.random.default_rng(0)
    n = 64
    chosen = rng.random((n, len(ACTIONS))) < 0.1
    counts = rng.integers(0, 4, (n, len(ACTIONS)))
    venting = rng.random(n) < 0.5
    abuse = rng.random(n) < 0.3
    broken = rng.random(n) < 0.2
    batch = r.delta(chosen, counts, venting, abuse, broken, broken & venting)
    for i in range(n):
        one = r.delta(chosen[i], counts[i], venting[i], abuse[i], broken[i], broken[i] & venting[i])
        assert float(one) == float(batch[i])


def test_signs_of_effects_follow_the_sources():
    for a in (Action.ARGUE, Action.TAKE_PERSONALLY, Action.HOLD_WITHOUT_PERMISSION, Action.INTERRUPT, Action.BLAME_CUSTOMER):
        assert DEFAULT_EFFECTS[a] > 0
    for a in (Action.EMPATHIZE, Action.APOLOGIZE, Action.LISTEN, Action.TIME_OUT, Action.DELEGATE_UP):
        assert DEFAULT_EFFECTS[a] < 0
    assert DEFAULT_EFFECTS[Action.HOLD_WITHOUT_PERMISSION] >= 2 * DEFAULT_EFFECTS[Action.INTERRUPT]


def test_the_state_counts_actions_in_the_customer_models_order():
    # State.counts and the batch arrays index actions by ACTION_INDEX: one order for both
    sc = scenario()
    s = choose(sc, start(sc), "argue", interrupted=True)
    assert len(s.counts) == len(ACTIONS)
    used = {ACTIONS[i]: n for i, n in enumerate(s.counts) if n}
    assert used == {Action.ARGUE: 1, Action.INTERRUPT: 1}
    assert s.counts[ACTION_INDEX[Action.ARGUE]] == 1 and s.performed() == {Action.ARGUE, Action.INTERRUPT}
