"""`defuse test`: run a scenario's own `tests:` block and locate every failure in the file.

Each scripted test plays its choices through the engine (with its seed), scores the
session against its protocol (the scenario's, unless the test names another) and compares
the result with `expect:`. A failure is a `Diagnostic` pointing at the part of the test it
is about: the expectation that was not met (T001), or the choice that could not be played
as written (T002). `defuse lint` and the project's own test suite run the same function,
so a scenario's proof is checked the same way everywhere. Nothing here prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from scoring import score
from scoring.protocol import Protocol

from ..diagnostics import Diagnostic, IllegalChoice
from ..engine import choose, start
from ..loader import Document
from ..model import Scenario, ScriptedTest
from ..policies import parse_choices

__all__ = ["TestRun", "run_test", "run_tests"]


@dataclass
class TestRun:
    """One scripted test after it was played: what happened and what was wrong."""

    name: str
    outcome: str | None = None
    total: float | None = None
    passed: bool | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "outcome": self.outcome,
            "score": None if self.total is None else round(self.total, 1),
            "passed": self.passed,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def _pos(doc: Document | None, path: tuple) -> tuple[int, int]:
    return doc.positions.at(path) if doc is not None else (1, 1)


def run_test(scenario: Scenario, t: int, test: ScriptedTest, protocol_of: Callable[[str], Protocol], doc: Document | None = None, path: str = "") -> TestRun:
    """Play test number `t` (0-based) of the scenario and check its expectations."""
    where = doc.path if doc is not None else path
    run = TestRun(test.name)

    def fail(at: tuple, code: str, message: str) -> None:
        line, col = _pos(doc, ("tests", t) + at)
        run.diagnostics.append(Diagnostic(where, line, col, code, f"test {test.name!r}: {message}"))

    state = start(scenario, test.seed)
    choices = parse_choices(test.choices)
    for c, (option_id, early) in enumerate(choices):
        if state.finished:
            fail(("choices", c), "T002", f"the conversation ended ({state.outcome.value}, at node {state.node!r}) after {c} of {len(choices)} choices; {option_id!r} and the rest were never played")
            break
        try:
            state = choose(scenario, state, option_id, interrupted=early)
        except IllegalChoice as e:
            fail(("choices", c), "T002", f"choice {c + 1}, {option_id!r}, cannot be played: {e}")
            return run
    proto = protocol_of(test.protocol or scenario.protocol)
    result = score(state.transcript(), proto)
    run.outcome = state.outcome.value if state.outcome else None
    run.total, run.passed = result.total, result.passed
    e = test.expect
    got_outcome = run.outcome or "none: the choices ran out before an ending"
    if e.outcome is not None and state.outcome != e.outcome:
        fail(("expect", "outcome"), "T001", f"expected outcome {e.outcome.value}, got {got_outcome}")
    if e.complete is not None and state.finished != e.complete:
        got = f"false: the choices ran out before an ending" if not state.finished else f"true: it ended {run.outcome}"
        fail(("expect", "complete"), "T001", f"expected complete: {str(e.complete).lower()}, got {got}")
    if e.passed is not None and result.passed != e.passed:
        why = "" if result.passed else f"; {_why_failed(result, proto)}"
        fail(("expect", "passed"), "T001", f"expected {'a pass' if e.passed else 'a fail'} against {proto.id!r}, got {'a pass' if result.passed else 'a fail'} (score {result.total:.1f}, pass mark {proto.pass_mark:g}){why}")
    if e.score is not None:
        lo, hi = e.score
        if not lo <= result.total <= hi:
            fail(("expect", "score"), "T001", f"expected a score from {lo:g} to {hi:g} against {proto.id!r}, got {result.total:.1f}")
    return run


def _why_failed(result, proto: Protocol) -> str:
    """The first reason a session failed, in a few words."""
    if result.total < proto.pass_mark:
        return "below the pass mark"
    if result.safety_broken:
        return "the safety rule was broken"
    if result.critical_missed:
        return "critical step missed: " + ", ".join(result.critical_missed)
    first = next((f.message for f in result.feedback), None)
    return f"first feedback: {first}" if first else "the scorer gave no reason"


def run_tests(scenario: Scenario, protocol_of: Callable[[str], Protocol], doc: Document | None = None, path: str = "") -> list[TestRun]:
    """Every scripted test of the scenario, in file order."""
    return [run_test(scenario, t, test, protocol_of, doc, path) for t, test in enumerate(scenario.tests)]
