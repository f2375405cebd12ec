"""A stored session as values (`StoredSession`, `SessionSummary`), and the codecs between
those values and the rows of the sessions and turns tables: the part of the store every other
part shares."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

import orjson

from ..model import Outcome, Transcript, Turn

__all__ = [
    "StoredSession", "SessionSummary", "utc_now", "fold_name", "SCRIPTED_MODES", "MODES",
    "SEP", "SESSION_COLUMNS", "TURN_COLUMNS", "TURN_INSERT", "turn_row", "score_columns", "fault_columns", "saved_score", "verdict_columns",
]

# How a session was played (`sessions.mode`): scripted runs (`defuse run`, the window's
# autoplay) are not practice and stay out of a class's figures unless asked for.
SCRIPTED_MODES = ("scripted", "autoplay")
MODES = ("practice", "scripted", "all")

SEP = "\x1f"  # between the step ids of the `sequence` column (a character no step id can hold)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def fold_name(name: str) -> str:
    """A trainee name as the filters compare it: no surrounding space, case folded."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class StoredSession:
    id: str
    trainee: str
    scenario: str
    revision: int
    title: str
    protocol: str
    seed: int
    mode: str
    started_at: str
    ended_at: str | None
    outcome: Outcome | None
    complete: bool
    anger_start: float
    anger_end: float | None
    total: float | None
    passed: bool | None
    score: dict | None
    turns: tuple[Turn, ...]
    turn_times: tuple[str, ...] = ()  # when each turn was committed (ISO-8601 UTC)
    language: str | None = None  # the language it was played in (None: the scenario's own)
    scenario_source: str | None = None  # the file it was played from: `bundled:FILE` or a path
    scenario_hash: str | None = None  # sha256 of that file's bytes

    def transcript(self) -> Transcript:
        end = self.anger_end if self.anger_end is not None else (self.turns[-1].anger_after if self.turns else self.anger_start)
        return Transcript(self.turns, self.outcome, self.anger_start, end)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "trainee": self.trainee,
            "scenario": self.scenario,
            "revision": self.revision,
            "title": self.title,
            "protocol": self.protocol,
            "seed": self.seed,
            "mode": self.mode,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome.value if self.outcome else None,
            "complete": self.complete,
            "anger_start": self.anger_start,
            "anger_end": self.anger_end,
            "total": self.total,
            "passed": self.passed,
            "language": self.language,
            "scenario_source": self.scenario_source,
            "scenario_hash": self.scenario_hash,
            "turns": [t.to_dict() for t in self.turns],
        }

    @property
    def completeness(self) -> tuple[int, int, int]:
        """Orders two copies of one session: finished beats unfinished, then more turns, then closed."""
        return (int(self.complete), len(self.turns), int(self.ended_at is not None))


class SessionSummary(NamedTuple):
    """One session as a flat record (no turns, no saved feedback): what a spreadsheet row needs."""

    id: str
    trainee: str
    scenario: str
    revision: int
    title: str
    protocol: str
    started_at: str
    ended_at: str | None
    outcome: Outcome | None
    complete: bool
    anger_start: float
    anger_end: float | None
    total: float | None
    passed: bool | None
    components: dict
    sequence: tuple[str, ...]
    scored: bool  # False: no saved score; read the full session to score it
    turn_count: int
    anger_peak: float
    interruptions: int
    last_turn_at: str | None
    mode: str = ""
    missed: tuple[str, ...] = ()  # the saved score's steps not performed (and not left out as not applying)
    mistakes: tuple[str, ...] = ()  # its kinds of feedback, "kind:step", each once
    language: str | None = None  # the language it was played in (None: the scenario's own)


def fault_columns(score: dict | None) -> tuple[str | None, str | None]:
    """The steps a score counts as missed, and its kinds of feedback ("kind:step", once each)."""
    if not score:
        return (None, None)
    missed = "".join(
        st["id"] + SEP for st in score.get("steps", []) if not st.get("performed") and st.get("applicable", True) is not False
    )
    kinds = dict.fromkeys(f"{f.get('kind', 'step')}:{f.get('step') or ''}" for f in score.get("feedback", []))
    return missed, "".join(k + SEP for k in kinds)


def saved_score(text: str | None) -> dict | None:
    """A saved score, or None (to be scored again from the turns) when it is missing or unreadable."""
    if not text:
        return None
    try:
        score = orjson.loads(text)  # a report reads every session's score: orjson is several times faster
    except (ValueError, RecursionError):
        return None
    if not isinstance(score, dict) or not isinstance(score.get("passed"), bool) or not isinstance(score.get("protocol"), str):
        return None
    total = score.get("total")
    if isinstance(total, bool) or not isinstance(total, (int, float)) or not (0 <= total <= 100):  # also refuses NaN
        return None
    components = score.get("components")
    if not isinstance(components, dict) or not all(v is None or (isinstance(v, (int, float)) and 0 <= v <= 1) for v in components.values()):
        return None
    if not isinstance(score.get("steps"), list) or not isinstance(score.get("sequence"), list) or not isinstance(score.get("feedback"), list):
        return None
    for step in score["steps"]:
        if not isinstance(step, dict) or not isinstance(step.get("id"), str) or not isinstance(step.get("title"), str):
            return None
        turn = step.get("turn")
        if step.get("performed") and (isinstance(turn, bool) or not isinstance(turn, int)):
            return None  # a step performed at no turn
    return score


def verdict_columns(score: dict | None) -> tuple[float | None, int | None]:
    """The `total` and `passed` columns of a session with this saved score (None, None without one).

    The verdict has one source, the score itself: the columns only mirror it, so that a listing,
    a filter and a report read the same verdict from them as from the score."""
    if not score:
        return (None, None)
    return (score["total"], int(bool(score["passed"])))


def score_columns(score: dict | None) -> tuple:
    """The score's components and step sequence, as the sessions table keeps them."""
    if not score:
        return (None, None, None, None, None)
    c = score.get("components", {})
    return (c.get("coverage"), c.get("order"), c.get("conduct"), c.get("outcome"), "".join(step + SEP for step in score.get("sequence", [])))


# The columns a session is read from, in the order `Reading._session` takes them.
SESSION_COLUMNS = (
    "id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete,"
    " anger_start, anger_end, total, passed, score_json, language, scenario_source, scenario_hash"
)

TURN_COLUMNS = (
    "session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after,"
    " elapsed, restarted_vent, threat, abuse, goto, at, venting, beyond_authority, narration, shown, words, feedback"
)
TURN_INSERT = f"INSERT INTO turns ({TURN_COLUMNS}) VALUES ({','.join('?' * 23)})"


def turn_row(session_id: str, turn: Turn, at: str) -> tuple:
    return (
        session_id,
        turn.index,
        turn.node,
        turn.line,
        turn.text,
        turn.choice,
        turn.said,
        json.dumps([a.value for a in turn.actions]),
        int(turn.interrupted),
        turn.anger_before,
        turn.anger_after,
        turn.elapsed,
        int(turn.restarted_vent),
        int(turn.threat),
        int(turn.abuse),
        turn.goto,
        at,
        int(turn.venting),
        int(turn.beyond_authority),
        int(turn.narration),
        json.dumps(list(turn.shown)),
        turn.words,
        turn.feedback,
    )
