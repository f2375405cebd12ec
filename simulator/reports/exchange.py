"""Moving sessions between machines: the export document and reading it back.

An export is {"format": "defuse-sessions", "version": 1, "exported": ISO, "sessions": [...]},
each session with its turns, their commit times and the score it had. Reading streams the
file one session at a time (memory stays flat in the file's size) and checks every field
against a range (nothing in the file is trusted or executed). The score in the file is not
read: `rescored` judges each session again from its turns, so a forged total or verdict
never reaches the store.
"""
from __future__ import annotations

import codecs
import io
import json
import math
from dataclasses import replace
from datetime import datetime
from typing import Annotated, BinaryIO, Iterable, Iterator, Literal, TextIO

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from scoring import score
from simulator.actions import Action
from simulator.diagnostics import DefuseError
from simulator.model import Outcome, Turn
from simulator.store import StoredSession

__all__ = [
    "write_export",
    "read_export",
    "iter_export",
    "session_from",
    "session_doc",
    "label",
    "rescored",
    "ExchangeError",
    "EXPORT_FORMAT",
    "MAX_SESSION_BYTES",
    "MAX_TURNS",
    "MAX_TEXT",
]

EXPORT_FORMAT = "defuse-sessions"
MAX_SESSION_BYTES = 64 * 1024 * 1024  # one session's JSON; a real one is a few kilobytes
MAX_TURNS = 10_000
MAX_TEXT = 20_000  # characters of a line, an answer or a trainee's own words
MAX_ID = 200  # characters of an id (session, scenario, protocol, node, line, option)
MAX_NAME = 200  # characters of a trainee's name or a scenario title
MAX_REVISION = 10**9
MAX_SEED = 2**63 - 1
MAX_ELAPSED = 86_400.0  # seconds since a line began: a day
_CHUNK = 1 << 20


class ExchangeError(DefuseError):
    """A file that is not a readable session export, or a session in it with a bad field."""


def _utf8(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate (not text)") from None
    return text


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("holds a control character")
    return text


def _when(text: str) -> str:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("is not an ISO-8601 time") from None
    return text


def _no_controls(text: str) -> str:
    if not text.isprintable() and any(not (ch.isprintable() or ch in "\n\t") for ch in text):
        raise ValueError("holds a control character")
    return text


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_utf8), AfterValidator(_no_controls)]
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_utf8), AfterValidator(_printable)]
Ident = Annotated[str, Field(min_length=1, max_length=MAX_ID), AfterValidator(_utf8), AfterValidator(_printable)]
OptIdent = Annotated[str, Field(max_length=MAX_ID), AfterValidator(_utf8), AfterValidator(_printable)]
def _named(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty (a trainee needs a name)")
    return text


Trainee = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_utf8), AfterValidator(_printable), AfterValidator(_named)]
When = Annotated[str, Field(max_length=40), AfterValidator(_when)]
Anger = Annotated[float, Field(ge=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class _Turn(_Strict):
    index: int = Field(ge=1, le=MAX_TURNS)
    node: Ident
    line: OptIdent
    text: Text
    choice: Ident
    said: Text
    actions: list[Action] = Field(max_length=50)
    interrupted: bool
    anger_before: Anger
    anger_after: Anger
    elapsed: Annotated[float, Field(ge=0, le=MAX_ELAPSED)] | None = None
    restarted_vent: bool = False
    threat: bool = False
    abuse: bool = False
    goto: OptIdent = ""
    venting: bool = False
    beyond_authority: bool = False
    narration: bool = False
    shown: list[Ident] = Field(default_factory=list, max_length=100)
    words: Text | None = None
    feedback: Text | None = None  # the trainer's note on the option chosen


class _Session(_Strict):
    id: Ident
    trainee: Trainee
    scenario: Ident
    revision: int = Field(ge=1, le=MAX_REVISION)
    title: Name = ""
    protocol: Ident
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    mode: OptIdent = ""
    started_at: When
    ended_at: When | None = None
    outcome: Outcome | None = None
    complete: bool
    anger_start: Anger
    anger_end: Anger | None = None
    turns: list[_Turn] = Field(max_length=MAX_TURNS)
    turn_times: list[When] = Field(default_factory=list, max_length=MAX_TURNS)
    language: Annotated[str, Field(min_length=1, max_length=35), AfterValidator(_printable)] | None = None
    scenario_source: Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_utf8), AfterValidator(_printable)] | None = None
    scenario_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


def session_doc(s: StoredSession, with_score: bool = True) -> dict:
    """One session as an export holds it (its score only as a record of what it was: on
    reading, the session is scored again from its turns)."""
    doc = s.to_dict()
    doc["turn_times"] = list(s.turn_times)
    if with_score:
        doc["score"] = s.score
    return doc


def write_export(sessions: Iterable[StoredSession], out: TextIO, *, exported: str) -> int:
    """Stream the export document; returns the number of sessions written."""
    out.write(json.dumps({"format": EXPORT_FORMAT, "version": 1, "exported": exported})[:-1] + ', "sessions": [')
    n = 0
    for s in sessions:
        out.write(("," if n else "") + "\n  " + json.dumps(session_doc(s), ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


# ---------------------------------------------------------------- reading


class _Scanner:
    """Reads one JSON document from a binary stream a value at a time, keeping only what is unread."""

    def __init__(self, fh: BinaryIO, path: str):
        self.fh, self.path = fh, path
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.line_start = 1, 0  # line number of buf[0] and offset of its start (may be negative)
        self.json = json.JSONDecoder()

    def _more(self) -> bool:
        if self.eof:
            return False
        raw = self.fh.read(_CHUNK)
        try:
            text = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise ExchangeError(f"{self.path}: not a session export: the file is not UTF-8 text") from None
        if not raw:
            self.eof = True
        # drop what has been read, keeping line numbers right
        done = self.buf[: self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.line_start = done.rfind("\n") + 1
        self.line_start -= self.pos
        self.buf, self.pos = self.buf[self.pos :] + text, 0
        return bool(raw)

    def where(self, pos: int | None = None) -> tuple[int, int]:
        pos = self.pos if pos is None else pos
        before = self.buf[:pos]
        n = before.count("\n")
        if n:
            return self.line + n, pos - before.rfind("\n")
        return self.line, pos - self.line_start + 1

    def bad(self, msg: str, pos: int | None = None) -> ExchangeError:
        line, col = self.where(pos)
        return ExchangeError(f"{self.path}:{line}:{col}: not a session export: invalid JSON ({msg})")

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def take(self, ch: str, what: str) -> None:
        if self.peek() != ch:
            raise self.bad(f"Expecting {what}")
        self.pos += 1

    def value(self, limit: int = MAX_SESSION_BYTES):
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise ExchangeError(f"{self.path}: not a session export: nested too deeply") from None
            except json.JSONDecodeError as e:
                if len(self.buf) - self.pos > limit:
                    raise ExchangeError(f"{self.path}:{self.where()[0]}: not a session export: one value is over {limit // (1024 * 1024)} MiB") from None
                if self._more():
                    continue
                raise self.bad(e.msg, e.pos) from None
            if end >= len(self.buf) and not self.eof:
                # a number at the end of the buffer may go on in the next chunk
                if self._more():
                    continue
            self.pos = end
            return value


def iter_export(fh: BinaryIO, path: str) -> Iterator[tuple[int, object]]:
    """(position, raw session) for each session of an export, streamed; the header is checked
    as it comes and once more at the end (ExchangeError for a file that is not an export)."""
    sc = _Scanner(fh, path)
    header: dict = {}
    if sc.peek() != "{":
        if sc.peek() == "":
            raise ExchangeError(f"{path}: not a session export: the file is empty")
        sc.value()  # a valid JSON document that is not an object, or a located syntax error
        raise ExchangeError(f"{path}: not a session export (expected \"format\": \"{EXPORT_FORMAT}\")")
    sc.pos += 1
    n = 0
    first = True
    while True:
        if sc.peek() == "}":
            sc.pos += 1
            break
        if not first:
            sc.take(",", "',' delimiter")
        first = False
        if sc.peek() != '"':
            raise sc.bad("Expecting property name enclosed in double quotes")
        key = sc.value(limit=4096)
        sc.take(":", "':' delimiter")
        if key != "sessions":
            header[key] = sc.value(limit=1 << 16)
            _check_header(header, path, final=False)
            continue
        _check_header(header, path, final=False)
        sc.take("[", "'[' (the list of sessions)")
        if sc.peek() == "]":
            sc.pos += 1
            header["sessions"] = True
            continue
        while True:
            n += 1
            yield n, sc.value()
            if sc.peek() == ",":
                sc.pos += 1
                continue
            sc.take("]", "',' or ']'")
            break
        header["sessions"] = True
    if sc.peek() != "":
        raise sc.bad("Extra data")
    _check_header(header, path, final=True)


def _check_header(header: dict, path: str, final: bool) -> None:
    if "format" in header or final:
        if header.get("format") != EXPORT_FORMAT:
            raise ExchangeError(f"{path}: not a session export (expected \"format\": \"{EXPORT_FORMAT}\")")
    if "version" in header or final:
        if header.get("version") != 1 or isinstance(header.get("version"), bool):
            raise ExchangeError(f"{path}: bad session export at version: Input should be 1 (got {_short(header.get('version'))})")
    if final and "sessions" not in header:
        raise ExchangeError(f"{path}: bad session export at sessions: Field required")


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:39] + "…"


def label(raw: object, n: int) -> str:
    """How a message names the n-th session of a file: its position and, if it has one, its id."""
    sid = raw.get("id") if isinstance(raw, dict) else None
    return f"session {n}" + (f" ({_short(sid)})" if isinstance(sid, str) and sid else "")


def session_from(raw: object, n: int, path: str) -> StoredSession:
    """A checked session, or ExchangeError naming the session and the field."""
    name = label(raw, n)
    if not isinstance(raw, dict):
        raise ExchangeError(f"{path}: {name}: not an object")
    try:
        s = _Session.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "session"
        msg = f"unknown value {_short(err['input'])}" if err["type"] == "enum" else err["msg"].removeprefix("Value error, ")
        raise ExchangeError(f"{path}: {name}: {where}: {msg}") from None
    for i, t in enumerate(s.turns, start=1):
        if t.index != i:
            raise ExchangeError(f"{path}: {name}: turns.{i - 1}.index: is {t.index}, expected {i} (turns are numbered 1, 2, 3, ... in order)")
    if s.turn_times and len(s.turn_times) != len(s.turns):
        raise ExchangeError(f"{path}: {name}: turn_times: {len(s.turn_times)} times for {len(s.turns)} turns")
    if s.complete != (s.outcome is not None):
        raise ExchangeError(f"{path}: {name}: outcome: a finished session has an outcome and an unfinished one none")
    if s.complete and s.ended_at is None:
        raise ExchangeError(f"{path}: {name}: ended_at: a finished session has an end time")
    return _stored(s)


def rescored(session: StoredSession, protocol_of) -> StoredSession:
    """The session with its score judged again from its turns (the file's own score is never used)."""
    result = score(session.transcript(), protocol_of(session.protocol)).to_dict()
    total = float(result["total"])
    if not math.isfinite(total):  # pragma: no cover - the scorer bounds its total
        raise ExchangeError(f"session {session.id}: the score is not a number")
    return replace(session, score=result, total=total, passed=bool(result["passed"]))


def read_export(raw: bytes, path: str) -> list[StoredSession]:
    """Every session of an export held in memory (tests and small files); see `iter_export`."""
    return [session_from(doc, n, path) for n, doc in iter_export(io.BytesIO(raw), path)]


def _stored(s: _Session) -> StoredSession:
    turns = tuple(
        Turn(t.index, t.node, t.line, t.text, t.choice, t.said, tuple(t.actions), t.interrupted, t.anger_before, t.anger_after,
             t.elapsed, t.restarted_vent, t.threat, t.abuse, t.goto, t.venting, t.beyond_authority, t.narration, tuple(t.shown), t.words,
             t.feedback or None)
        for t in s.turns
    )
    return StoredSession(
        id=s.id, trainee=s.trainee, scenario=s.scenario, revision=s.revision, title=s.title, protocol=s.protocol, seed=s.seed,
        mode=s.mode, started_at=s.started_at, ended_at=s.ended_at, outcome=s.outcome, complete=s.complete,
        anger_start=s.anger_start, anger_end=s.anger_end, total=None, passed=None, score=None, turns=turns,
        turn_times=tuple(s.turn_times), language=s.language, scenario_source=s.scenario_source, scenario_hash=s.scenario_hash,
    )
