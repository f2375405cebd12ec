"""The suite's own rules (tests/conftest.py, pyproject.toml): the `lrs`, `window` and `slow`
markers with --strict-markers, and a live LRS that cannot start is a skip locally but a
failure under CI (DEFUSE_REQUIRE_LRS=1, set by .ci/run), so a Ralph upgrade that breaks its
start-up cannot silently skip every live-LRS test. Each case runs a small suite in a
subprocess with this repository's conftest and pytest settings."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

RALPH_CANNOT_START = """
import pytest
from conftest import lrs_unavailable

@pytest.fixture(scope="module")
def ralph():
    lrs_unavailable("Ralph LRS could not start here: pretend upgrade broke runserver")

@pytest.mark.lrs
def test_live(ralph):
    pass

def test_offline():
    pass
"""


def run_suite(tmp_path: Path, files: dict[str, str], *args: str, require_lrs: str | None = None, slow_seconds: float | None = None) -> subprocess.CompletedProcess:
    conftest = (TESTS / "conftest.py").read_text(encoding="utf-8")
    if slow_seconds is not None:
        assert conftest.count("\nSLOW_SECONDS = ") == 1
        conftest = conftest.replace("\nSLOW_SECONDS = ", f"\nSLOW_SECONDS = {slow_seconds!r}  # was ")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    lines = ["[pytest]", f"addopts = {ini['addopts']}", "markers ="] + [f"    {m}" for m in ini["markers"]]
    (tmp_path / "pytest.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DEFUSE_REQUIRE_LRS"}
    if require_lrs is not None:
        env["DEFUSE_REQUIRE_LRS"] = require_lrs
    # without hypothesis' and anyio's plugins, which this small suite does not use: 10 s less to start
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio", "-rsfE", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


WINDOW = """
import pygame
import pytest

def open_window():
    pygame.display.init()
    pygame.display.set_mode((64, 48))
    pygame.display.quit()

@pytest.mark.window
def test_marked():
    open_window()

def test_unmarked():
    open_window()
"""
SLEEPY = "import time\n\ndef test_sleepy():\n    time.sleep(0.3)\n\ndef test_quick():\n    pass\n"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """One small suite, run as a developer would: no DEFUSE_REQUIRE_LRS."""
    files = {"test_live.py": RALPH_CANNOT_START, "test_win.py": WINDOW, "test_slow.py": SLEEPY}
    proc = run_suite(tmp_path_factory.mktemp("local"), files, slow_seconds=0.2)
    assert "1 failed, 4 passed, 1 skipped" in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


def test_locally_a_ralph_that_cannot_start_is_a_skip_with_the_reason(local_run):
    assert "SKIPPED [1] test_live.py" in local_run
    assert "Ralph LRS could not start here: pretend upgrade broke runserver" in local_run


def test_under_ci_a_ralph_that_cannot_start_fails_the_run(tmp_path):
    proc = run_suite(tmp_path, {"test_live.py": RALPH_CANNOT_START}, require_lrs="1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed, 1 error" in proc.stdout and "skipped" not in proc.stdout
    assert "pretend upgrade broke runserver" in proc.stdout and "DEFUSE_REQUIRE_LRS is set" in proc.stdout


def test_ci_sets_the_variable_and_runs_the_readme_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "export DEFUSE_REQUIRE_LRS=1" in ci
    assert ci[-1] == "make test" and "make test" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_opening_the_window_without_the_marker_fails_and_says_which_marker(local_run):
    assert "test_win.py::test_unmarked opened the pygame window: mark it @pytest.mark.window" in local_run
    assert "test_marked" not in local_run


def test_an_unmarked_slow_test_is_listed_after_the_run(local_run):
    assert "not marked slow" in local_run and "test_slow.py::test_sleepy" in local_run
    assert "test_quick" not in local_run


def test_an_unknown_marker_is_an_error(tmp_path):
    proc = run_suite(tmp_path, {"test_typo.py": "import pytest\n\n@pytest.mark.slwo\ndef test_x():\n    pass\n"})
    assert proc.returncode != 0 and "'slwo' not found in `markers`" in proc.stdout + proc.stderr


def test_using_the_live_lrs_without_the_marker_is_refused(tmp_path):
    proc = run_suite(tmp_path, {"test_live.py": RALPH_CANNOT_START.replace("@pytest.mark.lrs\n", "")})
    assert proc.returncode != 0
    assert "must be marked @pytest.mark.lrs: test_live.py::test_live" in proc.stdout + proc.stderr
