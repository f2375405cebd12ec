"""Shared fixtures. SDL's dummy drivers are set before anything can initialise pygame."""
from __future__ import annotations

import os

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
