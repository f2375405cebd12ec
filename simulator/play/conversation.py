"""The role-play as the window sees it, without the window: timing, captions and choices.

`Conversation` wraps a `Recorder`. It knows when the customer's current line began and how
long it takes to say (the WAV's length when the voice is ready, else words per minute at
the persona's rate), so it can say how much of the caption to show and whether the
customer is still speaking. A choice made while they speak is passed to the engine as an
interruption, with the seconds since the line began. Times are plain numbers handed in by
the caller (a real clock in the window, a simulated one in autoplay and tests).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from itertools import islice, product

from ..engine import said
from ..model import Band, Node, Option, State, Words, band_of, spoken_text
from ..session import Recorder
from .speech import SpeechJob, voice_for

__all__ = ["Conversation", "Exchange", "speaking_time", "AngerGauge", "HISTORY"]

HISTORY = 6  # exchanges kept on screen: enough to remember, few enough to read at a glance
_PAUSE = 0.35  # a breath at the end of a line before it counts as finished


def speaking_time(text: str, words_per_minute: float) -> float:
    """Seconds to say `text` at this rate (the fallback when there is no WAV to measure)."""
    words = max(1, len(text.split()))
    return words * 60.0 / max(40.0, words_per_minute) + _PAUSE


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


_WORDINGS = 8  # wordings of one node's burst rendered ahead of time; any other is rendered when it comes


def _spoken(words) -> str:
    """What the voice says of these lines: each line's `speech`, or its caption without stage directions."""
    return " ".join(t for t in ((w.speech or spoken_text(w.text)) for w in words) if t)


def _job(words, voice) -> SpeechJob:
    return SpeechJob("+".join(w.id for w in words), _spoken(words), voice)


class Conversation:
    def __init__(self, recorder: Recorder, now: float = 0.0):
        self.recorder = recorder
        self.gauge = AngerGauge(recorder.state.anger)
        self.history: list[Exchange] = []
        self.started_at = now
        self.duration = 0.0
        self.voiced = False  # the current line's timing comes from its WAV
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
        """The customer starts the current line at `now`; `duration` is the WAV's length if known."""
        self.started_at = now
        self.voiced = duration is not None
        if self.narration:
            self.duration = 0.0  # narration is read, not spoken: nobody to interrupt
        elif duration is not None:
            self.duration = duration + _PAUSE
        else:
            rate = voice_for(self.recorder.scenario.persona.voice, self.state.anger, self.recorder.language).rate
            self.duration = speaking_time(_spoken(self.words) or self.text, rate)

    def elapsed(self, now: float) -> float:
        return max(0.0, now - self.started_at)

    def reveal(self, now: float) -> float:
        """How much of the caption is on screen, from 0 to 1, following the voice."""
        if self.duration <= 0:
            return 1.0
        return min(1.0, self.elapsed(now) / max(0.01, self.duration - _PAUSE))

    def caption(self, now: float) -> str:
        """The part of the line said so far, cut at a word boundary."""
        text = self.text
        shown = int(len(text) * self.reveal(now))
        if shown >= len(text):
            return text
        cut = text.rfind(" ", 0, shown + 1)
        return text[: max(0, cut)]

    def speaking(self, now: float) -> bool:
        """Whether the customer is still saying the current line (their last one included)."""
        return not self.narration and self.elapsed(now) < self.duration

    # -- choosing

    def choose(self, option_id: str, now: float, *, words: str | None = None, spoke_at: float | None = None) -> State:
        """Pass the trainee's choice to the engine, as an interruption if the customer is still talking.

        The engine itself exempts `listen` options, so the timing alone decides here.
        A spoken answer gives `spoke_at`, when the trainee began to speak: that, not the
        moment the words were recognised, decides whether they cut in. `words` are the
        trainee's own (typed or recognised), kept with the turn.
        Raises IllegalChoice (and changes nothing) for an option that is not offered.
        """
        node = self.node
        began = now if spoke_at is None else min(now, spoke_at)
        cut_in = self.speaking(began)
        heard = self.caption(began)
        full = self.text
        state = self.recorder.choose(option_id, interrupted=cut_in, elapsed=round(self.elapsed(began), 3), words=words)
        turn = state.turns[-1]
        who = "narration" if node.narration else "customer"
        cut_short = turn.interrupted and heard != full
        self.history.append(Exchange(who, (heard + " —") if cut_short else full))
        self.history.append(Exchange("trainee", turn.said, turn.interrupted))
        self.history = self.history[-2 * HISTORY:]
        self.gauge.target = state.anger
        self.begin_line(now)
        return state

    def update(self, dt: float) -> None:
        self.gauge.update(dt)
