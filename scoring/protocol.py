"""A protocol: a recommended procedure from the source documents, as data to score against.

Steps are listed in order. Order is a partial order: a step may name, in `after`, the steps
that must come before it; when no step of an ordered protocol names any, the list itself is
a total order. An unordered protocol (a set of conduct rules) has no precedence at all.
These are values only: reading and checking a protocol file is `simulator.protocol_loader`'s job.
"""
from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from simulator.actions import Action
from simulator.model import ID_PATTERN, Outcome, derived_value

__all__ = ["Protocol", "ProtocolStep", "ConductRule", "SafetyRule", "AbsorbedAbuse", "Ending", "Fact", "Source", "Weights", "DEFAULT_ENDINGS"]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(StrEnum):
    """What a conversation may turn out to hold; conditional advice applies only when it did.

    Scenarios mark the facts on their customer lines (`abuse`, `threat`, `beyond_authority`);
    the others are read from the whole session."""

    ABUSE = "abuse"  # an abusive line occurred
    ABUSE_PERSISTED = "abuse_persisted"  # abusive lines on two or more turns
    BEYOND_AUTHORITY = "beyond_authority"  # the customer asked for more than the trainee may give
    THREAT = "threat"  # a threat to safety
    HOSTILE_PERSISTED = "hostile_persisted"  # still hostile (anger >= 75) from the third turn on


class Source(_Value):
    file: str = Field(min_length=1, max_length=120, description="the source document's file name")
    quote: str = Field(min_length=1, max_length=200, description="the source's own words for this step, a dozen at most")


class ProtocolStep(_Value):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    critical: bool = Field(False, description="required for a pass; only where the source says so")
    kind: Literal["do", "avoid"] = Field(
        "do", description="do: met by performing one of `actions`; avoid: a prohibition, met only if none of `actions` is ever used"
    )
    actions: list[Action] = Field(min_length=1, description="do: any of these performs the step; avoid: any of these breaks it")
    when: Fact | None = Field(None, description="the step applies only when this arose in the conversation")
    lost_if: list[str] = Field(
        default_factory=list, description="what undoes the credit anywhere in the session: 'vent_cut' or an action"
    )
    after: list[str] | None = Field(None, description="steps that must come before this one")
    missed: str | None = Field(None, description="feedback when the step was never performed")
    source: Source | None = None


class ConductRule(_Value):
    action: Action
    penalty: float = Field(ge=0, le=1)
    message: str = Field(min_length=1)


class SafetyRule(_Value):
    triggers: list[Literal["threat", "abuse"]] = Field(default_factory=lambda: ["threat"], description="customer line flags that call for the rule")
    requires: Action = Action.SEEK_HELP
    within: int = Field(1, ge=1, le=5, description="trainee turns allowed, counting the answer to the flagged line")
    message: str = Field(
        "The customer made a threat. Your safety comes first: stop and bring in a manager, a colleague or security straight away.",
        min_length=1,
    )
    source: Source | None = None


class AbsorbedAbuse(_Value):
    penalty: float = Field(ge=0, le=1)
    message: str = Field(min_length=1)


class Ending(_Value):
    value: float = Field(ge=0, le=1, description="how good this ending is, 0 to 1")
    acceptable: bool = Field(True, description="false: this ending always fails the session")
    when: Fact | None = Field(None, description="acceptable only when this arose")
    after: list[str] = Field(default_factory=list, description="acceptable only after these steps, tried in this order")


class Weights(_Value):
    coverage: float = Field(0.35, ge=0)
    order: float = Field(0.3, ge=0)
    conduct: float = Field(0.2, ge=0)
    outcome: float = Field(0.15, ge=0)


DEFAULT_ENDINGS: dict[Outcome, Ending] = {
    Outcome.RESOLVED: Ending(value=1.0),
    Outcome.ESCALATED: Ending(value=0.8, when=Fact.BEYOND_AUTHORITY),
    Outcome.HELP_CALLED: Ending(value=0.7, when=Fact.THREAT),
    Outcome.DISENGAGED: Ending(value=0.6, when=Fact.ABUSE_PERSISTED),
    Outcome.CUSTOMER_LEFT: Ending(value=0.0, acceptable=False),
    Outcome.GAVE_IN: Ending(value=0.0, acceptable=False),
}


class Protocol(_Value):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="the source document's file name")
    summary: str = Field(min_length=1)
    ordered: bool = True
    steps: list[ProtocolStep] = Field(min_length=1)
    conduct: list[ConductRule] = Field(default_factory=list)
    safety: SafetyRule = Field(default_factory=SafetyRule, description="every protocol has one: a threat calls for help")
    absorbed_abuse: AbsorbedAbuse | None = Field(None, description="penalty for persistent abuse absorbed without any answer to it")
    weights: Weights = Field(default_factory=Weights)
    critical_weight: float = Field(2.0, ge=1)
    endings: dict[Outcome, Ending] = Field(default_factory=dict, description="which endings pass and what each is worth (over the defaults)")
    pass_mark: float = Field(70, ge=0, le=100)

    _derived: dict = PrivateAttr(default_factory=dict)  # values computed once from this protocol (its score tables)

    def derived(self, key: str, make):
        """A value computed once from this (immutable) protocol and kept with it (see `derived_value`)."""
        return derived_value(self, key, make)

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
        ids = [s.id for s in self.steps if s.kind == "do"]
        if step_id not in ids:
            return []
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

    def ending(self, outcome: Outcome) -> Ending:
        return self.endings.get(outcome, DEFAULT_ENDINGS[outcome])

    def outcome_value(self, outcome: Outcome) -> float:
        return self.ending(outcome).value

    def penalty_for(self, action: Action) -> ConductRule | None:
        return next((c for c in self.conduct if c.action == action), None)
