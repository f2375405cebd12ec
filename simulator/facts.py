"""Flags, counters and visits: what a scenario's `set:` writes and its conditions read.

A scenario names its flags and counters in `set:` (on options and on nodes). A session keeps
their values; conditions read them through *facts*, one bit each: a flag that is set, a
counter at or above a value a condition names, a node the conversation has been at. The
table is part of a scenario's compiled tables (`compiled.ScenarioTables.facts`), so the
engine (one session) and the batch simulator (many at once) compute the same facts with the
same numpy arithmetic; conditions test facts like they test the actions performed (all of
these bits, none of those), as clauses of `compiled.Conditions`.
"""
from __future__ import annotations

import numpy as np

from .model import Add, Condition, Scenario

__all__ = ["FactTable", "apply", "MAX_FACTS"]

MAX_FACTS = 64  # one bit each in a uint64


def _conditions(scenario: Scenario):
    def nested(c: Condition | None):
        if c is None:
            return
        yield c
        for sub in c.all or ():
            yield from nested(sub)
        for sub in c.any or ():
            yield from nested(sub)
        yield from nested(c.not_)

    for node in scenario.nodes:
        for o in node.options:
            yield from nested(o.when)
            for r in o.routes or ():
                yield from nested(r.when)


class FactTable:
    """Names to columns (`values`) and facts to bits, and what each option and node sets."""

    def __init__(self, scenario: Scenario):
        names = sorted({k for n in scenario.nodes for k in n.set} | {k for n in scenario.nodes for o in n.options for k in o.set})
        self.names = names
        self.column = {n: i for i, n in enumerate(names)}
        V = len(names)
        facts: dict[tuple, int] = {}
        for c in _conditions(scenario):
            for f in c.flags:
                facts.setdefault(("flag", f, 1), len(facts))
            for f, v in c.count_at_least.items():
                facts.setdefault(("flag", f, int(v)), len(facts))
            for f, v in c.count_below.items():
                facts.setdefault(("flag", f, int(v)), len(facts))
            for nid in c.visited:
                facts.setdefault(("visited", nid, 0), len(facts))
        self.facts = facts  # (kind, name, threshold) -> bit number
        # a value fact: column, threshold (value >= threshold); visited facts are kept as bits
        value_facts = [(b, self.column[name], t) for (kind, name, t), b in facts.items() if kind == "flag" and name in self.column]
        self.fact_bit = np.array([np.uint64(1) << np.uint64(b) for b, _, _ in value_facts], dtype=np.uint64)
        self.fact_column = np.array([c for _, c, _ in value_facts], dtype=np.int64)
        self.fact_threshold = np.array([t for _, _, t in value_facts], dtype=np.int64)
        # a flag or counter nothing sets stays 0: its facts are constants (at least 0, or more)
        self.always = np.uint64(sum(1 << b for (kind, name, t), b in facts.items() if kind == "flag" and name not in self.column and t <= 0))
        index = {n.id: i for i, n in enumerate(scenario.nodes)}
        self.node_index = index
        self.visit_bit = np.zeros(len(scenario.nodes), dtype=np.uint64)
        for (kind, nid, _), b in facts.items():
            if kind == "visited" and nid in index:
                self.visit_bit[index[nid]] = np.uint64(1) << np.uint64(b)
        options = [o for n in scenario.nodes for o in n.options]
        self.option_index = {(n.id, o.id): k for k, (n, o) in enumerate((n, o) for n in scenario.nodes for o in n.options)}
        self.option_sets = _sets([o.set for o in options] or [{}], self.column, V)
        self.node_sets = _sets([n.set for n in scenario.nodes], self.column, V)

    def bit(self, kind: str, name: str, threshold: int = 0) -> int:
        b = self.facts.get((kind, name, threshold))
        return 0 if b is None else 1 << b

    def option_number(self, node: str, option: str) -> int:
        return self.option_index[(node, option)]

    def bits_for(self, cond: Condition) -> tuple[np.uint64, np.uint64]:
        """The fact bits a condition's own keys need set, and those they need clear."""
        need = 0
        for f in cond.flags:
            need |= self.bit("flag", f, 1)
        for f, v in cond.count_at_least.items():
            need |= self.bit("flag", f, int(v))
        for nid in cond.visited:
            need |= self.bit("visited", nid)
        clear = 0
        for f, v in cond.count_below.items():
            clear |= self.bit("flag", f, int(v))
        return np.uint64(need), np.uint64(clear)

    def values_of(self, flags: tuple[tuple[str, int], ...]) -> np.ndarray:
        got = dict(flags)
        return np.array([got.get(n, 0) for n in self.names] or [0], dtype=np.int64)

    def named(self, values: np.ndarray) -> tuple[tuple[str, int], ...]:
        return tuple((n, int(v)) for n, v in zip(self.names, values.tolist()))

    def seen_of(self, visited) -> np.uint64:
        seen = np.uint64(0)
        for nid in visited:
            seen |= self.visit_bit[self.node_index[nid]]
        return seen

    def facts_of(self, values: np.ndarray, seen) -> np.ndarray:
        """The fact bits for these values ([..., V]) and visit bits ([...])."""
        out = np.asarray(seen, dtype=np.uint64) | self.always
        if len(self.fact_bit):
            hit = values[..., self.fact_column] >= self.fact_threshold  # [..., F]
            out = out | np.bitwise_or.reduce(np.where(hit, self.fact_bit, np.uint64(0)), axis=-1)
        return out


def _sets(mappings, column, V):
    """Per owner: which columns are assigned, to what, and what is added (applied in that order)."""
    n = len(mappings)
    assign = np.zeros((n, max(V, 1)), dtype=bool)
    value = np.zeros((n, max(V, 1)), dtype=np.int64)
    add = np.zeros((n, max(V, 1)), dtype=np.int64)
    for i, m in enumerate(mappings):
        for name, v in m.items():
            c = column[name]
            if isinstance(v, Add):
                add[i, c] += v.add
            else:
                assign[i, c] = True
                value[i, c] = int(v)
    return assign, value, add


def apply(sets, owner, values: np.ndarray) -> np.ndarray:
    """Values after owner's `set:` (lane-wise: `owner` [...], `values` [..., V])."""
    assign, value, add = sets
    return np.where(assign[owner], value[owner], values) + add[owner]
