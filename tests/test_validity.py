"""Issue 9's targets on the bundled library: the score cannot be passed by pattern, by luck
or after the customer has gone. Pass rates come from seeded runs (not wall-clock)."""
from __future__ import annotations

import numpy as np
import pytest

from scoring.kernel import OUTCOMES
from simulator.authoring.analyze import GAMING_LIMIT
from simulator.authoring.batch import simulate
from simulator.authoring.validity import pass_rates
from simulator.library import Library, protocol
from simulator.model import Outcome
from simulator.policies import parse_policy

LIB = Library(include_bundled=True)
IDS = sorted(LIB.entries())
RATES = {}


def rates(sid: str) -> dict:
    if sid not in RATES:
        sc = LIB.get(sid).scenario
        RATES[sid] = pass_rates(sc, protocol(sc.protocol), runs=200, engine_runs=20)
    return RATES[sid]


def test_there_are_at_least_eleven_bundled_scenarios():
    assert len(IDS) >= 11


@pytest.mark.parametrize("sid", IDS)
@pytest.mark.slow
def test_the_protocol_trainee_passes(sid):
    assert rates(sid)["protocol"] == 1.0


@pytest.mark.parametrize("sid", IDS)
def test_pressing_one_position_every_turn_does_not_pass(sid):
    r = rates(sid)
    for pos in ("position:1", "position:2", "position:last"):
        assert r[pos] <= GAMING_LIMIT, (pos, r[pos])


@pytest.mark.parametrize("sid", IDS)
def test_random_play_passes_under_five_percent(sid):
    assert rates(sid)["random"] < 0.05


@pytest.mark.parametrize("sid", IDS)
def test_no_single_action_trainee_passes(sid):
    r = rates(sid)
    assert r["best always:ACTION"] <= GAMING_LIMIT, r["best always action"]


def test_the_step_greedy_trainee_passes_at_most_one_scenario():
    passed = [sid for sid in IDS if rates(sid)["greedy-steps"] > GAMING_LIMIT]
    assert len(passed) <= 1, passed


@pytest.mark.parametrize("sid", IDS)
def test_no_run_that_a_gate_failed_passes(sid):
    sc = LIB.get(sid).scenario
    proto = protocol(sc.protocol)
    for name in ("random", "position:1", "always:interrupt", "always:over_promise"):
        b = simulate(sc, proto, parse_policy(name), np.arange(200))
        assert not (b.passed & b.gated).any()
        left = b.outcome == OUTCOMES.index(Outcome.CUSTOMER_LEFT)
        assert not (b.passed & left).any()
