"""`defuse lint`: each case in tests/data/lint/ gives exactly its expected warnings; codes
are silenced per scenario; exit status 1 while warnings remain unless --warn-only."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.diagnostics import CODES, LINT_CODES
from simulator.library import protocol, read_bytes
from simulator.loader import load_document

ROOT = Path(__file__).resolve().parent.parent
LINT = Path("tests/data/lint")
CASES = sorted((ROOT / LINT).glob("*.yaml"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _expected(case: Path) -> str:
    return case.with_suffix(".expected").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lint_case_gives_exactly_the_expected_warnings(cli, case):
    status, out, err = cli("lint", str(LINT / case.name))
    assert out == _expected(case)
    assert status == (1 if out else 0)


def test_every_warning_code_has_a_case():
    seen = {line.split()[1] for c in CASES for line in _expected(c).splitlines()}
    assert LINT_CODES <= seen, f"lint codes without a case: {sorted(LINT_CODES - seen)}"
    assert LINT_CODES == {f"W{n}" for n in range(101, 114)}
    assert all(CODES[c] for c in LINT_CODES)


@pytest.mark.slow
def test_warnings_carry_the_warning_severity_in_json(cli):
    status, out, _ = cli("lint", str(LINT / "03_loop_without_exit.yaml"), "--json")
    doc = json.loads(out)
    assert status == 1
    assert [(d["code"], d["severity"], d["line"]) for d in doc] == [("W103", "warning", 16), ("W103", "warning", 20)]


def test_warn_only_exits_zero_on_warnings_but_not_on_errors(cli):
    status, out, _ = cli("lint", str(LINT / "07_long_line.yaml"), "--warn-only")
    assert status == 0 and "W107" in out
    status, out, _ = cli("lint", "tests/data/bad/18_unknown_goto.yaml", "--warn-only")
    assert status == 1 and "E021" in out


def test_a_silenced_code_is_reported_once_the_ignore_is_removed(cli, tmp_path):
    src = (ROOT / LINT / "11_silenced.yaml").read_text()
    assert _expected(ROOT / LINT / "11_silenced.yaml") == ""
    loud = tmp_path / "loud.yaml"
    loud.write_text(src.replace("ignore: [W106, W108, W110]", "ignore: [W106, W110]"))
    status, out, _ = cli("lint", str(loud))
    assert status == 1
    assert out.splitlines() == [f"{loud}:12:30: W108 line 'a.line' has no words in its text ('...'): there is nothing to say or show"]


@pytest.mark.slow
def test_bundled_scenarios_lint(cli):
    # The bundled library should be lint-clean; report what is not (fixing them is the authors' job).
    status, out, err = cli("lint", "scenarios", "--warn-only")
    assert status == 0, out
    assert "E0" not in out


def _lint_text(tmp_path, text: str):
    from simulator.authoring.lint import lint

    path = tmp_path / "s.yaml"
    path.write_text(text)
    sc, doc = load_document(read_bytes(path), str(path), None)
    assert sc is not None, doc.diagnostics
    return [d.code for d in lint(sc, doc, protocol(sc.protocol))]


def test_anger_only_routes_are_treated_as_possible(tmp_path):
    # the hostile route is reachable only for some anger: it must not be called unreachable
    text = (ROOT / LINT / "01_unreachable_node.yaml").read_text().replace(
        "      - {id: go, text: \"Hi.\", actions: [listen], goto: z}\n  - id: orphan",
        "      - id: go\n        text: \"Hi.\"\n        actions: [listen]\n        routes:\n"
        "          - when: {band: [hostile]}\n            goto: orphan\n          - goto: z\n  - id: orphan",
    )
    assert _lint_text(tmp_path, text) == []
