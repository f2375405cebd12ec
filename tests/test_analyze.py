"""`defuse analyze`: the vectorised simulator gives exactly the engine's results for the
same seeds, the best/worst search agrees with brute force, and the command's contract."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import score
from simulator.actions import Action
from simulator.authoring.batch import OUTCOMES, STUCK, simulate
from simulator.authoring.search import extremes
from simulator.authoring.starter import starter
from simulator.engine import available, choose, routing, start
from scoring.protocol import Fact, Protocol, Weights
from simulator.library import Library, protocol, protocols
from simulator.loader import load_scenario
from simulator.diagnostics import DefuseError
from simulator.model import Outcome, Scenario
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


def _same_as_engine(sc: Scenario, policy: Policy, seeds, proto=None) -> list:
    """Every run of the batch equals the engine's playthrough for its seed, bit for bit; returns
    the engine's final states (None for a run stuck at a node that offered nothing)."""
    proto = proto or protocol(sc.protocol)
    batch = simulate(sc, proto, policy, np.array(seeds), record=True)
    states = []
    for i, seed in enumerate(seeds):
        where = f"{sc.id} {policy.name} seed {seed}"
        try:
            state = play_policy(sc, policy, proto, seed)
        except DefuseError:  # the engine refuses to go on where no option is offered
            assert batch.outcome[i] == STUCK, where
            states.append(None)
            continue
        result = score(state.transcript(), proto)
        assert batch.choices[i] == [t.choice for t in state.turns], where
        assert OUTCOMES[batch.outcome[i]] == state.outcome, where
        assert batch.anger[i] == state.anger, where  # bit for bit, not approximately
        assert batch.turns[i] == len(state.turns), where
        assert batch.total[i] == result.total and bool(batch.passed[i]) == result.passed, where
        assert bool(batch.gated[i]) == (not result.ending_accepted or result.safety_broken), where
        states.append(state)
    return states


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


@pytest.mark.parametrize("sid", IDS)
def test_batch_cutting_in_equals_the_engine(sid):
    """A trainee who answers while the customer still speaks, on every turn or a seeded share of
    them: the batch counts the interruption, cuts the vent, restarts it and judges as the engine."""
    sc = LIB.get(sid).scenario
    cut = 0
    for spec in ("random!", "random!0.4", "position:1!0.5", "position:last!", "always:acknowledge!0.7", "always:listen!"):
        states = _same_as_engine(sc, parse_policy(spec), list(range(15)))
        cut += sum(t.interrupted for s in states if s for t in s.turns)
    assert cut > 0  # the policies really did cut in


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


# ---------------------------------------------------------------- generated scenarios and protocols
# The comparison above on the bundled library, again on small scenarios and protocols built
# at random: conditions on options and routes (anger, actions, flags, counters, visits, the
# turn, nested any/all/not), `set:` on options and nodes, anger overrides, pins, vents that
# restart, narration, nodes that move anger on arrival (mood or anger_delta), bursts and line
# variants, endings and the hang-up node, impatient and noisy customers; protocols with
# prohibitions, conditional steps, lost_if, partial orders, gated endings, safety windows.

ACTS = [
    Action.LISTEN, Action.ACKNOWLEDGE, Action.APOLOGIZE, Action.EMPATHIZE, Action.ASK_CLARIFYING, Action.OFFER_SOLUTION,
    Action.TAKE_ACTION, Action.SEEK_HELP, Action.DRAW_LINE, Action.TIME_OUT, Action.CONCLUDE, Action.DOCUMENT,
    Action.ARGUE, Action.INTERRUPT, Action.OVER_PROMISE, Action.TAKE_PERSONALLY, Action.DISMISS,
]
HARMFUL = [a for a in ACTS if a.harmful]


def _chance(p: float):
    return st.floats(0, 1).map(lambda x: x < p)


FLAGS = ["f0", "f1"]
COUNTERS = ["c0", "c1"]


@st.composite
def _sets(draw) -> dict:
    """A `set:`: flags on or off, counters set or moved."""
    m = {f: draw(st.booleans()) for f in draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True))}
    for c in draw(st.lists(st.sampled_from(COUNTERS), max_size=2, unique=True)):
        m[c] = draw(st.sampled_from([{"add": 1}, {"add": 1}, {"add": 2}, {"add": -1}, 0, 3]))
    return m


PLAIN_STATE = [  # conditions on state as trainers write them (the drawn ones are often too demanding to hold)
    {"flags": ["f0"]}, {"not": {"flags": ["f1"]}}, {"count_at_least": {"c0": 1}}, {"count_below": {"c1": 2}},
    {"turn_at_least": 2}, {"any": [{"flags": ["f1"]}, {"turn_at_least": 3}]}, {"all": [{"visited": ["n0"]}, {"not": {"flags": ["f0"]}}]},
]


@st.composite
def _when(draw, nodes) -> dict:
    return draw(st.sampled_from(PLAIN_STATE)) if draw(_chance(0.4)) else draw(_conditions(nodes))


@st.composite
def _conditions(draw, nodes=(), depth=2) -> dict:
    c = {}
    k = 1.0 if depth == 2 else 0.35  # nested conditions say less, so that some of them hold
    if draw(_chance(0.2 * k)):
        c["flags"] = draw(st.lists(st.sampled_from(FLAGS), min_size=1, max_size=2, unique=True))
    if draw(_chance(0.2 * k)):
        c["count_at_least"] = draw(st.dictionaries(st.sampled_from(COUNTERS), st.integers(0, 3), min_size=1, max_size=2))
    if draw(_chance(0.15 * k)):
        c["count_below"] = draw(st.dictionaries(st.sampled_from(COUNTERS), st.integers(1, 3), min_size=1, max_size=2))
    if nodes and draw(_chance(0.15 * k)):
        c["visited"] = draw(st.lists(st.sampled_from(list(nodes)), min_size=1, max_size=2, unique=True))
    if draw(_chance(0.15 * k)):
        c["turn_at_least"] = draw(st.integers(1, 6))
    if depth and draw(_chance(0.15 * k)):
        c["any"] = draw(st.lists(_conditions(nodes, depth - 1), min_size=1, max_size=3))
    if depth and draw(_chance(0.1 * k)):
        c["all"] = draw(st.lists(_conditions(nodes, depth - 1), min_size=1, max_size=2))
    if depth and draw(_chance(0.15 * k)):
        c["not"] = draw(_conditions(nodes, depth - 1))
    if draw(_chance(0.4 * k)):
        c["band"] = draw(st.lists(st.sampled_from(["calm", "upset", "angry", "hostile"]), min_size=1, max_size=3, unique=True))
    if draw(_chance(0.3 * k)):
        c["anger_at_least"] = draw(st.sampled_from([20.0, 40.0, 55.5, 75.0]))
    if draw(_chance(0.3 * k)):
        c["anger_below"] = draw(st.sampled_from([30.0, 50.0, 62.5, 90.0]))
    if draw(_chance(0.4 * k)):
        c["done"] = [a.value for a in draw(st.lists(st.sampled_from(ACTS), min_size=1, max_size=2, unique=True))]
    if draw(_chance(0.3 * k)):
        c["not_done"] = [a.value for a in draw(st.lists(st.sampled_from(ACTS), min_size=1, max_size=2, unique=True))]
    return c


@st.composite
def scenarios(draw) -> Scenario:
    talk = [f"n{i}" for i in range(draw(st.integers(1, 5)))]
    ends = draw(st.lists(st.sampled_from([o.value for o in Outcome]), min_size=1, max_size=3))
    end_ids = [f"end{i}" for i in range(len(ends))]
    targets = talk + end_ids
    nodes = []
    for i, nid in enumerate(talk):
        line = {"id": f"{nid}.l", "text": f"Line {i}.", "venting": draw(_chance(0.4)), "threat": draw(_chance(0.15)),
                "abuse": draw(_chance(0.25)), "beyond_authority": draw(_chance(0.15))}
        options = []
        for j in range(draw(st.integers(1, 4))):
            o = {"id": f"o{j}", "text": f"Answer {j}.", "actions": [a.value for a in draw(st.lists(st.sampled_from(ACTS), min_size=1, max_size=3, unique=True))]}
            if draw(_chance(0.3)):
                o["when"] = draw(_when(talk))
            if draw(_chance(0.3)):
                o["set"] = draw(_sets())
            if draw(_chance(0.25)):
                o["anger_delta"] = draw(st.sampled_from([-30.0, -7.5, 0.0, 12.0, 45.0]))
            if draw(_chance(0.2)):
                o["pin"] = draw(st.sampled_from(["first", "last"]))
            if draw(st.booleans()):
                o["goto"] = draw(st.sampled_from(targets))
            else:
                routes = [{"when": draw(_when(talk)), "goto": draw(st.sampled_from(targets))} for _ in range(draw(st.integers(0, 2)))]
                o["routes"] = routes + [{"goto": draw(st.sampled_from(targets))}]
            options.append(o)
        if draw(_chance(0.25)):  # other wordings the seed picks among (what is said, never what happens)
            line["variants"] = [{"id": f"{nid}.l.v{k}", "text": f"Line {i}, put another way ({k})."} for k in range(draw(st.integers(1, 3)))]
        node = {"id": nid, "line": line, "options": options}
        if draw(_chance(0.25)):  # a burst: more lines before the trainee answers
            node["burst"] = [{"id": f"{nid}.b{k}", "text": f"And another thing ({k})."} for k in range(draw(st.integers(1, 2)))]
        if draw(_chance(0.3)):
            node["set"] = draw(_sets())
        if draw(_chance(0.3)):
            node["vent_start"] = draw(st.sampled_from(talk))
        if i and draw(_chance(0.15)):
            node["narration"] = True
        move = draw(st.sampled_from(["", "", "mood", "delta"]))  # the node's own move on arrival
        if move == "mood":
            node["mood"] = draw(st.sampled_from(["calm", "upset", "angry", "hostile"]))
        elif move == "delta":
            node["anger_delta"] = draw(st.sampled_from([-20.0, 7.5, 40.0]))
        nodes.append(node)
    nodes += [{"id": e, "line": {"id": f"{e}.l", "text": "Bye."}, "end": o} for e, o in zip(end_ids, ends)]
    hangup = draw(st.booleans())
    if hangup:
        nodes.append({"id": "gone", "line": {"id": "gone.l", "text": "(line goes dead)"}, "end": "customer_left"})
    persona = {
        "name": "Pat", "anger": draw(st.sampled_from([5.0, 30.0, 49.5, 70.0, 92.0])), "tape_recorder": draw(st.booleans()),
        "noise": draw(st.sampled_from([0.0, 0.0, 6.0])), "patience": draw(st.integers(2, 12)),
        "reactions": {a.value: v for a, v in draw(st.dictionaries(st.sampled_from(ACTS), st.sampled_from([-12.0, 3.0, 20.0]), max_size=2)).items()},
        "dynamics": draw(st.sampled_from([{}, {"decay": 0.3}, {"restart_penalty": 9.0, "vent_interrupt": 10.0}])),
    }
    return Scenario.model_validate({
        "format_version": 1, "id": "generated", "title": "Generated", "summary": "A generated scenario.", "setting": "phone",
        "industry": "testing", "protocol": "ten_step", "persona": persona, "start": talk[0],
        "hangup": "gone" if hangup else None, "nodes": nodes,
    })


@st.composite
def protocols_(draw) -> Protocol:
    steps = []
    for i in range(draw(st.integers(1, 6))):
        avoid = draw(_chance(0.3))
        s = {"id": f"s{i}", "title": f"Step {i}", "description": "Do it.", "kind": "avoid" if avoid else "do",
             "actions": [a.value for a in draw(st.lists(st.sampled_from(HARMFUL if avoid else ACTS), min_size=1, max_size=2, unique=True))],
             "critical": draw(_chance(0.3))}
        if draw(_chance(0.3)):
            s["when"] = draw(st.sampled_from([f.value for f in Fact]))
        if not avoid and draw(_chance(0.3)):
            s["lost_if"] = draw(st.lists(st.sampled_from(["vent_cut"] + [a.value for a in HARMFUL]), min_size=1, max_size=2, unique=True))
        steps.append(s)
    does = [s["id"] for s in steps if s["kind"] == "do"]
    if draw(_chance(0.4)):  # a partial order: each step after some earlier ones
        for s in steps:
            if s["kind"] == "do":
                earlier = does[: does.index(s["id"])]
                s["after"] = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
    endings = {}
    for o in draw(st.lists(st.sampled_from([o.value for o in Outcome]), max_size=3, unique=True)):
        e = {"value": draw(st.sampled_from([0.0, 0.5, 1.0])), "acceptable": draw(_chance(0.8))}
        if draw(_chance(0.3)):
            e["when"] = draw(st.sampled_from([f.value for f in Fact]))
        if does and draw(_chance(0.3)):
            e["after"] = draw(st.lists(st.sampled_from(does), min_size=1, max_size=2, unique=True))
        endings[o] = e
    data = {
        "id": "generated", "title": "Generated", "source": "generated.txt", "summary": "A generated protocol.",
        "ordered": draw(_chance(0.8)), "steps": steps,
        "conduct": [{"action": a.value, "penalty": draw(st.sampled_from([0.05, 0.2, 0.6])), "message": "Not that."}
                    for a in draw(st.lists(st.sampled_from(HARMFUL), max_size=3, unique=True))],
        "safety": {"triggers": draw(st.sampled_from([["threat"], ["threat", "abuse"]])), "within": draw(st.integers(1, 2))},
        "weights": draw(st.sampled_from([{}, {"coverage": 1.0, "order": 0.0, "conduct": 0.5, "outcome": 0.25}, {"coverage": 0.1, "order": 0.6, "conduct": 0.0, "outcome": 0.3}])),
        "critical_weight": draw(st.sampled_from([1.0, 2.0, 3.5])),
        "endings": endings,
        "pass_mark": draw(st.sampled_from([30.0, 55.0, 70.0])),
    }
    if draw(_chance(0.4)):
        data["absorbed_abuse"] = {"penalty": draw(st.sampled_from([0.1, 0.3])), "message": "Answer the abuse."}
    return Protocol.model_validate(data)


GENERATED_POLICIES = ["random", "random!", "random!0.35", "position:1", "position:2!0.5", "position:last!0.8"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sc=scenarios(), proto=protocols_(), always=st.sampled_from(ACTS), cut=st.sampled_from(["", "!", "!0.5"]))
def test_batch_equals_the_engine_on_generated_scenarios_and_protocols(sc, proto, always, cut):
    for spec in GENERATED_POLICIES + [f"always:{always.value}{cut}"]:
        _same_as_engine(sc, parse_policy(spec), list(range(6)), proto)


def _steps(sc: Scenario, final):
    """(before, after) for each turn of a playthrough, played again from its seed."""
    state = start(sc, final.seed)
    for u in final.turns:
        after = choose(sc, state, u.choice, interrupted=u.interrupted)
        yield state, after
        state = after


def test_the_generated_scenarios_exercise_what_the_comparison_is_for():
    """The generator reaches the rules it is there to compare: restarts, interruptions, routes
    taken on a condition, hang-ups, patience, stuck runs, prohibitions broken, steps lost, and
    state: flags and counters set, options offered and withheld and routes taken on conditions
    that read them (or visits, the turn, any/all/not), bursts and variants."""
    seen = set()

    # derandomized: the same examples every run, so what they reach does not depend on luck
    @settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(sc=scenarios(), proto=protocols_())
    def look(sc, proto):
        for spec in ("random", "random!0.5"):
            states = []
            for seed in range(4):
                try:
                    states.append(play_policy(sc, parse_policy(spec), proto, seed))
                except DefuseError:
                    seen.add("stuck")
            for st_ in states:
                turns = st_.turns
                seen.update({"restart"} if any(t.restarted_vent for t in turns) else set())
                seen.update({"interrupted"} if any(t.interrupted for t in turns) else set())
                after = start(sc, st_.seed)
                for before, after in _steps(sc, st_):
                    r = routing(sc, after, before)
                    seen.update({"routed"} if r.reason > 0 else set())
                    seen.update({"routed on state"} if r.condition is not None and r.condition.stateful else set())
                    for o in sc.node(before.node).options:
                        if o.when is not None and o.when.stateful:
                            seen.add("offered on state" if o.id in after.turns[-1].shown else "withheld on state")
                assert st_.flags == after.flags and st_.visited == after.visited  # the replay is the same session
                seen.update({"flags"} if any(v for _, v in st_.flags) else set())
                seen.update({"variant"} if any(".v" in t.line for t in turns) else set())
                seen.update({"burst"} if any("another thing" in t.text for t in turns) else set())
                seen.update({"arrival"} if any(t.anger_reply is not None for t in turns) else set())
                if st_.outcome == Outcome.CUSTOMER_LEFT:
                    seen.add("hung up" if st_.anger >= 100 else "patience")
                r = score(st_.transcript(), proto)
                seen.update({s.status for s in r.steps})

    look()
    assert {"stuck", "restart", "interrupted", "routed", "arrival", "hung up", "patience", "broken", "lost", "kept", "not needed", "met", "missed",
            "routed on state", "offered on state", "withheld on state", "flags", "variant", "burst"} <= seen, seen
