"""The architecture rules: the pure core imports neither pygame nor pyttsx3, the engine
never imports scoring, and importing the command line opens no window."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ["simulator/actions.py", "simulator/model.py", "simulator/customer.py", "simulator/engine.py", "simulator/compiled.py",
        "simulator/loader.py", "simulator/checks.py", "simulator/diagnostics.py", "simulator/protocol_loader.py", "simulator/facts.py",
        "simulator/yaml_reader.py", "simulator/validation.py",
        "scoring/__init__.py", "scoring/protocol.py", "scoring/kernel.py", "scoring/adherence.py", "scoring/traced.py", "scoring/sources.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_do_not_import_front_end_libraries():
    for rel in CORE:
        mods = imported_modules(ROOT / rel)
        assert not mods & {"pygame", "pyttsx3", "pygame_gui"}, rel


def test_core_does_no_io_of_its_own():
    for rel in CORE:
        mods = imported_modules(ROOT / rel)
        assert not mods & {"os", "sqlite3", "subprocess", "socket", "time", "datetime", "pathlib", "shutil"}, (rel, mods)
        text = (ROOT / rel).read_text()
        assert "open(" not in text.replace("model_validate", ""), rel


def test_engine_never_imports_scoring():
    for rel in ["simulator/engine.py", "simulator/compiled.py", "simulator/customer.py", "simulator/model.py", "simulator/actions.py"]:
        assert "scoring" not in imported_modules(ROOT / rel), rel


def test_only_play_imports_pygame_anywhere():
    for path in list((ROOT / "simulator").rglob("*.py")) + list((ROOT / "scoring").rglob("*.py")):
        if "play" in path.relative_to(ROOT).parts:
            continue
        assert not imported_modules(path) & {"pygame", "pyttsx3"}, path


def test_loading_the_core_in_a_fresh_interpreter_pulls_in_no_front_end():
    code = (
        "import sys, simulator, scoring, simulator.cli, simulator.engine, simulator.loader;"
        "from simulator.cli import build_parser; build_parser();"
        "bad = [m for m in ('pygame', 'pyttsx3') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_scoring_module_is_in_the_checked_core():
    # scoring does no I/O: a new module there is checked like the rest (reports live in simulator/reports)
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "scoring").rglob("*.py") if p.parent.name != "protocols"} <= set(CORE)


def test_scoring_reads_no_files_itself():
    assert "simulator.loader" not in imported_modules_full(ROOT / "scoring/protocol.py")
    for path in (ROOT / "scoring").rglob("*.py"):
        assert not {m for m in imported_modules_full(path) if m.startswith(("simulator.loader", "simulator.library", "simulator.store", "yaml"))}, path


def imported_modules_full(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names
