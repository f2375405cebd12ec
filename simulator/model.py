"""Values of the domain: scenarios as trainers write them, and the state of a session.

Scenario-side types are frozen pydantic models (they are validated from YAML and give the
JSON Schema for editors); session-side types are frozen dataclasses (cheap to copy on every
turn). Nothing here reads files or knows about a front end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .actions import Action

__all__ = [
    "Band",
    "Outcome",
    "Setting",
    "Condition",
    "Phrasing",
    "describe_condition",
    "Route",
    "Words",
    "Spoken",
    "Option",
    "Line",
    "Node",
    "Voice",
    "Persona",
    "Expectation",
    "ScriptedTest",
    "LintSettings",
    "Scenario",
    "Turn",
    "State",
    "Transcript",
    "band_of",
    "band_ceiling",
    "spoken_text",
    "fill_phrases",
    "distress_word",
    "distress_summary",
    "PHRASE_REF",
    "band_index",
    "BAND_FLOORS",
    "FORMAT_VERSION",
    "ID_PATTERN",
    "derived_value",
]

FORMAT_VERSION = 1
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Band(StrEnum):
    """Named anger bands, from calm to hostile."""

    CALM = "calm"
    UPSET = "upset"
    ANGRY = "angry"
    HOSTILE = "hostile"


# The lowest anger of each band; anger is a number from 0 to 100.
BAND_FLOORS: dict[Band, float] = {Band.CALM: 0.0, Band.UPSET: 25.0, Band.ANGRY: 50.0, Band.HOSTILE: 75.0}


_BANDS: tuple[Band, ...] = tuple(Band)


def band_index(anger):
    """The band's place in `Band` for an anger (a number, or a numpy array lane by lane): the
    one reading of `BAND_FLOORS`, shared by `band_of`, conditions and the batch simulator."""
    return sum(anger >= BAND_FLOORS[b] for b in _BANDS[1:])


def band_of(anger: float) -> Band:
    return _BANDS[band_index(anger)]


PHRASE_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_.\-]*)\}")
_TEXT_KEYS = frozenset({"text", "speech", "feedback"})
_PHRASED = frozenset({"nodes"})  # where phrases may be used: every text of every node


def fill_phrases(value, phrases: dict[str, str]):
    """`value` (plain data) with {name} replaced by the phrase in every text, speech and feedback."""
    if isinstance(value, dict):
        return {k: (PHRASE_REF.sub(lambda m: phrases.get(m.group(1), m.group(0)), v) if k in _TEXT_KEYS and isinstance(v, str) else fill_phrases(v, phrases)) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_phrases(v, phrases) for v in value]
    return value


def band_ceiling(band: Band) -> float:
    """The highest anger a `mood:` may leave in a band: one below the next band's floor (100 for hostile)."""
    order = list(Band)
    i = order.index(band)
    return BAND_FLOORS[order[i + 1]] - 1.0 if i + 1 < len(order) else 100.0


# A stage direction: words in brackets, shown in the caption and never spoken ("(She sighs.)").
_DIRECTION = re.compile(r"\([^()]*\)")


def spoken_text(text: str) -> str:
    """What the voice says of a caption: the text without its stage directions in brackets."""
    return " ".join(_DIRECTION.sub(" ", text).split())


# How a customer's distress reads in words, from the top (a second dimension beside anger).
_DISTRESS_WORDS = ((75.0, "desperate"), (50.0, "distressed"), (25.0, "worried"), (0.0, "settled"))


def distress_word(distress: float) -> str:
    return next(word for floor, word in _DISTRESS_WORDS if distress >= floor)


def distress_summary(state: "State") -> str | None:
    """One line for a debrief: how the customer's distress went (None for a persona without it)."""
    if state.distress is None or state.distress_start is None:
        return None
    a, b = state.distress_start, state.distress
    return f"Distress {a:.0f} ({distress_word(a)}) -> {b:.0f} ({distress_word(b)})"


class Outcome(StrEnum):
    """How a conversation ended."""

    RESOLVED = "resolved"
    ESCALATED = "escalated"
    DISENGAGED = "disengaged"
    CUSTOMER_LEFT = "customer_left"
    HELP_CALLED = "help_called"
    GAVE_IN = "gave_in"  # the trainee gave in to a threat: never a resolution


class Setting(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    IN_PERSON = "in_person"


def derived_value(owner, key: str, make):
    """A value computed once from an immutable model and kept in its `_derived` dict, keyed by
    the object itself: a copy (`model_copy(update=...)`) shares the dict at first, so it starts
    a cache of its own rather than reading values computed from the original."""
    if owner._derived.get("__owner__") is not owner:
        owner._derived = {"__owner__": owner}
    if key not in owner._derived:
        owner._derived[key] = make(owner)
    return owner._derived[key]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Condition(_Value):
    """A structured test on the conversation so far; every given key must hold."""

    # `not` is a Python keyword: the field is `not_`, read and written as `not`
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    band: list[Band] | None = Field(None, description="the customer's anger band is one of these")
    anger_at_least: float | None = Field(None, ge=0, le=100)
    anger_below: float | None = Field(None, ge=0, le=100)
    done: list[Action] = Field(default_factory=list, description="actions the trainee has performed")
    not_done: list[Action] = Field(default_factory=list, description="actions the trainee has not performed")
    flags: list[Id] = Field(default_factory=list, description="flags that are set (true), by `set:` on an option or a node")
    count_at_least: dict[str, int] = Field(default_factory=dict, description="counters (set by `set:`) at least these values, e.g. {refusals: 2}")
    count_below: dict[str, int] = Field(default_factory=dict, description="counters below these values, e.g. {refusals: 2}")
    visited: list[Id] = Field(default_factory=list, description="nodes the conversation has already been at (the current one included)")
    turn_at_least: int | None = Field(None, ge=1, le=500, description="the trainee's answer is the N-th of the conversation or later")
    all: list["Condition"] | None = Field(None, min_length=1, description="every one of these conditions holds")
    any: list["Condition"] | None = Field(None, min_length=1, description="at least one of these conditions holds")
    not_: "Condition | None" = Field(None, alias="not", description="this condition does not hold")

    @property
    def stateful(self) -> bool:
        """Whether it reads more than anger and actions: flags, counters, visits, the turn, or combines conditions."""
        return bool(self.flags or self.count_at_least or self.count_below or self.visited or self.turn_at_least is not None
                    or self.all or self.any or self.not_ is not None)


@dataclass(frozen=True)
class Phrasing:
    """How `describe_condition` puts a condition in words: the graph's compact labels and the
    playtest's sentences differ only in these separators."""

    parts: str  # between the condition's keys ("band hostile, done listen" / "... and ...")
    items: str  # between the items of one key (actions, flags, nodes)
    bands: str  # between the bands of a band key
    band: str  # before one band ("band " / "band is ")
    band_set: str  # before several ("band " / "band in ")


def describe_condition(cond: Condition | None, how: Phrasing) -> str:
    """A condition in words, every kind of key and the combinators ("always" for none): the one
    wording the graph's labels and the playtest's `--debug` routing both use."""
    if cond is None:
        return "always"
    parts = []
    if cond.band is not None:
        names = how.bands.join(b.value for b in cond.band)
        parts.append((how.band if len(cond.band) == 1 else how.band_set) + names)
    if cond.anger_at_least is not None:
        parts.append(f"anger >= {cond.anger_at_least:g}")
    if cond.anger_below is not None:
        parts.append(f"anger < {cond.anger_below:g}")
    if cond.done:
        parts.append("done " + how.items.join(a.value for a in cond.done))
    if cond.not_done:
        parts.append("not done " + how.items.join(a.value for a in cond.not_done))
    if cond.flags:
        parts.append("flag " + how.items.join(cond.flags))
    parts += [f"{k} >= {v}" for k, v in cond.count_at_least.items()]
    parts += [f"{k} < {v}" for k, v in cond.count_below.items()]
    if cond.visited:
        parts.append("visited " + how.items.join(cond.visited))
    if cond.turn_at_least is not None:
        parts.append(f"turn >= {cond.turn_at_least}")
    if cond.all:
        parts.append("all of (" + "; ".join(describe_condition(c, how) for c in cond.all) + ")")
    if cond.any:
        parts.append("any of (" + "; ".join(describe_condition(c, how) for c in cond.any) + ")")
    if cond.not_ is not None:
        parts.append("not (" + describe_condition(cond.not_, how) + ")")
    return how.parts.join(parts) or "always"


class Add(_Value):
    """A counter's change: `{add: 1}` adds one (a plain number sets the counter to it)."""

    add: int = Field(ge=-1000, le=1000, description="added to the counter")


SetValue = bool | int | Add


class Route(_Value):
    """One way out of an option: taken when `when` holds (or always, when it is absent)."""

    when: Condition | None = None
    goto: Id


class Option(_Value):
    """Something the trainee can say or do at a node."""

    id: Id
    text: Text = Field(description="what the trainee says or does, shown on the button")
    actions: list[Action] = Field(min_length=1, description="what this option counts as")
    when: Condition | None = Field(None, description="offered only when this holds")
    anger_delta: float | None = Field(
        None, ge=-100, le=100, description="replaces the customer model's reaction for this option"
    )
    goto: Id | None = Field(None, description="the next node (or use routes)")
    routes: list[Route] | None = Field(None, min_length=1, description="conditional next nodes, first match wins")
    pin: Literal["first", "last"] | None = Field(
        None, description="keep this option first or last where its position means something (e.g. 'say nothing' last); others are shuffled"
    )
    feedback: Text | None = Field(
        None, description="the trainer's own note on this answer, shown in the debrief and the reports when it was chosen"
    )
    set: dict[str, SetValue] = Field(
        default_factory=dict, description="flags and counters this answer sets: {asked_name: true, refusals: {add: 1}, tries: 0}"
    )
    distress_delta: float | None = Field(
        None, ge=-100, le=100, description="change in the customer's distress when this is chosen (needs persona.distress)"
    )


class Words(_Value):
    """One wording of something the customer says, with its own stable id."""

    id: Id = Field(description="stable id of this wording: keys the speech cache, translations and analytics")
    text: Text = Field(description="the caption; words in brackets, (She sighs.), are stage directions: shown, never spoken")
    speech: str | None = Field(None, max_length=2000, description="what the voice says, when it differs from the caption")


class Spoken(Words):
    """A line of the customer's, with other wordings the session's seed may pick instead."""

    variants: list[Words] = Field(
        default_factory=list, description="other wordings of this line: each session picks one (or the text itself) from its seed"
    )

    def wordings(self) -> tuple[Words, ...]:
        return (self, *self.variants)


class Line(Spoken):
    """What the customer says at a node."""

    venting: bool = Field(False, description="the customer is mid-vent: listening lets anger fall, an interruption breaks the vent")
    threat: bool = Field(False, description="a threat to safety: the safety rule applies")
    abuse: bool = Field(False, description="insults or verbal abuse")
    beyond_authority: bool = Field(False, description="the customer asks for more than the trainee may give (escalating can then be right)")


class Node(_Value):
    id: Id
    line: Line
    burst: list[Spoken] = Field(
        default_factory=list, description="more lines the customer says after `line`, one after another, before the trainee answers"
    )
    narration: bool = Field(False, description="the line is narration (e.g. after the call), not the customer")
    anger_delta: float | None = Field(
        None, ge=-100, le=100, description="the customer's own change of anger on arriving at this node, before the trainee answers"
    )
    mood: Band | None = Field(
        None, description="on arriving at this node the customer's anger moves into this band (up to its floor, or down to its top)"
    )
    distress_delta: float | None = Field(
        None, ge=-100, le=100, description="change in the customer's distress on arriving at this node (needs persona.distress)"
    )
    set: dict[str, SetValue] = Field(
        default_factory=dict, description="flags and counters set on arriving at this node: {threatened: true, visits: {add: 1}}"
    )
    vent_start: Id | None = Field(None, description="where an interrupted vent starts again (default: this node)")
    options: list[Option] = Field(default_factory=list)
    end: Outcome | None = Field(None, description="marks an ending node and names its outcome")


class Voice(_Value):
    gender: Literal["female", "male"] | None = None
    voice: str | None = Field(None, max_length=60, description="speech engine voice name, e.g. en-gb")
    rate: int = Field(165, ge=80, le=320, description="words per minute when calm")
    pitch: int = Field(50, ge=0, le=99)
    volume: float = Field(0.85, ge=0.1, le=1.0)
    languages: dict[str, Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=dict, description="the espeak-ng voice for each language the scenario is translated into, e.g. {de: de}"
    )


class Persona(_Value):
    name: Text
    description: str = ""
    voice: Voice = Field(default_factory=Voice)
    anger: float = Field(ge=0, lt=100, description="starting anger, 0 to 100")
    tape_recorder: bool = Field(
        True, description="an interrupted vent starts again from the top, even after a short 'I see' (irate callers in general; set false to opt out)"
    )
    reactions: dict[Action, float] = Field(
        default_factory=dict, description="anger change per action, over the engine's defaults"
    )
    dynamics: dict[str, float] = Field(default_factory=dict, description="overrides of the anger model's parameters")
    noise: float = Field(0.0, ge=0, le=20, description="standard deviation of seeded random noise per turn")
    patience: int = Field(40, ge=2, le=500, description="turns before the customer gives up and leaves")
    distress: float | None = Field(
        None, ge=0, le=100, description="starting distress, 0 to 100, for a frightened or despairing customer: shown beside anger, moved by nodes and options"
    )


class Expectation(_Value):
    outcome: Outcome | None = None
    passed: bool | None = None
    score: list[float] | None = Field(None, min_length=2, max_length=2, description="[min, max] total score")
    complete: bool | None = None


class ScriptedTest(_Value):
    name: Text
    choices: list[str] = Field(min_length=1, description="option ids in order; a trailing ! = chosen while the customer was speaking")
    seed: int = 0
    protocol: Id | None = None
    expect: Expectation


class LintSettings(_Value):
    ignore: list[str] = Field(default_factory=list, description="lint codes silenced for this scenario")


class Scenario(_Value):
    format_version: Literal[1]
    id: Id
    revision: int = Field(1, ge=1)
    title: Text
    summary: Text
    setting: Setting
    industry: str = Field(min_length=1, max_length=80)
    goals: list[Text] = Field(default_factory=list)
    protocol: Id
    alternates: list[Id] = Field(
        default_factory=list,
        description="other protocols worth comparing for this scenario: the debrief's switch offers the main protocol and these, in order",
    )
    persona: Persona
    phrases: dict[str, Text] = Field(
        default_factory=dict, description="reusable text blocks: {name} in any line, option or feedback is replaced by the phrase"
    )
    start: Id
    hangup: Id | None = Field(None, description="ending node shown when anger reaches 100")
    nodes: list[Node] = Field(min_length=1)
    tests: list[ScriptedTest] = Field(default_factory=list)
    lint: LintSettings = Field(default_factory=LintSettings)

    _index: dict[str, Node] = PrivateAttr(default_factory=dict)
    _derived: dict = PrivateAttr(default_factory=dict)  # values computed once from the scenario (e.g. its reactor)

    @model_validator(mode="before")
    @classmethod
    def _fill_phrases(cls, data):
        """Put each phrase in the texts that name it ({helpline}); an unknown name is left as
        written (the loader reports it, located, before the model is built)."""
        if isinstance(data, dict) and isinstance(data.get("phrases"), dict) and data["phrases"]:
            phrases = {k: v for k, v in data["phrases"].items() if isinstance(k, str) and isinstance(v, str)}
            return {k: (fill_phrases(v, phrases) if k in _PHRASED else v) for k, v in data.items()}
        return data

    def model_post_init(self, __context) -> None:
        self._index = {n.id: n for n in self.nodes}

    def derived(self, key: str, make):
        """A value computed once from this (immutable) scenario and kept with it (see `derived_value`)."""
        return derived_value(self, key, make)

    def node(self, node_id: str) -> Node:
        return self._index[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._index

    @property
    def protocol_ids(self) -> list[str]:
        """The main protocol, then the alternates: what the debrief lets the trainee switch between."""
        return list(dict.fromkeys([self.protocol, *self.alternates]))

    @property
    def endings(self) -> list[Node]:
        return [n for n in self.nodes if n.end is not None]


# ---------------------------------------------------------------- session values


@dataclass(frozen=True)
class Turn:
    """One exchange: the customer's line and what the trainee chose in answer."""

    index: int  # 1-based
    node: str
    line: str  # the customer's line id
    text: str  # what the customer said
    choice: str  # option id
    said: str  # what the trainee said
    actions: tuple[Action, ...]
    interrupted: bool
    anger_before: float
    anger_after: float
    elapsed: float | None = None  # seconds since the customer's line began
    restarted_vent: bool = False
    threat: bool = False
    abuse: bool = False
    goto: str = ""
    venting: bool = False  # the customer's line was part of a vent
    beyond_authority: bool = False  # the customer asked for more than the trainee may give
    narration: bool = False  # the line was narration (after the call), not the customer
    shown: tuple[str, ...] = ()  # the option ids in the order the trainee saw them
    words: str | None = None  # the trainee's own words (typed or spoken), when given
    feedback: str | None = None  # the trainer's note on the option chosen, when the scenario has one
    anger_reply: float | None = None  # the anger the reply left, when the next node's own move changed it (routes were decided on this)
    distress_after: float | None = None  # the customer's distress after the turn (personas with distress only)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "node": self.node,
            "line": self.line,
            "text": self.text,
            "choice": self.choice,
            "said": self.said,
            "actions": [a.value for a in self.actions],
            "interrupted": self.interrupted,
            "anger_before": round(self.anger_before, 3),
            "anger_after": round(self.anger_after, 3),
            "elapsed": self.elapsed,
            "restarted_vent": self.restarted_vent,
            "threat": self.threat,
            "abuse": self.abuse,
            "goto": self.goto,
            "venting": self.venting,
            "beyond_authority": self.beyond_authority,
            "narration": self.narration,
            "shown": list(self.shown),
            "words": self.words,
            "feedback": self.feedback,
            "anger_reply": None if self.anger_reply is None else round(self.anger_reply, 3),
            "distress_after": None if self.distress_after is None else round(self.distress_after, 3),
        }


@dataclass(frozen=True)
class Transcript:
    """What scoring needs of a conversation: the turns, how it ended, and the anger."""

    turns: tuple[Turn, ...]
    outcome: Outcome | None = None
    anger_start: float | None = None
    anger_end: float | None = None


@dataclass(frozen=True)
class State:
    """The state of one session; the engine returns a new one for every choice."""

    scenario: str
    revision: int
    seed: int
    node: str
    anger: float
    anger_start: float
    turns: tuple[Turn, ...] = ()
    outcome: Outcome | None = None
    counts: tuple[int, ...] = field(default=(), repr=False)  # uses of each Action, by enum order
    distress: float | None = None  # the customer's distress, for personas that have one
    distress_start: float | None = None
    flags: tuple[tuple[str, int], ...] = ()  # the flags (1/0) and counters set so far, by name (sorted)
    visited: tuple[str, ...] = ()  # the nodes arrived at so far, in order of first arrival

    def value(self, name: str) -> int:
        """A flag (1 or 0) or counter, 0 until something sets it."""
        return dict(self.flags).get(name, 0)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def band(self) -> Band:
        return band_of(self.anger)

    def performed(self) -> frozenset[Action]:
        return frozenset(a for a, n in zip(Action, self.counts) if n)

    def transcript(self) -> Transcript:
        return Transcript(self.turns, self.outcome, self.anger_start, self.anger)

    @property
    def anger_trace(self) -> list[float]:
        return [self.anger_start] + [t.anger_after for t in self.turns]
