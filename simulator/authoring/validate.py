"""`defuse validate`: load every scenario (or protocol) file named, gathering every error.

Folders are searched recursively for *.yaml and *.yml. A file whose top level has `steps`
and no `nodes` is read as a protocol, so trainers can check their own procedures too.
Nothing here prints: the command layer decides how the diagnostics are shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scoring.protocol import Protocol

from ..diagnostics import Diagnostic, ScenarioError
from ..library import Library, _id_position, _same_file, read_bytes, shown_path
from ..library import protocols as installed_protocols
from ..loader import Document, parse_yaml, scenario_of
from ..model import Scenario
from ..protocol_loader import load_protocol

__all__ = ["Checked", "scenario_files", "check_file", "check_paths"]

SUFFIXES = (".yaml", ".yml")


@dataclass
class Checked:
    """One file after validation: what it is, what it loaded to, and what is wrong with it."""

    path: str
    kind: str  # scenario | protocol
    scenario: Scenario | None = None
    document: Document | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sid: str | None = None  # the scenario's id, kept when the scenario itself is let go
    protocol: Protocol | None = None  # what a protocol file loaded to

    @property
    def ok(self) -> bool:
        return not any(d.severity.value == "error" for d in self.diagnostics)


def scenario_files(paths: list[str]) -> list[str]:
    """The files to check, in the order given; folders expand to their YAML files, sorted."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.suffix in SUFFIXES and f.is_file())
            out.extend(str(f) for f in found)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def _is_protocol(data) -> bool:
    return isinstance(data, dict) and "steps" in data and "nodes" not in data


def check_file(path: str, protocol_ids: set[str] | None = None) -> Checked:
    """Validate one file; never raises for anything the file holds."""
    try:
        raw = read_bytes(path)
    except ScenarioError as e:
        return Checked(path, "scenario", diagnostics=list(e.diagnostics))
    doc = parse_yaml(raw, path)
    if _is_protocol(doc.data):
        try:
            proto = load_protocol(raw, path)
        except ScenarioError as e:
            return Checked(path, "protocol", document=doc, diagnostics=list(e.diagnostics))
        return Checked(path, "protocol", document=doc, protocol=proto)
    ids = set(installed_protocols()) if protocol_ids is None else protocol_ids
    scenario = scenario_of(doc, ids)
    return Checked(path, "scenario", scenario, doc, sorted(doc.diagnostics))


def check_paths(paths: list[str], keep: bool = True) -> list[Checked]:
    """Every file checked. With keep=False only the diagnostics and the id stay of each file, so
    validating many files holds one parsed file at a time (memory flat in the number of files)."""
    ids = set(installed_protocols())
    checked = []
    for p in scenario_files(paths):
        c = check_file(p, ids)
        c.sid = c.scenario.id if c.scenario is not None else None
        if not keep:
            c.scenario = c.document = c.protocol = None
        checked.append(c)
    _clashes(checked)
    return checked


def _clashes(checked: list[Checked]) -> None:
    """E029 for a scenario whose id another file already holds: among the files checked, or in
    the library (the bundled scenarios and DEFUSE_SCENARIOS)."""
    holders: dict[str, list[Path]] = {}
    for sid, files in Library().index().items():
        holders.setdefault(sid, []).extend(files)
    for c in checked:
        if c.sid is not None:
            files = holders.setdefault(c.sid, [])
            if not any(_same_file(f, Path(c.path)) for f in files):
                files.append(Path(c.path))
    for c in checked:
        if c.sid is None:
            continue
        others = [f for f in holders[c.sid] if not _same_file(f, Path(c.path))]
        if others:
            line, col = _id_position(Path(c.path))
            c.diagnostics.append(
                Diagnostic(c.path, line, col, "E029", f"scenario id {c.sid!r} is also the id of {', '.join(map(shown_path, others))}: an id belongs to one file; rename one of them")
            )
            c.diagnostics.sort()
