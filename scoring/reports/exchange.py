"""Moving sessions between machines: the export document and reading it back.

An export is {"format": "defuse-sessions", "version": 1, "exported": ISO, "sessions": [...]},
each session with its turns, their commit times and its saved score. Reading checks every
field (nothing in the file is trusted or executed) and gives StoredSession values, which
`Store.merge` adds without duplicates.
"""
from __future__ import annotations

import json
from typing import Iterable, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.actions import Action
from simulator.diagnostics import DefuseError
from simulator.model import Outcome, Turn
from simulator.store import StoredSession

__all__ = ["write_export", "read_export", "ExchangeError", "EXPORT_FORMAT", "MAX_IMPORT_BYTES"]

EXPORT_FORMAT = "defuse-sessions"
MAX_IMPORT_BYTES = 512 * 1024 * 1024


class ExchangeError(DefuseError):
    """A file that is not a readable session export."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Turn(_Strict):
    index: int = Field(ge=1)
    node: str
    line: str
    text: str
    choice: str
    said: str
    actions: list[Action]
    interrupted: bool
    anger_before: float
    anger_after: float
    elapsed: float | None = None
    restarted_vent: bool = False
    threat: bool = False
    abuse: bool = False
    goto: str = ""
    venting: bool = False
    beyond_authority: bool = False
    narration: bool = False
    shown: list[str] = Field(default_factory=list)
    words: str | None = None


class _Step(_Strict):
    id: str
    title: str
    critical: bool
    performed: bool
    turn: int | None = None
    applicable: bool = True
    status: Literal["met", "missed", "lost", "kept", "broken", "not needed"] | None = None
    kind: Literal["do", "avoid"] = "do"
    at: int | None = None


class _Feedback(_Strict):
    step: str | None = None
    turn: int | None = None
    message: str
    kind: Literal["step", "order", "conduct", "safety", "outcome"] = "step"


class _Score(_Strict):
    """A saved score: typed, because its numbers land in spreadsheet cells and LRS results."""

    protocol: str
    total: float = Field(ge=0, le=100)
    passed: bool
    pass_mark: float = Field(ge=0, le=100)
    components: dict[Literal["coverage", "order", "conduct", "outcome"], float | None]
    steps: list[_Step]
    feedback: list[_Feedback]
    safety_broken: bool = False
    critical_missed: list[str] = Field(default_factory=list)
    sequence: list[str]
    ending_accepted: bool = True
    scoring_version: int | None = None


class _Session(_Strict):
    id: str = Field(min_length=1, max_length=100)
    trainee: str
    scenario: str
    revision: int
    title: str = ""
    protocol: str
    seed: int = 0
    mode: str = ""
    started_at: str
    ended_at: str | None = None
    outcome: Outcome | None = None
    complete: bool
    anger_start: float
    anger_end: float | None = None
    total: float | None = None
    passed: bool | None = None
    score: _Score | None = None
    turns: list[_Turn]
    turn_times: list[str] = Field(default_factory=list)
    language: str | None = Field(None, max_length=35)


class _Export(_Strict):
    format: Literal["defuse-sessions"]
    version: Literal[1]
    sessions: list[_Session]


def _doc(s: StoredSession) -> dict:
    doc = s.to_dict()
    doc["turn_times"] = list(s.turn_times)
    doc["score"] = s.score
    return doc


def write_export(sessions: Iterable[StoredSession], out: TextIO, *, exported: str) -> int:
    """Stream the export document; returns the number of sessions written."""
    out.write(json.dumps({"format": EXPORT_FORMAT, "version": 1, "exported": exported})[:-1] + ', "sessions": [')
    n = 0
    for s in sessions:
        out.write(("," if n else "") + "\n  " + json.dumps(_doc(s), ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


def read_export(raw: bytes, path: str) -> list[StoredSession]:
    """The sessions of an export file, or ExchangeError with one line saying what is wrong."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExchangeError(f"{path}: not a session export: the file is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ExchangeError(f"{path}:{e.lineno}:{e.colno}: not a session export: invalid JSON ({e.msg})") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ExchangeError(f"{path}: not a session export (expected \"format\": \"{EXPORT_FORMAT}\")")
    try:
        doc = _Export.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = f"unknown value {err['input']!r}" if err["type"] == "enum" else err["msg"]
        raise ExchangeError(f"{path}: bad session export at {where}: {msg}") from None
    return [_stored(s) for s in doc.sessions]


def _stored(s: _Session) -> StoredSession:
    turns = tuple(
        Turn(t.index, t.node, t.line, t.text, t.choice, t.said, tuple(t.actions), t.interrupted, t.anger_before, t.anger_after,
             t.elapsed, t.restarted_vent, t.threat, t.abuse, t.goto, t.venting, t.beyond_authority, t.narration, tuple(t.shown), t.words)
        for t in s.turns
    )
    return StoredSession(
        id=s.id, trainee=s.trainee, scenario=s.scenario, revision=s.revision, title=s.title, protocol=s.protocol, seed=s.seed,
        mode=s.mode, started_at=s.started_at, ended_at=s.ended_at, outcome=s.outcome, complete=s.complete,
        anger_start=s.anger_start, anger_end=s.anger_end, total=s.total, passed=s.passed,
        score=s.score.model_dump() if s.score is not None else None, turns=turns,
        turn_times=tuple(s.turn_times), language=s.language,
    )
