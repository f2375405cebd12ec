"""pocketsphinx, listening only for the options on screen.

The US-English acoustic model and dictionary come inside the pocketsphinx wheel; nothing is
downloaded. Audio is fed frame by frame while the trainee speaks, so little is left to do
when they stop. A result below `CONFIDENT` is not taken: the trainee is asked to say it
again or use the keys. Confidence is how much of the utterance the recognised words
account for: speech from outside the grammar (another sentence, noise) is matched, if at
all, by a word or two with the rest left as filler. Four or more words in a row that
start an option are taken as confident whatever follows (a long answer said in part).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from ..answers import Verdict
from .grammar import build_jsgf, interpret, words_of

__all__ = ["Recogniser", "Result", "CONFIDENT"]

CONFIDENT = 0.45  # share of the utterance that must be recognised words
_LONG = 4  # this many words of one option are not chance


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    option: str | None  # CHOSEN: the option
    candidates: tuple[str, ...]  # CLOSE: the options the words could start
    words: str  # what was recognised ("" if nothing)
    confidence: float  # 0-1
    seconds: float  # seconds spent finishing the utterance (after the trainee stopped)


class Recogniser:
    def __init__(self):
        from pocketsphinx import Decoder  # only in the listening worker: its model takes a while to load

        # no bestpath lattice: its posterior would judge confidence, but it costs seconds at
        # the end of a long answer, exactly when the trainee is waiting
        self._dec = Decoder(samprate=16000, lm=None, loglevel="FATAL", bestpath=False)
        self._options: tuple[tuple[str, str], ...] | None = None  # none yet: the first use() always sets a grammar
        self._grammars: dict[tuple, str] = {}
        self._live = False
        self._cmn = ""

    def known(self, word: str) -> bool:
        return self._dec.lookup_word(word) is not None

    def use(self, options: Sequence[tuple[str, str]]) -> None:
        """Listen for these (id, text) options from the next utterance on."""
        options = tuple((str(i), str(t)) for i, t in options)
        if options == self._options:
            return
        self.cancel()
        name = self._grammars.get(options)
        if name is None:
            name = f"g{len(self._grammars)}"
            self._dec.add_jsgf_string(name, build_jsgf(options, self.known))
            self._grammars[options] = name
        self._dec.activate_search(name)
        self._options = options

    def begin(self, preroll: Sequence[bytes] = ()) -> None:
        self.cancel()
        self._cmn = self._dec.get_cmn(False)
        self._dec.start_utt()
        self._live = True
        for frame in preroll:
            self._dec.process_raw(frame, False, False)

    def feed(self, frame: bytes) -> None:
        if self._live:
            self._dec.process_raw(frame, False, False)

    def partial(self) -> list[str]:
        """The words so far (cheap enough to ask between frames)."""
        h = self._dec.hyp() if self._live else None
        return h.hypstr.split() if h is not None and h.hypstr else []

    def complete(self, words: Sequence[str]) -> bool:
        """Whether these words are a whole option or a number: nothing more is coming."""
        said = interpret(words, self._options or (), self.known)
        if said.verdict is not Verdict.CHOSEN:
            return False
        full = dict((oid, words_of(t, self.known)) for oid, t in self._options or ()).get(said.option, [])
        # a number, or all of the option bar its last word (the recogniser often has not
        # settled the final word when the pause starts); a pause between two sentences of
        # one option must not end it
        return len(words) <= 2 or len(words) >= len(full) - 1

    def end(self, speech_seconds: float | None = None) -> Result:
        """Finish the utterance; `speech_seconds` is how long the voice ran (without the lead-in and the closing pause)."""
        t0 = time.perf_counter()
        if not self._live:
            return Result(Verdict.NONE, None, (), "", 0.0, 0.0)
        self._dec.end_utt()
        self._live = False
        h = self._dec.hyp()
        words = h.hypstr.split() if h is not None and h.hypstr else []
        seconds = time.perf_counter() - t0
        if not words:
            return Result(Verdict.NONE, None, (), "", 0.0, seconds)
        frames = max(1, self._dec.n_frames() if speech_seconds is None else int(speech_seconds * 100))  # 100 frames a second
        spoken = sum(s.end_frame - s.start_frame + 1 for s in self._dec.seg() if not s.word.startswith(("<", "[", "+")))
        confidence = min(1.0, spoken / frames)
        if len(words) >= _LONG:
            confidence = max(confidence, 0.6)
        said = interpret(words, self._options or (), self.known)
        if said.verdict is Verdict.CHOSEN and confidence < CONFIDENT:
            return Result(Verdict.NONE, None, (), " ".join(words), confidence, seconds)
        return Result(said.verdict, said.option, said.candidates, " ".join(words), confidence, seconds)

    def forget(self) -> None:
        """Undo what the last utterance taught the decoder about the channel (it was noise)."""
        if self._cmn:
            self._dec.set_cmn(self._cmn)

    def cancel(self) -> None:
        if self._live:
            self._dec.end_utt()
            self._live = False
