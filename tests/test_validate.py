"""`defuse validate`: every broken file in tests/data/bad/ gives exactly the diagnostics in
its .expected file, with the exit status 1 and never a traceback; good files pass."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simulator.diagnostics import CODES
from simulator.loader import MAX_BYTES

ROOT = Path(__file__).resolve().parent.parent
BAD = Path("tests/data/bad")  # relative, as a trainer would type it; the test runs from ROOT
CASES = sorted((ROOT / BAD).glob("*.yaml"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _expected(case: Path) -> str:
    return case.with_suffix(".expected").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_broken_file_gives_exactly_the_expected_diagnostics(cli, case):
    if "E002" in _expected(case) and not yaml.__with_libyaml__:
        pytest.skip("syntax error wording comes from libyaml")
    rel = str(BAD / case.name)
    status, out, err = cli("validate", rel)
    assert status == 1
    assert out == _expected(case)
    assert "Traceback" not in out + err


def test_the_corpus_is_big_and_covers_every_error_code():
    assert len(CASES) >= 25
    seen = {line.split()[1] for c in CASES for line in _expected(c).splitlines()}
    errors = {c for c in CODES if c.startswith("E")}
    assert errors <= seen, f"codes without a broken example: {sorted(errors - seen)}"


def test_every_expected_line_names_its_own_file_with_a_position():
    for case in CASES:
        for line in _expected(case).splitlines():
            path, ln, col, rest = line.split(":", 3)
            assert path == str(BAD / case.name) and int(ln) >= 1 and int(col) >= 1
            assert rest.split()[0] in CODES


def test_a_huge_file_is_refused_before_it_is_parsed(cli, tmp_path):
    huge = tmp_path / "huge.yaml"
    line = b"# padding padding padding padding padding padding padding padding\n"
    huge.write_bytes(b"id: huge\n" + line * (MAX_BYTES // len(line) + 10))
    status, out, _ = cli("validate", str(huge))
    assert status == 1
    assert out == f"{huge}:1:1: E001 the file is larger than the limit of {MAX_BYTES} bytes: a scenario is hand-written text\n"


def test_a_missing_file_and_a_folder_of_nothing(cli, tmp_path):
    status, out, _ = cli("validate", str(tmp_path / "nope.yaml"))
    assert status == 1 and out == f"{tmp_path / 'nope.yaml'}:1:1: E001 cannot read the file: it does not exist\n"
    status, out, err = cli("validate", str(tmp_path))
    assert status == 1 and out == "" and "no .yaml or .yml files" in err


def test_a_folder_is_searched_recursively_and_reports_every_file(cli, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("01_empty.yaml", "18_unknown_goto.yaml"):
        (tmp_path / "a" / "b" / name.replace(".yaml", ".yml")).write_bytes((ROOT / BAD / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not yaml")
    status, out, err = cli("validate", str(tmp_path))
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("E006 the file is empty: a scenario is a YAML mapping")
    assert "E021" in lines[1] and "2 files checked: 2 errors" in err


def test_bundled_scenarios_and_protocols_validate(cli):
    status, out, err = cli("validate", "scenarios", "scoring/protocols")
    assert status == 0, out
    assert out == ""


def test_json_is_one_document_of_diagnostics(cli):
    status, out, _ = cli("validate", str(BAD / "29_many_problems.yaml"), "--json")
    assert status == 1
    doc = json.loads(out)
    assert [d["code"] for d in doc] == ["E012", "E023", "E024", "E022", "E021"]
    assert all(set(d) == {"path", "line", "col", "code", "message", "severity"} for d in doc)
    assert {d["severity"] for d in doc} == {"error"}


def test_validate_with_no_path_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as e:
        cli("validate")
    assert e.value.code == 2
