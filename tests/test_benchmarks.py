"""The benchmarks are not run by the suite (they measure, they do not assert), but they must not rot:
every name a benchmark imports from the product still exists, and the class-store filler the
report and push benchmarks share still writes sessions the store reads back whole."""
from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted([*BENCH.glob("bench_*.py"), BENCH / "classstore.py", BENCH / "run_all.py"])


def _product_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("simulator", "scoring"):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("simulator", "scoring"):
                    yield alias.name, None


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(script):
    missing = []
    for module, name in _product_imports(script):
        mod = importlib.import_module(module)
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{module}.{name}")
    assert missing == [], f"{script.name} imports names the product no longer has"


def test_the_class_store_filler_writes_sessions_the_reports_read(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        from classstore import fill
    finally:
        sys.path.remove(str(BENCH))
    from scoring import SCORING_VERSION
    from simulator.store import Store

    path = tmp_path / "class.db"
    fill(path, 30, trainees=4)
    with Store(path) as store:
        # each copy keeps its score as a finished session does, under today's rules (else a report re-scores them all)
        summaries = list(store.summaries(scoring_version=SCORING_VERSION))
        assert len(summaries) == 30
        assert {s.trainee for s in summaries} == {f"Trainee {t:03d}" for t in range(4)}
        assert all(s.scored and s.turn_count > 0 for s in summaries)
        assert {s.missed for s in summaries} > {()}  # the hostile and the hasty copies miss steps
        # the copied sessions are whole: each one reads back with its turns and a saved score
        one = store.get(summaries[0].id)
        assert len(one.turns) == summaries[0].turn_count and one.score["protocol"] == one.protocol
