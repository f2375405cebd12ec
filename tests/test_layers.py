"""The house plan, enforced: the import-linter contracts in pyproject hold (and would catch a
break), every module sits on a rung of the ladder, no two modules import each other through
any chain, and a function-level import exists only to put off loading a heavy library."""
from __future__ import annotations

import ast
import copy
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]

# Libraries a function may import where it needs them: slow to load and needed by one feature
# (every `defuse` command would otherwise pay for them), or missing a system library on some
# machines (sounddevice needs PortAudio). Everything else is imported at the top of the module.
HEAVY = {"pygame", "pyttsx3", "pocketsphinx", "sounddevice", "matplotlib", "fpdf", "fontTools", "xlsxwriter", "jinja2", "markupsafe", "tqdm"}


def lint_imports(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def modules() -> dict[str, Path]:
    found = {}
    for top in ("simulator", "scoring"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def test_the_contracts_hold():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in proc.stdout


def test_the_ladder_contract_catches_an_import_from_a_higher_rung(tmp_path):
    # a copy of the code in which the engine reaches up to the command line's helpers
    for top in ("simulator", "scoring"):
        shutil.copytree(ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    engine = tmp_path / "simulator" / "engine.py"
    engine.write_text(engine.read_text() + "\nfrom .cli_common import fail  # noqa: E402\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # ahead of the editable install's finder
    proc = lint_imports(tmp_path, env)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "simulator.engine -> simulator.cli_common" in proc.stdout
    assert "BROKEN" in proc.stdout


def test_every_module_sits_on_a_rung_of_the_ladder():
    (ladder,) = [c for c in CONTRACTS if c["type"] == "layers"]
    rungs = {m.strip() for layer in ladder["layers"] for m in layer.replace("|", ":").split(":")}
    unplaced = sorted(
        m for m in modules() if m not in ("simulator", "scoring.protocols") and not any(m == r or m.startswith(r + ".") for r in rungs)
    )
    # a new module of simulator/ goes on the rung where its imports put it (pyproject, [tool.importlinter])
    assert not unplaced, unplaced


def cycles_in(graph) -> list[list[str]]:
    """Every set of modules that import each other through some chain (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


@pytest.fixture(scope="module")
def graph():
    # every import statement, function-level ones included
    return grimp.build_graph("simulator", "scoring", cache_dir=None)


def test_no_two_modules_import_each_other_through_any_chain(graph):
    assert not cycles_in(graph)
    # and the check sees one: the core reaching up to a module that imports it
    looped = copy.deepcopy(graph)
    looped.add_import(importer="simulator.actions", imported="simulator.session")
    (cycle,) = cycles_in(looped)
    assert {"simulator.actions", "simulator.session", "simulator.engine"} <= set(cycle)


def _heavy_modules(found: dict[str, Path]) -> set[str]:
    """Our modules that load a heavy library when imported (at their top level, or through another)."""
    tops: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text())
        targets = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                targets.add(_absolute(name, path, node))
        tops[name] = targets
    heavy = {n for n, t in tops.items() if {x.split(".")[0] for x in t} & HEAVY}
    while True:
        more = {n for n, t in tops.items() if n not in heavy and any(x in heavy or any(x.startswith(h + ".") for h in heavy) for x in t)}
        if not more:
            return heavy
        heavy |= more


def _absolute(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def test_function_level_imports_only_put_off_heavy_libraries():
    found = modules()
    heavy = _heavy_modules(found)
    wrong, unexplained = [], []
    for name, path in found.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        at_top = {id(n) for stmt in tree.body for n in ast.walk(stmt) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in at_top:
                continue
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else [_absolute(name, path, node)]
            for target in targets:
                ours = target in found
                if not (target.split(".")[0] in HEAVY or (ours and target in heavy)):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {target}")
            # the reason is written beside it: on its line, or above the run of imports it opens
            k = node.lineno - 1
            while k > 0 and "#" not in lines[k] and (not lines[k].strip() or lines[k].strip().startswith(("import ", "from "))):
                k -= 1
            if "#" not in lines[k] and "#" not in lines[node.lineno - 1]:
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, "import these at the top of the module: " + ", ".join(wrong)
    assert not unexplained, "say why this import waits (a comment on it or above it): " + ", ".join(unexplained)


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("simulator.checks", "simulator.loader"),  # the loader runs the checks; they read the YAML reader's documents
        ("simulator.play.window", "simulator.play.commands"),  # `play` opens the window, not the other way
        ("simulator.play.commands", "simulator.cli"),  # command modules register with the CLI, and import
        ("simulator.authoring.commands", "simulator.cli"),  # its helpers from cli_common
        ("simulator.authoring.formats", "simulator.cli"),
        ("simulator.reports.commands", "simulator.cli"),
        ("simulator.play.terminal", "simulator.cli_common"),  # front ends are handed a library and a store
        ("simulator.play.window", "simulator.cli_common"),
        ("scoring", "simulator.loader"),  # scoring reads no files: simulator.protocol_loader does
    ],
)
def test_the_ways_back_the_review_found_are_gone(graph, importer, imported):
    assert graph.find_shortest_chain(importer=importer, imported=imported) is None
