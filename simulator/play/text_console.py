"""The terminal itself for text play: reading answers line by line, showing the customer's
words at the moments the conversation gives, and noticing an answer that arrives before
they have finished.

Works on any line-based stream (a terminal, a pseudo-terminal, a pipe, SSH): no curses.
Answers are read from the file descriptor with select(), so an answer typed while a line
is still appearing is seen at once, whether or not stdin is a TTY. On a terminal, keys
are not echoed while the words appear (they would land in the middle of the customer's
line); what was typed but not yet entered is shown at the next prompt instead.
"""
from __future__ import annotations

import os
import select
import shutil
import sys
import time
from contextlib import contextmanager
from typing import Callable, TextIO

from ..diagnostics import DefuseError
from .conversation import Delivery
from .text_view import Style

try:
    import termios
except ImportError:  # Windows: no terminal modes, answers are read a line at a time
    termios = None

__all__ = ["LineReader", "Console", "pace_setting", "PACE_ENV"]

PACE_ENV = "DEFUSE_TEXT_WPM"
_ALSO_EVERY = 0.05  # seconds between looks at the other answer source while the keyboard is quiet
_ERASE = (0x7F, 0x08)  # DEL and Backspace
_KILL = 0x15  # Ctrl-U
_EOT = 0x04  # Ctrl-D


def pace_setting(override: float | None = None, env: dict | None = None) -> float | None:
    """A trainer's pace in words a minute: an explicit option, else DEFUSE_TEXT_WPM; None when
    neither is set, so the customer speaks at their own rate (the same as in the window).

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
    return None


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
        self._keys = False  # the terminal hands over each key (no echo): editing is ours
        self._echo: TextIO | None = None  # where typed keys are shown, when they are
        self._escape = 0  # inside a terminal escape sequence (an arrow key): 1 after ESC, 2 inside [...

    @property
    def keyed(self) -> bool:
        """Whether keys can be read one by one here (a terminal that is not Windows')."""
        return self.echoes and termios is not None and self.pollable

    @contextmanager
    def quiet(self, echo: TextIO | None = None):
        """Keys are read one by one and not echoed by the terminal: while the customer's
        words appear (nothing is shown), or with `echo`, at a prompt that carries text typed
        earlier (what is typed is shown there, and Backspace can take that text back).

        Only on a terminal; signals (Ctrl-C) still work. The terminal's mode is restored
        however the block ends.
        """
        saved = None
        if self.keyed:
            try:
                saved = termios.tcgetattr(self.fd)
                keys = list(saved)
                keys[3] &= ~(termios.ICANON | termios.ECHO)
                keys[6] = list(saved[6])
                keys[6][termios.VMIN], keys[6][termios.VTIME] = 1, 0
                termios.tcsetattr(self.fd, termios.TCSANOW, keys)
            except termios.error:  # not a terminal after all, or not ours to change
                saved = None
        if saved is None:
            yield
            return
        self._keys, self._echo = True, echo
        try:
            yield
        finally:
            self._keys, self._echo, self._escape = False, None, 0
            try:
                termios.tcsetattr(self.fd, termios.TCSANOW, saved)
            except termios.error:
                pass

    def pending(self) -> str:
        """Text typed after the last complete line, not yet entered."""
        return _text(self._buf.rsplit(b"\n", 1)[-1])

    def _edit(self, chunk: bytes) -> None:
        """Apply keys read one by one: erase, kill the line, end of input, or text.

        Other control keys and escape sequences (arrows, function keys) are dropped: shown
        later at a prompt, they would move the cursor instead of reading as text.
        """
        start = self._buf.rfind(b"\n") + 1
        before = _text(self._buf[start:])
        for byte in chunk:
            line_start = self._buf.rfind(b"\n") + 1
            if self._escape:
                if self._escape == 1 and byte in b"[O":
                    self._escape = 2
                elif self._escape == 1 or 0x40 <= byte <= 0x7E:
                    self._escape = 0
            elif byte == 0x1B:
                self._escape = 1
            elif byte in _ERASE:
                if len(self._buf) > line_start:
                    # drop a whole UTF-8 character, not half of one
                    end = len(self._buf) - 1
                    while end > line_start and (self._buf[end] & 0xC0) == 0x80:
                        end -= 1
                    self._buf = self._buf[:end]
            elif byte == _KILL:
                self._buf = self._buf[:line_start]
            elif byte == _EOT and len(self._buf) == line_start:
                self._eof = True
            elif byte in (0x0A, 0x0D):
                self._buf += b"\n"
            elif byte >= 0x20 or byte == 0x09:
                self._buf += bytes([byte])
        if self._echo is not None:
            line, entered, _ = self._buf[start:].partition(b"\n")
            after = _text(line)
            same = 0
            while same < min(len(before), len(after)) and before[same] == after[same]:
                same += 1
            self._echo.write("\b \b" * (len(before) - same) + after[same:] + ("\n" if entered else ""))
            self._echo.flush()

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
            elif self._keys:
                self._edit(chunk)
            else:
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
    """Text out, answers in, and the timed words of a customer's line."""

    def __init__(self, reader: LineReader, out: TextIO, style: Style, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.reader = reader
        self.out = out
        self.style = style
        self.clock = clock
        self.sleep = sleep

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
        typed = self.reader.pending()  # keys typed while the words appeared
        if typed and self.reader.keyed:
            with self.reader.quiet(echo=self.out):  # so that Backspace can take them back
                self.out.write(prompt + typed)
                self.out.flush()
                return self.reader.readline().strip()
        self.out.write(prompt + typed)
        self.out.flush()
        return self.reader.readline().strip()

    def reveal(self, label: str, delivery: Delivery, start: float, listen: Callable[[str], bool | str] | None = None, first: int = 0) -> tuple[str | None, int]:
        """Show `label` then the words of `delivery` from word `first`, each at its moment
        (`start` plus its onset on this console's clock), wrapped to the width.

        With `listen`, a line typed before the line is over is handed to it: True means it
        is an answer, which stops the words and is returned; a string is a note to show
        (the line was not an answer) before the words carry on. Without it, typing waits
        for the next prompt. Returns (answer or None, how many words were shown).
        """
        w = self.style.width
        indent = " " * len(label)
        col = 0  # 0: at the start of a row
        shown = first
        with self.reader.quiet():
            for i in range(first, len(delivery.words) + 1):
                due = start + (delivery.onsets[i] if i < len(delivery.words) else delivery.length)
                while True:  # until the word is due, or an answer comes
                    answer, note = self._wait(due, listen)
                    if answer is not None:
                        self.write(" --")
                        return answer, shown
                    if note is None:
                        break
                    if col:
                        self.write("")
                    self.write(note)
                    col = 0
                if i == len(delivery.words):
                    break
                word = delivery.words[i]
                if col and (col + 1 + len(word) > w or delivery.new_line(i)):  # the next line of a burst: a row of its own
                    self.out.write("\n")
                    col = 0
                if col == 0:
                    self.out.write(label if i == first else indent)
                    col = len(indent)
                else:
                    self.out.write(" ")
                    col += 1
                self.out.write(word)
                self.out.flush()
                col += len(word)
                shown = i + 1
        self.write("")
        return None, shown

    def _wait(self, until: float, listen: Callable[[str], bool | str] | None) -> tuple[str | None, str | None]:
        """Wait until `until` on the clock; (answer, None) or (None, note) if a line came first."""
        while True:
            left = until - self.clock()
            if left <= 0:
                return None, None
            if listen is None:
                self.sleep(left)  # nothing to answer (an ending): the words just take their time
                continue
            line = self.reader.poll(left)
            if line is None:
                continue
            line = line.strip()
            if not line:
                continue  # a bare Enter is not an answer
            verdict = listen(line)
            if verdict is True:
                return line, None
            if verdict:
                return None, str(verdict)


def _text(typed: bytes) -> str:
    """Typed bytes as text to show, leaving out a character whose bytes are still arriving."""
    return typed.decode("utf-8", "replace").replace("\ufffd", "")


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
