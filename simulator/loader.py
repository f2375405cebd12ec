"""Scenario files: YAML bytes -> a checked `Scenario`, with every problem located as path:line:col.

The file-formats layer's entry point for scenarios (and, through `load_with`, any document
type: protocols use it). It does no I/O: callers hand it the bytes and the path to name in
messages. Reading YAML with positions is `yaml_reader`'s job, the cross-reference checks are
`checks`', and turning pydantic's errors into diagnostics is `validation`'s; every problem of
a file is reported at once.
"""
from __future__ import annotations

import gc
from typing import Callable, TypeVar

from pydantic import BaseModel

from .checks import check_scenario
from .compiled import too_complex
from .diagnostics import ScenarioError
from .model import Scenario
from .validation import validate_model
from .yaml_reader import MAX_BYTES, MAX_DEPTH, Document, Positions, parse_yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Document",
    "parse_yaml",
    "validate_model",
    "load_scenario",
    "load_document",
    "scenario_of",
    "load_with",
    "Positions",
]

M = TypeVar("M", bound=BaseModel)


def load_document(raw: bytes | str, path: str, protocols: set[str] | None = None):
    """Parse and check a scenario file without raising: (Scenario or None, the Document).

    The document keeps the positions of every value, so that later passes (the linter)
    can point at the line a finding is about.
    """
    collecting = gc.isenabled()
    gc.disable()  # see parse_yaml: the checks and the model add no cycles either
    try:
        doc = parse_yaml(raw, path)
        return scenario_of(doc, protocols), doc
    finally:
        if collecting:
            gc.enable()


def scenario_of(doc: Document, protocols: set[str] | None = None):
    """Cross-check and validate a parsed document as a scenario; None if it has any error."""
    if doc.data is None:
        return None
    check_scenario(doc, protocols)
    scenario = validate_model(doc, Scenario)
    if scenario is not None and not doc.diagnostics:
        for path, reason in too_complex(scenario):
            doc.diag(path, "E057", reason)
    return None if doc.diagnostics else scenario


def load_scenario(raw: bytes | str, path: str, protocols: set[str] | None = None):
    """Parse and check a scenario file; returns the Scenario or raises ScenarioError with every problem."""
    scenario, doc = load_document(raw, path, protocols)
    if doc.diagnostics:
        raise ScenarioError(doc.diagnostics)
    return scenario


def load_with(raw: bytes | str, path: str, model: type[M], check: Callable[[Document], None] | None = None) -> M:
    """Parse, cross-check and validate any document type (protocols use this)."""
    doc = parse_yaml(raw, path)
    if doc.data is not None and check is not None:
        check(doc)
    value = validate_model(doc, model) if doc.data is not None else None
    if doc.diagnostics:
        raise ScenarioError(doc.diagnostics)
    return value
