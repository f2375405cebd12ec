"""Shared fixtures. SDL's dummy drivers are set before anything can initialise pygame.

Markers (registered in pyproject.toml, with --strict-markers, so a typo is an error):
  lrs     the test starts a live Ralph learning record store (the `ralph` fixture of test_lrs);
  window  the test drives the pygame window (under SDL's dummy drivers);
  slow    the test takes more than a few seconds; `pytest -m "not slow"` is the quick loop.
A test that uses `ralph` or opens the window without its marker fails with a message saying
which marker to add; tests over SLOW_SECONDS without `slow` are listed after the run.
"""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path, monkeypatch):
    """No test ever writes to the user's real session database or scenario folders."""
    monkeypatch.setenv("DEFUSE_DB", str(tmp_path / "sessions.sqlite3"))
    monkeypatch.delenv("DEFUSE_SCENARIOS", raising=False)
    monkeypatch.delenv("DEFUSE_PROTOCOLS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def library():
    from simulator.library import Library

    return Library()


@pytest.fixture
def cli(capsys):
    """Run `defuse ARGS` in-process; returns (status, stdout, stderr)."""
    from simulator.cli import main

    def run(*argv: str):
        status = main(list(argv))
        out = capsys.readouterr()
        return status, out.out, out.err

    return run


# ---------------------------------------------------------------- markers and the live LRS

SLOW_SECONDS = 5.0
# Set by CI (.ci/run): a live LRS that cannot start fails the run instead of skipping, so a
# Ralph upgrade that breaks start-up cannot silently skip every live-LRS test.
REQUIRE_LRS = os.environ.get("DEFUSE_REQUIRE_LRS", "") not in ("", "0")


def lrs_unavailable(reason: str):
    """Skip a live-LRS test (locally), or fail it (when DEFUSE_REQUIRE_LRS is set, as in CI)."""
    if REQUIRE_LRS:
        pytest.fail(f"{reason}\n(DEFUSE_REQUIRE_LRS is set, as in CI: the live LRS tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    unmarked = [item.nodeid for item in items if "ralph" in item.fixturenames and item.get_closest_marker("lrs") is None]
    if unmarked:
        raise pytest.UsageError("tests using the live Ralph LRS must be marked @pytest.mark.lrs: " + ", ".join(unmarked))


_SLOW_UNMARKED: list[tuple[float, str]] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Times the test, and notices a pygame window opened by a test not marked `window`."""
    pygame = sys.modules.get("pygame")
    opened = []
    if pygame is not None:
        set_mode = pygame.display.set_mode

        def recording_set_mode(*args, **kwargs):
            opened.append(True)
            return set_mode(*args, **kwargs)

        pygame.display.set_mode = recording_set_mode
    began = time.perf_counter()
    try:
        return (yield)
    finally:
        seconds = time.perf_counter() - began
        if seconds > SLOW_SECONDS and item.get_closest_marker("slow") is None:
            _SLOW_UNMARKED.append((seconds, item.nodeid))
        if pygame is not None:
            pygame.display.set_mode = set_mode
        if opened and item.get_closest_marker("window") is None:
            pytest.fail(f"{item.nodeid} opened the pygame window: mark it @pytest.mark.window (see the README, Development)", pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _SLOW_UNMARKED:
        terminalreporter.section(f"tests over {SLOW_SECONDS:g} s not marked slow (the machine may just be busy)")
        for seconds, nodeid in sorted(_SLOW_UNMARKED, reverse=True):
            terminalreporter.line(f"{seconds:6.1f} s  {nodeid}")
