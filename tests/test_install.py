"""A regular (non-editable) install finds its bundled scenarios, protocols and assets
from any directory: the data files really are inside the built package, and the only import
names it installs are `simulator` and `scoring` (no top-level `scenarios` or `assets`)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# pip builds and installs the whole project: tens of seconds
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A clean copy of what the build reads: setuptools builds in the source folder, so a build
    from the worktree itself would reuse (and leave) a `build/` with files from older trees."""
    src = tmp_path_factory.mktemp("src")
    for path in [ROOT / "pyproject.toml", ROOT / "README.md", *ROOT.glob("LICENSE*")]:
        shutil.copy(path, src)
    for folder in ("simulator", "scoring", "scenarios", "assets"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


@pytest.fixture(scope="module")
def installed(tmp_path_factory, source):
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"pip install failed:\n{proc.stderr[-2000:]}")
    # e.g. `project.license` as a table: setuptools 77+ wants an SPDX string and warns on every install
    assert "deprecat" not in (proc.stdout + proc.stderr).lower(), proc.stderr[-2000:]
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
    for folder, installed_as, pattern in [
        ("scenarios", "simulator/scenarios", "*.yaml"),
        ("scenarios", "simulator/scenarios", "*.po"),
        ("scoring/protocols", "scoring/protocols", "*.yaml"),
        ("simulator/reports/templates", "simulator/reports/templates", "*.j2"),
    ]:
        here = {p.name for p in (ROOT / folder).glob(pattern)}
        there = {p.name for p in (installed / installed_as).glob(pattern)}
        assert here and here == there, folder
    fonts = {p.name for p in (ROOT / "assets").rglob("*") if p.is_file() and p.suffix in {".ttf", ".otf", ".png", ".wav", ".txt"}}
    shipped = {p.name for p in (installed / "simulator" / "assets").rglob("*") if p.is_file()}
    assert fonts and fonts <= shipped


def test_installed_copy_has_only_simulator_and_scoring_as_import_names(installed):
    names = {p.name for p in installed.iterdir() if not p.name.endswith((".dist-info", ".egg-info")) and p.name != "bin"}
    assert names == {"simulator", "scoring"}


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory, source) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check", "-w", str(out), str(source)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{proc.stderr[-2000:]}")
    (wheel,) = out.glob("defuse-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_holds_only_simulator_and_scoring_at_top_level(wheel_names):
    top = {n.split("/", 1)[0] for n in wheel_names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"simulator", "scoring"}
    # the bundled data is inside simulator, not beside it
    assert "simulator/scenarios/billing_double_charge.yaml" in wheel_names
    assert "simulator/assets/fonts/DejaVuSans.ttf" in wheel_names
    assert "simulator/reports/templates/report.html.j2" in wheel_names
    assert "scoring/protocols/ten_step.yaml" in wheel_names


def test_wheel_carries_every_python_package_of_the_tree(wheel_names):
    # pyproject lists the packages by hand (the data folders are mapped into simulator): a new
    # subpackage missing from that list would be left out of every install
    tree = {str(p.parent.relative_to(ROOT)) for top in ("simulator", "scoring") for p in (ROOT / top).rglob("__init__.py")}
    shipped = {n.rsplit("/", 1)[0] for n in wheel_names if n.endswith("/__init__.py")}
    assert tree <= shipped, sorted(tree - shipped)
    modules = {str(p.relative_to(ROOT)) for top in ("simulator", "scoring") for p in (ROOT / top).rglob("*.py")}
    assert modules <= set(wheel_names), sorted(modules - set(wheel_names))
