"""Every bundled scenario carries its own proof: its `tests:` block, plus the library-wide
bars (the protocol policy passes, no single repeated action passes, random play scores
clearly lower)."""
from __future__ import annotations

import statistics

import pytest

from scoring import score
from simulator.actions import Action
from simulator.library import Library, protocol, protocols
from simulator.authoring.playtest import run_test
from simulator.policies import Policy, play_policy

LIB = Library()
ENTRIES = LIB.entries()
IDS = sorted(ENTRIES)


def _cases():
    for sid in IDS:
        for t in ENTRIES[sid].scenario.tests:
            yield pytest.param(sid, t, id=f"{sid}::{t.name}")


def test_library_loads_without_problems():
    assert not LIB.problems, "\n".join(str(p) for p in LIB.problems)
    assert IDS


@pytest.mark.parametrize("sid,test", list(_cases()))
def test_scripted_playthrough(sid, test):
    # the same function `defuse test` and `defuse lint` run, so a trainer sees what CI sees
    sc = ENTRIES[sid].scenario
    t = sc.tests.index(test)
    run = run_test(sc, t, test, protocol, path=str(ENTRIES[sid].path))
    assert run.ok, "\n".join(str(d) for d in run.diagnostics)


def test_defuse_test_runs_the_whole_bundled_library(cli):
    status, out, err = cli("test", "scenarios")
    n = sum(len(e.scenario.tests) for e in ENTRIES.values())
    assert (status, out) == (0, "")
    assert err == f"{n} tests in {len(IDS)} files: {n} passed, 0 failed\n"


@pytest.mark.parametrize("sid", IDS)
def test_protocol_policy_passes(sid):
    sc = ENTRIES[sid].scenario
    state = play_policy(sc, Policy("protocol"), protocol(sc.protocol), seed=0)
    result = score(state.transcript(), protocol(sc.protocol))
    assert state.finished
    assert result.passed, f"{result.total}: {[f.message for f in result.feedback]}"


@pytest.mark.parametrize("sid", IDS)
def test_repeating_one_action_never_passes(sid):
    sc = ENTRIES[sid].scenario
    proto = protocol(sc.protocol)
    winners = []
    for action in Action:
        for seed in range(3):
            state = play_policy(sc, Policy("always", action), proto, seed=seed)
            if score(state.transcript(), proto).passed:
                winners.append((action.value, seed))
    assert not winners, f"single-action policies that pass: {winners}"


@pytest.mark.parametrize("sid", IDS)
def test_random_play_scores_clearly_below_the_protocol(sid):
    sc = ENTRIES[sid].scenario
    proto = protocol(sc.protocol)
    best = score(play_policy(sc, Policy("protocol"), proto, seed=0).transcript(), proto).total
    randoms = [score(play_policy(sc, Policy("random"), proto, seed=s).transcript(), proto).total for s in range(40)]
    assert statistics.mean(randoms) < best - 15, (best, statistics.mean(randoms))


def test_every_protocol_is_some_scenarios_default():
    defaults = {e.scenario.protocol for e in ENTRIES.values()}
    missing = set(protocols()) - defaults
    if len(IDS) >= 10:
        assert not missing, f"protocols no scenario uses by default: {sorted(missing)}"


def _anger_conditions(sc) -> bool:
    def anger_dependent(cond) -> bool:
        return cond is not None and (cond.band is not None or cond.anger_at_least is not None or cond.anger_below is not None)

    return any(anger_dependent(r.when) for n in sc.nodes for o in n.options for r in (o.routes or ()))


def test_the_library_meets_the_counts(cli):
    import json

    status, out, _ = cli("scenarios", "--json")
    listed = {d["id"]: d for d in json.loads(out)}
    assert status == 0 and len(listed) >= 10
    for sid, d in listed.items():
        sc = ENTRIES[sid].scenario
        assert d["nodes"] >= 12, sid
        assert len(sc.endings) >= 3 and len(d["endings"]) >= 3, sid
        assert _anger_conditions(sc), f"{sid}: no route depends on the customer's anger"
    scenarios = [e.scenario for e in ENTRIES.values()]
    assert {s.setting.value for s in scenarios} >= {"phone", "chat", "in_person"}
    assert len({s.industry for s in scenarios}) >= 6
    assert any(s.persona.tape_recorder for s in scenarios)
    assert any(n.line.abuse for s in scenarios for n in s.nodes)
    assert any(n.line.threat for s in scenarios for n in s.nodes)
    assert set(protocols()) <= {s.protocol for s in scenarios}
