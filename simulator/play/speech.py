"""The customer's voice: each line rendered to a cached WAV by pyttsx3 in a spawned worker.

The window never synthesises speech itself. A `Speaker` feeds one job at a time to a worker
process started with the "spawn" context (a forked copy of a process with a live speech
engine or SDL is unsafe), so the render loop only ever polls a queue. The engine is created
inside the worker, each WAV comes from exactly one `save_to_file` + `runAndWait`, and the
worker's stdout goes to /dev/null because pyttsx3 prints "Audio saved to ...".

WAVs are cached under the user cache folder, keyed by the line id, the text and the voice
settings, so a line is never rendered twice. When the engine cannot start (no espeak-ng),
or a translated scenario asks for a language the engine has no voice for, the speaker says
so once in `notice` and the window carries on with captions only.

Each render has a deadline. A worker that overruns it (a hung engine) is stopped and a new
one started, the line it hung on being left to captions, so the lines after it are not
held up; when the new worker hangs too, the voice is turned off with one notice.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import queue
import sys
import time
import wave
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from ..model import Band, Voice, band_of

__all__ = ["VoiceSettings", "voice_for", "has_voice", "Speaker", "SpeechJob", "cache_dir", "cache_path", "wav_duration", "pyttsx3_engine"]

# Rate and loudness climb with anger: one step per band above calm.
_RATE_STEP = 0.08
_PITCH_STEP = 3
_BAND_INDEX = {Band.CALM: 0, Band.UPSET: 1, Band.ANGRY: 2, Band.HOSTILE: 3}
_CACHE_VERSION = 1  # bump when the rendering itself changes, so old WAVs are not reused
RENDER_DEADLINE = 6.0  # seconds one line may take (a long line renders in well under one)
START_DEADLINE = 30.0  # seconds the worker may take to start its engine (imports, under load)
_OVERRUNS = 2  # deadlines missed in a row (the second by a fresh worker) before the voice is turned off


@dataclass(frozen=True)
class VoiceSettings:
    """What the speech engine is told for one line (the persona's voice at one anger band)."""

    voice: str | None
    rate: int
    pitch: int
    volume: float
    language: str | None = None  # a translation's language: the engine must have a voice for it


def voice_for(voice: Voice, anger: float, language: str | None = None) -> VoiceSettings:
    """The persona's voice as it sounds at this anger: faster and louder the angrier they are.

    Anger is taken by band, not by exact value, so a scenario needs at most four renders of
    a line however the conversation goes. In a translation (`language`), the voice is the
    one the persona names for that language, else espeak-ng's voice of that language code.
    """
    step = _BAND_INDEX[band_of(anger)]
    if language:
        name = voice.languages.get(language) or language.lower().replace("_", "-")
    else:
        name = voice.voice or "en"
    if voice.gender == "female" and "+" not in name:
        name += "+f3"  # espeak-ng's variants give a female timbre to any language voice
    elif voice.gender == "male" and "+" not in name:
        name += "+m3"
    volume = voice.volume + (1.0 - voice.volume) * step / 3
    return VoiceSettings(
        voice=name,
        rate=int(round(voice.rate * (1 + _RATE_STEP * step))),
        pitch=min(99, voice.pitch + _PITCH_STEP * step),
        volume=round(min(1.0, volume), 3),
        language=language or None,
    )


def has_voice(engine, name: str) -> bool | None:
    """Whether the engine knows the voice `name` (variants like "+f3" aside); None when it
    cannot list its voices. espeak-ng voices answer to their file ("gmw/de" or "de"), their
    name ("German") and their languages (["de"])."""
    base = name.split("+", 1)[0].strip().lower()
    try:
        voices = engine.getProperty("voices")
    except Exception:
        return None
    for v in voices or ():
        vid = str(getattr(v, "id", "") or "").lower()
        names = {vid, vid.rsplit("/", 1)[-1], str(getattr(v, "name", "") or "").lower()}
        for lang in getattr(v, "languages", None) or ():
            text = lang.decode("utf-8", "ignore") if isinstance(lang, bytes) else str(lang)
            names.add(text.lstrip("\x05").strip().lower())
        if base in names:
            return True
    return False


@dataclass(frozen=True)
class SpeechJob:
    """One line to render: what is said, how, and the cache file it goes to."""

    line_id: str
    text: str
    settings: VoiceSettings

    @property
    def key(self) -> str:
        doc = {"v": _CACHE_VERSION, "line": self.line_id, "text": self.text, "voice": asdict(self.settings)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]


def cache_dir() -> Path:
    return Path(user_cache_dir("defuse", appauthor=False)) / "speech"


def cache_path(job: SpeechJob, root: Path | None = None) -> Path:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in job.line_id)[:60]
    return (root or cache_dir()) / f"{safe}-{job.key}.wav"


def wav_duration(path: str | Path) -> float | None:
    """Seconds of audio in a WAV file, or None if it is not a readable WAV."""
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (OSError, EOFError, wave.Error):
        return None


# ---------------------------------------------------------------- the worker process


def pyttsx3_engine():
    """The real speech engine; raises when espeak-ng (or the platform's engine) is missing."""
    import pyttsx3  # only inside the spawned worker: the engine never starts in the window's process

    return pyttsx3.init()


def _silence_stdout() -> None:
    # pyttsx3's espeak driver prints from its synthesis callback: keep the parent's stdout clean
    # (it may be a --json document) by pointing this process's fd 1 at /dev/null.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")


def _warm_up(engine, path: str) -> None:
    # pyttsx3's espeak-ng driver loses the first render of a process when its text is long
    # (the file is never written), so the worker says one short word first and throws it away.
    try:
        engine.save_to_file("Ready.", path)
        engine.runAndWait()
    except Exception:
        pass
    try:
        os.remove(path)
    except OSError:
        pass


def _worker(jobs, results, make_engine) -> None:
    _silence_stdout()
    try:
        engine = make_engine()
    except Exception as e:  # any failure to start means "no speech": the parent shows one notice
        results.put(("unavailable", f"{type(e).__name__}: {e}"))
        return
    results.put(("ready", ""))
    warmed = False
    while True:
        job = jobs.get()
        if job is None:
            break
        key, text, settings, path = job
        part = path + ".part"
        if not warmed:
            warmed = True
            _warm_up(engine, os.path.join(os.path.dirname(path), ".warm-up.wav"))
        if settings.get("language") and has_voice(engine, settings.get("voice") or "") is False:
            # speaking German lines with an English voice would be worse than captions
            results.put(("novoice", key + "\t" + settings["language"] + "\t" + (settings.get("voice") or "")))
            continue
        try:
            if settings.get("voice"):
                try:
                    engine.setProperty("voice", settings["voice"])
                except Exception:
                    pass  # an unknown voice name keeps the engine's default voice
            engine.setProperty("rate", settings["rate"])
            engine.setProperty("volume", settings["volume"])
            try:
                engine.setProperty("pitch", settings["pitch"])
            except Exception:
                pass  # not every driver has pitch
            engine.save_to_file(text, part)
            engine.runAndWait()
            if not wav_duration(part):
                raise RuntimeError("the engine wrote no audio")
            os.replace(part, path)
            results.put(("done", key))
        except Exception as e:
            results.put(("failed", key + "\t" + f"{type(e).__name__}: {e}"))


# ---------------------------------------------------------------- the window's side


class Speaker:
    """Renders lines in the background and hands out cached WAV paths; never blocks.

    `prefetch` queues a scenario's lines; `request` asks for one line now (it jumps the
    queue); `poll` (once a frame) collects finished renders. `available` is None until the
    worker has started, then True or False; when False, `notice` explains it once.
    """

    def __init__(self, root: Path | None = None, make_engine=None, enabled: bool = True, *, deadline: float = RENDER_DEADLINE,
                 start_deadline: float = START_DEADLINE, clock=time.monotonic):
        self.root = Path(root) if root is not None else cache_dir()
        self.make_engine = make_engine or pyttsx3_engine
        self.enabled = enabled
        self.deadline = deadline
        self.start_deadline = start_deadline
        self.clock = clock
        self.restarts = 0  # workers stopped for overrunning a deadline
        self._overruns = 0  # in a row: a render that finishes resets it
        self._since: float | None = None  # when the busy render began
        self._starting = 0.0  # when the worker was started
        self.available: bool | None = None if enabled else False
        self.notice: str | None = None
        self.renders = 0  # jobs handed to the worker: a cached line never counts
        self.failed: set[str] = set()
        self._queue: deque[SpeechJob] = deque()
        self._queued: set[str] = set()
        self._busy: SpeechJob | None = None
        self._done = 0
        self._total = 0
        self._proc = None
        self._jobs = None
        self._results = None

    # -- asking for lines

    def path_if_ready(self, job: SpeechJob) -> Path | None:
        path = cache_path(job, self.root)
        return path if path.exists() else None

    def prefetch(self, jobs: list[SpeechJob]) -> None:
        for job in jobs:
            self._enqueue(job, urgent=False)
        self._feed()

    def request(self, job: SpeechJob) -> Path | None:
        """The line's WAV if it is cached; otherwise it is rendered next and None is returned."""
        path = self.path_if_ready(job)
        if path is not None or not self.enabled or self.available is False:
            return path
        self._enqueue(job, urgent=True)
        self._feed()
        return None

    @property
    def progress(self) -> tuple[int, int]:
        """(lines rendered, lines sent for rendering) since this speaker started; cached lines never count."""
        return self._done, self._total

    @property
    def busy(self) -> bool:
        return self._busy is not None or bool(self._queue)

    # -- the worker

    def warm_up(self) -> None:
        """Start the worker now, so the first line asked for does not wait for it to boot."""
        if self.enabled and self._proc is None and self.available is not False:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                self._start()
            except OSError as e:  # an unwritable cache or no way to start a process: play on silently
                self._proc = None
                self._give_up(f"The voice is off ({e.strerror or e}): captions only.")

    def _enqueue(self, job: SpeechJob, urgent: bool) -> None:
        if not self.enabled or self.available is False:
            return
        if job.key in self._queued or (self._busy and self._busy.key == job.key):
            if urgent and job.key in self._queued:
                self._queue.remove(next(j for j in self._queue if j.key == job.key))
                self._queue.appendleft(job)
            return
        if self.path_if_ready(job) is not None or job.key in self.failed:
            return
        self._total += 1
        self._queued.add(job.key)
        if urgent:
            self._queue.appendleft(job)
        else:
            self._queue.append(job)

    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # never fork: the parent holds SDL and maybe an engine
        self._jobs = ctx.Queue()
        self._results = ctx.Queue()
        self._proc = ctx.Process(target=_worker, args=(self._jobs, self._results, self.make_engine), daemon=True, name="defuse-speech")
        self._proc.start()
        self._starting = self.clock()

    def _feed(self) -> None:
        if self._busy is not None or not self._queue or self.available is False:
            return
        self.warm_up()
        if self.available is False:
            return
        job = self._queue.popleft()
        self._queued.discard(job.key)
        self._busy = job
        self.renders += 1
        self._since = self.clock() if self.available else None  # a starting worker's render is timed from "ready"
        self._jobs.put((job.key, job.text, asdict(job.settings), str(cache_path(job, self.root))))

    def poll(self) -> list[str]:
        """Collect what the worker finished since the last call; returns the keys now cached."""
        if self._results is None or self._proc is None:
            return []
        finished = []
        while True:
            try:
                kind, payload = self._results.get_nowait()
            except queue.Empty:
                break
            if kind == "ready":
                self.available = True
                if self._busy is not None:
                    self._since = self.clock()
            elif kind == "unavailable":
                self._give_up("No speech engine was found (install espeak-ng for the voice): captions only.")
            elif kind == "novoice":
                _, language, voice = (payload.split("\t") + ["", ""])[:3]
                voice = voice.split("+", 1)[0]
                self._give_up(f"The speech engine has no voice for the language {language!r} (voice {voice!r}): captions only.")
            elif kind in ("done", "failed"):
                key = payload.split("\t", 1)[0]
                if kind == "done":
                    finished.append(key)
                    self._overruns = 0
                else:
                    self.failed.add(key)
                self._done += 1
                self._busy = None
                self._feed()
        if self._overran():
            self._restart()
            return finished
        if self._proc is not None and not self._proc.is_alive() and self.available is not False and self._results.empty():
            if self._busy is not None or self.available is None:
                self._give_up("The speech engine stopped unexpectedly: captions only.")
        return finished

    def _overran(self) -> bool:
        if self._proc is None or self.available is False:
            return False
        now = self.clock()
        if self.available is None:
            return now - self._starting > self.start_deadline
        return self._busy is not None and self._since is not None and now - self._since > self.deadline

    def _restart(self) -> None:
        """The worker hung: stop it, leave its line to captions, and carry on with a new one."""
        hung = self._busy
        self._busy = None
        if hung is not None:
            self.failed.add(hung.key)
            self._done += 1
        self._stop_worker()
        self._overruns += 1
        if self._overruns >= _OVERRUNS or self.available is None:
            self._give_up("The speech engine stopped responding: captions only.")
            return
        self.restarts += 1
        self.available = None  # until the new worker says it is ready
        self._feed()

    def _stop_worker(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        proc.join(timeout=1)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1)
        for q in (self._jobs, self._results):
            q.cancel_join_thread()  # a dead reader must not keep the parent waiting
            q.close()
        self._jobs = self._results = None

    def _give_up(self, message: str) -> None:
        self.available = False
        if self.notice is None:
            self.notice = message
        self._queue.clear()
        self._queued.clear()
        self._busy = None

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the queue is empty or the engine gave up (for tests and tools, never the window)."""
        end = time.monotonic() + timeout
        while (self.busy or (self._proc is not None and self.available is None)) and time.monotonic() < end:
            self.poll()
            if self.available is False:
                return
            time.sleep(0.01)
        self.poll()

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            self._jobs.put(None)
            self._proc.join(timeout=2)
        except (OSError, ValueError):
            pass
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=1)
        for q in (self._jobs, self._results):
            q.close()
            q.join_thread()
        self._proc = None
