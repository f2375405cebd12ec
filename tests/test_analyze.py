"""`defuse analyze`: the vectorised simulator gives exactly the engine's results for the
same seeds, the best/worst search agrees with brute force, and the command's contract."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scoring import score
from simulator.actions import Action
from simulator.authoring.batch import OUTCOMES, simulate
from simulator.authoring.search import extremes
from simulator.authoring.starter import starter
from simulator.engine import available, choose, start
from scoring.protocol import Weights
from simulator.library import Library, protocol, protocols
from simulator.loader import load_scenario
from simulator.model import Scenario
from simulator.policies import Policy, parse_policy, play_policy

LIB = Library()
IDS = sorted(LIB.entries())


def _noisy() -> Scenario:
    """A bundled scenario made noisy and impatient, so noise and patience paths are exercised."""
    data = LIB.get("billing_double_charge").scenario.model_dump(mode="json", exclude_none=True)
    data["persona"]["noise"] = 7.5
    data["persona"]["patience"] = 6
    data["tests"] = []
    return Scenario.model_validate(data)


def _same_as_engine(sc: Scenario, policy: Policy, seeds, proto=None) -> None:
    proto = proto or protocol(sc.protocol)
    batch = simulate(sc, proto, policy, np.array(seeds), record=True)
    for i, seed in enumerate(seeds):
        state = play_policy(sc, policy, proto, seed)
        result = score(state.transcript(), proto)
        where = f"{sc.id} {policy.name} seed {seed}"
        assert batch.choices[i] == [t.choice for t in state.turns], where
        assert OUTCOMES[batch.outcome[i]] == state.outcome, where
        assert batch.anger[i] == state.anger, where  # bit for bit, not approximately
        assert batch.turns[i] == len(state.turns), where
        assert batch.total[i] == result.total and bool(batch.passed[i]) == result.passed, where


@pytest.mark.parametrize("sid", IDS)
def test_batch_random_equals_the_engine(sid):
    _same_as_engine(LIB.get(sid).scenario, Policy("random"), list(range(40)))


@pytest.mark.parametrize("sid", IDS)
def test_batch_single_action_policies_equal_the_engine(sid):
    sc = LIB.get(sid).scenario
    for action in Action:
        _same_as_engine(sc, Policy("always", action), [0, 1, 2])


@pytest.mark.parametrize("sid", IDS)
def test_batch_position_policies_equal_the_engine(sid):
    """The batch orders options as engine.presented does: the N-th shown is the same option."""
    sc = LIB.get(sid).scenario
    for spec in ("position:1", "position:2", "position:last"):
        _same_as_engine(sc, parse_policy(spec), list(range(12)))


@pytest.mark.parametrize("pid", sorted(protocols()))
def test_batch_scores_every_protocol_as_the_scorer_does(pid):
    """Conditional steps, prohibitions, gated endings and safety, judged against every protocol."""
    proto = protocol(pid)
    for sid in ("hotel_threat", "airline_persistent_abuse", "bank_fee_authority", "utility_outage_tape"):
        _same_as_engine(LIB.get(sid).scenario, Policy("random"), list(range(25)), proto)


def test_two_protocols_with_one_id_do_not_share_cached_tables():
    """Tables are kept on the protocol object: a copy with other weights is scored by its own."""
    sc = LIB.get("billing_double_charge").scenario
    base = protocol(sc.protocol)
    coverage_only = base.model_copy(update={"weights": Weights(coverage=1.0, order=0.0, conduct=0.0, outcome=0.0)})
    seeds = np.arange(60)
    a = simulate(sc, base, Policy("random"), seeds)
    b = simulate(sc, coverage_only, Policy("random"), seeds)
    assert coverage_only.id == base.id and not np.array_equal(a.total, b.total, equal_nan=True)
    _same_as_engine(sc, Policy("random"), list(range(20)), coverage_only)


def test_batch_equals_the_engine_with_noise_and_patience():
    sc = _noisy()
    _same_as_engine(sc, Policy("random"), list(range(100, 180)))
    for action in (Action.LISTEN, Action.APOLOGIZE, Action.INTERRUPT, Action.ARGUE):
        _same_as_engine(sc, Policy("always", action), list(range(10)))
    outcomes = {OUTCOMES[o].value for o in simulate(sc, protocol(sc.protocol), Policy("random"), np.arange(200)).outcome}
    assert "customer_left" in outcomes  # patience of 6 really ends sessions


def test_batch_refuses_the_protocol_policy():
    sc = LIB.get("billing_double_charge").scenario
    with pytest.raises(ValueError):
        simulate(sc, protocol(sc.protocol), Policy("protocol"), [0])


def _brute_force(sc: Scenario, proto):
    totals = []

    def walk(state):
        if state.finished:
            totals.append(score(state.transcript(), proto).total)
            return
        for o in available(sc, state):
            walk(choose(sc, state, o.id))

    walk(start(sc, 0))
    return totals


def test_search_finds_the_true_best_and_worst():
    sc = load_scenario(starter("Brute force"), "starter.yaml", set(LIB_protocols()))
    proto = protocol(sc.protocol)
    totals = _brute_force(sc, proto)
    found = extremes(sc, proto, budget=100_000)
    assert found.complete
    assert found.best.total == max(totals) and found.worst.total == min(totals)
    # the reported paths really give those scores
    for f in (found.best, found.worst):
        state = start(sc, 0)
        for c in f.choices:
            state = choose(sc, state, c)
        assert score(state.transcript(), proto).total == f.total


def LIB_protocols():
    from simulator.library import protocols

    return protocols()


@pytest.mark.slow
def test_analyze_json_is_one_document(cli):
    status, out, err = cli("analyze", "billing_double_charge", "--runs", "200", "--json", "--search-budget", "300")
    assert status == 0, err
    doc = json.loads(out)
    names = [p["policy"] for p in doc["policies"]]
    sc = LIB.get("billing_double_charge").scenario
    carried = [a for a in Action if any(a in o.actions for n in sc.nodes for o in n.options)]
    assert names == ["protocol", "random", "position:1", "position:2", "position:last", "greedy-steps", "greedy-calm"] + [f"always:{a.value}" for a in carried]
    assert len(carried) < len(Action)  # only actions some option carries are listed
    assert doc["best_gated"] is None or not doc["best_gated"]["passed"]
    for p in doc["policies"]:
        assert sum(p["outcomes"].values()) == p["runs"] and sum(p["histogram"]) == p["runs"]
        assert 0 <= p["pass_rate"] <= 1
    assert doc["policies"][0]["pass_rate"] == 1.0  # the model trainee passes
    best = doc["reachable"]["best"]
    assert best["passed"] and best["score"] >= doc["policies"][0]["max"]
    assert doc["reachable"]["worst"]["score"] <= min(p["min"] for p in doc["policies"])
    assert doc["losses"] and {"node", "anger_added_per_run", "customer_left_after"} <= set(doc["losses"][0])
    assert "analyze:" not in err  # no progress when stderr is not a terminal


def test_progress_goes_to_stderr_only(cli):
    status, out, err = cli("analyze", "billing_double_charge", "--runs", "50", "--json", "--progress", "--search-budget", "50")
    assert status == 0
    json.loads(out)
    assert "analyze: 100%" in err


@pytest.mark.slow
def test_same_seed_same_report_and_text_output(cli):
    args = ("analyze", "billing_double_charge", "--runs", "100", "--seed", "7", "--search-budget", "100")
    a = cli(*args, "--json")[1]
    b = cli(*args, "--json")[1]
    assert a == b
    status, out, _ = cli(*args)
    assert status == 0 and "best reachable score" in out and "random" in out


@pytest.mark.parametrize("runs", ["0", "-5", "many"])
def test_bad_run_counts_are_usage_errors(cli, runs):
    with pytest.raises(SystemExit) as e:
        cli("analyze", "billing_double_charge", "--runs", runs)
    assert e.value.code == 2


def test_unknown_scenario_is_a_clear_error(cli):
    status, out, err = cli("analyze", "no_such_scenario")
    assert status == 1 and out == "" and "unknown scenario" in err


def test_a_scenario_that_can_get_stuck_is_analysed_not_crashed(cli):
    path = Path(__file__).parent / "data" / "lint" / "02_dead_end.yaml"
    status, out, err = cli("analyze", str(path), "--runs", "50", "--json", "--search-budget", "50")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["policies"][0]["outcomes"] == {"stuck": 1}
    assert doc["policies"][1]["outcomes"].get("stuck") == 50  # anger 50 is in the uncovered band


def test_the_search_bound_sees_everything_ahead_of_each_node():
    from simulator.authoring.search import _ahead

    for sid in IDS:
        sc = LIB.get(sid).scenario
        ahead = _ahead(sc)
        for node in sc.nodes:  # naive: walk the graph from this node
            seen, stack = {node.id}, [node.id]
            while stack:
                n = sc.node(stack.pop())
                nxt = {n.vent_start or n.id} if n.options else set()
                for o in n.options:
                    nxt |= {o.goto} if o.goto else {r.goto for r in o.routes}
                for m in nxt - seen:
                    seen.add(m)
                    stack.append(m)
            acts = {a for m in seen for o in sc.node(m).options for a in o.actions}
            acts |= {Action.INTERRUPT} if any(sc.node(m).options for m in seen) else set()
            assert ahead[node.id] == (frozenset(acts), frozenset(m for m in seen if sc.node(m).end)), (sid, node.id)
