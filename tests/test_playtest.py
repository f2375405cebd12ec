"""`defuse test`: a scenario's own `tests:` block is played and every failure is located in
the file (golden cases in tests/data/playtest/); `lint` reports the same failures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoring import score
from simulator.authoring.playtest import run_tests
from simulator.library import protocol, protocols, read_bytes
from simulator.loader import load_document
from simulator.policies import parse_choices, play_choices

ROOT = Path(__file__).resolve().parent.parent
PLAY = Path("tests/data/playtest")
CASES = sorted((ROOT / PLAY).glob("*.yaml"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _expected(case: Path) -> str:
    return case.with_suffix(".expected").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_each_case_gives_exactly_the_expected_failures(cli, case):
    status, out, err = cli("test", str(PLAY / case.name))
    assert out == _expected(case)
    assert status == (1 if out else 0)
    assert "Traceback" not in err


def test_the_summary_counts_tests_and_failures(cli):
    status, out, err = cli("test", str(PLAY))
    assert status == 1
    assert err == "7 tests in 2 files: 3 passed, 4 failed\n"


def _scenario(text: str, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    sc, doc = load_document(read_bytes(path), str(path), set(protocols()))
    assert sc is not None, doc.diagnostics
    return sc, doc, path


def test_pass_and_score_expectations_name_the_protocol_and_the_real_score(tmp_path):
    text = (ROOT / PLAY / "02_all_pass.yaml").read_text()
    text = text.replace("expect: {outcome: resolved, passed: true, score: [80, 100]}", "expect: {passed: false, score: [0, 10]}\n    protocol: ten_step")
    sc, doc, path = _scenario(text, tmp_path)
    test = sc.tests[0]
    got = score(play_choices(sc, parse_choices(test.choices)).transcript(), protocol("ten_step"))
    [run, other] = run_tests(sc, protocol, doc)
    assert other.ok and run.total == got.total and run.passed == got.passed
    line = text.splitlines().index("    expect: {passed: false, score: [0, 10]}") + 1
    msgs = [str(d) for d in run.diagnostics]
    expected = [f"{path}:{line}:14: T001 test 'by the book': expected a fail against 'ten_step', got a pass (score {got.total:.1f}, pass mark 70)"] if got.passed else []
    expected.append(f"{path}:{line}:36: T001 test 'by the book': expected a score from 0 to 10 against 'ten_step', got {got.total:.1f}")
    assert msgs == expected


def test_a_failed_pass_says_why(tmp_path):
    text = (ROOT / PLAY / "02_all_pass.yaml").read_text().replace("expect: {outcome: customer_left, passed: false}", "expect: {passed: true}")
    sc, doc, _ = _scenario(text, tmp_path)
    run = run_tests(sc, protocol, doc)[1]
    assert [d.code for d in run.diagnostics] == ["T001"]
    assert "expected a pass against 'five_steps', got a fail (score" in run.diagnostics[0].message
    assert run.diagnostics[0].message.endswith("below the pass mark") or "critical" in run.diagnostics[0].message or "safety" in run.diagnostics[0].message


def test_lint_runs_the_tests_too(cli):
    status, out, _ = cli("lint", str(PLAY / "01_failing_tests.yaml"), "--warn-only")
    assert status == 1  # a failing test is an error, not a warning
    assert [ln for ln in out.splitlines() if " T00" in ln] == _expected(ROOT / PLAY / "01_failing_tests.yaml").splitlines()


def test_json_holds_every_test_and_every_diagnostic(cli):
    status, out, _ = cli("test", str(PLAY / "01_failing_tests.yaml"), "--json")
    doc = json.loads(out)
    assert status == 1
    assert [t["name"] for t in doc["tests"]] == ["by the book", "hang-up path said to resolve", "goes on after the end", "option not offered yet", "stops halfway"]
    assert [t["ok"] for t in doc["tests"]] == [True, False, False, False, False]
    assert doc["tests"][1]["outcome"] == "customer_left"
    assert [d["code"] for d in doc["diagnostics"]] == ["T002", "T001", "T002", "T002", "T001"]


def test_a_file_that_does_not_load_reports_its_errors_and_fails(cli):
    status, out, err = cli("test", "tests/data/bad/18_unknown_goto.yaml")
    assert status == 1 and " E021 " in out
    assert err == "0 tests in 1 file: 0 passed, 0 failed; 1 file error\n"


def test_a_scenario_without_tests_is_named(cli, tmp_path):
    text = (ROOT / PLAY / "02_all_pass.yaml").read_text()
    path = tmp_path / "none.yaml"
    path.write_text(text[: text.index("\ntests:")])
    status, out, err = cli("test", str(path))
    assert (status, out) == (0, "") and err == f"0 tests in 1 file: 0 passed, 0 failed; no tests in {path}\n"
