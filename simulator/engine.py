"""The conversation engine: `start` a session, `choose` an option, get a new state.

Pure: no files, no clock, no printing, no front end. An illegal choice raises
`IllegalChoice` and changes nothing. The rules a turn follows (which options are offered and
in what order, what a choice counts as, how the customer reacts, where the reply leads and
when the call ends, what `set:` and visits do to flags, counters and visited nodes) are the
scenario's compiled tables and the functions over them in `compiled`, which the batch simulator runs on many sessions at once: the engine plays one
lane of them, so every front end and every simulated trainee plays by the same rules.
`routing` tells why the last turn went where it went, from those same functions.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .actions import Action
from .compiled import (
    NO_ROUTE,
    OUTCOMES,
    SHUFFLE_STREAM,
    Conditions,
    ScenarioTables,
    Step,
    View,
    action_mask,
    effective_actions,
    reply_anger,
    route,
    rows_of,
    settle,
    shown_order,
    shuffle_keys,
    tables,
)
from .customer import ACTIONS, HANG_UP, Reactor, uniform
from .diagnostics import IllegalChoice
from .facts import apply as apply_sets
from .model import Condition, Node, Option, Scenario, State, Turn, Words

__all__ = [
    "start", "choose", "available", "presented", "holds", "routing", "Routing", "view_of", "performed_mask",
    "reactor_for", "effective_actions", "shuffle_keys", "Step", "SHUFFLE_STREAM", "VARIANT_STREAM", "said",
]

VARIANT_STREAM = 31  # the seeded stream that picks among a line's wordings
_LINES = 64  # line slots per turn in the variants' counter (a burst has far fewer lines)

def reactor_for(scenario: Scenario) -> Reactor:
    """The persona's reaction table (built once with the scenario's tables)."""
    return tables(scenario).reactor


def start(scenario: Scenario, seed: int = 0) -> State:
    """A new session at the scenario's first node (after that node's own change of mood)."""
    p = scenario.persona
    node = scenario.node(scenario.start)
    t = tables(scenario)
    anger = t.anger_start
    distress = _distress_on_arrival(node, None if p.distress is None else float(p.distress))
    return State(
        scenario=scenario.id,
        revision=scenario.revision,
        seed=int(seed),
        node=scenario.start,
        anger=anger,
        anger_start=anger,
        counts=(0,) * len(ACTIONS),
        distress=distress,
        distress_start=distress,
        flags=t.facts.named(t.values_start),
        visited=(node.id,),
    )


def _distress_on_arrival(node: Node, distress: float | None) -> float | None:
    """Distress once the customer reaches `node` (its `distress_delta`; anger moves by `compiled.arrive`)."""
    if distress is not None and node.distress_delta is not None:
        distress = float(np.clip(np.float64(distress) + np.float64(node.distress_delta), 0.0, 100.0))
    return distress


def said(scenario: Scenario, state: State) -> tuple[Words, ...]:
    """What the customer says now, in order: the node's line, then its burst, each in the
    wording this session's seed picks for this turn (the same seed always gives the same words)."""
    node = scenario.node(state.node)
    turn = len(state.turns) + 1
    out: list[Words] = []
    for k, line in enumerate((node.line, *node.burst)):
        wordings = line.wordings()
        if len(wordings) == 1:
            out.append(line)
            continue
        u = float(uniform(state.seed, turn * _LINES + k, VARIANT_STREAM))
        out.append(wordings[min(len(wordings) - 1, int(u * len(wordings)))])
    return tuple(out)


def performed_mask(counts) -> np.uint64:
    """The actions used so far (per-action counts) as the tables' bit mask."""
    return np.uint64(sum(1 << i for i, n in enumerate(counts) if n))


def _values(t: ScenarioTables, state: State) -> tuple[np.ndarray, np.uint64]:
    """A session's flags and counters as the tables' columns, and its visits as fact bits."""
    return t.facts.values_of(state.flags), t.facts.seen_of(state.visited)


def view_of(t: ScenarioTables, state: State) -> View:
    """What a condition reads of a session about to answer: its anger, the actions performed
    so far, its flags, counters and visits (as fact bits) and the number of this answer."""
    facts = t.facts.facts_of(*_values(t, state)) if t.tracks else np.uint64(0)
    return View(state.anger, performed_mask(state.counts), facts, len(state.turns) + 1)


def holds(cond: Condition | None, anger: float, performed: frozenset[Action], facts: int = 0, turn: int = 0, scenario: Scenario | None = None) -> bool:
    """Whether a structured condition holds for this anger and these performed actions (and
    these fact bits and this turn, read by `scenario`'s fact table), compiled as the tables
    compile it: for a condition that is not one of the scenario's own."""
    table = tables(scenario).facts if scenario is not None else None
    view = View(anger, np.uint64(action_mask(performed)), np.uint64(facts), turn)
    negated: list = []
    conditions = Conditions([rows_of(cond, table, negated)], negated)
    return bool(conditions.holds(0, conditions.read(view)))


def _offered(t: ScenarioTables, state: State, view: View | None = None) -> tuple[int, np.ndarray]:
    i = t.index[state.node]
    return i, t.offered(i, view or view_of(t, state))


def available(scenario: Scenario, state: State) -> list[Option]:
    """The options the trainee may choose now (none once the session has ended)."""
    if state.finished:
        return []
    t = tables(scenario)
    i, ok = _offered(t, state)
    return [t.options[k] for k in t.at[i][ok].tolist()]


def presented(scenario: Scenario, state: State) -> list[Option]:
    """The options offered now, in the order this session shows them (stable for a seed and turn)."""
    if state.finished:
        return []
    t = tables(scenario)
    return [t.options[k] for k in _shown(t, state)]


def _shown(t: ScenarioTables, state: State, view: View | None = None) -> list[int]:
    """The numbers of the options offered now, in the order shown."""
    i, ok = _offered(t, state, view)
    n = int(ok.sum())
    if n < 2:
        return t.at[i][ok].tolist()
    return t.at[i][shown_order(t, i, ok, state.seed, len(state.turns) + 1)[:n]].tolist()


@dataclass(frozen=True)
class Routing:
    """Where a reply led and why: what `--debug` shows, from the rules the engine played by."""

    node: str  # the node the reply was given at
    planned: str  # where the routing sent it
    reason: int  # the 0-based route that held, or compiled.FIXED / RESTART / NO_ROUTE
    condition: Condition | None  # the condition of the route that held
    passed_over: tuple[Condition | None, ...]  # the conditions of the routes before it, which did not hold
    routes: int  # how many routes the option has
    anger: float  # the anger routing used: after the customer's reaction to the reply (before the next node's own move)
    goto: str  # where the session really went (the hang-up node when the customer left)
    settled: int  # compiled.GOING_ON / ENDED / HUNG_UP / OUT_OF_PATIENCE


def _routing_facts(t: ScenarioTables, before: State, k: int) -> tuple[np.ndarray | None, np.uint64 | None, np.uint64]:
    """The flags and counters after answer `k`'s own `set:` (the next node's is not yet
    applied), the visits so far, and the fact bits routing reads from them."""
    if not t.tracks:
        return None, None, np.uint64(0)
    values, seen = _values(t, before)
    values = apply_sets(t.facts.option_sets, k, values)
    return values, seen, t.facts.facts_of(values, seen)


def _replayed(scenario: Scenario, after: State) -> State:
    """The session as it was before its last answer, played again from its seed (the engine is
    deterministic: the same answers with the same timing give the same states)."""
    state = start(scenario, after.seed)
    for u in after.turns[:-1]:
        state = choose(scenario, state, u.choice, interrupted=u.interrupted, elapsed=u.elapsed)
    return state


def routing(scenario: Scenario, after: State, before: State | None = None) -> Routing:
    """Why the last turn of `after` went where it went, by the same `route` and `settle` the
    engine ran (with the anger, the actions, the flags and the turn the engine used: those
    after the reply). `before` is the state the answer was given in (played again from the
    seed when not given and the scenario keeps flags, counters or visits)."""
    t = tables(scenario)
    turn = after.turns[-1]
    k = t.option_at(turn.node, turn.choice)
    replied = turn.anger_reply if turn.anger_reply is not None else turn.anger_after  # before the next node's own move
    facts = np.uint64(0)
    if t.tracks:
        _, _, facts = _routing_facts(t, before if before is not None else _replayed(scenario, after), k)
    goto, why = route(t, k, turn.restarted_vent, replied, performed_mask(after.counts), facts, turn.index)
    what = settle(t, goto, replied, turn.index)[2]
    option = t.options[k]
    routes = list(option.routes or ())
    reason = int(why)
    return Routing(
        node=turn.node,
        planned=t.node_ids[int(goto)] if int(goto) >= 0 else turn.goto,
        reason=reason,
        condition=routes[reason].when if reason >= 0 else None,
        passed_over=tuple(r.when for r in routes[: max(0, reason)]) if reason >= 0 else tuple(r.when for r in routes) if reason == NO_ROUTE else (),
        routes=len(routes),
        anger=replied,
        goto=turn.goto,
        settled=int(what),
    )


def choose(
    scenario: Scenario,
    state: State,
    choice: str,
    *,
    interrupted: bool = False,
    elapsed: float | None = None,
) -> State:
    """The state after the trainee picks option `choice` at the current node.

    `interrupted` is set by the front end when the choice was made while the customer was
    still speaking (a trailing `!` in scripted runs).
    """
    if state.finished:
        raise IllegalChoice(f"the session has ended ({state.outcome.value}); no more choices")
    if state.scenario != scenario.id:
        raise IllegalChoice(f"state belongs to scenario {state.scenario!r}, not {scenario.id!r}")
    node = scenario.node(state.node)
    t = tables(scenario)
    view = view_of(t, state)
    shown = _shown(t, state, view)
    k = next((k for k in shown if t.option_ids[k] == choice), None)
    if k is None:
        ids = ", ".join(t.option_ids[k] for k in shown) or "none"
        raise IllegalChoice(f"no option {choice!r} at node {node.id!r} (offered: {ids})")
    option = t.options[k]
    i = int(t.option_node[k])
    early = int(bool(interrupted))
    turn_no = len(state.turns) + 1
    counts = np.array(state.counts, dtype=np.int64)
    anger = float(reply_anger(t, i, k, early, state.anger, counts, state.seed, turn_no))
    performed = view.performed | t.bits[k, early]
    values, seen, facts = _routing_facts(t, state, k)  # this answer's own `set:` counts for its routing
    to, why = route(t, k, t.restarted[k, early], anger, performed, facts, turn_no)
    if int(why) == NO_ROUTE:
        raise IllegalChoice(f"option {option.id!r} has no route that applies")  # the loader forbids this
    distress = state.distress
    if distress is not None and option.distress_delta is not None:
        distress = float(np.clip(np.float64(distress) + np.float64(option.distress_delta), 0.0, 100.0))
    replied = anger
    routed = int(to)
    to, end, _, arrived, values, _ = settle(t, to, anger, turn_no, values, seen)  # the next node's own move and `set:`
    anger = float(arrived)
    visited = state.visited
    if replied < HANG_UP:  # the customer who has hung up arrives nowhere
        distress = _distress_on_arrival(scenario.nodes[routed], distress)
        visited = visited if t.node_ids[routed] in visited else visited + (t.node_ids[routed],)
    flags = t.facts.named(values) if values is not None else state.flags
    goto = t.node_ids[int(to)]
    outcome = OUTCOMES[int(end)] if int(end) >= 0 else None
    new_counts = tuple(c + x for c, x in zip(state.counts, t.chosen[k, early].tolist()))
    step = Step(t.actions[k][early], bool(t.cut_in[k, early]), bool(t.vent_broken[k, early]), bool(t.restarted[k, early]))

    words = said(scenario, state)
    turn = Turn(
        index=turn_no,
        node=node.id,
        line=words[0].id,
        text="\n".join(w.text for w in words),
        choice=option.id,
        said=option.text,
        actions=step.actions,
        interrupted=step.interrupted,
        anger_before=state.anger,
        anger_after=anger,
        elapsed=elapsed,
        restarted_vent=step.restarted,
        threat=node.line.threat,
        abuse=node.line.abuse,
        goto=goto,
        venting=node.line.venting,
        beyond_authority=node.line.beyond_authority,
        narration=node.narration,
        shown=tuple(t.option_ids[k] for k in shown),
        feedback=option.feedback,
        anger_reply=replied if replied != anger else None,
        distress_after=distress,
    )
    return replace(
        state, node=goto, anger=anger, turns=state.turns + (turn,), outcome=outcome, counts=new_counts, distress=distress,
        flags=flags, visited=visited,
    )
