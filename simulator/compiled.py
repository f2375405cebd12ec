"""A scenario compiled into tables: every rule that moves a session, written once.

The engine (one session), the batch simulator behind `defuse analyze` and lint (many
sessions at once, one lane each) and the trainer's `--debug` view all read these tables and
call these functions, h11-style: a rule is a table plus one function over it, never a second
hand-kept copy. Every function works lane-wise on numpy arrays (the engine passes one lane),
so one session and a hundred thousand give the same numbers bit for bit.

- `band_index` (in `model`): the one reading of the anger bands' floors;
- `Conditions`: the `when:` tests of options and routes, as rows of clause columns (below),
  over the anger, the actions performed, the facts (`facts.FactTable`: flags, counters and
  visits as bits) and the turn;
- `ScenarioTables`: per node the option slots and pins, the line's flags and ending; per
  option the actions it counts as when heard and when said over the customer (bool rows and
  bit masks, from `effective_actions`), the anger override, the fixed `goto`, the routes and
  the node a cut vent restarts at;
- `shown_order`: the order a session shows the options offered (from its seed);
- `reply_anger`: the customer's anger after a reply;
- `route`: where a reply leads and why (decided after the reply, on the anger it left and
  the actions performed including this turn's);
- `arrive`: a node's own move when the customer reaches it (`mood:` or `anger_delta`);
- `settle`: the end-of-call order (the customer arrives at the node routed to, unless they
  already hung up: its own move of anger, its `set:`, the visit; the node reached may end
  the call; anger at 100 ends it whatever the node; otherwise the customer's patience may
  run out).

`tables(scenario)` builds them once per scenario object and keeps them with it
(`model.derived_value`): keyed by the object, never by its id, so two scenarios that share an
id never share tables. The protocol's tables live beside the score (`scoring.kernel`).

## Conditions, and how to add a kind

A condition compiles to a disjunction of *rows*; a row is a conjunction of *clauses*, one
column per clause kind, each with a neutral value that always holds. A condition's own keys
make one row (all of them must hold); its `all:` and `any:` combine rows with `all_of` and
`any_of`, so nested combinators compile to rows as well. A `not:` would multiply rows out
(the negation of a disjunction is a conjunction of disjunctions), so in a scenario's tables
the condition under `not:` is compiled on its own, as a *negated* condition whose truth each
lane reads first (`Conditions.read`, a bit in `View.negated`), and the `not:` is one clause
on that bit; `negate` (rows) remains for the odd condition outside a scenario.
`Conditions.holds` loops over further rows only when some condition has more than one, so
plain conditions cost nothing extra.

A clause kind is one `Clause` in `CLAUSES`: its column name, dtype and neutral value, `both`
(the conjunction of two values of the kind), `negate` (the rows whose disjunction is its
negation) and `holds(values, view)` (numpy, lane-wise). `View` is everything a condition can
read (anger, actions performed, fact bits, the turn), filled by `engine.view_of` for one
session and by the batch for its lanes; a kind that reads something new adds a field there.
`rows_of` is the one place a model `Condition` becomes rows: it reads the new key there.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .actions import Action
from .customer import ACTION_INDEX, ACTIONS, HANG_UP, Dynamics, Reactor, uniform, unit_noise
from .diagnostics import DefuseError
from .facts import FactTable
from .facts import apply as apply_sets
from .model import BAND_FLOORS, Band, Condition, Node, Option, Outcome, Scenario, band_ceiling, band_index

__all__ = [
    "tables",
    "ScenarioTables",
    "Conditions",
    "Clause",
    "CLAUSES",
    "View",
    "rows_of",
    "all_of",
    "ConditionTooComplex",
    "too_complex",
    "MAX_ROWS",
    "any_of",
    "negate",
    "ALWAYS",
    "NEVER",
    "Step",
    "effective_actions",
    "action_mask",
    "shuffle_keys",
    "shown_order",
    "reply_anger",
    "route",
    "settle",
    "arrive",
    "OUTCOMES",
    "FIXED",
    "RESTART",
    "NO_ROUTE",
    "GOING_ON",
    "ENDED",
    "HUNG_UP",
    "OUT_OF_PATIENCE",
    "SHUFFLE_STREAM",
]

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)  # an ending as a number: its place in `Outcome`
_LEFT = OUTCOMES.index(Outcome.CUSTOMER_LEFT)
BANDS: tuple[Band, ...] = tuple(Band)
SHUFFLE_STREAM = 21  # the seeded stream that orders the options a trainee sees
_SLOTS = 1024  # option slots per turn in the shuffle's counter (a node has far fewer options)
_PIN = {None: 0.0, "first": -1.0, "last": 1.0}

# why `route` went where it went (a route's own reason is its 0-based index)
FIXED = -1  # the option's fixed `goto`
RESTART = -2  # a vent cut short: the tape-recorder customer starts it again
NO_ROUTE = -3  # no route held (the loader makes every option's last route unconditional)

# what `settle` found
GOING_ON = 0  # the conversation goes on at the node reached
ENDED = 1  # the node reached is an ending
HUNG_UP = 2  # anger reached 100: the customer left, whatever the node
OUT_OF_PATIENCE = 3  # a conversation still open at the customer's patience: they left


def action_mask(actions) -> int:
    """Actions as a bit mask (bit i = `ACTIONS[i]`), the form the tables and the score use."""
    m = 0
    for a in actions:
        m |= 1 << ACTION_INDEX[a]
    return m


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class View:
    """What a condition can read, per lane: numbers for one session, arrays for many."""

    anger: np.ndarray | float
    performed: np.ndarray | np.uint64  # the actions performed so far, as a bit mask
    facts: np.ndarray | np.uint64 = np.uint64(0)  # flags, counter thresholds and visits, as `FactTable` bits
    turn: np.ndarray | int = 0  # the number of the trainee's answer being given (1 = the first)
    negated: np.ndarray | np.uint64 = np.uint64(0)  # which of the tables' conditions under `not:` hold (`Conditions.read`)


@dataclass(frozen=True)
class Clause:
    """One kind of test a condition can make, as a column of the conditions table."""

    name: str
    dtype: type
    neutral: object  # the value that always holds
    both: Callable[[object, object], object]  # the conjunction of two values of this kind
    negate: Callable[[object], list[dict]]  # rows whose disjunction is the negation
    holds: Callable[[np.ndarray, View], np.ndarray]


_ALL_BANDS = (1 << len(BANDS)) - 1
_NO_TURN = 1 << 40  # beyond every turn


def _bits(mask: int) -> list[int]:
    return [1 << i for i in range(64) if mask >> i & 1]


def _band_holds(v: np.ndarray, x: View) -> np.ndarray:
    return ((v >> band_index(x.anger)) & 1).astype(bool)


CLAUSES: tuple[Clause, ...] = (
    Clause("band", np.int64, _ALL_BANDS, lambda a, b: a & b, lambda v: [{"band": _ALL_BANDS & ~v}], _band_holds),
    Clause("anger_at_least", np.float64, -np.inf, max, lambda v: [{"anger_below": v}], lambda v, x: x.anger >= v),
    Clause("anger_below", np.float64, np.inf, min, lambda v: [{"anger_at_least": v}], lambda v, x: x.anger < v),
    Clause("done", np.uint64, 0, lambda a, b: a | b, lambda v: [{"not_done": b} for b in _bits(v)], lambda v, x: (x.performed & v) == v),
    Clause("not_done", np.uint64, 0, lambda a, b: a | b, lambda v: [{"done": b} for b in _bits(v)], lambda v, x: (x.performed & v) == 0),
    Clause("facts_set", np.uint64, 0, lambda a, b: a | b, lambda v: [{"facts_clear": b} for b in _bits(v)], lambda v, x: (x.facts & v) == v),
    Clause("facts_clear", np.uint64, 0, lambda a, b: a | b, lambda v: [{"facts_set": b} for b in _bits(v)], lambda v, x: (x.facts & v) == 0),
    Clause("turn_at_least", np.int64, 0, max, lambda v: [{"turn_below": v}], lambda v, x: x.turn >= v),
    Clause("turn_below", np.int64, _NO_TURN, min, lambda v: [{"turn_at_least": v}], lambda v, x: x.turn < v),
    Clause("inner_holds", np.uint64, 0, lambda a, b: a | b, lambda v: [{"inner_fails": b} for b in _bits(v)], lambda v, x: (x.negated & v) == v),
    Clause("inner_fails", np.uint64, 0, lambda a, b: a | b, lambda v: [{"inner_holds": b} for b in _bits(v)], lambda v, x: (x.negated & v) == 0),
)
MAX_NEGATED = 64  # conditions under `not:` read as bits; any further ones are negated as rows
_CLAUSE = {c.name: c for c in CLAUSES}

ALWAYS: list[dict] = [{}]  # one row with every clause neutral
NEVER: list[dict] = []  # no row at all


def _both(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _CLAUSE[k].both(out[k], v) if k in out else v
    return out


MAX_ROWS = 65_536  # alternatives one condition may multiply out to (nested not/any/all grow as a product)


class ConditionTooComplex(DefuseError, ValueError):
    """A condition whose any/all/not nesting multiplies out to more than MAX_ROWS alternatives
    (the command line says so in one line instead of running out of memory)."""


def all_of(*alternatives: list[dict]) -> list[dict]:
    """The conjunction of conditions given as rows (each a disjunction). Refuses, before building
    them, more than MAX_ROWS rows: a product of disjunctions grows past any memory otherwise."""
    size = 1
    for rows in alternatives:
        size *= len(rows)
        if size == 0:
            return NEVER
    if size > MAX_ROWS:
        raise ConditionTooComplex(f"a condition whose any/all/not multiply out to {size:,} alternatives (at most {MAX_ROWS:,}): nest fewer of them, or set a flag where the parts are known")
    out = ALWAYS
    for rows in alternatives:
        out = [_both(a, b) for a in out for b in rows]
    return out


def any_of(*alternatives: list[dict]) -> list[dict]:
    """The disjunction of conditions given as rows."""
    return [r for rows in alternatives for r in rows]


def negate(rows: list[dict]) -> list[dict]:
    """not (r1 or r2 ...) = not r1 and not r2 ...; a row fails when any of its clauses does."""
    return all_of(*[any_of(*[_CLAUSE[k].negate(v) for k, v in r.items()]) for r in rows])


def rows_of(cond: Condition | None, facts: FactTable | None = None, negated: list | None = None) -> list[dict]:
    """The one place a scenario's `Condition` becomes rows: every key given must hold, and its
    `all:`, `any:` and `not:`. Flags, counters and visits are read as the bits of `facts` (the
    scenario's `FactTable`; needed only by a condition that names them). With `negated` (a
    list), the condition under a `not:` is appended to it as rows of its own (after those
    under its own `not:`s) and the `not:` becomes the clause "inner condition i fails"."""
    if cond is None:
        return ALWAYS
    row: dict = {}
    if cond.band is not None:
        row["band"] = sum(1 << BANDS.index(b) for b in set(cond.band))
    if cond.anger_at_least is not None:
        row["anger_at_least"] = float(cond.anger_at_least)
    if cond.anger_below is not None:
        row["anger_below"] = float(cond.anger_below)
    if cond.done:
        row["done"] = action_mask(cond.done)
    if cond.not_done:
        row["not_done"] = action_mask(cond.not_done)
    if cond.flags or cond.count_at_least or cond.count_below or cond.visited:
        if facts is None:
            raise ValueError("a condition on flags, counters or visits is read with its scenario's fact table")
        need, clear = facts.bits_for(cond)
        if need:
            row["facts_set"] = int(need)
        if clear:
            row["facts_clear"] = int(clear)
    if cond.turn_at_least is not None:
        row["turn_at_least"] = int(cond.turn_at_least)
    rows = [row]
    if cond.all:
        rows = all_of(rows, *[rows_of(c, facts, negated) for c in cond.all])
    if cond.any:
        rows = all_of(rows, any_of(*[rows_of(c, facts, negated) for c in cond.any]))
    if cond.not_ is not None:
        inner = rows_of(cond.not_, facts, negated)
        if negated is not None and len(negated) < MAX_NEGATED:
            negated.append(inner)
            rows = all_of(rows, [{"inner_fails": 1 << (len(negated) - 1)}])
        else:
            rows = all_of(rows, negate(inner))
    return rows


def too_complex(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Where the scenario's conditions multiply out past MAX_ROWS: (path to the `when` in the
    file's data, the reason). Compiled as `tables` compiles them, in the same order, so the
    `not:`s count towards MAX_NEGATED alike; `validate` reports these before anything is played.
    Only conditions with any/all/not can grow, so only they are compiled here."""
    nested = []
    for i, node in enumerate(scenario.nodes):
        for j, o in enumerate(node.options):
            whens = [(("nodes", i, "options", j, "when"), o.when)]
            whens += [(("nodes", i, "options", j, "routes", m, "when"), r.when) for m, r in enumerate(o.routes or ())]
            nested += [(path, c) for path, c in whens if c is not None and (c.all or c.any or c.not_ is not None)]
    if not nested:
        return []
    facts, negated, found = FactTable(scenario), [], []
    for path, cond in nested:
        try:
            rows_of(cond, facts, negated)
        except ConditionTooComplex as e:
            found.append((path, str(e)))
    return found


class Conditions:
    """Conditions as columns: condition c's first row is row c, its further rows follow all
    the first rows; a condition with no row (never) gets a row no anger falls in."""

    _IMPOSSIBLE = {"band": 0}

    def __init__(self, conditions: list[list[dict]], negated: list[list[dict]] = ()):
        self.inner = len(conditions)  # the conditions under `not:` follow, in the order `read` evaluates them
        self.n_negated = len(negated)
        conditions = list(conditions) + list(negated)
        firsts = [rows[0] if rows else self._IMPOSSIBLE for rows in conditions]
        extra: list[dict] = []
        start = []
        for rows in conditions:
            start.append(len(firsts) + len(extra))
            extra += rows[1:]
        every = firsts + extra
        self.count = np.array([max(1, len(rows)) for rows in conditions], dtype=np.int64)
        self.extra_start = np.array(start, dtype=np.int64)
        self.depth = int(self.count.max()) if len(conditions) else 1
        self.columns = {c.name: np.array([r.get(c.name, c.neutral) for r in every], dtype=c.dtype) for c in CLAUSES}
        # a kind no condition uses is skipped: it always holds
        self.active = [c for c in CLAUSES if any(c.name in r for r in every)]

    def _row(self, r, view: View) -> np.ndarray:
        if not self.active:
            shapes = (np.shape(r), np.shape(view.anger), np.shape(view.performed), np.shape(view.facts), np.shape(view.turn), np.shape(view.negated))
            return np.ones(np.broadcast_shapes(*shapes), dtype=bool)
        ok = None
        for c in self.active:
            h = c.holds(self.columns[c.name][r], view)
            ok = h if ok is None else ok & h
        return ok

    def read(self, view: View) -> View:
        """`view` with the truth of every condition under a `not:` (each read with those
        before it: the inner ones come first), lane by lane."""
        if not self.n_negated:
            return view
        bits = np.uint64(0)
        for j in range(self.n_negated):
            ok = self.holds(self.inner + j, replace(view, negated=bits))
            bits = bits | np.where(ok, np.uint64(1 << j), np.uint64(0))
        return replace(view, negated=bits)

    def holds(self, idx, view: View) -> np.ndarray:
        """Whether condition `idx` holds (lane-wise; `view`'s fields broadcast against `idx`;
        `view` read by `read` when some condition has a `not:`)."""
        ok = self._row(idx, view)
        for m in range(1, self.depth):
            more = m < self.count[idx]
            r = np.where(more, self.extra_start[idx] + (m - 1), 0)
            ok = ok | (more & self._row(r, view))
        return ok


# ---------------------------------------------------------------- what a choice counts as


class Step:
    """What one choice did, before it is folded into a state."""

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


# ---------------------------------------------------------------- the scenario's tables


class ScenarioTables:
    """The scenario as arrays. Nodes by their order in the file; options numbered across the
    scenario (`k`); the second axis of the per-choice tables is the timing (0: heard,
    1: said while the customer was still speaking)."""

    def __init__(self, scenario: Scenario):
        nodes = scenario.nodes
        self.node_ids = [n.id for n in nodes]
        self.index = {n.id: i for i, n in enumerate(nodes)}
        index = self.index
        options = [(i, o) for i, n in enumerate(nodes) for o in n.options]
        self.options = [o for _, o in options]
        self.option_ids = [o.id for o in self.options]
        self.option_node = np.array([i for i, _ in options], dtype=np.int64)
        self.slot_of: dict[tuple[int, str], int] = {}
        K = max(1, len(options))
        width = max([len(n.options) for n in nodes] + [1])
        self.at = np.full((len(nodes), width), -1, dtype=np.int64)  # node, slot -> option k (-1: none)
        self.pin = np.zeros((len(nodes), width), dtype=np.float64)  # -1 first, +1 last
        slot = [0] * len(nodes)
        for k, (i, o) in enumerate(options):
            self.at[i, slot[i]] = k
            self.pin[i, slot[i]] = _PIN[o.pin]
            self.slot_of[(i, o.id)] = k
            slot[i] += 1

        self.venting = np.array([n.line.venting for n in nodes], dtype=bool)
        self.abuse = np.array([n.line.abuse for n in nodes], dtype=bool)
        self.threat = np.array([n.line.threat for n in nodes], dtype=bool)
        self.beyond = np.array([n.line.beyond_authority for n in nodes], dtype=bool)
        self.narration = np.array([n.narration for n in nodes], dtype=bool)
        self.end = np.array([OUTCOMES.index(n.end) if n.end is not None else -1 for n in nodes], dtype=np.int64)
        self.start = index[scenario.start]
        self.hangup = index[scenario.hangup] if scenario.hangup else -1
        self.patience = scenario.persona.patience
        # each node's own move on arrival: a mood clamps anger into its band, otherwise an anger_delta adds
        self.has_mood = np.array([n.mood is not None for n in nodes], dtype=bool)
        self.mood_floor = np.array([BAND_FLOORS[n.mood] if n.mood is not None else -np.inf for n in nodes], dtype=np.float64)
        self.mood_ceiling = np.array([band_ceiling(n.mood) if n.mood is not None else np.inf for n in nodes], dtype=np.float64)
        self.has_delta = np.array([n.mood is None and n.anger_delta is not None for n in nodes], dtype=bool)
        self.arrive_delta = np.array([n.anger_delta if n.mood is None and n.anger_delta is not None else 0.0 for n in nodes], dtype=np.float64)
        self.anger_start = float(arrive(self, self.start, np.float64(scenario.persona.anger)))  # after the first node's own move
        # flags, counters and visits: what `set:` writes (options by k, nodes by number) and conditions read as bits
        self.facts = FactTable(scenario)
        self.tracks = bool(self.facts.names or self.facts.facts)  # some `set:` or some condition on state
        self.values_start = apply_sets(self.facts.node_sets, self.start, self.facts.values_of(()))  # the first node's `set:`
        self.seen_start = self.facts.visit_bit[self.start]
        p = scenario.persona
        self.reactor = Reactor(dict(p.reactions), Dynamics.with_overrides(dict(p.dynamics)), p.noise)

        A = len(ACTIONS)
        self.actions: list[tuple[tuple[Action, ...], tuple[Action, ...]]] = []  # per k: (heard, said over)
        self.chosen = np.zeros((K, 2, A), dtype=bool)  # the actions a choice counts as
        self.bits = np.zeros((K, 2), dtype=np.uint64)  # ... as a bit mask
        self.cut_in = np.zeros((K, 2), dtype=bool)  # the customer was interrupted
        self.vent_broken = np.zeros((K, 2), dtype=bool)
        self.restarted = np.zeros((K, 2), dtype=bool)
        self.declared = np.zeros((K, A), dtype=bool)  # the actions the option is tagged with
        self.has_override = np.zeros(K, dtype=bool)
        self.override = np.zeros(K, dtype=np.float64)
        self.goto = np.full(K, -1, dtype=np.int64)  # fixed goto (-1: routes)
        self.restart_to = np.zeros(K, dtype=np.int64)
        depth = max([len(o.routes or ()) for _, o in options] + [1])
        self.route_goto = np.full((K, depth), -1, dtype=np.int64)
        self.route_when = np.zeros((K, depth), dtype=np.int64)  # condition numbers (0: always)
        conds: list[list[dict]] = [ALWAYS]
        negated: list[list[dict]] = []  # the conditions under `not:`, read first
        self.when = np.zeros(K, dtype=np.int64)
        for k, (i, o) in enumerate(options):
            node = nodes[i]
            ways = []
            for early in (0, 1):
                step = effective_actions(scenario, node, o, bool(early))
                ways.append(step.actions)
                for a in step.actions:
                    self.chosen[k, early, ACTION_INDEX[a]] = True
                self.bits[k, early] = np.uint64(action_mask(step.actions))
                self.cut_in[k, early] = step.interrupted
                self.vent_broken[k, early] = step.vent_broken
                self.restarted[k, early] = step.restarted
            self.actions.append((ways[0], ways[1]))
            for a in o.actions:
                self.declared[k, ACTION_INDEX[a]] = True
            if o.anger_delta is not None:
                self.has_override[k] = True
                self.override[k] = o.anger_delta
            if o.goto is not None:
                self.goto[k] = index[o.goto]
            self.restart_to[k] = index[node.vent_start or node.id]
            try:
                if o.when is not None:
                    self.when[k] = len(conds)
                    conds.append(rows_of(o.when, self.facts, negated))
                for m, r in enumerate(o.routes or ()):
                    self.route_goto[k, m] = index[r.goto]
                    if r.when is not None:
                        self.route_when[k, m] = len(conds)
                        conds.append(rows_of(r.when, self.facts, negated))
            except ConditionTooComplex as e:
                raise ConditionTooComplex(f"scenario {scenario.id!r}, node {node.id!r}, option {o.id!r}: {e}") from None
        self.conditions = Conditions(conds, negated)
        self.valid = self.at >= 0
        self.fixed_why = np.where(self.goto >= 0, FIXED, NO_ROUTE)  # route's reason before any route is tried
        self.slot_when = np.where(self.valid, self.when[np.maximum(self.at, 0)], 0)  # node, slot -> condition number

    def option_at(self, node: str, option_id: str) -> int:
        """The number `k` of the option `option_id` at node `node`."""
        return self.slot_of[(self.index[node], option_id)]

    def offered(self, node, view: View) -> np.ndarray:
        """Per lane and slot of `node`: is an option there, offered now? (`view` per lane, [..., 1])."""
        return self.valid[node] & self.conditions.holds(self.slot_when[node], self.conditions.read(view))


def tables(scenario: Scenario) -> ScenarioTables:
    """The scenario's tables, built on first use and kept with the scenario object."""
    return scenario.derived("tables", ScenarioTables)


# ---------------------------------------------------------------- the rules over the tables


def shuffle_keys(seed, turn, slots: np.ndarray, pins: np.ndarray) -> np.ndarray:
    """Sort keys of option slots for (seed, turn): pinned-first options sort before all,
    pinned-last after all, the rest in an order drawn from the session's seed."""
    seed = np.asarray(seed)
    turn = np.asarray(turn)
    u = uniform(seed[..., None] if seed.ndim else seed, (turn[..., None] if turn.ndim else turn) * _SLOTS + slots, SHUFFLE_STREAM)
    return np.where(pins < 0, -1.0 + slots * 1e-6, np.where(pins > 0, 2.0 + slots * 1e-6, u))


def shown_order(t: ScenarioTables, node, offered: np.ndarray, seed, turn) -> np.ndarray:
    """The slots of `node` in the order the session shows them, offered ones first (per lane:
    `node`, `seed`, `turn` are [R], `offered` is [R, W])."""
    W = offered.shape[-1]
    keys = shuffle_keys(seed, turn, np.arange(W, dtype=np.float64), t.pin[node])
    keys = np.where(offered, keys, np.inf)
    return np.argsort(keys, axis=-1, kind="stable")


def reply_anger(t: ScenarioTables, node, option, early, anger, counts, seed, turn) -> np.ndarray:
    """The customer's anger after a reply: the option's override or the customer model, the
    seeded noise, kept within 0..100; after the call (narration) nothing moves it."""
    reactor = t.reactor
    narration = t.narration[node]
    if np.all(narration):
        return np.where(narration, anger, 0.0)
    restarted = t.restarted[option, early]
    over = t.has_override[option]
    delta = t.override[option] + np.where(restarted, reactor.dynamics.restart_penalty, 0.0)
    if not np.all(over):  # (one session with an override skips the model: its value is not used)
        modelled = reactor.delta(t.chosen[option, early], counts, t.venting[node], t.abuse[node], t.vent_broken[option, early], restarted)
        delta = np.where(over, delta, modelled)
    moved = reactor.apply(anger, delta, unit_noise(seed, turn))
    return np.where(narration, anger, moved)


def route(t: ScenarioTables, option, restarted, anger, performed, facts=np.uint64(0), turn=0) -> tuple[np.ndarray, np.ndarray]:
    """Where a reply leads and why, per lane: (node number, reason).

    The reason is the 0-based number of the route whose condition held (the first that does),
    `FIXED` for the option's `goto`, `RESTART` for a vent cut short (the customer starts it
    again at the node's `vent_start`), or `NO_ROUTE`. Routing is decided after the customer's
    reaction: `anger` is the anger the reply left, `performed` includes this turn's actions,
    `facts` this answer's `set:` (not yet the next node's), `turn` is this answer's number.
    """
    goto = np.where(restarted, t.restart_to[option], t.goto[option])
    why = np.where(restarted, RESTART, t.fixed_why[option])
    open_ = goto < 0
    view = t.conditions.read(View(anger, performed, facts, turn))
    for m in range(t.route_goto.shape[1]):
        if not open_.any():
            break
        rg = t.route_goto[option, m]
        ok = open_ & (rg >= 0) & t.conditions.holds(t.route_when[option, m], view)
        goto = np.where(ok, rg, goto)
        why = np.where(ok, m, why)
        open_ = open_ & ~ok
    return goto, why


def arrive(t: ScenarioTables, node, anger) -> np.ndarray:
    """Anger once the customer reaches `node`, before the trainee says anything: the node's
    `mood:` clamps it into that band, or its `anger_delta` adds (kept within 0..100)."""
    anger = np.where(t.has_mood[node], np.minimum(np.maximum(anger, t.mood_floor[node]), t.mood_ceiling[node]), anger)
    return np.where(t.has_delta[node], np.clip(anger + t.arrive_delta[node], 0.0, HANG_UP), anger)


def settle(t: ScenarioTables, goto, anger, turn, values=None, seen=None) -> tuple:
    """The end-of-call order after routing, per lane: (node, outcome number or -1, what
    happened, anger, values, seen).

    `anger` is the anger the reply left (what routing used). The customer then reaches the
    node routed to, unless they already hung up: its own move may change anger (`arrive`),
    its `set:` changes the flags and counters `values` ([..., V], when tracked) and the visit
    is added to the visit bits `seen`.
    The node reached may be an ending. Anger at 100 ends the call whatever the node (the
    customer left, shown at the scenario's `hangup` node). Otherwise a conversation still
    open when the customer's patience is used up ends the same way.
    """
    here = anger < HANG_UP  # one who hung up arrives nowhere
    anger = np.where(here, arrive(t, goto, anger), anger)
    if values is not None:
        values = np.where(np.asarray(here)[..., None], apply_sets(t.facts.node_sets, goto, values), values)
        seen = np.where(here, seen | t.facts.visit_bit[goto], seen)
    end = t.end[goto]
    left = anger >= HANG_UP
    tired = (end < 0) & (turn >= t.patience) & ~left
    gone = left | tired
    what = np.where(gone, HUNG_UP + tired, end >= 0)  # the codes: GOING_ON 0, ENDED 1, HUNG_UP 2, OUT_OF_PATIENCE 3
    end = np.where(gone, _LEFT, end)
    if t.hangup >= 0:
        goto = np.where(gone, t.hangup, goto)
    return goto, end, what, anger, values, seen
