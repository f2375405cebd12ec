"""Which nodes, options and routes of a scenario some playthrough can reach.

The exploration walks abstract states (node, the set of actions performed so far). It reads
conditions as the engine does, as the rows `compiled.rows_of` makes of them (a condition
holds when one of its rows does; any/all/not are rows too). The performed set is tracked
exactly, so a row's `done` / `not_done` are decided exactly; anger is not tracked: a row's
anger clauses (`band`, `anger_at_least`, `anger_below`) are taken to hold whenever some
anger from 0 to 100 satisfies them, and its clauses on flags, counters, visits and the turn
(and a `not:`, kept as one clause on the condition under it) whenever they do not
contradict each other. Patience and the hang-up are ignored too (they
only cut playthroughs short). Every choice is tried both after the customer has finished
and while they are still speaking (an interruption), with the actions the compiled tables
count it as.

So the result over-approximates what trainees can reach: "unreachable" here means that no
playthrough reaches it whatever the anger does, which is what the linter claims. If the
exact exploration grows past `MAX_STATES`, it falls back to ignoring the performed set
(still an over-approximation, only coarser) and says so in `Reach.exact`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..actions import Action
from ..compiled import BANDS, rows_of, tables
from ..model import BAND_FLOORS, Band, Condition, Scenario

__all__ = ["Reach", "explore", "MAX_STATES"]

MAX_STATES = 200_000
TOP = 100.0
_BAND_SPANS = {
    Band.CALM: (0.0, BAND_FLOORS[Band.UPSET]),
    Band.UPSET: (BAND_FLOORS[Band.UPSET], BAND_FLOORS[Band.ANGRY]),
    Band.ANGRY: (BAND_FLOORS[Band.ANGRY], BAND_FLOORS[Band.HOSTILE]),
    Band.HOSTILE: (BAND_FLOORS[Band.HOSTILE], TOP + 1e-9),  # anger 100 is hostile too
}


_STATE = ("facts_set", "facts_clear", "turn_at_least", "turn_below", "inner_holds", "inner_fails")
_ANGER = ("band", "anger_at_least", "anger_below")


def _spans(row: dict) -> list[tuple[float, float]]:
    """The half-open anger intervals in which a row's anger clauses hold (empty: never)."""
    bands = row.get("band", (1 << len(BANDS)) - 1)
    spans = sorted(_BAND_SPANS[b] for i, b in enumerate(BANDS) if bands >> i & 1)
    lo = row.get("anger_at_least", 0.0)
    hi = row.get("anger_below", TOP + 1e-9)
    out = [(max(a, lo), min(b, hi)) for a, b in spans]
    return [(a, b) for a, b in out if a < b]


class _Row:
    """One row of a condition as this walk reads it: the actions it needs done and not done,
    the angers it may hold at, and whether it surely holds once its actions are right."""

    __slots__ = ("done", "not_done", "spans", "sure")

    def __init__(self, row: dict):
        self.done = int(row.get("done", 0))
        self.not_done = int(row.get("not_done", 0))
        facts_ok = not (int(row.get("facts_set", 0)) & int(row.get("facts_clear", 0)))
        facts_ok = facts_ok and not (int(row.get("inner_holds", 0)) & int(row.get("inner_fails", 0)))
        turn_ok = row.get("turn_at_least", 0) < row.get("turn_below", 1 << 40)
        self.spans = _spans(row) if facts_ok and turn_ok else []
        self.sure = not any(k in row for k in _ANGER + _STATE)


def _rows(cond: Condition | None, facts) -> list[_Row]:
    # a `not:` stays one clause on its inner condition (taken as may-hold-or-not), never multiplied out
    return [_Row(r) for r in rows_of(cond, facts, [])]


def _may(rows: list[_Row], performed: int | None) -> list[_Row]:
    """The rows that may hold for this performed set (None: not tracked)."""
    return [r for r in rows if r.spans and _ok(r.done, r.not_done, performed)]


def _sure(rows: list[_Row], performed: int | None) -> bool:
    """Whether one of these rows (each possible) surely holds: it has only action clauses
    (and, with the performed set not tracked, none at all)."""
    return any(r.sure and (performed is not None or not (r.done or r.not_done)) for r in rows)


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
    """Per option: its condition's rows, the ways a choice can go (heard, said over the
    customer), its fixed goto and its routes' rows, computed once."""

    def __init__(self, scenario: Scenario):
        t = tables(scenario)
        self.nodes = {}
        for node in scenario.nodes:
            opts = []
            for o in node.options:
                k = t.option_at(node.id, o.id)
                ways = [(int(t.bits[k, early]), t.actions[k][early], bool(t.restarted[k, early])) for early in (0, 1)]
                routes = [(r.goto, _rows(r.when, t.facts)) for r in o.routes or ()]
                opts.append((_rows(o.when, t.facts), ways, o.goto, routes))
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
        for j, (when, ways, goto, routes) in enumerate(opts):
            may = _may(when, perf)
            if not may:
                continue
            covered.extend(sp for r in may for sp in r.spans)
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
                    for k, (rgoto, rows) in enumerate(routes):
                        possible = _may(rows, after)
                        if possible:
                            reach.routes.add((nid, j, k))
                            targets.append(rgoto)
                            if _sure(possible, after):
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
