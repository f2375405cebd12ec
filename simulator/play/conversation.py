"""The role-play as both front ends see it: timing, captions, interruptions and the history.

`Conversation` wraps a `Recorder` and is the one session driver of the window and the
terminal: each of them hands it the moment something happened (a real clock when a person
plays, a simulated one in autoplay and tests) and it decides everything that depends on
time, so the same answer at the same moment is the same turn in either.

How long the customer speaks has one rule: their voice's rate at the current anger band
(angrier is faster, as the rendered voice is), one word after another with a breath at
punctuation (`Delivery`). When the window has the line's WAV, the same words are spread
over its length instead. A trainer's `pace` (terminal `--pace`) replaces the rate.

An answer given while the customer speaks is passed to the engine as an interruption, with
the seconds since the line began; the engine itself exempts keeping quiet. When the trainee
keeps quiet while the customer speaks, the customer finishes the line: the next line
begins when this one ends, and until then `caption` and `line_text` give the rest of it.

When the session store fails mid-session (disk full, locked by another program, damaged),
the turn is taken all the same and `fault` says what failed and what was kept: the front end
asks the trainee whether to go on without saving (`go_on_unsaved`) or to stop there (the
session in the store keeps the turns saved before, marked incomplete).
"""
from __future__ import annotations

import bisect
import math
import re
import sqlite3
from dataclasses import dataclass

from itertools import islice, product

from ..engine import said
from ..model import Band, Node, Option, State, Words, band_of, spoken_text
from ..session import Recorder
from ..store import store_problem
from .speech import SpeechJob, voice_for

__all__ = [
    "Conversation", "Delivery", "Exchange", "speaking_rate", "speaking_time", "word_delays", "AngerGauge", "HISTORY",
    "StoreFault", "begin_session", "saving_note", "kept_note",
]

HISTORY = 6  # exchanges kept on screen: enough to remember, few enough to read at a glance
_BREATH = 0.35  # after a voiced line, a breath before it counts as finished

# A full stop is a breath; a comma a shorter one. Measured in words of the same pace.
_PAUSE_AFTER = ((re.compile(r"[.!?\u2026]+[\"')\]]*$"), 1.0), (re.compile(r"[,;:\-\u2013\u2014]+[\"')\]]*$"), 0.4))


def speaking_rate(voice, anger: float, language: str | None = None, pace: float | None = None) -> float:
    """Words a minute the customer speaks at: the persona's voice at this anger (by band,
    faster the angrier), or `pace` when a trainer set one (0: each line at once)."""
    if pace is not None:
        return max(0.0, float(pace))
    return float(voice_for(voice, anger, language).rate)


def word_delays(words: list[str] | tuple[str, ...], wpm: float) -> list[float]:
    """Seconds from each word to the next (or to the end of the line), with pauses at punctuation."""
    if wpm <= 0:
        return [0.0] * len(words)
    base = 60.0 / wpm
    out = []
    for w in words:
        extra = next((k for rx, k in _PAUSE_AFTER if rx.search(w)), 0.0)
        out.append(base * (1.0 + extra))
    return out


@dataclass(frozen=True)
class Delivery:
    """One caption as the customer says it: its words, when each begins (seconds from the
    start of the line) and when the whole is over. Stage directions in brackets are shown
    but take no time (the voice does not say them)."""

    text: str
    words: tuple[str, ...]
    ends: tuple[int, ...]  # where each word ends in `text`
    onsets: tuple[float, ...]
    length: float

    @classmethod
    def spoken(cls, text: str, wpm: float) -> "Delivery":
        found = list(re.finditer(r"\S+", text))
        words = tuple(m.group() for m in found)
        delays = word_delays(words, wpm)
        depth, unsaid = 0, []
        for i, w in enumerate(words):  # "(sighs)" is read, not said
            opened = depth > 0 or w.startswith("(")
            depth = max(0, depth + w.count("(") - w.count(")"))
            if opened:
                unsaid.append(i)
        if len(unsaid) < len(words):  # a line of nothing but directions takes the time to read it
            for i in unsaid:
                delays[i] = 0.0
        onsets, t = [], 0.0
        for d in delays:
            onsets.append(t)
            t += d
        return cls(text, words, tuple(m.end() for m in found), tuple(onsets), t)

    @classmethod
    def read(cls, text: str) -> "Delivery":
        """Narration: all of it at once, and nobody to interrupt."""
        return cls.spoken(text, 0.0)

    def fitted(self, seconds: float) -> "Delivery":
        """The same words spread over a recording `seconds` long (then a breath)."""
        scale = seconds / self.length if self.length > 0 else 0.0
        return Delivery(self.text, self.words, self.ends, tuple(t * scale for t in self.onsets), max(0.0, seconds) + _BREATH)

    def said(self, elapsed: float) -> int:
        """How many words have been said `elapsed` seconds into the line."""
        if elapsed >= self.length:
            return len(self.words)
        return bisect.bisect_right(self.onsets, elapsed)

    def caption(self, elapsed: float) -> str:
        """The text said so far, whole words only (a burst keeps its line breaks)."""
        n = self.said(elapsed)
        return self.text if n >= len(self.words) else self.text[: self.ends[n - 1] if n else 0]

    def new_line(self, i: int) -> bool:
        """Whether word `i` begins a new line of the caption (the next line of a burst)."""
        return 0 < i < len(self.words) and "\n" in self.text[self.ends[i - 1] : self.ends[i]]


def speaking_time(text: str, words_per_minute: float) -> float:
    """Seconds to say `text` at this rate (the line's length when there is no WAV to measure)."""
    return Delivery.spoken(text, words_per_minute).length


@dataclass(frozen=True)
class Exchange:
    """One entry in the visible history: who spoke and what they said."""

    speaker: str  # "customer" | "trainee" | "narration"
    text: str
    interrupted: bool = False


class AngerGauge:
    """The anger shown on screen: eases toward the engine's value instead of jumping."""

    def __init__(self, anger: float, half_life: float = 0.3):
        self.shown = float(anger)
        self.target = float(anger)
        self.half_life = half_life

    def update(self, dt: float) -> None:
        k = 1.0 - math.pow(0.5, max(0.0, dt) / self.half_life)
        self.shown += (self.target - self.shown) * k
        if abs(self.target - self.shown) < 0.05:
            self.shown = self.target

    @property
    def settled(self) -> bool:
        return self.shown == self.target

    @property
    def band(self) -> Band:
        return band_of(self.shown)


@dataclass(frozen=True)
class StoreFault:
    """The session store failed while a turn was being saved: what failed, and what it keeps."""

    turn: int  # the turn being saved (or the session being closed after it) when the store failed; 0: the session being begun
    saved: int  # the turns the store keeps for this session, marked incomplete
    reason: str  # why, in one line (`store_problem`)

    @property
    def line(self) -> str:
        """What failed and what was kept, in one line."""
        if self.turn == 0:
            return f"the session store failed as the session began: {self.reason}; nothing of it is saved"
        if self.saved == self.turn:
            kept = "the turn so far is saved" if self.saved == 1 else f"the {self.saved} turns so far are saved"
        elif self.saved:
            kept = "the turn before it is saved" if self.saved == 1 else f"the {self.saved} turns before it are saved"
        else:
            kept = "the session is kept without any turn"
        return f"the session store failed at turn {self.turn}: {self.reason}; {kept}, marked incomplete"


def begin_session(scenario, protocol, store, **details) -> tuple[Recorder, StoreFault | None]:
    """A recorder for a new session (`details` as Recorder takes them). When the store fails to
    begin it (disk full, a lock held too long), a recorder that saves nothing, and the fault:
    the front end says what failed and asks whether to go on without saving, as it does when the
    store fails mid-session."""
    try:
        return Recorder(scenario, protocol, store=store, **details), None
    except sqlite3.Error as e:
        recorder = Recorder(scenario, protocol, store=None, **details)
        recorder.detach()
        return recorder, StoreFault(0, 0, store_problem(e))


def saving_note(recorder: Recorder) -> str:
    """Whether the session was saved, for the end of a debrief."""
    if recorder.detached:
        n = recorder.unsaved_after
        if recorder.session_id is None:
            return "Session not saved: the session store failed as it began."
        if not n:
            return "Session not saved: the session store failed before its first turn was saved."
        kept = "its first turn is" if n == 1 else f"its first {n} turns are"
        return f"Session not saved after turn {n}: the session store failed ({kept} kept, marked incomplete)."
    return "Session saved." if recorder.session_id else "Session not saved (--no-save)."


def kept_note(recorder: Recorder) -> str:
    """What the store keeps of a session left unfinished."""
    if recorder.detached:
        n = recorder.unsaved_after
        if recorder.session_id is None:
            return "the session store failed as it began: nothing of it is saved"
        kept = "no turn is saved" if not n else ("only its first turn is saved" if n == 1 else f"only its first {n} turns are saved")
        return f"the session store failed: {kept}, marked incomplete"
    return "the session is saved as incomplete" if recorder.session_id else "the session was not saved (--no-save)"


_WORDINGS = 8  # wordings of one node's burst rendered ahead of time; any other is rendered when it comes


def _spoken(words) -> str:
    """What the voice says of these lines: each line's `speech`, or its caption without stage directions."""
    return " ".join(t for t in ((w.speech or spoken_text(w.text)) for w in words) if t)


def _job(words, voice) -> SpeechJob:
    return SpeechJob("+".join(w.id for w in words), _spoken(words), voice)


class Conversation:
    def __init__(self, recorder: Recorder, now: float = 0.0, pace: float | None = None):
        self.recorder = recorder
        self.pace = pace
        self.gauge = AngerGauge(recorder.state.anger)
        self.history: list[Exchange] = []
        self.started_at = now
        self.delivery = Delivery.read("")
        self.voiced = False  # the current line's timing comes from its WAV
        self.tail: tuple[Delivery, float] | None = None  # the last line, still being finished, and when it began
        self._resume = now  # the next line may not begin before this (the customer finishing theirs)
        self.fault: StoreFault | None = None  # the store failed on the last turn: go on without saving, or stop?
        self.begin_line(now)

    # -- the current line

    @property
    def state(self) -> State:
        return self.recorder.state

    @property
    def node(self) -> Node:
        return self.recorder.scenario.node(self.state.node)

    @property
    def options(self) -> list[Option]:
        return self.recorder.options

    @property
    def finished(self) -> bool:
        return self.recorder.finished

    @property
    def narration(self) -> bool:
        return self.node.narration

    @property
    def words(self) -> tuple[Words, ...]:
        """The customer's lines now (the node's line and its burst), in this session's wording."""
        return said(self.recorder.scenario, self.state)

    @property
    def text(self) -> str:
        """The whole caption: the lines of a burst one under another, stage directions included."""
        return "\n".join(w.text for w in self.words)

    @property
    def line_id(self) -> str:
        return "+".join(w.id for w in self.words)

    @property
    def silent(self) -> bool:
        """Nothing to say aloud: narration, or a line that is all stage directions."""
        return self.narration or not _spoken(self.words)

    @property
    def duration(self) -> float:
        """Seconds the current line takes, breath included (0 for narration)."""
        return self.delivery.length

    @property
    def rate(self) -> float:
        """Words a minute the customer speaks at now."""
        sc = self.recorder.scenario
        return speaking_rate(sc.persona.voice, self.state.anger, self.recorder.language, self.pace)

    def speech_job(self) -> SpeechJob:
        return _job(self.words, voice_for(self.recorder.scenario.persona.voice, self.state.anger, self.recorder.language))

    def speech_jobs(self) -> list[SpeechJob]:
        """Every customer line of the scenario at its starting band, then the other bands
        (each wording of a line with variants; stage directions are never spoken)."""
        sc = self.recorder.scenario
        start = sc.persona.anger
        order = sorted((12.0, 37.0, 62.0, 87.0), key=lambda a: abs(a - start))
        jobs = []
        for anger in [start] + order:
            voice = voice_for(sc.persona.voice, anger, self.recorder.language)
            for n in sc.nodes:
                if n.narration:
                    continue
                for words in islice(product(*(line.wordings() for line in (n.line, *n.burst))), _WORDINGS):
                    if _spoken(words):
                        jobs.append(_job(words, voice))
        return list(dict.fromkeys(jobs))

    def begin_line(self, now: float, duration: float | None = None) -> None:
        """The customer starts the current line at `now` (or once they have finished the last
        one, if that is later); `duration` is the WAV's length when the window has it."""
        self.started_at = max(now, self._resume)
        self.voiced = duration is not None
        text = self.text
        if self.narration:
            self.delivery = Delivery.read(text)  # read, not spoken: nobody to interrupt
        else:
            spoken = Delivery.spoken(text, self.rate)
            self.delivery = spoken.fitted(duration) if duration is not None else spoken

    def elapsed(self, now: float) -> float:
        return max(0.0, now - self.started_at)

    def finishing(self, now: float) -> bool:
        """Whether the customer is still finishing the line before this one."""
        return self.tail is not None and now < self.started_at

    def line_text(self, now: float) -> str:
        """The whole line being said at `now` (the last one while they finish it)."""
        return self.tail[0].text if self.finishing(now) else self.text

    def reveal(self, now: float) -> float:
        """How much of the current line has been said, from 0 to 1."""
        words = self.delivery.words
        return 1.0 if not words else self.delivery.said(self.elapsed(now)) / len(words)

    def caption(self, now: float) -> str:
        """The words said so far of the line being said at `now`, whole words only."""
        if self.finishing(now):
            delivery, began = self.tail
            return delivery.caption(now - began)
        return self.delivery.caption(self.elapsed(now))

    def speaking(self, now: float) -> bool:
        """Whether the customer is still talking (their last line included)."""
        return self.finishing(now) or (not self.narration and self.elapsed(now) < self.duration)

    # -- choosing

    def choose(self, option_id: str, now: float, *, words: str | None = None, spoke_at: float | None = None) -> State:
        """Pass the trainee's choice to the engine, as an interruption if the customer is still talking.

        The engine itself exempts `listen` options, so the timing alone decides here.
        A spoken answer gives `spoke_at`, when the trainee began to speak: that, not the
        moment the words were recognised, decides whether they cut in. `words` are the
        trainee's own (typed or recognised), kept with the turn. Keeping quiet while the
        customer speaks lets them finish: the next line begins when this one ends.
        Raises IllegalChoice (and changes nothing) for an option that is not offered.
        """
        node, delivery, began_line = self.node, self.delivery, self.started_at
        began = now if spoke_at is None else min(now, spoke_at)
        cut_in = self.speaking(began)
        heard = self.caption(began)
        finishing = self.finishing(began)
        full = self.text
        taken = len(self.state.turns)
        try:
            state = self.recorder.choose(option_id, interrupted=cut_in, elapsed=round(self.elapsed(began), 3), words=words)
        except sqlite3.Error as e:
            state = self.recorder.state
            if len(state.turns) == taken:  # nothing was taken (the store cannot have been asked): not ours to judge
                raise
            # the turn was taken, then the store failed saving it (or closing the session after it)
            self.fault = StoreFault(len(state.turns), self.recorder.saved, store_problem(e))
        turn = state.turns[-1]
        who = "narration" if node.narration else "customer"
        cut_short = turn.interrupted and not finishing and heard != full
        self.history.append(Exchange(who, (heard + " —") if cut_short else full))
        self.history.append(Exchange("trainee", turn.said, turn.interrupted))
        self.history = self.history[-2 * HISTORY:]
        self.gauge.target = state.anger
        if cut_in and not turn.interrupted and not finishing:
            self.tail = (delivery, began_line)
            self._resume = began_line + delivery.length
        elif not (cut_in and not turn.interrupted):
            self.tail = None  # cutting in stops them; an answer after the line needs no tail
            self._resume = now
        self.begin_line(now)
        return state

    def go_on_unsaved(self) -> None:
        """The trainee's answer to a store fault: carry on, writing nothing further."""
        self.fault = None
        self.recorder.detach()

    def update(self, dt: float) -> None:
        self.gauge.update(dt)
