"""YAML text -> validated model values, with every problem located as path:line:col.

The only module that parses YAML. It does no I/O: callers hand it the bytes (or text) and
the path to name in messages. It refuses anchors and aliases (alias bombs), duplicate keys,
tags, oversized or non-UTF-8 input and anything but a mapping at the top, then validates
with the pydantic models and checks every cross-reference, reporting all problems at once.
Nothing in a file is ever executed: scalars are built by the safe constructor only.
"""
from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Callable, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .actions import Action
from .diagnostics import Diagnostic, ScenarioError

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

# A scenario is text a person wrote (a generated 10,000-node stress test is about 2 MiB);
# anything much larger is a mistake or an attack.
MAX_BYTES = 4 * 1_048_576
MAX_DEPTH = 40  # real scenarios nest about 8 deep; deeper input would only exhaust the stack

# libyaml's parser is ten times faster; the pure-Python one gives the same structure.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple  # keys and indexes from the top of the document
M = TypeVar("M", bound=BaseModel)


@dataclass
class Positions:
    """1-based line/column of every value (and every mapping key) in a document."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), (1, 1))


@dataclass
class Document:
    path: str
    data: Any
    positions: Positions
    diagnostics: list[Diagnostic]
    # values already reported (a refused tag): the model validator stays quiet about them
    skip: set = field(default_factory=set)

    def diag(self, path: Path, code: str, message: str, key: bool = False) -> None:
        line, col = self.positions.at(path, key)
        self.diagnostics.append(Diagnostic(self.path, line, col, code, message))


def _mark(m) -> tuple[int, int]:
    return (m.line + 1, m.column + 1)


def _quote(v: Any, limit: int = 60) -> str:
    s = repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _decode(raw: bytes | str, path: str) -> tuple[str | None, list[Diagnostic]]:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BYTES:
        return None, [Diagnostic(path, 1, 1, "E001", f"the file is larger than the limit of {MAX_BYTES} bytes: a scenario is hand-written text")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        col = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
        return None, [Diagnostic(path, line, col, "E001", "binary data (a NUL byte): this is not a YAML text file")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return None, [Diagnostic(path, line, col, "E001", f"not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []


_SCALARS = yaml.constructor.SafeConstructor()


def parse_yaml(raw: bytes | str, path: str) -> Document:
    """Parse one YAML document into plain data plus positions; never raises."""
    text, diags = _decode(raw, path)
    doc = Document(path, None, Positions(), diags)
    if text is None:
        return doc
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        doc.diagnostics.append(Diagnostic(path, 1, 1, "E006", "the file is empty: a scenario is a YAML mapping"))
        return doc
    # First pass over the event stream: syntax errors, anchors/aliases and runaway nesting,
    # before anything is composed, so that an alias bomb is never expanded and a deeply
    # nested file never reaches the (recursive) composer.
    try:
        bad = False
        depth = 0
        aliases: dict[str, list] = {}  # anchor name -> [first position, uses]
        for ev in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(ev, yaml.AliasEvent):
                seen = aliases.setdefault(ev.anchor, [_mark(ev.start_mark), 0])
                seen[1] += 1
                bad = True
                continue
            if getattr(ev, "anchor", None):
                line, col = _mark(ev.start_mark)
                doc.diagnostics.append(Diagnostic(path, line, col, "E003", f"anchor '&{ev.anchor}' is not allowed: write each value out in full"))
                bad = True
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line, col = _mark(ev.start_mark)
                    doc.diagnostics.append(Diagnostic(path, line, col, "E002", f"YAML nested more than {MAX_DEPTH} levels deep"))
                    return doc
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
        for name, ((line, col), uses) in aliases.items():
            more = f" (and {uses - 1} more use{'s' if uses > 2 else ''})" if uses > 1 else ""
            doc.diagnostics.append(Diagnostic(path, line, col, "E003", f"alias '*{name}' is not allowed{more}: write the value out in full"))
        if bad:
            return doc
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        line, col = _mark(m) if m else (1, 1)
        what = e.problem or e.context or "invalid YAML"
        if e.problem and e.context:
            cm = e.context_mark
            started = f" that starts at line {cm.line + 1}, column {cm.column + 1}" if cm is not None and e.context.startswith("while") else ""
            what = f"{e.problem} ({e.context}{started})"
        doc.diagnostics.append(Diagnostic(path, line, col, "E002", f"YAML syntax error: {what}"))
        return doc
    except yaml.YAMLError as e:  # anything else the parser refuses
        doc.diagnostics.append(Diagnostic(path, 1, 1, "E002", f"YAML error: {_quote(str(e), 120)}"))
        return doc
    if root is None:
        doc.diagnostics.append(Diagnostic(path, 1, 1, "E006", "the file is empty: a scenario is a YAML mapping"))
        return doc
    if not isinstance(root, yaml.MappingNode):
        line, col = _mark(root.start_mark)
        kind = "a list" if isinstance(root, yaml.SequenceNode) else f"a single value {_quote(root.value)}"
        doc.diagnostics.append(Diagnostic(path, line, col, "E005", f"the top of the file must be a mapping of keys, not {kind}"))
        return doc
    doc.data = _build(root, (), doc)
    return doc


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def _build(node: yaml.Node, path: Path, doc: Document) -> Any:
    doc.positions.values[path] = _mark(node.start_mark)
    if node.tag not in _PLAIN_TAGS:
        line, col = _mark(node.start_mark)
        doc.diagnostics.append(Diagnostic(doc.path, line, col, "E013", f"tag {node.tag!r} is not allowed"))
        doc.skip.add(path)
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        seen: dict[Any, tuple[int, int]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                line, col = _mark(knode.start_mark)
                doc.diagnostics.append(Diagnostic(doc.path, line, col, "E012", "a key must be a plain value, not a list or mapping"))
                continue
            key = _SCALARS.construct_object(knode) if knode.tag in _PLAIN_TAGS else knode.value
            kpos = _mark(knode.start_mark)
            if not isinstance(key, str):
                # every key of both formats is a word; YAML turns on/off/yes/no into booleans
                hint = f": YAML reads {knode.value!r} as {_quote(key)}; put it in quotes" if knode.value != str(key) else "; put it in quotes"
                doc.diagnostics.append(Diagnostic(doc.path, kpos[0], kpos[1], "E012", f"key {knode.value!r} is not text{hint}"))
                continue
            if key in seen:
                doc.diagnostics.append(
                    Diagnostic(doc.path, kpos[0], kpos[1], "E004", f"duplicate key {_quote(key)} (first at line {seen[key][0]})")
                )
                continue
            seen[key] = kpos
            doc.positions.keys[path + (key,)] = kpos
            out[key] = _build(vnode, path + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node)


# ---------------------------------------------------------------- model validation


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


_ACTION_FIELDS = {"actions", "done", "not_done", "reactions"}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where(path: Path) -> str:
    parts = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts) or "top level"


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
            else:
                msg = err["msg"]
                doc.diag(loc, "E012", f"{_where(loc)}: {msg[:1].lower() + msg[1:]} (got {_quote(value)})")
        return None


def load_document(raw: bytes | str, path: str, protocols: set[str] | None = None):
    """Parse and check a scenario file without raising: (Scenario or None, the Document).

    The document keeps the positions of every value, so that later passes (the linter)
    can point at the line a finding is about.
    """
    doc = parse_yaml(raw, path)
    return scenario_of(doc, protocols), doc


def scenario_of(doc: Document, protocols: set[str] | None = None):
    """Cross-check and validate a parsed document as a scenario; None if it has any error."""
    from .checks import check_scenario
    from .model import Scenario

    if doc.data is None:
        return None
    check_scenario(doc, protocols)
    scenario = validate_model(doc, Scenario)
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
