"""Which nodes, options and routes of a scenario some playthrough can reach.

The exploration walks abstract states (node, the set of actions performed so far). The
performed set is tracked exactly, so `done` / `not_done` conditions are decided exactly;
anger is not tracked: an anger condition (`band`, `anger_at_least`, `anger_below`) is taken
to hold whenever some anger from 0 to 100 satisfies it. Patience and the hang-up are
ignored too (they only cut playthroughs short). A condition that reads flags, counters,
visits or the turn, or combines conditions (any/all/not), is taken as one that may hold or
not, whatever else it says. Every choice is tried both after the
customer has finished and while they are still speaking (an interruption).

So the result over-approximates what trainees can reach: "unreachable" here means that no
playthrough reaches it whatever the anger does, which is what the linter claims. If the
exact exploration grows past `MAX_STATES`, it falls back to ignoring the performed set
(still an over-approximation, only coarser) and says so in `Reach.exact`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..actions import Action
from ..customer import ACTION_INDEX
from ..engine import effective_actions
from ..model import BAND_FLOORS, Band, Condition, Scenario

__all__ = ["Reach", "explore", "anger_range", "MAX_STATES"]

MAX_STATES = 200_000
TOP = 100.0
_BAND_SPANS = {
    Band.CALM: (0.0, BAND_FLOORS[Band.UPSET]),
    Band.UPSET: (BAND_FLOORS[Band.UPSET], BAND_FLOORS[Band.ANGRY]),
    Band.ANGRY: (BAND_FLOORS[Band.ANGRY], BAND_FLOORS[Band.HOSTILE]),
    Band.HOSTILE: (BAND_FLOORS[Band.HOSTILE], TOP + 1e-9),  # anger 100 is hostile too
}


def anger_range(cond: Condition | None) -> list[tuple[float, float]]:
    """The half-open anger intervals in which a condition's anger parts hold (empty: never)."""
    spans = [(0.0, TOP + 1e-9)]
    if cond is None or cond.stateful:  # reads state this walk does not follow: may hold at any anger
        return spans
    if cond.band is not None:
        spans = sorted(_BAND_SPANS[b] for b in set(cond.band))
    lo = cond.anger_at_least if cond.anger_at_least is not None else 0.0
    hi = cond.anger_below if cond.anger_below is not None else TOP + 1e-9
    out = [(max(a, lo), min(b, hi)) for a, b in spans]
    return [(a, b) for a, b in out if a < b]


def _mask(actions) -> int:
    m = 0
    for a in actions:
        m |= 1 << ACTION_INDEX[a]
    return m


def _anger_free(cond: Condition | None) -> bool:
    if cond is not None and cond.stateful:
        return False  # it may or may not hold: the routes after it stay possible
    return cond is None or (cond.band is None and cond.anger_at_least is None and cond.anger_below is None)


def _done(cond: Condition | None, key: str) -> int:
    """A condition's `done` / `not_done` mask; 0 for one that reads state (it may hold either way)."""
    if cond is None or cond.stateful:
        return 0
    return _mask(getattr(cond, key))


@dataclass
class Reach:
    nodes: set[str] = field(default_factory=set)
    offered: set[tuple[str, int]] = field(default_factory=set)  # (node id, option index)
    routes: set[tuple[str, int, int]] = field(default_factory=set)  # (node id, option index, route index)
    actions: set[Action] = field(default_factory=set)  # every action a reachable option can count as
    edges: dict[str, set[str]] = field(default_factory=dict)  # node -> nodes a choice can lead to
    dead_ends: dict[str, str] = field(default_factory=dict)  # node id -> why it can offer nothing
    exact: bool = True
    states: int = 0

    def finishing(self, scenario: Scenario) -> set[str]:
        """Nodes from which some ending can be reached (endings included)."""
        back: dict[str, set[str]] = {}
        for a, bs in self.edges.items():
            for b in bs:
                back.setdefault(b, set()).add(a)
        done = {n.id for n in scenario.endings}
        stack = list(done)
        while stack:
            n = stack.pop()
            for p in back.get(n, ()):
                if p not in done:
                    done.add(p)
                    stack.append(p)
        return done


class _Compiled:
    """Per option: condition masks and the ways a choice can go, computed once."""

    def __init__(self, scenario: Scenario):
        self.nodes = {}
        for node in scenario.nodes:
            opts = []
            for o in node.options:
                when = o.when
                ways = []
                for early in (False, True):
                    step = effective_actions(scenario, node, o, early)
                    ways.append((_mask(step.actions), step.actions, step.restarted))
                routes = []
                for r in o.routes or ():
                    c = r.when
                    routes.append((r.goto, _done(c, "done"), _done(c, "not_done"), bool(anger_range(c)), _anger_free(c)))
                opts.append(
                    (
                        _done(when, "done"),
                        _done(when, "not_done"),
                        anger_range(when),
                        ways,
                        o.goto,
                        routes,
                    )
                )
            self.nodes[node.id] = (node, opts)


def explore(scenario: Scenario, max_states: int = MAX_STATES) -> Reach:
    comp = _Compiled(scenario)
    reach = _walk(scenario, comp, exact=True, max_states=max_states)
    if reach is None:
        reach = _walk(scenario, comp, exact=False, max_states=None)
    return reach


def _ok(done: int, not_done: int, performed: int | None) -> bool:
    if performed is None:  # performed set not tracked: only a self-contradiction can fail
        return not (done & not_done)
    return (performed & done) == done and not (performed & not_done)


def _walk(scenario: Scenario, comp: _Compiled, exact: bool, max_states: int | None) -> Reach | None:
    reach = Reach(exact=exact)
    startp = 0 if exact else None
    seen = {(scenario.start, startp)}
    stack = [(scenario.start, startp)]
    while stack:
        nid, perf = stack.pop()
        reach.nodes.add(nid)
        node, opts = comp.nodes[nid]
        if node.end is not None:
            continue
        covered: list[tuple[float, float]] = []
        for j, (wd, wn, spans, ways, goto, routes) in enumerate(opts):
            if not spans or not _ok(wd, wn, perf):
                continue
            covered.extend(spans)
            reach.offered.add((nid, j))
            for mask, acts, restarted in ways:
                reach.actions.update(acts)
                after = None if perf is None else perf | mask
                targets: list[str] = []
                if restarted:
                    targets.append(node.vent_start or node.id)
                elif goto is not None:
                    targets.append(goto)
                else:
                    for k, (rgoto, rd, rn, possible, free) in enumerate(routes):
                        if possible and _ok(rd, rn, after):
                            reach.routes.add((nid, j, k))
                            targets.append(rgoto)
                            if free and (after is not None or not (rd or rn)):
                                break  # this route always applies here: the later ones cannot
                for t in targets:
                    reach.edges.setdefault(nid, set()).add(t)
                    key = (t, after)
                    if key not in seen:
                        seen.add(key)
                        stack.append(key)
                        if max_states is not None and len(seen) > max_states:
                            return None
        gap = _gap(covered)
        if gap is not None and nid not in reach.dead_ends:
            if not covered:
                reach.dead_ends[nid] = "after some playthroughs every option's condition fails"
            else:
                reach.dead_ends[nid] = f"no option is offered when anger is from {gap[0]:g} to below {gap[1]:g}"
    reach.states = len(seen)
    if scenario.hangup is not None and len(reach.nodes) > 1:
        # Anger reaching 100 or patience running out can end any conversation that has
        # started; whether it does depends on anger, which this walk does not follow.
        reach.nodes.add(scenario.hangup)
    return reach


def _gap(spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The first stretch of anger 0..100 that no span covers, if any."""
    at = 0.0
    for a, b in sorted(spans):
        if a > at:
            return (at, a)
        at = max(at, b)
    return None if at >= TOP else (at, TOP)  # at 100 the customer hangs up anyway
