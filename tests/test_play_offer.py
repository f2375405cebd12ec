"""With no display, `defuse play` (and so `make play`) offers the terminal version; saying no
is the trainee's choice and ends with status 0, so make reports no error."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def in_terminal(argv: list[str], typed: bytes | None, timeout: float = 60.0) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as stdin, stdout and stderr; type `typed` (None: end of input)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=headless_env(), close_fds=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while b"[Y/n]" not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen.decode(errors="replace")
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        os.write(master, typed if typed is not None else b"\x04")  # ^D: end of input at the start of a line
        proc.wait(timeout)
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child has gone and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, seen.decode(errors="replace")


@pytest.mark.parametrize("typed", [b"n\n", b"no\n", None], ids=["n", "no", "end-of-input"])
def test_declining_the_terminal_offer_exits_0(typed, tmp_path):
    status, screen = in_terminal([sys.executable, "-m", "simulator", "play", "--db", str(tmp_path / "s.db")], typed)
    assert "no display found" in screen and "Play in the terminal now? [Y/n]" in screen
    assert status == 0, screen
    assert "Traceback" not in screen and "Your answer" not in screen
    assert not (tmp_path / "s.db").exists()  # nothing was played, nothing recorded


def test_without_a_terminal_to_ask_on_it_is_still_a_failure(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulator", "play", "--db", str(tmp_path / "s.db")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT, env=headless_env(), timeout=120)
    assert proc.returncode == 1 and "no display found" in proc.stderr and "[Y/n]" not in proc.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_play_declined_is_not_a_make_error():
    # only where `make play` would not (re)build the environment: it must not install anything here
    if not (ROOT / ".venv/bin/defuse").exists() or subprocess.run(["make", "-q", ".venv/.base"], cwd=ROOT).returncode != 0:
        pytest.skip("the repository's .venv is not built and up to date (make .venv/.base)")
    status, screen = in_terminal(["make", "--no-print-directory", "play", "ARGS=--no-save"], b"n\n")
    assert status == 0, screen
    assert "Error" not in screen and "no display found" in screen
