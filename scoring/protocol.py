"""A protocol: a recommended procedure from the source documents, as data to score against.

Steps are listed in order. Order is a partial order: a step may name, in `after`, the steps
that must come before it; when no step of an ordered protocol names any, the list itself is
a total order. An unordered protocol (a set of conduct rules) has no precedence at all.
"""
from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.actions import Action
from simulator.loader import Document, load_with
from simulator.model import ID_PATTERN, Outcome

__all__ = ["Protocol", "ProtocolStep", "ConductRule", "SafetyRule", "Weights", "load_protocol", "DEFAULT_OUTCOMES"]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProtocolStep(_Value):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    critical: bool = True
    actions: list[Action] = Field(min_length=1, description="any of these performs the step")
    after: list[str] | None = Field(None, description="steps that must come before this one")
    missed: str | None = Field(None, description="feedback when the step was never performed")


class ConductRule(_Value):
    action: Action
    penalty: float = Field(ge=0, le=1)
    message: str = Field(min_length=1)


class SafetyRule(_Value):
    triggers: list[Literal["threat", "abuse"]] = Field(default_factory=lambda: ["threat"], description="customer line flags that call for the rule")
    requires: Action = Action.SEEK_HELP
    message: str = Field(min_length=1)


class Weights(_Value):
    coverage: float = Field(0.35, ge=0)
    order: float = Field(0.3, ge=0)
    conduct: float = Field(0.2, ge=0)
    outcome: float = Field(0.15, ge=0)


DEFAULT_OUTCOMES: dict[Outcome, float] = {
    Outcome.RESOLVED: 1.0,
    Outcome.ESCALATED: 0.7,
    Outcome.HELP_CALLED: 0.6,
    Outcome.DISENGAGED: 0.5,
    Outcome.CUSTOMER_LEFT: 0.0,
}


class Protocol(_Value):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="the source document's file name")
    summary: str = Field(min_length=1)
    ordered: bool = True
    steps: list[ProtocolStep] = Field(min_length=1)
    conduct: list[ConductRule] = Field(default_factory=list)
    safety: SafetyRule | None = None
    weights: Weights = Field(default_factory=Weights)
    critical_weight: float = Field(2.0, ge=1)
    outcomes: dict[Outcome, float] = Field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    pass_mark: float = Field(70, ge=0, le=100)

    def step(self, step_id: str) -> ProtocolStep:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def partial(self) -> bool:
        return any(s.after is not None for s in self.steps)

    def direct_predecessors(self, step_id: str) -> list[str]:
        """The steps that must come directly before this one (what `protocols --json` shows as `after`)."""
        if not self.ordered:
            return []
        if self.partial:
            return list(self.step(step_id).after or [])
        ids = [s.id for s in self.steps]
        i = ids.index(step_id)
        return [ids[i - 1]] if i else []

    @cached_property
    def precedence(self) -> frozenset[tuple[str, str]]:
        """Every pair (a, b) where a must come before b: the transitive closure of the order."""
        if not self.ordered:
            return frozenset()
        before: dict[str, set[str]] = {}
        for s in self.steps:
            seen: set[str] = set()
            stack = list(self.direct_predecessors(s.id))
            while stack:
                p = stack.pop()
                if p not in seen:
                    seen.add(p)
                    stack.extend(self.direct_predecessors(p))
            before[s.id] = seen
        return frozenset((a, b) for b, preds in before.items() for a in preds)

    def outcome_value(self, outcome: Outcome) -> float:
        return self.outcomes.get(outcome, DEFAULT_OUTCOMES[outcome])

    def penalty_for(self, action: Action) -> ConductRule | None:
        return next((c for c in self.conduct if c.action == action), None)


def _check(doc: Document) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    ids: dict[str, int] = {}
    for i, s in enumerate(steps):
        sid = s.get("id") if isinstance(s, dict) else None
        if isinstance(sid, str):
            if sid in ids:
                doc.diag(("steps", i, "id"), "E020", f"duplicate step id {sid!r}")
            ids.setdefault(sid, i)
    graph: dict[str, list[str]] = {}
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            continue
        after = s.get("after")
        if isinstance(after, list):
            for k, a in enumerate(after):
                if isinstance(a, str) and a not in ids:
                    doc.diag(("steps", i, "after", k), "E030", f"step {s.get('id')!r} comes after unknown step {a!r}")
            if isinstance(s.get("id"), str):
                graph[s["id"]] = [a for a in after if isinstance(a, str) and a in ids]
    # a cycle in `after` would make the order unsatisfiable
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        state[n] = 1
        for p in graph.get(n, []):
            if state.get(p) == 1:
                cyc = trail[trail.index(p):] + [p] if p in trail else [n, p]
                doc.diag(("steps", ids[n], "after"), "E031", f"the order has a cycle: {' -> '.join(cyc)}")
            elif not state.get(p):
                visit(p, trail + [p])
        state[n] = 2

    for n in graph:
        if not state.get(n):
            visit(n, [n])


def load_protocol(raw: bytes | str, path: str) -> Protocol:
    """Parse and check a protocol file; raises ScenarioError with every problem found."""
    return load_with(raw, path, Protocol, _check)
