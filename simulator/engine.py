"""The conversation engine: `start` a session, `choose` an option, get a new state.

Pure: no files, no clock, no printing, no front end. An illegal choice raises
`IllegalChoice` and changes nothing. Every rule that moves a session lives here or in
`customer` (how anger moves), so every front end plays by the same rules.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .actions import Action
from .customer import ACTION_INDEX, ACTIONS, HANG_UP, Dynamics, Reactor, uniform, unit_noise
from .diagnostics import IllegalChoice
from .facts import apply as apply_sets
from .facts import facts_table
from .model import BAND_FLOORS, Band, Condition, Node, Option, Outcome, Scenario, State, Turn, Words, band_ceiling, band_of

__all__ = [
    "start", "choose", "available", "presented", "shuffle_keys", "holds", "reactor_for", "effective_actions", "Step",
    "SHUFFLE_STREAM", "VARIANT_STREAM", "said", "arrive", "holds_lanes", "band_code", "facts_of", "action_bits",
]

SHUFFLE_STREAM = 21  # the seeded stream that orders the options a trainee sees
VARIANT_STREAM = 31  # the seeded stream that picks among a line's wordings
_LINES = 64  # line slots per turn in the variants' counter (a burst has far fewer lines)
_SLOTS = 1024  # option slots per turn in the shuffle's counter (a node has far fewer options)


def reactor_for(scenario: Scenario) -> Reactor:
    return scenario.derived("reactor", _make_reactor)


def _make_reactor(scenario: Scenario) -> Reactor:
    p = scenario.persona
    return Reactor(dict(p.reactions), Dynamics.with_overrides(dict(p.dynamics)), p.noise)


def start(scenario: Scenario, seed: int = 0) -> State:
    """A new session at the scenario's first node (after that node's own change of mood)."""
    p = scenario.persona
    first = scenario.node(scenario.start)
    anger, distress = arrive(first, float(p.anger), None if p.distress is None else float(p.distress))
    t = facts_table(scenario)
    values = apply_sets(t.node_sets, t.node_index[first.id], t.values_of(()))
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
        flags=t.named(values),
        visited=(first.id,),
    )


def arrive(node: Node, anger: float, distress: float | None) -> tuple[float, float | None]:
    """Anger and distress once the customer reaches `node`: its own move (`mood:` into a band,
    or `anger_delta`), before the trainee says anything. The batch simulator does the same
    arithmetic on arrays."""
    if node.mood is not None:
        anger = float(np.minimum(np.maximum(np.float64(anger), BAND_FLOORS[node.mood]), band_ceiling(node.mood)))
    elif node.anger_delta is not None:
        anger = float(np.clip(np.float64(anger) + np.float64(node.anger_delta), 0.0, HANG_UP))
    if distress is not None and node.distress_delta is not None:
        distress = float(np.clip(np.float64(distress) + np.float64(node.distress_delta), 0.0, 100.0))
    return anger, distress


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


def holds(cond: Condition | None, anger: float, performed: frozenset[Action], facts: int = 0, turn: int = 0, table=None) -> bool:
    """Whether a structured condition holds for this anger and these performed actions, and
    (for conditions on state) these fact bits (`facts_of`) and this turn, by `table`'s bits."""
    if cond is None:
        return True
    if cond.stateful:
        return bool(holds_lanes(cond, np.float64(anger), np.uint64(action_bits(performed)), np.uint64(facts), np.int64(turn), table))
    if cond.band is not None and band_of(anger) not in cond.band:
        return False
    if cond.anger_at_least is not None and anger < cond.anger_at_least:
        return False
    if cond.anger_below is not None and anger >= cond.anger_below:
        return False
    if any(a not in performed for a in cond.done):
        return False
    if any(a in performed for a in cond.not_done):
        return False
    return True


def action_bits(actions) -> int:
    m = 0
    for a in actions:
        m |= 1 << ACTION_INDEX[a]
    return m


_BANDS = tuple(Band)


def band_code(anger) -> np.ndarray:
    """0 (calm) to 3 (hostile), by the same comparisons as `model.band_of`."""
    a = np.asarray(anger)
    return (a >= BAND_FLOORS[Band.UPSET]).astype(np.int64) + (a >= BAND_FLOORS[Band.ANGRY]).astype(np.int64) + (a >= BAND_FLOORS[Band.HOSTILE]).astype(np.int64)


def holds_lanes(cond: Condition, anger, performed, facts, turn, table) -> np.ndarray:
    """A condition with every kind of key and its combinators, for many sessions at once
    (numpy lanes): the engine passes one lane and the batch simulator all of them, so the two
    agree bit for bit. `performed` and `facts` are bit masks (`action_bits`, `facts_of`)."""
    ok = np.ones(np.broadcast_shapes(np.shape(anger), np.shape(performed), np.shape(facts), np.shape(turn)), dtype=bool)
    if cond.band is not None:
        ok &= np.isin(band_code(anger), [_BANDS.index(b) for b in set(cond.band)])
    if cond.anger_at_least is not None:
        ok &= ~(anger < cond.anger_at_least)
    if cond.anger_below is not None:
        ok &= ~(anger >= cond.anger_below)
    need, clear = np.uint64(action_bits(cond.done)), np.uint64(action_bits(cond.not_done))
    ok &= ((performed & need) == need) & ((performed & clear) == 0)
    if table is not None:
        need, clear = table.bits_for(cond)
        ok &= ((facts & need) == need) & ((facts & clear) == 0)
    if cond.turn_at_least is not None:
        ok &= turn >= cond.turn_at_least
    for sub in cond.all or ():
        ok &= holds_lanes(sub, anger, performed, facts, turn, table)
    if cond.any:
        either = np.zeros_like(ok)
        for sub in cond.any:
            either |= holds_lanes(sub, anger, performed, facts, turn, table)
        ok &= either
    if cond.not_ is not None:
        ok &= ~holds_lanes(cond.not_, anger, performed, facts, turn, table)
    return ok


def facts_of(scenario: Scenario, state: State) -> int:
    """The session's fact bits: its flags and counters as its conditions read them, and its visits."""
    t = facts_table(scenario)
    return int(t.facts_of(t.values_of(state.flags), t.seen_of(state.visited)))


def _offered(scenario: Scenario, state: State, cond: Condition | None, performed) -> bool:
    if cond is None or not cond.stateful:
        return holds(cond, state.anger, performed)
    return holds(cond, state.anger, performed, facts_of(scenario, state), len(state.turns) + 1, facts_table(scenario))


def available(scenario: Scenario, state: State) -> list[Option]:
    """The options the trainee may choose now (none once the session has ended)."""
    if state.finished:
        return []
    performed = state.performed()
    return [o for o in scenario.node(state.node).options if _offered(scenario, state, o.when, performed)]


def shuffle_keys(seed, turn, slots: np.ndarray, pins: np.ndarray) -> np.ndarray:
    """Sort keys of option slots for (seed, turn): pinned-first options sort before all,
    pinned-last after all, the rest in an order drawn from the session's seed. Works on
    arrays, so the batch simulator orders many sessions' options at once the same way."""
    seed = np.asarray(seed)
    turn = np.asarray(turn)
    u = uniform(seed[..., None] if seed.ndim else seed, (turn[..., None] if turn.ndim else turn) * _SLOTS + slots, SHUFFLE_STREAM)
    return np.where(pins < 0, -1.0 + slots * 1e-6, np.where(pins > 0, 2.0 + slots * 1e-6, u))


def presented(scenario: Scenario, state: State) -> list[Option]:
    """The options offered now, in the order this session shows them (stable for a seed and turn)."""
    if state.finished:
        return []
    node = scenario.node(state.node)
    performed = state.performed()
    slots = [k for k, o in enumerate(node.options) if _offered(scenario, state, o.when, performed)]
    if len(slots) < 2:
        return [node.options[k] for k in slots]
    pins = np.array([_PIN[node.options[k].pin] for k in slots], dtype=np.float64)
    keys = shuffle_keys(state.seed, len(state.turns) + 1, np.array(slots, dtype=np.float64), pins)
    return [node.options[slots[i]] for i in np.argsort(keys, kind="stable")]


_PIN = {None: 0.0, "first": -1.0, "last": 1.0}


class Step:
    """What one choice did, before it is folded into a state (shared with the batch simulator)."""

    __slots__ = ("actions", "interrupted", "vent_broken", "restarted")

    def __init__(self, actions, interrupted, vent_broken, restarted):
        self.actions = actions
        self.interrupted = interrupted
        self.vent_broken = vent_broken
        self.restarted = restarted


def effective_actions(scenario: Scenario, node: Node, option: Option, interrupted: bool) -> Step:
    """The actions a choice really counts as, given the timing and the persona.

    Keeping quiet (`listen`) is never an interruption. Anything else said while the
    customer is still speaking is. A tape-recorder customer hears even a short "I see"
    in the middle of a vent as an interruption and starts the vent again.
    """
    acts = list(dict.fromkeys(option.actions))
    quiet = Action.LISTEN in acts
    cut_in = (interrupted and not quiet) or Action.INTERRUPT in acts
    tape = scenario.persona.tape_recorder
    if node.line.venting and tape and Action.ACKNOWLEDGE in acts and not quiet:
        cut_in = True
    if cut_in and Action.INTERRUPT not in acts:
        acts.append(Action.INTERRUPT)
    vent_broken = cut_in and node.line.venting
    return Step(tuple(acts), cut_in, vent_broken, vent_broken and tape)


def _route(option: Option, anger: float, performed: frozenset[Action], facts: int = 0, turn: int = 0, table=None) -> str:
    if option.goto is not None:
        return option.goto
    for r in option.routes or ():
        if holds(r.when, anger, performed, facts, turn, table):
            return r.goto
    raise IllegalChoice(f"option {option.id!r} has no route that applies")  # loader forbids this


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
    offered = presented(scenario, state)
    option = next((o for o in offered if o.id == choice), None)
    if option is None:
        ids = ", ".join(o.id for o in offered) or "none"
        raise IllegalChoice(f"no option {choice!r} at node {node.id!r} (offered: {ids})")

    step = effective_actions(scenario, node, option, interrupted)
    reactor = reactor_for(scenario)
    counts = np.array(state.counts, dtype=np.int64)
    chosen = np.zeros(len(ACTIONS), dtype=bool)
    for a in step.actions:
        chosen[ACTION_INDEX[a]] = True
    turn_no = len(state.turns) + 1
    if node.narration:
        anger = state.anger  # after the call: the customer is gone, so nothing moves their anger
    else:
        if option.anger_delta is not None:
            delta = np.float64(option.anger_delta) + (reactor.dynamics.restart_penalty if step.restarted else 0.0)
        else:
            delta = reactor.delta(chosen, counts, node.line.venting, node.line.abuse, step.vent_broken, step.restarted)
        anger = float(reactor.apply(state.anger, delta, unit_noise(state.seed, turn_no)))

    distress = state.distress
    if distress is not None and option.distress_delta is not None:
        distress = float(np.clip(np.float64(distress) + np.float64(option.distress_delta), 0.0, 100.0))

    new_counts = tuple(int(c) + int(x) for c, x in zip(state.counts, chosen))
    performed = frozenset(a for a, n in zip(ACTIONS, new_counts) if n)
    facts = facts_table(scenario)
    values = apply_sets(facts.option_sets, facts.option_number(node.id, option.id), facts.values_of(state.flags))
    visited = state.visited

    if step.restarted:
        goto = node.vent_start or node.id
    else:
        goto = _route(option, anger, performed, int(facts.facts_of(values, facts.seen_of(visited))), turn_no, facts)
    replied = anger
    if anger < HANG_UP:  # the customer who has hung up arrives nowhere
        anger, distress = arrive(scenario.node(goto), anger, distress)
        values = apply_sets(facts.node_sets, facts.node_index[goto], values)
        visited = visited if goto in visited else visited + (goto,)
    outcome = scenario.node(goto).end
    if anger >= HANG_UP:
        outcome = Outcome.CUSTOMER_LEFT
        goto = scenario.hangup or goto
    elif outcome is None and turn_no >= scenario.persona.patience:
        outcome = Outcome.CUSTOMER_LEFT  # the customer runs out of patience with a stalled conversation
        goto = scenario.hangup or goto

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
        shown=tuple(o.id for o in offered),
        feedback=option.feedback,
        anger_reply=replied if replied != anger else None,
        distress_after=distress,
    )
    return replace(
        state, node=goto, anger=anger, turns=state.turns + (turn,), outcome=outcome, counts=new_counts, distress=distress,
        flags=facts.named(values), visited=visited,
    )
