"""Where the trainee's voice comes from: a microphone, or a WAV file (tests, benchmarks).

A source yields 30 ms frames of 16 kHz mono signed 16-bit audio (`FRAME_BYTES` each) and
says what time each frame starts on its own clock: a microphone's clock is
`time.monotonic()` (the same clock the window uses), a file's starts at `origin`.
Sources are plain picklable descriptions until `open()`ed, so a worker process can open
them itself.
"""
from __future__ import annotations

import queue
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = ["RATE", "FRAME", "FRAME_BYTES", "FRAME_SECONDS", "WavSource", "MicrophoneSource", "SamplesSource", "read_wav", "resample", "input_devices", "NoMicrophone"]

RATE = 16000  # the acoustic model's rate
FRAME = 480  # samples: 30 ms, the voice-activity detector's frame
FRAME_BYTES = FRAME * 2
FRAME_SECONDS = FRAME / RATE


class NoMicrophone(Exception):
    """No input device (or no PortAudio): spoken answers stay off, with one notice."""


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Mono int16 samples from `rate` to `to` (FFT resampling: whole clips, not streams)."""
    if rate == to or len(samples) == 0:
        return samples.astype(np.int16)
    n = int(round(len(samples) * to / rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = n // 2 + 1
    if keep <= len(spectrum):
        spectrum = spectrum[:keep]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), dtype=complex)])
    out = np.fft.irfft(spectrum, n) * (n / len(samples))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def read_wav(path: str | Path) -> np.ndarray:
    """A 16-bit PCM WAV as 16 kHz mono int16 samples (channels averaged, rate converted)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files can be read (this one has {8 * w.getsampwidth()}-bit samples)")
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return resample(np.asarray(data), rate)


def _frames(samples: np.ndarray) -> Iterator[bytes]:
    pad = (-len(samples)) % FRAME
    data = np.concatenate([samples.astype("<i2"), np.zeros(pad, dtype="<i2")]).tobytes()
    for i in range(0, len(data), FRAME_BYTES):
        yield data[i : i + FRAME_BYTES]


@dataclass(frozen=True)
class SamplesSource:
    """Audio already in memory (16 kHz int16), played out from `origin` on; `realtime` paces it."""

    samples: tuple | np.ndarray
    origin: float | None = 0.0  # None: now (time.monotonic() when the first frame is read)
    realtime: bool = False

    def open(self) -> "_Stream":
        return _Stream(iter(_frames(np.asarray(self.samples, dtype=np.int16))), self.origin, self.realtime)


@dataclass(frozen=True)
class WavSource:
    """A WAV file heard as if spoken into the microphone from `origin` on (tests, benchmarks)."""

    path: str
    origin: float | None = 0.0  # None: now (time.monotonic() when the first frame is read), as a microphone
    realtime: bool = False  # pace the frames at the speed of speech; tests of the decoder run flat out

    def open(self) -> "_Stream":
        return _Stream(iter(_frames(read_wav(self.path))), self.origin, self.realtime)


class _Stream:
    def __init__(self, frames: Iterator[bytes], origin: float | None, realtime: bool):
        self._frames = frames
        self.origin = origin
        self.realtime = realtime
        self.position = 0  # frames read
        self._t0 = 0.0

    def read(self, timeout: float = 0.1) -> tuple[float, bytes] | None:
        """The next frame and the time it starts; None at the end of the file."""
        if self.position == 0:
            self._t0 = time.monotonic()
            if self.origin is None:
                self.origin = self._t0
        frame = next(self._frames, None)
        if frame is None:
            return None
        at = self.origin + self.position * FRAME_SECONDS
        self.position += 1
        if self.realtime:
            wait = self._t0 + self.position * FRAME_SECONDS - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return at, frame

    def close(self) -> None:
        pass


def input_devices() -> list[tuple[int, str]]:
    """(index, name) of every input device PortAudio can see; empty with no PortAudio."""
    try:
        import sounddevice as sd  # PortAudio may be missing: then there is simply no microphone
    except (ImportError, OSError):
        return []
    try:
        return [(i, d["name"]) for i, d in enumerate(sd.query_devices()) if d.get("max_input_channels", 0) > 0]
    except Exception:  # PortAudio reports a broken host API as a plain Exception
        return []


@dataclass(frozen=True)
class MicrophoneSource:
    """The microphone, through sounddevice (PortAudio); `device` is an index or a name, None = default."""

    device: int | str | None = None

    def open(self) -> "_MicStream":
        return _MicStream(self.device)


class _MicStream:
    """Frames from PortAudio's callback thread, handed over through a queue (never dropped silently)."""

    def __init__(self, device):
        try:
            import sounddevice as sd  # PortAudio may be missing (see input_devices)
        except (ImportError, OSError) as e:
            raise NoMicrophone(f"no audio input library ({e}); on Debian/Ubuntu: sudo apt-get install libportaudio2") from None
        if not input_devices():
            raise NoMicrophone("no microphone found")
        self._q: queue.Queue = queue.Queue(maxsize=400)  # 12 s of audio: a stalled decoder shows as a gap, not a crash
        self.origin = time.monotonic()
        self.position = 0

        def callback(indata, frames, when, status):
            try:
                self._q.put_nowait(bytes(indata))
            except queue.Full:
                pass

        try:
            self._stream = sd.RawInputStream(samplerate=RATE, blocksize=FRAME, device=device, channels=1, dtype="int16", callback=callback)
            self._stream.start()
        except Exception as e:  # PortAudioError, ValueError (unknown device)
            raise NoMicrophone(f"the microphone could not be opened ({e})") from None
        self.origin = time.monotonic()

    def read(self, timeout: float = 0.1) -> tuple[float, bytes] | None:
        try:
            frame = self._q.get(timeout=timeout)
        except queue.Empty:
            return (self.origin + self.position * FRAME_SECONDS, b"")  # nothing yet: the caller checks for stop
        at = self.origin + self.position * FRAME_SECONDS
        self.position += 1
        return at, frame

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass
