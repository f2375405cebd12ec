"""tools/sysdeps.sh and the Makefile: python3-venv is installed when `python3 -m venv` cannot
make an environment with pip and we are root; otherwise the one apt-get line is printed.

apt-get, id and python are stand-ins on PATH that log what they were asked: nothing is installed."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYSDEPS = ROOT / "tools" / "sysdeps.sh"

FAKE_PYTHON = """#!/bin/sh
# ensurepip is there once one of the packages in $FIXED_BY has been "installed"
case "$2" in
  *ensurepip*) [ -n "$HAS_VENV" ] && exit 0; for p in $FIXED_BY; do grep -qx "install -y -qq $p" "$LOG" && exit 0; done; exit 1 ;;
  *version_info*) echo 3.11 ;;
esac
"""
FAKE_APT = """#!/bin/sh
echo "$*" >> "$LOG"
"""


def run_sysdeps(tmp_path: Path, uid: int, fixed_by: str, has_venv: bool = False) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name, text in [("python3.11", FAKE_PYTHON), ("apt-get", FAKE_APT), ("id", f"#!/bin/sh\necho {uid}\n")]:
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    log = tmp_path / "apt.log"
    env = dict(os.environ, PATH=f"{bin_}{os.pathsep}/usr/bin{os.pathsep}/bin", LOG=str(log), FIXED_BY=fixed_by, HAS_VENV="1" if has_venv else "")
    proc = subprocess.run(["/bin/sh", str(SYSDEPS), "venv", str(bin_ / "python3.11")], capture_output=True, text=True, env=env, timeout=60)
    return proc, (log.read_text().splitlines() if log.exists() else [])


def test_nothing_is_installed_when_venv_works(tmp_path):
    proc, apt = run_sysdeps(tmp_path, 0, fixed_by="", has_venv=True)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert apt == []


def test_root_installs_python3_venv(tmp_path):
    proc, apt = run_sysdeps(tmp_path, 0, fixed_by="python3-venv")
    assert proc.returncode == 0, proc.stderr
    assert apt == ["install -y -qq python3-venv"]
    assert "installing python3-venv" in proc.stdout


def test_root_falls_back_to_the_versioned_package(tmp_path):
    proc, apt = run_sysdeps(tmp_path, 0, fixed_by="python3.11-venv")
    assert proc.returncode == 0, proc.stderr
    assert apt == ["install -y -qq python3-venv", "install -y -qq python3.11-venv"]


def test_when_nothing_helps_it_fails_with_the_command_to_run(tmp_path):
    proc, apt = run_sysdeps(tmp_path, 0, fixed_by="")
    assert proc.returncode == 1
    assert "sudo apt-get install python3-venv python3.11-venv" in proc.stderr


def test_not_root_prints_the_command_and_installs_nothing(tmp_path):
    proc, apt = run_sysdeps(tmp_path, 1000, fixed_by="python3-venv")
    assert proc.returncode == 1 and apt == []
    assert "sudo apt-get install python3-venv python3.11-venv" in proc.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_makefile_asks_sysdeps_before_making_the_venv():
    # -n prints the recipe without running it; -B as if .venv/.base were out of date
    out = subprocess.run(["make", "-n", "-B", "--no-print-directory", ".venv/.base", "PYTHON=/opt/py/bin/python3.12"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    first = out.splitlines()[0]
    assert "sh tools/sysdeps.sh venv /opt/py/bin/python3.12 && /opt/py/bin/python3.12 -m venv" in first
    assert first.startswith(".venv/bin/python -m pip --version")  # a venv without pip is made again
