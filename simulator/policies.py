"""Scripted trainees: play a scenario from a list of choices or by a policy.

- `protocol`: a model trainee who, at each node, picks the option that best advances the
  protocol (next steps in order, no harmful actions, safety first, calmer customer);
- `random`: uniform among the options offered, from the seeded counter-based generator;
- `always:ACTION`: an option carrying ACTION wherever one is offered, else a random one
  (the trainee who tries to game a scenario by repeating one move);
- `position:N` (N = 1, 2, ... or `last`): always the N-th option as shown (the last when
  fewer are shown), the trainee who presses the same key every turn;
- `greedy-steps`: the option naming the most protocol steps not yet done, ignoring timing,
  harm and anger (the trainee who has learned the vocabulary, not the skill);
- `greedy-calm`: the option that lowers anger most right now (appeasement).
Any of them may cut in: `random!` answers every line while the customer is still speaking,
`random!0.3` on a seeded 30% of turns (`cuts_in`; the batch simulator draws the same turns).
Pure: they call the engine and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from scoring.adherence import score
from scoring.protocol import Protocol

from .actions import Action, parse_action
from .customer import uniform
from .diagnostics import DefuseError
from .engine import available, choose, effective_actions, presented, start
from .model import Option, Scenario, State

__all__ = ["Policy", "POLICY_HELP", "parse_policy", "play_choices", "play_policy", "parse_choices", "cuts_in", "random_pick", "MAX_TURNS", "RANDOM_STREAM", "CUT_IN_STREAM"]

MAX_TURNS = 500  # a guard against a policy walking a loop for ever; patience normally ends it first
RANDOM_STREAM = 1
CUT_IN_STREAM = 41  # the seeded stream that decides which turns a cutting-in trainee answers early


@dataclass(frozen=True)
class Policy:
    kind: str  # protocol | random | always | position | greedy-steps | greedy-calm
    action: Action | None = None
    position: int = 0  # 1-based; -1 = the last one shown
    cut_in: float = 0.0  # the share of turns answered while the customer is still speaking

    @property
    def name(self) -> str:
        if self.kind == "always":
            base = f"always:{self.action.value}"
        elif self.kind == "position":
            base = f"position:{'last' if self.position < 0 else self.position}"
        else:
            base = self.kind
        if self.cut_in <= 0:
            return base
        return base + ("!" if self.cut_in >= 1 else f"!{self.cut_in:g}")


POLICY_HELP = "protocol, random, always:ACTION, position:N (N = 1, 2, ... or last), greedy-steps or greedy-calm; a trailing ! cuts in on every turn, !P on a share P of them"


def cuts_in(policy: Policy, seed, turn):
    """Whether the trainee answers turn `turn` while the customer is still speaking (per seed:
    a number or an array, so the engine and the batch simulator draw the same turns)."""
    if policy.cut_in <= 0:
        return np.zeros(np.shape(seed), dtype=bool)
    return uniform(seed, turn, CUT_IN_STREAM) < policy.cut_in


def parse_policy(text: str) -> Policy:
    text = text.strip()
    if "!" in text:
        base, share = text.split("!", 1)
        try:
            p = 1.0 if not share.strip() else float(share)
        except ValueError:
            p = -1.0
        if not 0 < p <= 1:
            raise ValueError(f"{text!r}: the share after ! must be a number above 0 and at most 1 (nothing after it: every turn)")
        return replace(parse_policy(base), cut_in=p)
    if text in ("protocol", "random", "greedy-steps", "greedy-calm"):
        return Policy(text)
    if text.startswith("always:"):
        return Policy("always", parse_action(text.split(":", 1)[1]))
    if text.startswith("position:"):
        n = text.split(":", 1)[1].strip()
        if n == "last":
            return Policy("position", position=-1)
        if n.isdigit() and 1 <= int(n) <= 99:
            return Policy("position", position=int(n))
        raise ValueError(f"position:{n}: N must be a number from 1 to 99 or 'last'")
    raise ValueError(f"unknown policy {text!r} (use {POLICY_HELP})")


def parse_choices(text: str | list[str]) -> list[tuple[str, bool]]:
    """'a,b!,c' -> [('a', False), ('b', True), ('c', False)]; `!` = chosen while the customer spoke."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        out.append((item[:-1], True) if item.endswith("!") else (item, False))
    return out


def play_choices(scenario: Scenario, choices: list[tuple[str, bool]], seed: int = 0) -> State:
    """Play scripted choices; stops early if the session ends. Raises IllegalChoice on a bad id."""
    state = start(scenario, seed)
    for option_id, early in choices:
        if state.finished:
            break
        state = choose(scenario, state, option_id, interrupted=early)
    return state


def random_pick(seed, turn, n):
    """The seeded pick among `n` options (per seed: a number or an array, so the batch
    simulator's lanes pick as the engine's trainee does)."""
    return np.minimum(n - 1, (uniform(seed, turn, RANDOM_STREAM) * n).astype(np.int64))


def play_policy(scenario: Scenario, policy: Policy, protocol: Protocol | None = None, seed: int = 0) -> State:
    state = start(scenario, seed)
    while not state.finished and len(state.turns) < MAX_TURNS:
        options = presented(scenario, state) if policy.kind in ("position", "greedy-steps", "greedy-calm") else available(scenario, state)
        if not options:
            raise DefuseError(f"node {state.node!r} offers no option in this state")
        pick = _pick(scenario, state, options, policy, protocol)
        state = choose(scenario, state, pick.id, interrupted=bool(cuts_in(policy, state.seed, len(state.turns) + 1)))
    return state


def _pick(scenario: Scenario, state: State, options: list[Option], policy: Policy, protocol: Protocol | None) -> Option:
    turn = len(state.turns) + 1
    if policy.kind == "always":
        carrying = [o for o in options if policy.action in o.actions]
        if carrying:
            return carrying[0]
        return options[int(random_pick(state.seed, turn, len(options)))]
    if policy.kind == "random":
        return options[int(random_pick(state.seed, turn, len(options)))]
    if policy.kind == "position":
        return options[min(policy.position, len(options)) - 1] if policy.position > 0 else options[-1]
    if policy.kind == "greedy-calm":
        return min(options, key=lambda o: (choose(scenario, state, o.id).anger, options.index(o)))
    if protocol is None:
        raise DefuseError("the protocol policy needs a protocol")
    if policy.kind == "greedy-steps":
        done = _done_steps(state, protocol)
        return max(options, key=lambda o: (sum(1 for s in protocol.steps if s.kind == "do" and s.id not in done and set(o.actions) & set(s.actions)), -options.index(o)))
    return max(options, key=lambda o: (protocol_value(scenario, state, o, protocol), -options.index(o)))


def protocol_value(scenario: Scenario, state: State, option: Option, protocol: Protocol) -> float:
    """How well one option follows the protocol from here (higher is better)."""
    node = scenario.node(state.node)
    step = effective_actions(scenario, node, option, False)
    acts = set(step.actions)
    done_steps = _done_steps(state, protocol)
    value = 0.0
    for s in protocol.steps:
        if s.kind == "avoid" or s.id in done_steps or not acts.intersection(s.actions):
            continue
        w = protocol.critical_weight if s.critical else 1.0
        preds = {a for a, b in protocol.precedence if b == s.id}
        value += w if preds <= done_steps else -0.5 * w
    for a in acts:
        rule = protocol.penalty_for(a)
        if rule is not None:
            value -= 10.0 * rule.penalty
    if node.line.venting and Action.LISTEN in acts:
        value += 1.5  # let a vent run its course
    if node.line.threat and Action.SEEK_HELP in acts:
        value += 100.0
    if node.line.abuse and protocol.safety is not None and "abuse" in protocol.safety.triggers and Action.SEEK_HELP in acts:
        value += 100.0
    nxt = choose(scenario, state, option.id)
    value -= (nxt.anger - state.anger) / 10.0
    if nxt.finished and nxt.outcome is not None:
        judged = score(nxt.transcript(), protocol)
        value += 2.0 * protocol.outcome_value(nxt.outcome) + (0.0 if judged.ending_accepted else -50.0)
        # ending now forfeits every step still undone (after-call steps included)
        left = [s for s in protocol.steps if s.id not in _done_steps(nxt, protocol)]
        value -= sum(protocol.critical_weight if s.critical else 1.0 for s in left)
    return value


def _done_steps(state: State, protocol: Protocol) -> set[str]:
    performed = state.performed()
    return {s.id for s in protocol.steps if s.kind == "do" and performed.intersection(s.actions)}
