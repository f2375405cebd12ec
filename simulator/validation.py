"""Pydantic's validation errors -> located diagnostics in the file's own words.

`validate_model` checks a parsed `Document` against a model and turns each error into a
`path:line:col: CODE message` (an unknown key with the nearest known one, a missing key, an
unknown action, a bare `no` that YAML read as false), so a trainer never sees pydantic's text.
"""
from __future__ import annotations

import difflib
import re
import typing
from types import UnionType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .actions import Action
from .syntax_hints import bare_word
from .yaml_reader import Document, Path
from .yaml_reader import quote as _quote

__all__ = ["validate_model"]

M = TypeVar("M", bound=BaseModel)


def _fields_of(tp: Any) -> Any:
    """The pydantic model class inside an annotation (through Optional, list, dict)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _fields_of(typing.get_args(tp)[0])
    if origin in (typing.Union, UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                return _fields_of(arg)
    return tp


def _model_at(model: type[BaseModel], path: Path) -> type[BaseModel] | None:
    current: Any = model
    for part in path:
        current = _fields_of(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif typing.get_origin(current) in (list, dict):
            args = typing.get_args(current)
            current = args[-1]
        else:
            return None
    current = _fields_of(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_ACTION_FIELDS = {"actions", "done", "not_done", "reactions", "action", "requires"}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where(path: Path) -> str:
    parts = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts) or "top level"


def _source_at(doc: Document, loc: Path) -> str:
    """The word as written in the file at a value's position (a bare `no`, `off`, `1.0`)."""
    line, col = doc.positions.at(loc)
    lines = doc.text.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    m = re.match(r"[^\s,\]}#]*", lines[line - 1][col - 1 :])
    return m.group(0) if m else ""


def validate_model(doc: Document, model: type[M]) -> M | None:
    """Validate `doc.data` against `model`, turning every pydantic error into a located diagnostic."""
    if doc.data is None:
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p != "[key]")
            typ = err["type"]
            value = err.get("input")
            if any(loc[:i] in doc.skip for i in range(len(loc) + 1)):
                continue
            if typ == "extra_forbidden":
                owner = _model_at(model, loc[:-1])
                allowed = sorted(owner.model_fields) if owner else []
                hint = _suggest(loc[-1], allowed) or (f" (expected one of: {', '.join(allowed)})" if allowed else "")
                doc.diag(loc, "E010", f"unknown key {_quote(loc[-1])} in {_where(loc[:-1])}{hint}", key=True)
            elif typ == "missing":
                doc.diag(loc[:-1], "E011", f"missing required key {loc[-1]!r} in {_where(loc[:-1])}")
            elif typ == "enum" and any(p in _ACTION_FIELDS for p in loc if isinstance(p, str)):
                doc.diag(loc, "E022", f"unknown action {_quote(value)}{_suggest(value, [a.value for a in Action])}")
            elif typ == "literal_error" and loc == ("format_version",):
                doc.diag(loc, "E027", f"format_version {_quote(value)} is not supported (this version of Defuse reads 1)")
            elif typ == "string_pattern_mismatch" and loc and loc[-1] in ("id", "goto", "start", "hangup", "vent_start", "protocol"):
                doc.diag(loc, "E012", f"{_where(loc)}: {_quote(value)} is not a valid id: use letters, digits, _ . and -, starting with a letter")
            elif typ == "string_type" and (hint := bare_word(_source_at(doc, loc), value)):
                doc.diag(loc, "E012", f"{_where(loc)}: {hint}")
            else:
                msg = err["msg"]
                doc.diag(loc, "E012", f"{_where(loc)}: {msg[:1].lower() + msg[1:]} (got {_quote(value)})")
        return None
