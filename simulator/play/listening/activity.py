"""Where speech starts and ends in a stream of 30 ms frames (pocketsphinx's WebRTC voice detector).

A frame counts as voiced when it is loud enough and the detector says so.
Speech starts when most of the last few frames are voiced; the start reported is the
first voiced frame among them, so the onset time is when the trainee began, not when we
became sure. Speech ends after a run of unvoiced frames (the hangover). Time is the
stream's own: each frame arrives with the time it starts.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Vad

from .source import FRAME_SECONDS, RATE

__all__ = ["VoiceActivity", "Change", "loud_enough", "QUIETEST"]

QUIETEST = 250.0  # RMS (of 32767) below which a frame is never speech: about -42 dBFS, a hum or a far-off room


def loud_enough(frame: bytes) -> bool:
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    return bool(len(x)) and float(np.sqrt(np.mean(x * x))) >= QUIETEST


@dataclass(frozen=True)
class Change:
    speaking: bool  # True: speech has started; False: it has ended
    at: float  # when (the first voiced frame; the first frame of the closing silence)


class VoiceActivity:
    def __init__(self, *, mode: int = Vad.MEDIUM_STRICT, on: int = 3, window: int = 4, off: int = 8):
        self._vad = Vad(mode, RATE, FRAME_SECONDS)
        self.on, self.window, self.off = on, window, off
        self._recent: deque[tuple[float, bool]] = deque(maxlen=window)
        self._quiet = 0
        self._quiet_since = 0.0
        self._last = 0.0
        self.speaking = False

    def step(self, at: float, frame: bytes) -> Change | None:
        """Take one frame; returns a Change when speech starts or ends on it."""
        voiced = loud_enough(frame) and bool(self._vad.is_speech(frame))
        self._last = at
        self._recent.append((at, voiced))
        if not self.speaking:
            if sum(v for _, v in self._recent) >= self.on:
                self.speaking = True
                self._quiet = 0
                start = next(t for t, v in self._recent if v)
                return Change(True, start)
            return None
        if voiced:
            self._quiet = 0
            return None
        if self._quiet == 0:
            self._quiet_since = at
        self._quiet += 1
        if self._quiet >= self.off:
            return self.end()
        return None

    @property
    def quiet_frames(self) -> int:
        """Unvoiced frames in a row since the last voiced one, while speaking."""
        return self._quiet if self.speaking else 0

    def end(self) -> Change | None:
        """Close a speech region now (end of stream, or the caller is sure it is over)."""
        if not self.speaking:
            return None
        self.speaking = False
        self._recent.clear()
        at = self._quiet_since if self._quiet else self._last + FRAME_SECONDS
        self._quiet = 0
        return Change(False, at)
