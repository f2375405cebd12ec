"""Large inputs: a graph too big to lay out is refused with advice; one scenario of a big folder
is found through the index without parsing the rest; validate keeps no parsed file."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_validate import generate  # noqa: E402

from simulator.library import Library  # noqa: E402


def test_graph_refuses_an_image_of_a_huge_scenario_with_advice(cli, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(generate(1200), encoding="utf-8")
    status, out, err = cli("graph", str(big), "-o", str(tmp_path / "g.svg"))
    assert status == 1 and not (tmp_path / "g.svg").exists()
    assert err == (
        f"defuse: {big} has 1200 nodes, more than an image layout handles (at most 1000): draw a part with --from NODE --depth K,"
        " or write g.dot or .mmd and view it with a tool made for large graphs\n"
    )
    assert cli("graph", str(big), "-o", str(tmp_path / "g.dot"))[0] == 0
    # the advice works: a part of it is small enough to lay out
    status, _, err = cli("graph", str(big), "--from", "n600", "--depth", "5", "-o", str(tmp_path / "part.dot"))
    assert status == 0, err
    part = (tmp_path / "part.dot").read_text(encoding="utf-8")
    assert 1 < part.count("label=") < 200


def folder_of(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    text = generate(10)
    for i in range(n):
        (folder / f"s{i}.yaml").write_text(text.replace("id: generated_10", f"id: many_{i}", 1), encoding="utf-8")
    return folder


def test_the_index_is_cached_and_one_scenario_is_parsed_alone(tmp_path, monkeypatch):
    folder = folder_of(tmp_path, 30)
    cache = tmp_path / "index.json"
    assert Library([folder], cache=cache).get("many_7").scenario.id == "many_7"
    assert cache.exists()
    import simulator.library as library

    parsed = []
    real = library._declared_id
    monkeypatch.setattr(library, "_declared_id", lambda p: parsed.append(p) or real(p))
    loaded = []
    real_load = library.load_scenario
    monkeypatch.setattr(library, "load_scenario", lambda raw, path, ids: loaded.append(path) or real_load(raw, path, ids))
    assert Library([folder], cache=cache).get("many_21").scenario.id == "many_21"
    assert parsed == [] and loaded == [str(folder / "s21.yaml")]  # nothing re-read but the one played
    (folder / "s3.yaml").write_text(generate(10).replace("id: generated_10", "id: renamed", 1), encoding="utf-8")
    lib = Library([folder], cache=cache)
    assert "renamed" in lib.index() and "many_3" not in lib.index()
    assert parsed == [folder / "s3.yaml"]  # a changed file is parsed again, and only it


def test_validate_lets_each_parsed_file_go(tmp_path):
    from simulator.authoring.validate import check_paths

    folder = folder_of(tmp_path, 5)
    checked = check_paths([str(folder)], keep=False)
    assert [c.sid for c in checked] == [f"many_{i}" for i in (0, 1, 2, 3, 4)]
    assert all(c.scenario is None and c.document is None and c.diagnostics == [] for c in checked)
