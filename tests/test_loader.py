"""The loader's building blocks: positions straight from the event stream, safe scalars,
no cyclic collector left switched off, and every code documented for trainers."""
from __future__ import annotations

import gc
import re
import sys
from pathlib import Path

import pytest

from simulator.diagnostics import CODES, ScenarioError
from simulator.library import protocols
from simulator.loader import load_document, load_scenario, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_validate import generate  # noqa: E402  (the benchmark's generator: one source of big scenarios)


def test_positions_point_at_keys_and_values():
    text = "a: 1\nb:\n  - x\n  - {c: 'y', d: [1, 2]}\n"
    doc = parse_yaml(text, "t.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"c": "y", "d": [1, 2]}]}
    p = doc.positions
    assert p.at(("a",)) == (1, 4) and p.at(("a",), key=True) == (1, 1)
    assert p.at(("b", 0)) == (3, 5)
    assert p.at(("b", 1, "d", 1)) == (4, 21)
    assert p.at(("b", 1, "c"), key=True) == (4, 6)
    # a path that does not exist falls back to the nearest value that does
    assert p.at(("b", 1, "nope", 3)) == (4, 5)
    assert p.at(("b", 7)) == (3, 3)  # no item 7: the list itself
    assert p.at(()) == (1, 1)


def test_scalars_are_built_safely_and_like_yaml():
    doc = parse_yaml("a: yes\nb: 0x10\nc: ~\nd: '5'\ne: 1.5\nf: 2024-01-02\ng: !!str 12\n", "t.yaml")
    assert doc.data["a"] is True and doc.data["b"] == 16 and doc.data["c"] is None
    assert doc.data["d"] == "5" and doc.data["e"] == 1.5 and str(doc.data["f"]) == "2024-01-02" and doc.data["g"] == "12"
    assert not doc.diagnostics


def test_an_alias_bomb_is_refused_without_expanding_anything():
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n" + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    doc = parse_yaml(bomb, "bomb.yaml")
    assert doc.data is None and {d.code for d in doc.diagnostics} == {"E003"}


def test_the_cyclic_collector_is_on_again_after_every_load():
    assert gc.isenabled()
    for raw in (generate(50), "- a list\n", "a: [\n", b"\x00"):
        load_document(raw, "t.yaml", set(protocols()))
        assert gc.isenabled()


def test_a_large_generated_scenario_loads_with_exact_positions():
    text = generate(2000)
    sc, doc = load_document(text, "big.yaml", set(protocols()))
    assert sc is not None and len(sc.nodes) == 2000
    last = len(sc.nodes) - 3  # the last generated conversation node
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln == f"  - id: n{last}")
    assert doc.positions.at(("nodes", last, "id")) == (line, 9)


def test_errors_at_the_end_of_a_big_file_are_located():
    text = generate(500).replace("goto: done", "goto: dnoe", 1)
    with pytest.raises(ScenarioError) as e:
        load_scenario(text, "big.yaml", set(protocols()))
    (d,) = e.value.diagnostics
    assert d.code == "E021" and "'dnoe'" in d.message and "did you mean 'done'" in d.message
    assert text.splitlines()[d.line - 1][d.col - 1 :].startswith("dnoe")


def test_every_code_is_explained_in_the_authoring_guide():
    guide = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| ([EWT]\d{3}) \|", guide, flags=re.M))
    assert rows == set(CODES), f"missing: {sorted(set(CODES) - rows)}, unknown: {sorted(rows - set(CODES))}"
