"""The error family: located diagnostics, gathered and printed as `path:line:col: CODE message`.

A loader never stops at the first problem; it collects `Diagnostic` records and raises one
`ScenarioError` holding all of them, sorted by position.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Severity",
    "Diagnostic",
    "DefuseError",
    "ScenarioError",
    "IllegalChoice",
    "format_diagnostics",
    "CODES",
    "LINT_CODES",
]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# Every code a loader or linter may emit, with a one-line meaning (docs/authoring.md explains each).
CODES: dict[str, str] = {
    "E001": "the file could not be read (missing, too large, not UTF-8 or binary)",
    "E002": "YAML syntax error",
    "E003": "YAML anchors and aliases are not allowed",
    "E004": "duplicate key in a mapping",
    "E005": "the top of the file must be a mapping",
    "E006": "the file is empty",
    "E010": "unknown key (a typo?)",
    "E011": "a required field is missing",
    "E012": "a value has the wrong type or is out of range",
    "E013": "YAML tags are not allowed",
    "E014": "a number that is not finite or too large",
    "E015": "a text value longer than the limit",
    "E020": "duplicate id",
    "E021": "an option or route leads to a node that does not exist",
    "E022": "unknown action",
    "E023": "unknown protocol",
    "E024": "the start node does not exist, or is an ending",
    "E025": "an end node has options, or a node without options is not an end",
    "E026": "routes must end with an unconditional route",
    "E027": "unsupported format version",
    "E028": "a scripted test names an option that does not exist",
    "E029": "another file already has this scenario id",
    "E030": "protocol step refers to an unknown step",
    "E031": "protocol order has a cycle",
    "E040": "a protocol step's lost_if names neither 'vent_cut' nor an action",
    "E041": "a prohibition (kind: avoid) forbids an action that is not harmful",
    "E042": "a prohibition (kind: avoid) has a place in the order (after)",
    "E043": "an ending's `after` names something that is not a step to do",
    "E050": "a text names a phrase ({name}) the scenario's `phrases:` does not have, or a phrase uses another",
    "E051": "a node's own change of mood that cannot apply: both `mood` and `anger_delta`, or on a narration node",
    "E052": "a change of distress, but the persona has no `distress`",
    "E053": "a condition tests a flag or counter that no option or node sets",
    "E054": "a name used both as a flag and as a counter",
    "E055": "`visited` names a node that does not exist",
    "E056": "too many different flags, counter values and visited nodes in conditions (at most 64)",
    "E057": "a condition whose any/all/not multiply out to more alternatives than can be compiled (at most 65,536)",
    # Scripted tests (`defuse test`, and `defuse lint`): the scenario's own `tests:` block.
    "T001": "a scripted test's expectation was not met (outcome, pass/fail, score range, complete)",
    "T002": "a scripted test cannot be played as written (an option not offered there, or the conversation ended first)",
    # Lint warnings (`defuse lint`): the file loads, but a trainee would meet a problem.
    "W101": "a node no playthrough can reach",
    "W102": "a node where, for some anger or history, no option is offered (a dead end that is not an ending)",
    "W103": "a loop with no way out: no ending can be reached from this node",
    "W104": "an option or route whose condition never holds on any path",
    "W105": "an ending no playthrough can reach",
    "W106": "a step of the scenario's protocol that no reachable option performs",
    "W107": "a customer line too long to read aloud comfortably",
    "W108": "a customer line with no words to say or show",
    "W109": "repeating a single action passes the scenario",
    "W110": "no reachable path passes: the best score is below the pass mark",
    "W111": "a model trainee who games (same position, most steps named, most calming, random, one action) passes over 10% of runs",
    "W112": "many options pinned in place, so the seeded order has little to shuffle",
    "W113": "unquoted text containing ' #': the rest of the line was read as a comment",
}

LINT_CODES: frozenset[str] = frozenset(c for c in CODES if c.startswith("W"))


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "message": self.message,
            "severity": self.severity.value,
        }


class DefuseError(Exception):
    """Base of every error Defuse raises on purpose (never a bare traceback for users)."""


class ScenarioError(DefuseError):
    """A file was rejected; `diagnostics` holds every problem found, sorted."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__(format_diagnostics(self.diagnostics))


class IllegalChoice(DefuseError):
    """A choice the engine cannot take in the current state (nothing was changed)."""


def format_diagnostics(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(str(d) for d in sorted(diagnostics))
