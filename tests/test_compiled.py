"""The compiled tables (simulator.compiled): one `route` with its reason, the end-of-call order,
anger bands read once, conditions as rows (and the any/all/not algebra the next condition
kinds build on), and tables kept per scenario object, never per id."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.actions import Action
from simulator.compiled import (
    ENDED,
    FIXED,
    GOING_ON,
    HUNG_UP,
    OUT_OF_PATIENCE,
    OUTCOMES,
    RESTART,
    ConditionTooComplex,
    Conditions,
    View,
    action_mask,
    all_of,
    any_of,
    negate,
    route,
    rows_of,
    settle,
    tables,
)
from simulator.customer import ACTIONS
from simulator.engine import choose, holds, routing, start
from simulator.model import BAND_FLOORS, Band, Condition, Scenario, band_index, band_of


def _scenario(**persona) -> Scenario:
    line = {"id": "l", "text": "Well?"}
    return Scenario.model_validate({
        "format_version": 1, "id": "routes", "title": "t", "summary": "s", "setting": "chat",
        "industry": "test", "protocol": "ten_step",
        "persona": {"name": "Pat", "anger": 50, "tape_recorder": True, **persona},
        "start": "a", "hangup": "gone",
        "nodes": [
            {"id": "a", "line": {**line, "id": "a.l", "venting": True}, "options": [
                {"id": "calm", "text": "x", "actions": ["apologize"], "anger_delta": -30,
                 "routes": [{"when": {"anger_at_least": 60}, "goto": "hot"}, {"when": {"done": ["apologize"], "band": ["calm"]}, "goto": "cool"}, {"goto": "hot"}]},
                {"id": "see", "text": "I see", "actions": ["acknowledge"], "goto": "cool"},
                {"id": "rude", "text": "y", "actions": ["argue"], "anger_delta": 60, "goto": "cool"},
                {"id": "wait", "text": "z", "actions": ["listen"], "anger_delta": 0, "goto": "b"},
            ]},
            {"id": "b", "line": {**line, "id": "b.l"}, "options": [{"id": "more", "text": "w", "actions": ["listen"], "anger_delta": 0, "goto": "b"}]},
            {"id": "hot", "line": {**line, "id": "hot.l"}, "end": "escalated"},
            {"id": "cool", "line": {**line, "id": "cool.l"}, "end": "resolved"},
            {"id": "gone", "line": {**line, "id": "gone.l"}, "end": "customer_left"},
        ],
    })


def test_route_returns_the_destination_and_the_reason_decided_after_the_reply():
    sc = _scenario()
    t = tables(sc)
    k = t.option_at("a", "calm")
    apologised = np.uint64(action_mask([Action.APOLOGIZE]))
    # anger 20 after the reply: route 1 (anger >= 60) fails, route 2 (calm and apologised) holds
    goto, why = route(t, k, False, 20.0, apologised)
    assert (t.node_ids[int(goto)], int(why)) == ("cool", 1)
    # the same reply seen at the anger before it (50) would have taken the last route
    goto, why = route(t, k, False, 50.0, apologised)
    assert (t.node_ids[int(goto)], int(why)) == ("hot", 2)
    goto, why = route(t, k, False, 60.0, apologised)
    assert (t.node_ids[int(goto)], int(why)) == ("hot", 0)
    goto, why = route(t, t.option_at("a", "see"), False, 20.0, np.uint64(0))
    assert (t.node_ids[int(goto)], int(why)) == ("cool", FIXED)
    goto, why = route(t, k, True, 20.0, apologised)
    assert (t.node_ids[int(goto)], int(why)) == ("a", RESTART)
    # lane-wise: many sessions at once give what each gives alone
    anger = np.array([20.0, 50.0, 60.0, 20.0])
    restarted = np.array([False, False, False, True])
    goto, why = route(t, np.full(4, k), restarted, anger, np.full(4, apologised))
    assert [t.node_ids[g] for g in goto] == ["cool", "hot", "hot", "a"] and why.tolist() == [1, 2, 0, RESTART]


def test_the_engine_and_debug_share_one_routing_with_the_anger_it_used():
    sc = _scenario()
    after = choose(sc, start(sc), "calm")
    r = routing(sc, after)
    assert (r.planned, r.reason, r.anger, r.settled) == ("cool", 1, after.anger, ENDED)
    assert r.condition == sc.node("a").options[0].routes[1].when
    assert r.passed_over == (sc.node("a").options[0].routes[0].when,)
    assert after.node == r.goto == "cool" and after.anger == 20.0
    cut = routing(sc, choose(sc, start(sc), "see"))
    assert (cut.reason, cut.planned) == (RESTART, "a")  # a tape recorder hears "I see" as cutting in
    gone = routing(sc, choose(sc, start(sc), "rude"))
    assert (gone.reason, gone.planned, gone.goto, gone.settled) == (FIXED, "cool", "gone", HUNG_UP)


def test_end_of_call_order_anger_beats_the_ending_and_patience_comes_last():
    sc = _scenario(patience=3)
    t = tables(sc)
    cool, b = t.index["cool"], t.index["b"]
    goto, end, what, _, _, _ = settle(t, np.array([cool, cool, b, b, b]), np.array([99.9, 100.0, 40.0, 40.0, 100.0]), np.array([1, 1, 2, 3, 3]))
    assert [t.node_ids[g] for g in goto] == ["cool", "gone", "b", "gone", "gone"]
    assert [OUTCOMES[e].value if e >= 0 else None for e in end.tolist()] == ["resolved", "customer_left", None, "customer_left", "customer_left"]
    assert what.tolist() == [ENDED, HUNG_UP, GOING_ON, OUT_OF_PATIENCE, HUNG_UP]
    s = start(sc)
    for c in ("wait", "more", "more"):
        s = choose(sc, s, c)
    assert s.outcome.value == "customer_left" and s.node == "gone" and len(s.turns) == 3
    assert routing(sc, s).settled == OUT_OF_PATIENCE


def test_bands_are_read_once_for_numbers_and_arrays():
    edges = [f for b in Band for f in (BAND_FLOORS[b] - 1e-9, BAND_FLOORS[b])] + [0.0, 100.0]
    arr = band_index(np.array(edges))
    for x, i in zip(edges, arr.tolist()):
        assert band_of(x) == list(Band)[i] == list(Band)[band_index(x)]
    assert band_of(74.999) == Band.ANGRY and band_of(75.0) == Band.HOSTILE


def test_tables_are_kept_per_scenario_object_not_per_id():
    a = _scenario()
    data = a.model_dump(mode="json", exclude_none=True)
    data["nodes"][0]["options"][1]["goto"] = "hot"
    b = Scenario.model_validate(data)
    assert a.id == b.id
    assert tables(a) is tables(a) and tables(a) is not tables(b)
    assert choose(a, start(a), "see", interrupted=False).turns[-1].goto == "a"  # restart (tape recorder)
    quiet = {**data, "persona": {**data["persona"], "tape_recorder": False}}
    c = Scenario.model_validate(quiet)
    assert choose(c, start(c), "see").node == "hot" and choose(a, start(a), "see").node == "a"
    # a copy made from the object starts a cache of its own
    d = a.model_copy(update={"persona": a.persona.model_copy(update={"tape_recorder": False})})
    tables(a)
    assert choose(d, start(d), "see").node == "cool"


# ---------------------------------------------------------------- conditions as rows

ANGERS = np.array([0.0, 10.0, 24.9, 25.0, 49.0, 50.0, 60.0, 74.9, 75.0, 99.0, 100.0])
FEW = [Action.LISTEN, Action.APOLOGIZE, Action.ARGUE]
PERFORMED = [np.uint64(action_mask(s)) for s in ([], [FEW[0]], [FEW[1]], [FEW[0], FEW[1]], FEW, [FEW[2]])]


@st.composite
def conditions(draw) -> Condition:
    return Condition(
        band=draw(st.none() | st.lists(st.sampled_from(list(Band)), min_size=1, max_size=3, unique=True)),
        anger_at_least=draw(st.none() | st.sampled_from([0.0, 25.0, 30.0, 60.0, 75.0])),
        anger_below=draw(st.none() | st.sampled_from([10.0, 25.0, 50.0, 70.0, 100.0])),
        done=draw(st.lists(st.sampled_from(FEW), max_size=2, unique=True)),
        not_done=draw(st.lists(st.sampled_from(FEW), max_size=2, unique=True)),
    )


def _reference(cond: Condition, anger: float, performed: int) -> bool:
    """The documented meaning of a condition, written plainly (every given key must hold)."""
    did = {a for i, a in enumerate(ACTIONS) if performed >> i & 1}
    return (
        (cond.band is None or band_of(anger) in cond.band)
        and (cond.anger_at_least is None or anger >= cond.anger_at_least)
        and (cond.anger_below is None or anger < cond.anger_below)
        and all(a in did for a in cond.done)
        and not any(a in did for a in cond.not_done)
    )


# a tree: ("leaf", Condition) | ("all", [trees]) | ("any", [trees]) | ("not", tree)
trees = st.recursive(
    conditions().map(lambda c: ("leaf", c)),
    lambda inner: st.one_of(
        st.tuples(st.just("all"), st.lists(inner, min_size=0, max_size=3)),
        st.tuples(st.just("any"), st.lists(inner, min_size=0, max_size=3)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=5,
)


def _rows(tree) -> list[dict]:
    kind, arg = tree
    if kind == "leaf":
        return rows_of(arg)
    if kind == "all":
        return all_of(*[_rows(t) for t in arg])
    if kind == "any":
        return any_of(*[_rows(t) for t in arg])
    return negate(_rows(arg))


def _truth(tree, anger, performed) -> bool:
    kind, arg = tree
    if kind == "leaf":
        return _reference(arg, anger, performed)
    if kind == "all":
        return all(_truth(t, anger, performed) for t in arg)
    if kind == "any":
        return any(_truth(t, anger, performed) for t in arg)
    return not _truth(arg, anger, performed)


@settings(max_examples=150, deadline=None)
@given(conds=st.lists(conditions(), min_size=1, max_size=4))
def test_a_condition_holds_as_documented_for_one_session_and_for_many(conds):
    table = Conditions([rows_of(c) for c in conds])
    idx = np.arange(len(conds))
    for performed in PERFORMED:
        lanes = table.holds(idx[None, :], View(ANGERS[:, None], np.full((len(ANGERS), 1), performed)))
        for i, anger in enumerate(ANGERS):
            for j, c in enumerate(conds):
                want = _reference(c, float(anger), int(performed))
                assert bool(lanes[i, j]) == want == holds(c, float(anger), frozenset(a for a in ACTIONS if int(performed) >> list(ACTIONS).index(a) & 1))


@settings(max_examples=150, deadline=None)
@given(tree_list=st.lists(trees, min_size=1, max_size=3))
def test_any_all_not_compile_to_rows_that_hold_exactly_when_the_tree_does(tree_list):
    """The algebra the next condition kinds (any/all/not over flags, counters, visits) use."""
    try:
        compiled = [_rows(t) for t in tree_list]
    except ConditionTooComplex:
        assume(False)  # a nest of nots that multiplies out past MAX_ROWS is refused (tested below)
    table = Conditions(compiled)
    idx = np.arange(len(tree_list))
    for performed in PERFORMED:
        lanes = table.holds(idx[None, :], View(ANGERS[:, None], np.full((len(ANGERS), 1), performed)))
        for i, anger in enumerate(ANGERS):
            for j, tree in enumerate(tree_list):
                assert bool(lanes[i, j]) == _truth(tree, float(anger), int(performed)), (tree, anger, performed)


def test_a_nest_that_would_multiply_out_past_memory_is_refused_before_it_is_built():
    # not(all(any(...), ...)) of conditions with several clauses each: a product of products
    leaf = rows_of(Condition(band=[Band.CALM], anger_at_least=10.0, anger_below=60.0, done=FEW[:2], not_done=FEW[2:]))
    wide = any_of(*[all_of(leaf, leaf) for _ in range(4)])
    with pytest.raises(ConditionTooComplex, match="multiply out to .* alternatives"):
        negate(negate(all_of(negate(wide), negate(wide))))
    assert len(negate(leaf)) == 6  # a plain not stays small: a row for each way the condition can fail


def test_never_and_always():
    table = Conditions([all_of(), any_of(), negate(any_of()), negate(all_of())])
    ok = table.holds(np.arange(4)[None, :], View(ANGERS[:, None], np.zeros((len(ANGERS), 1), dtype=np.uint64)))
    assert ok[:, 0].all() and not ok[:, 1].any() and ok[:, 2].all() and not ok[:, 3].any()


def test_an_illegal_choice_still_names_what_was_offered():
    sc = _scenario()
    with pytest.raises(Exception) as e:
        choose(sc, start(sc), "nope")
    assert "offered:" in str(e.value) and "calm" in str(e.value)


# ---------------------------------------------------------------- conditions on state, as rows
# Flags, counters, visits and the turn are clauses of the same rows: a condition tree over
# every kind of key holds, lane by lane, exactly when its documented meaning does.

FLAG_NAMES = ["f0", "f1"]
COUNTER_NAMES = ["c0"]
NODE_IDS = ["a", "b"]


@st.composite
def state_conditions(draw, depth=2) -> dict:
    c = {}
    if draw(st.booleans()):
        c["band"] = draw(st.lists(st.sampled_from([b.value for b in Band]), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        c["done"] = [a.value for a in draw(st.lists(st.sampled_from(FEW), min_size=1, max_size=2, unique=True))]
    if draw(st.booleans()):
        c["flags"] = draw(st.lists(st.sampled_from(FLAG_NAMES), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        c["count_at_least"] = {"c0": draw(st.integers(0, 3))}
    if draw(st.booleans()):
        c["count_below"] = {"c0": draw(st.integers(0, 3))}
    if draw(st.booleans()):
        c["visited"] = draw(st.lists(st.sampled_from(NODE_IDS), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        c["turn_at_least"] = draw(st.integers(1, 4))
    if depth:
        for key in draw(st.lists(st.sampled_from(["any", "all", "not"]), max_size=2, unique=True)):
            if key == "not":
                c["not"] = draw(state_conditions(depth - 1))
            else:
                c[key] = draw(st.lists(state_conditions(depth - 1), min_size=1, max_size=2))
    return c


def _state_scenario(conds: list[dict]) -> Scenario:
    """A scenario that sets f0, f1 and c0 and carries every condition (so its fact table has their bits)."""
    line = {"id": "l", "text": "Well?"}
    routes = [{"when": c, "goto": "b"} for c in conds] + [{"goto": "b"}]
    return Scenario.model_validate({
        "format_version": 1, "id": "state", "title": "t", "summary": "s", "setting": "chat", "industry": "test",
        "protocol": "ten_step", "persona": {"name": "Pat", "anger": 50}, "start": "a",
        "nodes": [
            {"id": "a", "line": {**line, "id": "a.l"}, "set": {"f0": True}, "options": [
                {"id": "o", "text": "x", "actions": ["listen"], "set": {"f1": True, "c0": {"add": 1}}, "routes": routes}]},
            {"id": "b", "line": {**line, "id": "b.l"}, "end": "resolved"},
        ],
    })


def _meaning(c: Condition, anger, did: set, values: dict, visited: set, turn: int) -> bool:
    return (
        (c.band is None or band_of(anger) in c.band)
        and all(a in did for a in c.done)
        and all(values.get(f, 0) >= 1 for f in c.flags)
        and all(values.get(k, 0) >= v for k, v in c.count_at_least.items())
        and all(values.get(k, 0) < v for k, v in c.count_below.items())
        and all(n in visited for n in c.visited)
        and (c.turn_at_least is None or turn >= c.turn_at_least)
        and all(_meaning(x, anger, did, values, visited, turn) for x in c.all or ())
        and (not c.any or any(_meaning(x, anger, did, values, visited, turn) for x in c.any))
        and (c.not_ is None or not _meaning(c.not_, anger, did, values, visited, turn))
    )


SESSIONS = [  # (f0, f1, c0), visited, turn
    ((0, 0, 0), set(), 1), ((1, 0, 1), {"a"}, 2), ((1, 1, 2), {"a", "b"}, 3), ((0, 1, 3), {"b"}, 5), ((1, 1, -1), {"a"}, 4),
]


@settings(max_examples=80, deadline=None)
@given(raw=st.lists(state_conditions(), min_size=1, max_size=3))
def test_conditions_on_state_hold_as_documented_for_one_session_and_for_many(raw):
    sc = _state_scenario(raw)
    t = tables(sc)
    conds = [r.when for r in sc.node("a").options[0].routes[:-1]]
    negated: list = []  # as a scenario's tables compile them: each `not:` read as a bit of its own
    table = Conditions([rows_of(c, t.facts, negated) for c in conds], negated)
    for (f0, f1, c0), visited, turn in SESSIONS:
        values = {"f0": f0, "f1": f1, "c0": c0}
        facts = t.facts.facts_of(t.facts.values_of(tuple(sorted(values.items()))), t.facts.seen_of(visited))
        for performed in PERFORMED[:4]:
            did = {a for i, a in enumerate(ACTIONS) if int(performed) >> i & 1}
            view = View(ANGERS[:, None], np.full((len(ANGERS), 1), performed), np.full((len(ANGERS), 1), facts), turn)
            lanes = table.holds(np.arange(len(conds))[None, :], table.read(view))
            for i, anger in enumerate(ANGERS):
                for j, c in enumerate(conds):
                    want = _meaning(c, float(anger), did, values, visited, turn)
                    one = holds(c, float(anger), frozenset(did), int(facts), turn, sc)
                    assert bool(lanes[i, j]) == want == one, (c, anger, values, visited, turn)
