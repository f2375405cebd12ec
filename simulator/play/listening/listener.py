"""The listening chain (voice activity, then the recogniser) and the worker process that runs it.

`Ear` is the chain itself, driven frame by frame: it reports `Onset` when the trainee
starts speaking and `Heard` when they stop and the words have been matched to an option.
A short pause ends an utterance that already names a whole option (or a number); a longer
one is needed after a leading part, so "let me check I have this right, ..." is not cut
at its comma.

`Listener` runs an `Ear` over a source in a spawned process (pocketsphinx holds the GIL
while it decodes, so a thread would stall the window) and hands the events back through
a queue; `poll()` never blocks. Times are on the source's clock (`time.monotonic()` for
the microphone). No audio leaves the worker and none is written anywhere.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..answers import Verdict
from .activity import VoiceActivity
from .recogniser import Recogniser, Result
from .source import FRAME_SECONDS, NoMicrophone

__all__ = ["Ear", "Onset", "Heard", "Notice", "Listener", "LONG_PAUSE", "SHORT_PAUSE"]

SHORT_PAUSE = 8  # frames (240 ms) of quiet that end an utterance naming a whole option
LONG_PAUSE = 20  # frames (600 ms) that end any utterance
_PREROLL = 10  # frames (300 ms) kept from before the onset, so the first word is whole
_LEAD_IN = 0.15  # seconds of that given to the recogniser before the first voiced frame
NOISY = 0.4  # spectral flatness above which an utterance is noise (white noise ~0.56, a voice ~0.1-0.3)


@dataclass(frozen=True)
class Onset:
    at: float  # when the trainee started speaking (source clock)
    detected: float  # when the start was certain (the frame that settled it)
    offer: int  # which set of options was on screen


@dataclass(frozen=True)
class Heard:
    result: Result
    began: float  # speech start
    ended: float  # speech end (the first quiet frame)
    decided: float  # source time at which the decision was made (the last frame read)
    offer: int

    @property
    def option(self) -> str | None:
        return self.result.option

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict


@dataclass(frozen=True)
class Notice:
    text: str


class Ear:
    def __init__(self, recogniser: Recogniser | None = None, activity: VoiceActivity | None = None):
        self.recogniser = recogniser or Recogniser()
        self.activity = activity or VoiceActivity(off=LONG_PAUSE)
        self.offer = 0
        self._preroll: deque[tuple[float, bytes]] = deque(maxlen=_PREROLL)
        self._began = 0.0
        self._flatness: list[float] = []

    def use(self, options: Sequence[tuple[str, str]], offer: int) -> None:
        """New options on screen: an utterance in progress is dropped (it answered the old ones)."""
        self.recogniser.use(options)
        if self.activity.speaking:
            self.recogniser.cancel()
            self.activity.end()
        self.offer = offer

    def step(self, at: float, frame: bytes) -> list:
        events = []
        change = self.activity.step(at, frame)
        if change is not None and change.speaking:
            self._began = change.at
            self._flatness = [flatness(frame)]
            self.recogniser.begin([f for t, f in self._preroll if t >= change.at - _LEAD_IN])
            self.recogniser.feed(frame)
            events.append(Onset(change.at, at + FRAME_SECONDS, self.offer))
        elif change is not None:
            events.append(self._close(change.at, at))
        elif self.activity.speaking:
            self.recogniser.feed(frame)
            if self.activity.quiet_frames == 0:
                self._flatness.append(flatness(frame))
            if self.activity.quiet_frames == SHORT_PAUSE and self.recogniser.complete(self.recogniser.partial()):
                events.append(self._close(self.activity.end().at, at))
        self._preroll.append((at, frame))
        return events

    def finish(self, at: float) -> list:
        """The stream has ended: close an utterance still open."""
        change = self.activity.end()
        return [self._close(change.at, at)] if change is not None else []

    def _close(self, ended: float, at: float) -> Heard:
        result = self.recogniser.end(max(FRAME_SECONDS, ended - self._began))
        if self._flatness and float(np.median(self._flatness)) > NOISY:
            # a hiss, a fan, a rustle: the grammar will always find some words in it, and
            # the decoder must not adjust its idea of the microphone to it
            self.recogniser.forget()
            result = replace(result, verdict=Verdict.NONE, option=None, candidates=(), confidence=0.0)
        return Heard(result, self._began, ended, at + FRAME_SECONDS, self.offer)


def flatness(frame: bytes) -> float:
    """Spectral flatness of a frame (geometric over arithmetic mean of the power): 1 for white noise, low for a voice."""
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2 + 1e-3
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


# ---------------------------------------------------------------- the worker process


def _work(source, options, offer, control, events) -> None:
    try:
        stream = source.open()
    except NoMicrophone as e:
        events.put(Notice(f"Spoken answers are off: {e}."))
        events.put(None)
        return
    try:
        ear = Ear()
        ear.use(options, offer)
        events.put("ready")
        last = 0.0
        while True:
            try:
                while True:
                    msg = control.get_nowait()
                    if msg is None:
                        return
                    ear.use(*msg)
            except queue.Empty:
                pass
            got = stream.read(0.05)
            if got is None:
                for e in ear.finish(last):
                    events.put(e)
                return
            last, frame = got
            if not frame:
                continue
            for e in ear.step(last, frame):
                events.put(e)
    except Exception as e:  # a broken device mid-session: spoken answers stop, the session goes on
        events.put(Notice(f"Spoken answers stopped: {e}."))
    finally:
        stream.close()
        events.put(None)


class Listener:
    """An `Ear` over `source` in a worker process. `offer()` new options; `poll()` for events."""

    def __init__(self, source, options: Sequence[tuple[str, str]] = (), wake=None):
        """`wake`, if given, is called (from a helper thread) whenever an event arrives, so an idle window can wake up."""
        ctx = mp.get_context("spawn")
        self._control = ctx.Queue()
        self._from_worker = ctx.Queue()
        self._events: queue.Queue = queue.Queue()
        self._wake = wake
        self.offer_no = 0
        self.notice: str | None = None
        self.ready = False
        self.finished = False  # the worker has stopped (end of a file, no microphone, closed)
        self._proc = ctx.Process(target=_work, args=(source, list(options), 0, self._control, self._from_worker), daemon=True, name="defuse-listener")
        self._proc.start()
        self._pump = threading.Thread(target=self._carry, daemon=True, name="defuse-listener-events")
        self._pump.start()

    def _carry(self) -> None:
        """Move events from the worker to this process's queue as they come, and wake the caller."""
        while True:
            try:
                e = self._from_worker.get(timeout=0.5)
            except queue.Empty:
                if not self._proc.is_alive() and self._from_worker.empty():
                    self._events.put(None)  # the worker died without a word
                    return
                continue
            except (EOFError, OSError):
                self._events.put(None)
                return
            self._events.put(e)
            if self._wake is not None:
                try:
                    self._wake()
                except Exception:  # the window has gone: nothing left to wake
                    pass
            if e is None:
                return

    def offer(self, options: Sequence[tuple[str, str]]) -> int:
        """Listen for these options now; returns the number events about them will carry."""
        self.offer_no += 1
        if not self.finished:
            self._control.put((list(options), self.offer_no))
        return self.offer_no

    def poll(self) -> list:
        out = []
        while True:
            try:
                e = self._events.get_nowait()
            except queue.Empty:
                return out
            if e is None:
                self.finished = True
            elif e == "ready":
                self.ready = True
            elif isinstance(e, Notice):
                self.notice = e.text
                out.append(e)
            else:
                out.append(e)

    def wait_ready(self, timeout: float = 15.0) -> list:
        """Block until the worker listens (or has given up); returns the events so far (a notice)."""
        out, end = [], time.monotonic() + timeout
        while not (self.ready or self.finished) and time.monotonic() < end:
            out += self.poll()
            time.sleep(0.02)
        return out

    def wait(self, timeout: float = 30.0) -> list:
        """Every event until the worker stops (tests and benchmarks with a file source)."""
        out, end = [], time.monotonic() + timeout
        while not self.finished and time.monotonic() < end:
            out += self.poll()
            if not self.finished:
                time.sleep(0.01)
        return out + self.poll()

    def close(self) -> None:
        if self._proc.is_alive():
            self._control.put(None)
            self._proc.join(2.0)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(1.0)
        self._pump.join(2.0)
        self.finished = True
