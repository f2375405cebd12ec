"""The terminal itself for text play: reading answers line by line, revealing the customer's
words at a speaking pace, and noticing an answer that arrives before they have finished.

Works on any line-based stream (a terminal, a pseudo-terminal, a pipe, SSH): no curses,
no raw mode. Answers are read from the file descriptor with select(), so an answer typed
while a line is still being revealed is seen at once, whether or not stdin is a TTY.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import sys
import time
from typing import Callable, TextIO

from ..diagnostics import DefuseError
from .text_view import Style

__all__ = ["LineReader", "Console", "words_per_minute", "word_delays", "PACE_ENV"]

PACE_ENV = "DEFUSE_TEXT_WPM"
_ALSO_EVERY = 0.05  # seconds between looks at the other answer source while the keyboard is quiet

# A full stop is a breath; a comma a shorter one. Measured in words of the same pace.
_PAUSE_AFTER = ((re.compile(r"[.!?…]+[\"')\]]*$"), 1.0), (re.compile(r"[,;:\-–—]+[\"')\]]*$"), 0.4))


def words_per_minute(persona_rate: int, override: float | None = None, env: dict | None = None) -> float:
    """The reveal pace: an explicit option, else DEFUSE_TEXT_WPM, else the persona's voice rate.

    0 means show each line at once (then no answer can arrive early).
    """
    if override is not None:
        return max(0.0, float(override))
    raw = (os.environ if env is None else env).get(PACE_ENV, "").strip()
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass  # a mistyped setting falls back to the persona's own pace
    return float(persona_rate)


def word_delays(words: list[str], wpm: float) -> list[float]:
    """Seconds to wait after each word, with short pauses at punctuation."""
    if wpm <= 0:
        return [0.0] * len(words)
    base = 60.0 / wpm
    out = []
    for w in words:
        extra = next((k for rx, k in _PAUSE_AFTER if rx.search(w)), 0.0)
        out.append(base * (1.0 + extra))
    return out


class LineReader:
    """Whole lines from a file descriptor, with a timeout.

    Bytes are read straight from the descriptor (not through sys.stdin's buffer) so that
    select() tells the truth about whether an answer is waiting.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self._buf = b""
        self._eof = False
        self.pollable = os.name != "nt"  # Windows cannot select() on a console
        try:
            self.echoes = os.isatty(fd)
        except OSError:
            self.echoes = False
        # Another source of answer lines, asked while waiting for the keyboard (spoken
        # answers): returns a line to treat as typed, or None.
        self.also: Callable[[], str | None] | None = None

    def _take(self) -> str | None:
        if b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            return line.decode("utf-8", "replace").rstrip("\r")
        if self._eof and self._buf:
            line, self._buf = self._buf, b""
            return line.decode("utf-8", "replace")
        return None

    def poll(self, timeout: float | None) -> str | None:
        """The next line if one arrives within `timeout` seconds (None: wait for ever).

        Raises EOFError when the input has ended and nothing is left.
        """
        line = self._take()
        if line is not None:
            return line
        if self._eof:
            raise EOFError
        if not self.pollable:
            if timeout is not None:
                time.sleep(timeout)
                return None
            text = sys.stdin.readline()
            if not text:
                raise EOFError
            return text.rstrip("\r\n")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self.also is not None:
                wait = _ALSO_EVERY if wait is None else min(wait, _ALSO_EVERY)
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                spoken = self.also() if self.also is not None else None
                if spoken is not None:
                    return spoken
                if deadline is None or time.monotonic() < deadline:
                    continue
                return None
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the terminal went away (a dropped SSH connection): the same as the end of input
                chunk = b""
            if not chunk:
                self._eof = True
            self._buf += chunk
            line = self._take()
            if line is not None:
                return line
            if self._eof:
                raise EOFError
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def readline(self) -> str:
        return self.poll(None)  # type: ignore[return-value]


class Console:
    """Text out, answers in, and the timed reveal of a customer's line."""

    def __init__(self, reader: LineReader, out: TextIO, style: Style, clock: Callable[[], float] = time.monotonic):
        self.reader = reader
        self.out = out
        self.style = style
        self.clock = clock

    @classmethod
    def for_terminal(cls) -> "Console":
        out = sys.stdout
        try:
            out.reconfigure(errors="replace")  # a line of dialogue must never crash an ASCII terminal
        except (AttributeError, ValueError):
            pass
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, OSError, ValueError):
            raise DefuseError("terminal play reads the answers from standard input, and there is none") from None
        columns = shutil.get_terminal_size((80, 24)).columns
        return cls(LineReader(fd), out, Style.for_columns(columns, unicode=_unicode_ok(out), colour=_colour_ok(out)))

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def lines(self, rows: list[str]) -> None:
        self.write("\n".join(rows))

    def ask(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        return self.reader.readline().strip()

    def reveal(self, label: str, text: str, wpm: float, listen: Callable[[str], bool | str] | None = None) -> tuple[str | None, float]:
        """Show `label` then `text` word by word at `wpm`, wrapped to the width.

        With `listen`, a line typed before the last word has been spoken is handed to it:
        True means it is an answer, which stops the reveal and is returned with the seconds
        since the first word; a string is a note to show (the line was not an answer) before
        the reveal carries on. Returns (None, seconds) when the line was heard to the end.
        """
        w = self.style.width
        indent = " " * len(label)
        words = text.split()
        delays = word_delays(words, wpm)
        t0 = self.clock()
        col = 0  # 0: at the start of a row
        for i, (word, delay) in enumerate(zip(words, delays)):
            if col and col + 1 + len(word) > w:
                self.out.write("\n")
                col = 0
            if col == 0:
                self.out.write(label if i == 0 else indent)
                col = len(indent)
            else:
                self.out.write(" ")
                col += 1
            self.out.write(word)
            self.out.flush()
            col += len(word)
            if delay <= 0:
                continue
            if listen is None:
                time.sleep(delay)  # nothing to answer (an ending): the words just take their time
                continue
            answer, note = self._wait(delay, listen)
            if answer is not None:
                # A terminal has already echoed the answer and its Enter; a pipe has not.
                if not self.reader.echoes:
                    self.write(" --")
                return answer, self.clock() - t0
            if note:
                self.write("")
                self.write(note)
                col = 0
        self.write("")
        return None, self.clock() - t0

    def _wait(self, seconds: float, listen: Callable[[str], bool | str]) -> tuple[str | None, str | None]:
        end = self.clock() + seconds
        while True:
            left = end - self.clock()
            if left <= 0:
                return None, None
            line = self.reader.poll(left)
            if line is None:
                return None, None
            line = line.strip()
            if not line:
                continue  # a bare Enter is not an answer
            verdict = listen(line)
            if verdict is True:
                return line, None
            return None, str(verdict or "")


def _unicode_ok(out: TextIO) -> bool:
    if os.environ.get("DEFUSE_ASCII"):
        return False
    try:
        "█░▁".encode(getattr(out, "encoding", None) or "ascii")
        return True
    except (LookupError, UnicodeEncodeError):
        return False


def _colour_ok(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM", "dumb") == "dumb":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
