"""`defuse lint`: warnings about a scenario that loads but would let a trainee down.

Each finding is a `Diagnostic` with severity warning and a W1xx code, located at the part
of the file it is about. What each check claims, precisely:

- W101/W105: no playthrough reaches the node or ending, whatever the anger does (see
  `reach`: the walk over-approximates what trainees can reach, so this never cries wolf);
- W102: at some reachable point the node offers no option, either for every anger (the
  `done`/`not_done` conditions all fail) or for a stretch of anger the `when`s leave open;
- W103: no ending can be reached from the node (only patience or the hang-up would end it);
- W104: an option is never offered, or a route never taken, on any reachable path;
- W106: no reachable option counts as any action of a protocol step;
- W107: a customer line over `MAX_WORDS` words; W108: a line with no letter or digit;
- W109: a trainee repeating one action passes (always:ACTION, seeds 0 to 4, counting only
  runs where every choice carried that action: a run that fell back on random picks
  passed by luck, which `analyze` reports instead);
- W110: the exhaustive search (`search`, seed 0) finds no passing playthrough;
- W111: a model trainee who games passes more than 10% of runs: always the same position
  (`position:1`, `2`, `last`), the option naming most steps (`greedy-steps`), the option that
  calms most now (`greedy-calm`), random play, or repeating one action (`always:ACTION`);
  seeds 0 to 99 (the engine-played greedy trainees, seeds 0 to 39);
- W112: more than a fifth of the options keep a pinned place (`pin:`): the shuffle that
  stops pattern-pressing has little left to shuffle;
- W113: unquoted text with ` #` in it: YAML dropped the rest of the line as a comment.

A scenario silences codes with `lint: {ignore: [W107]}`.
"""
from __future__ import annotations

import numpy as np

from scoring import score
from scoring.protocol import Protocol

from ..actions import Action
from ..diagnostics import Diagnostic, Severity
from ..loader import Document
from ..model import Scenario
from ..diagnostics import DefuseError
from ..policies import Policy, parse_choices, parse_policy, play_choices, play_policy
from .analyze import GAMING_LIMIT
from .batch import simulate
from .reach import explore
from .search import passing_path
from .textcheck import cut_text

__all__ = ["lint", "MAX_WORDS", "GAMING_SEEDS"]

MAX_WORDS = 60  # about 25 seconds of speech at a calm pace: longer, and trainees stop listening
GAMING_SEEDS = range(5)
GREEDY_SEEDS = 40  # the look-ahead trainees barely vary by seed, but a 10% limit needs more than ten runs


def lint(scenario: Scenario, doc: Document, protocol: Protocol) -> list[Diagnostic]:
    """Every warning for a scenario that loaded, minus the codes it silences."""
    found: list[Diagnostic] = []

    def warn(path: tuple, code: str, message: str) -> None:
        line, col = doc.positions.at(path)
        found.append(Diagnostic(doc.path, line, col, code, message, Severity.WARNING))

    reach = explore(scenario)
    finishing = reach.finishing(scenario)
    for i, node in enumerate(scenario.nodes):
        here = ("nodes", i)
        if node.id not in reach.nodes:
            if node.end is not None:
                warn(here + ("id",), "W105", f"ending {node.id!r} ({node.end.value}) is never reached: no option leads to it on any path")
            else:
                warn(here + ("id",), "W101", f"node {node.id!r} is never reached from the start node {scenario.start!r}")
            continue
        if node.end is not None:
            continue
        if node.id in reach.dead_ends:
            warn(here + ("options",), "W102", f"node {node.id!r} can be a dead end: {reach.dead_ends[node.id]}")
        if node.id not in finishing:
            warn(here + ("id",), "W103", f"node {node.id!r} is in a loop with no way out: no ending can be reached from it")
        for j, option in enumerate(node.options):
            if (node.id, j) not in reach.offered:
                warn(here + ("options", j, "when"), "W104", f"option {option.id!r} in node {node.id!r} is never offered: its `when` cannot hold on any path")
                continue
            for k, route in enumerate(option.routes or ()):
                if (node.id, j, k) not in reach.routes:
                    warn(
                        here + ("options", j, "routes", k),
                        "W104",
                        f"route {k + 1} of option {option.id!r} (to {route.goto!r}) is never taken: its condition cannot hold, or an earlier route always applies",
                    )
    for s in protocol.steps:
        if not reach.actions.intersection(s.actions):
            acts = ", ".join(a.value for a in s.actions)
            warn(("protocol",), "W106", f"step {s.id!r} of protocol {protocol.id!r} cannot be performed: no reachable option counts as {acts}")
    for i, node in enumerate(scenario.nodes):
        for key, text in (("text", node.line.text), ("speech", node.line.speech)):
            if text is None:
                continue
            path = ("nodes", i, "line", key)
            words = len(text.split())
            if words > MAX_WORDS:
                warn(path, "W107", f"line {node.line.id!r} has {words} words; over {MAX_WORDS} is hard to follow when read aloud: split it across nodes")
            if not any(ch.isalnum() for ch in text):
                warn(path, "W108", f"line {node.line.id!r} has no words in its {key} ({text.strip()!r}): there is nothing to say or show")

    gaming = _gaming(scenario, protocol)
    if gaming:
        action, total = gaming
        warn(("id",), "W109", f"a trainee who always chooses {action.value!r} passes (score {total:.1f}, pass mark {protocol.pass_mark:g}): make repetition cost something")
    for name, rate in _gamed(scenario, protocol):
        warn(("id",), "W111", f"a trainee playing {name} passes {rate:.0%} of runs (over {GAMING_LIMIT:.0%}): the score rewards a pattern, not the skill; make that pattern cost something")
    options = [o for n in scenario.nodes for o in n.options]
    pinned = [o for o in options if o.pin is not None]
    if options and len(pinned) > max(1, len(options) // 5):
        warn(("id",), "W112", f"{len(pinned)} of {len(options)} options are pinned in place: pin only where the position itself means something (e.g. 'say nothing' last)")
    best = passing_path(scenario, protocol, seed=0)
    if best.complete and best.best_passing is None and best.best is not None:
        b = best.best
        if b.total < protocol.pass_mark:
            why = f"the best score is {b.total:.1f}, below the pass mark {protocol.pass_mark:g}"
        else:
            why = f"the best score, {b.total:.1f}, misses a critical step or breaks the safety rule"
        warn(("protocol",), "W110", f"no reachable path passes {protocol.id!r}: {why} (via {', '.join(b.choices)}){_what_it_lacks(scenario, protocol, b.choices)}")

    found += cut_text(doc, Severity.WARNING)
    ignored = set(scenario.lint.ignore)
    return sorted(d for d in found if d.code not in ignored)


def _gamed(scenario: Scenario, protocol: Protocol) -> list[tuple[str, float]]:
    """The model trainees who game and pass more than GAMING_LIMIT of their runs."""
    found = []
    seeds = np.arange(100)
    carried = [a for a in Action if any(a in o.actions for n in scenario.nodes for o in n.options)]
    for policy in [parse_policy(p) for p in ("position:1", "position:2", "position:last", "random")] + [Policy("always", a) for a in carried]:
        rate = float(simulate(scenario, protocol, policy, seeds).passed.mean())
        if rate > GAMING_LIMIT:
            found.append((policy.name, rate))
    for name in ("greedy-steps", "greedy-calm"):
        policy = parse_policy(name)
        wins = 0
        for seed in range(GREEDY_SEEDS):
            try:
                state = play_policy(scenario, policy, protocol, seed)
            except DefuseError:
                continue
            wins += state.finished and score(state.transcript(), protocol).passed
        if wins / GREEDY_SEEDS > GAMING_LIMIT:
            found.append((name, wins / GREEDY_SEEDS))
    return found


def _gaming(scenario: Scenario, protocol: Protocol) -> tuple[Action, float] | None:
    """The first action whose always:ACTION trainee passes on some seed without ever having
    to fall back on a random pick (then the repetition itself passed, not luck), and the score."""
    seeds = np.array(list(GAMING_SEEDS))
    for action in Action:
        batch = simulate(scenario, protocol, Policy("always", action), seeds)
        pure = batch.passed & ~batch.fell_back
        if pure.any():
            return action, float(np.nanmax(np.where(pure, batch.total, np.nan)))
    return None


def _what_it_lacks(scenario: Scenario, protocol: Protocol, choices) -> str:
    """What the best path leaves out, step by step, so the trainer knows what to add."""
    result = score(play_choices(scenario, parse_choices(list(choices)), 0).transcript(), protocol).to_dict()
    missed = [s for s in result["steps"] if not s["performed"] and s.get("applicable", True)]
    critical = [s for s in missed if s["id"] in result["critical_missed"]]
    parts = []
    if critical:
        parts.append("critical step" + ("s" if len(critical) > 1 else "") + " never done: " + ", ".join(f"{s['id']!r} ({s['title']})" for s in critical))
    others = [s for s in missed if s not in critical]
    if others:
        parts.append("also never done: " + ", ".join(f"{s['id']!r} ({s['title']})" for s in others))
    if result["safety_broken"]:
        parts.append("the safety rule was broken")
    return "; " + "; ".join(parts) if parts else ""
