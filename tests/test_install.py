"""A regular (non-editable) install finds its bundled scenarios, protocols and assets
from any directory: the data files really are inside the built package."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", "--target", str(target), str(ROOT)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"pip install failed:\n{proc.stderr[-2000:]}")
    return target


def run_installed(target: Path, cwd: Path, *argv: str) -> str:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import simulator, scoring;"
        "assert simulator.__file__.startswith(sys.argv[1]), simulator.__file__;"
        "from simulator.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target), *argv], capture_output=True, text=True, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_installed_copy_lists_protocols_and_scenarios_from_elsewhere(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    protos = json.loads(run_installed(installed, elsewhere, "protocols", "--json"))
    assert len(protos) >= 10
    scenarios = json.loads(run_installed(installed, elsewhere, "scenarios", "--json"))
    assert "billing_double_charge" in {s["id"] for s in scenarios}
    assert all(s["path"].startswith(str(installed)) for s in scenarios)
    # and a scripted run works from the installed copy
    doc = json.loads(run_installed(installed, elsewhere, "run", "billing_double_charge", "--policy", "protocol", "--no-save", "--json"))
    assert doc["score"]["passed"]


def test_installed_copy_carries_every_data_file(installed):
    for folder, pattern in [("scenarios", "*.yaml"), ("scenarios", "*.po"), ("scoring/protocols", "*.yaml")]:
        here = {p.name for p in (ROOT / folder).glob(pattern)}
        there = {p.name for p in (installed / folder).glob(pattern)}
        assert here and here == there, folder
    fonts = {p.name for p in (ROOT / "assets").rglob("*") if p.is_file() and p.suffix in {".ttf", ".otf", ".png", ".wav", ".txt"}}
    shipped = {p.name for p in (installed / "assets").rglob("*") if p.is_file()}
    assert fonts <= shipped
