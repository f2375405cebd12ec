"""The per-session record every report is built from: a stored session and its score.

`judged` pairs each session with a score (re-scored against one protocol when asked,
otherwise the score saved with it, re-scored only when none was saved); `row` flattens
one into the spreadsheet columns; `neutralise` keeps spreadsheet cells from being formulas.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator

from scoring import SCORING_VERSION, score
from simulator.diagnostics import DefuseError
from simulator.store import SessionSummary, Store, StoredSession

__all__ = ["missed_steps", "shown_order", "Judged", "judged", "row", "summary_row", "table", "COLUMNS", "FORMULA_START", "neutralise", "duration_seconds", "anger_curve"]

# One spreadsheet column per entry, in order; `row` fills them.
COLUMNS = (
    "session",
    "trainee",
    "scenario",
    "revision",
    "started_at",
    "duration_s",
    "outcome",
    "complete",
    "mode",
    "language",
    "protocol",
    "total",
    "passed",
    "coverage",
    "order",
    "conduct",
    "outcome_score",
    "anger_start",
    "anger_peak",
    "anger_end",
    "interruptions",
    "turns",
    "sequence",
    "missed",
)

# A spreadsheet reads a cell starting with one of these as a formula (or a DDE call).
FORMULA_START = frozenset(("=", "+", "-", "@", "\t", "\r"))


def missed_steps(score: dict) -> list[str]:
    """The protocol steps a session did not perform (a step that did not apply is not missed)."""
    return [st["id"] for st in score["steps"] if not st["performed"] and st.get("applicable", True) is not False]


def shown_order(order: float | None, sequence) -> float | None:
    """The order component as a report shows it: none when fewer than two steps were done,
    since one step cannot be out of order and a 1.00 there would flatter the session."""
    return None if order is None or len(sequence) < 2 else order


def neutralise(value):
    """Text that a spreadsheet will show as text: a leading formula character gets a quote."""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value


@dataclass(frozen=True)
class Judged:
    session: StoredSession
    score: dict  # Score.to_dict()

    @property
    def passed(self) -> bool:
        return bool(self.score["passed"])


def judged(sessions: Iterable[StoredSession], protocol_of: Callable[[str], object], override=None, problems: list[str] | None = None) -> Iterator[Judged]:
    """Each session with its score: against `override` if given, else the stored score when it
    was saved under the current scoring rules, else re-scored from its turns.

    A session that cannot be judged (its protocol is not installed, a number in it is not
    finite) is left out and described in `problems`, so one bad row never takes a report down;
    without a `problems` list the error is raised."""
    for s in sessions:
        try:
            j = _judge(s, protocol_of, override)
        except (DefuseError, ValueError, TypeError, KeyError, OverflowError) as e:
            if problems is None:
                raise
            problems.append(f"session {printable(s.id)} ({printable(s.trainee)}, {printable(s.scenario)}) left out of the report: {printable(str(e).splitlines()[0] if str(e) else type(e).__name__)}")
            continue
        yield j


def _judge(s: StoredSession, protocol_of, override) -> Judged:
    numbers = [s.anger_start, *(a for t in s.turns for a in (t.anger_before, t.anger_after))]
    if s.anger_end is not None:
        numbers.append(s.anger_end)
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in numbers):
        raise ValueError("an anger value is not a finite number")
    if override is not None:
        return Judged(s, score(s.transcript(), override).to_dict())
    if s.score is not None and s.score.get("scoring_version") == SCORING_VERSION:
        return Judged(s, s.score)
    return Judged(s, score(s.transcript(), protocol_of(s.protocol)).to_dict())


def unusable(sm: SessionSummary) -> str | None:
    """Why a summary row cannot be reported (a number in it is not finite), or None."""
    if all(x is None or math.isfinite(x) for x in (sm.anger_start, sm.anger_end, sm.anger_peak, sm.total)):
        return None
    return f"session {printable(sm.id)} ({printable(sm.trainee)}, {printable(sm.scenario)}) left out of the report: an anger value is not a finite number"


def printable(text) -> str:
    """Text for one terminal line: control characters escaped."""
    text = str(text)
    return text if text.isprintable() else "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration_seconds(s: StoredSession) -> float | None:
    """Seconds from start to the end (or to the last committed turn of an unfinished session)."""
    return _seconds(s.started_at, s.ended_at or (s.turn_times[-1] if s.turn_times else None))


def _seconds(start_text: str, end_text: str | None) -> float | None:
    start, end = _parse(start_text), _parse(end_text)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def anger_curve(s: StoredSession) -> list[float]:
    return [s.anger_start] + [t.anger_after for t in s.turns]


def row(j: Judged) -> dict:
    """One session as spreadsheet cells, keyed by COLUMNS (not yet neutralised)."""
    return summary_row(summary_of(j))


def summary_of(j: Judged) -> SessionSummary:
    """A session read in full, with its score, as the flat record the store keeps in columns:
    so a re-scored or unsaved session and a saved one become cells by the same code."""
    s, sc = j.session, j.score
    curve = anger_curve(s)
    c = sc["components"]
    return SessionSummary(
        id=s.id,
        trainee=s.trainee,
        scenario=s.scenario,
        revision=s.revision,
        title=s.title,
        protocol=sc["protocol"],
        started_at=s.started_at,
        ended_at=s.ended_at,
        outcome=s.outcome,
        complete=s.complete,
        anger_start=curve[0],
        anger_end=s.anger_end if s.anger_end is not None else curve[-1],
        total=sc["total"],
        passed=bool(sc["passed"]),
        components={k: c.get(k) for k in ("coverage", "order", "conduct", "outcome")},
        sequence=tuple(sc["sequence"]),
        scored=True,
        turn_count=len(s.turns),
        anger_peak=max(curve),
        interruptions=sum(1 for t in s.turns if t.interrupted),
        last_turn_at=s.turn_times[-1] if s.turn_times else None,
        mode=s.mode,
        missed=tuple(missed_steps(sc)),
        language=s.language,
    )


def summary_row(sm: SessionSummary) -> dict:
    """One session as spreadsheet cells, keyed by COLUMNS (not yet neutralised), from its flat
    record: as the store keeps it (the fast path) or as `summary_of` makes it from a full session."""
    dur = _seconds(sm.started_at, sm.ended_at or sm.last_turn_at)
    c = sm.components
    return {
        "session": sm.id,
        "trainee": sm.trainee,
        "scenario": sm.scenario,
        "revision": sm.revision,
        "started_at": sm.started_at,
        "duration_s": None if dur is None else round(dur, 1),
        "outcome": sm.outcome.value if sm.outcome else "incomplete",
        "complete": sm.complete,
        "mode": sm.mode,
        "language": sm.language or "",
        "protocol": sm.protocol,
        "total": sm.total,
        "passed": bool(sm.passed),
        "coverage": c["coverage"],
        "order": shown_order(c["order"], sm.sequence),
        "conduct": c["conduct"],
        "outcome_score": c["outcome"],
        "anger_start": round(sm.anger_start, 2),
        "anger_peak": round(sm.anger_peak, 2),
        "anger_end": round(sm.anger_end, 2) if sm.anger_end is not None else None,
        "interruptions": sm.interruptions,
        "turns": sm.turn_count,
        "sequence": " > ".join(sm.sequence),
        "missed": ", ".join(sm.missed),
    }


def table(store: Store, protocol_of: Callable[[str], object], *, override=None, verdict: bool | None = None, problems: list[str] | None = None, **filters) -> Iterator[dict]:
    """Spreadsheet rows for the matching sessions, streamed.

    With saved scores (the usual case) rows come from `Store.summaries`, with no turns or
    feedback read; a session without a saved score, or every session when re-scoring
    against `override`, is read in full and scored.
    """
    if override is not None:
        for j in judged(store.find(**filters), protocol_of, override, problems):
            if verdict is None or j.passed == verdict:
                yield row(j)
        return
    for sm in store.summaries(scoring_version=SCORING_VERSION, **filters):
        if problems is not None and (why := unusable(sm)):
            problems.append(why)
            continue
        if sm.scored:
            if verdict is None or bool(sm.passed) == verdict:
                yield summary_row(sm)
            continue
        for j in judged([store.get(sm.id)], protocol_of, None, problems):
            if verdict is None or j.passed == verdict:
                yield row(j)
