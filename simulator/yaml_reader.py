"""The YAML reader: text -> plain data with the 1-based line and column of every value.

The only module that parses YAML. It does no I/O: callers hand it the bytes (or text) and the
path to name in messages. It refuses anchors and aliases (alias bombs), duplicate keys, tags,
oversized or non-UTF-8 input and anything but a mapping at the top, reporting every problem
as a located diagnostic on the returned `Document`. Nothing in a file is ever executed:
scalars are built by the safe constructor only.
"""
from __future__ import annotations

import gc
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic
from .syntax_hints import explain_syntax_error

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_TEXT", "Document", "Positions", "parse_yaml", "quote"]

MAX_BYTES = 4 * 1_048_576
MAX_DEPTH = 40  # real scenarios nest about 8 deep; deeper input would only exhaust the stack

# libyaml's parser is ten times faster; the pure-Python one gives the same structure.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple  # keys and indexes from the top of the document


class Positions:
    """1-based line/column of every value (and every mapping key) in a document.

    Marks are kept beside each container rather than in one table keyed by path, so that
    parsing does no per-value bookkeeping beyond storing the parser's own mark; a lookup
    walks the path through the data (rare: only when something is reported).
    """

    def __init__(self):
        self.data: Any = None
        self.root: Any = None  # mark of the top value
        self.marks: dict[int, tuple] = {}  # id(container) -> (key marks or None, value marks)

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        """The position of the value at `path` (of its key, with key=True), or of the
        nearest enclosing value that exists."""
        best = self.root
        node = self.data
        last = len(path) - 1
        for i, part in enumerate(path):
            rec = self.marks.get(id(node)) if isinstance(node, (dict, list)) else None
            if rec is None:
                break
            kmarks, vmarks = rec
            if kmarks is not None:
                if part not in vmarks:
                    if key and i == last and part in kmarks:
                        best = kmarks[part]
                    break
                if key and i == last:
                    best = kmarks.get(part, vmarks[part])
                    break
                best = vmarks[part]
            else:
                if not isinstance(part, int) or not 0 <= part < len(vmarks):
                    break
                best = vmarks[part]
            node = node[part]
        return (best.line + 1, best.column + 1) if best is not None else (1, 1)


@dataclass
class Document:
    path: str
    data: Any
    positions: Positions
    diagnostics: list[Diagnostic]
    text: str = ""  # the decoded source, for messages and checks that quote the file itself
    # values already reported (a refused tag): the model validator stays quiet about them
    skip: set = field(default_factory=set)

    def diag(self, path: Path, code: str, message: str, key: bool = False) -> None:
        line, col = self.positions.at(path, key)
        self.diagnostics.append(Diagnostic(self.path, line, col, code, message))


def _mark(m) -> tuple[int, int]:
    return (m.line + 1, m.column + 1)


def quote(v: Any, limit: int = 60) -> str:
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
    doc = Document(path, None, Positions(), diags, text or "")
    if text is None:
        return doc
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        doc.diagnostics.append(Diagnostic(path, 1, 1, "E006", "the file is empty: a scenario is a YAML mapping"))
        return doc
    # The parse allocates a few objects per event and none of them form cycles; the cyclic
    # collector would only rescan the growing heap again and again (half the time on a
    # large file), so it waits until the parse is over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        built = _Builder(doc).run(text)
    except _TooDeep as e:
        doc.diagnostics.append(Diagnostic(path, e.pos[0], e.pos[1], "E002", f"YAML nested more than {MAX_DEPTH} levels deep"))
        return doc
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        line, col = _mark(m) if m else (1, 1)
        cm = e.context_mark
        try:
            plain = explain_syntax_error(text, e.problem, e.context, line, col, *(_mark(cm) if cm is not None else (None, None)))
        except (IndexError, ValueError):  # a hint is a nicety: never let it hide the error itself
            plain = None
        if plain is not None:
            doc.diagnostics.append(Diagnostic(path, plain[0], plain[1], "E002", plain[2]))
            return doc
        what = e.problem or e.context or "invalid YAML"
        if e.problem and e.context:
            cm = e.context_mark
            started = f" that starts at line {cm.line + 1}, column {cm.column + 1}" if cm is not None and e.context.startswith("while") else ""
            what = f"{e.problem} ({e.context}{started})"
        doc.diagnostics.append(Diagnostic(path, line, col, "E002", f"YAML syntax error: {what}"))
        return doc
    except yaml.reader.ReaderError:
        # a character YAML does not allow; find it ourselves, for its line and column
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        at = bad.start() if bad else 0
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        what = f"character U+{ord(bad.group()):04X} is not allowed in YAML" if bad else "a character YAML does not allow"
        doc.diagnostics.append(Diagnostic(path, line, col, "E002", f"YAML syntax error: {what} (a control character?)"))
        return doc
    except yaml.YAMLError as e:  # anything else the parser refuses
        doc.diagnostics.append(Diagnostic(path, 1, 1, "E002", f"YAML error: {quote(str(e), 120)}"))
        return doc
    finally:
        if collecting:
            gc.enable()
    if built is not None:
        doc.data = built
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


MAX_TEXT = 10_000  # characters of one text value (a line, an option, a persona description)
_RESOLVER = yaml.resolver.Resolver()
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"
_NO_KEY = object()  # a mapping frame waiting for its next key
_SKIP = object()  # a key already reported: its value is read but not kept


class _Frame:
    __slots__ = ("value", "path", "key", "kmarks", "vmarks", "is_map")

    def __init__(self, value, path, positions: Positions | None):
        self.value = value
        self.path = path  # None: the container is being read only to be dropped
        self.key = _NO_KEY
        self.is_map = type(value) is dict
        self.kmarks = {} if self.is_map else None
        self.vmarks = {} if self.is_map else []
        if positions is not None:
            positions.marks[id(value)] = (self.kmarks, self.vmarks)


def _pos(m) -> tuple[int, int]:
    return (m.line + 1, m.column + 1)


class _Builder:
    """Plain data and positions straight from libyaml's event stream, in one pass.

    Composing a node tree first (what yaml.compose does) costs several times the parse, and
    the composer is recursive; building from events is linear and keeps full control: an
    anchor or alias is refused before anything is expanded, nesting is capped, duplicate
    and non-text keys are reported where they stand, and only the safe scalar types are
    ever constructed.
    """

    def __init__(self, doc: Document):
        self.doc = doc
        self.found: list[Diagnostic] = []
        self.aliases: dict[str, list] = {}  # anchor name -> [first position, uses]
        self.anchored = False
        self.plain: dict[str, tuple] = {}

    def _diag(self, pos, code, message):
        self.found.append(Diagnostic(self.doc.path, pos[0], pos[1], code, message))

    def run(self, text: str):
        doc = self.doc
        positions = doc.positions
        stack: list[_Frame] = []
        root = _NO_KEY
        root_event = None
        documents = 0
        ScalarEvent = yaml.ScalarEvent
        MappingStart, SequenceStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
        MappingEnd, SequenceEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
        implicit = _IMPLICIT
        wildcard = None in _IMPLICIT
        for ev in yaml.parse(text, Loader=_YAML_LOADER):
            cls = type(ev)
            if cls is ScalarEvent:
                m = ev.start_mark
                if ev.anchor:
                    self._anchor(ev, _pos(m))
                # the hot path, inlined: untagged text that cannot be a number, bool or null
                tag = ev.tag
                v = ev.value
                if (tag is None or tag == "!") and (not ev.implicit[0] or (v and v[0] not in implicit and not wildcard)) and (ev.implicit[0] or v.isprintable()) and len(v) <= MAX_TEXT:
                    value = v  # quoted, or cannot be a number, bool, null or date
                    special = False
                else:
                    value = self._scalar(ev, _pos(m))
                    special = type(value) is not str
                if not stack:
                    root, root_event = value, ev
                    positions.root = m
                    continue
                top = stack[-1]
                if top.is_map:
                    key = top.key
                    if key is _NO_KEY:
                        kmarks = top.kmarks
                        if not special and value not in kmarks and top.path is not None:
                            kmarks[value] = m
                            top.key = value
                        else:
                            top.key = self._key(top, value, ev)
                        continue
                    top.key = _NO_KEY
                    if key is _SKIP or top.path is None:
                        continue
                    top.value[key] = value
                    top.vmarks[key] = m
                else:
                    if top.path is None:
                        continue
                    key = len(top.value)
                    top.value.append(value)
                    top.vmarks.append(m)
                if special and type(value) is _Tagged:
                    doc.skip.add(top.path + (key,))
                    top.value[key] = None
            elif cls is MappingEnd or cls is SequenceEnd:
                stack.pop()
            elif cls is MappingStart or cls is SequenceStart:
                m = ev.start_mark
                if ev.anchor:
                    self._anchor(ev, _pos(m))
                if len(stack) >= MAX_DEPTH:
                    raise _TooDeep(_pos(m))
                container: Any = {} if cls is MappingStart else []
                refused = ev.tag is not None and ev.tag != "!" and ev.tag not in _PLAIN_TAGS
                if refused:
                    self._diag(_pos(m), "E013", f"tag {ev.tag!r} is not allowed")
                if not stack:
                    root, root_event = container, ev
                    positions.root = m
                    stack.append(_Frame(container, (), positions))
                    continue
                top = stack[-1]
                if top.is_map and top.key is _NO_KEY:
                    self._diag(_pos(m), "E012", "a key must be a plain value, not a list or mapping")
                    top.key = _SKIP
                    stack.append(_Frame(container, None, None))  # read and dropped
                    continue
                path = self._attach(top, None if refused else container, m)
                if refused and path is not None:
                    doc.skip.add(path)
                    path = None
                stack.append(_Frame(container, path, positions if path is not None else None))
            elif cls is yaml.AliasEvent:
                m = ev.start_mark
                seen = self.aliases.setdefault(ev.anchor, [_pos(m), 0])
                seen[1] += 1
                if stack:
                    top = stack[-1]
                    if top.is_map and top.key is _NO_KEY:
                        top.key = _SKIP
                    else:
                        self._attach(top, None, m)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError(
                        context="expected a single document in the stream", problem="but found another document", problem_mark=ev.start_mark
                    )
        for name, (pos, uses) in self.aliases.items():
            more = f" (and {uses - 1} more use{'s' if uses > 2 else ''})" if uses > 1 else ""
            self._diag(pos, "E003", f"alias '*{name}' is not allowed{more}: write the value out in full")
        if self.anchored or self.aliases:
            doc.diagnostics.extend(d for d in self.found if d.code == "E003")
            return None
        doc.diagnostics.extend(self.found)
        if root is _NO_KEY:
            doc.diagnostics.append(Diagnostic(doc.path, 1, 1, "E006", "the file is empty: a scenario is a YAML mapping"))
            return None
        if type(root) is not dict:
            line, col = _pos(positions.root)
            kind = "a list" if type(root_event) is yaml.SequenceStartEvent else f"a single value {quote(root_event.value)}"
            doc.diagnostics.append(Diagnostic(doc.path, line, col, "E005", f"the top of the file must be a mapping of keys, not {kind}"))
            return None
        positions.data = root
        return root

    def _anchor(self, ev, pos) -> None:
        self.anchored = True
        self._diag(pos, "E003", f"anchor '&{ev.anchor}' is not allowed: write each value out in full")

    def _scalar(self, ev, pos):
        tag = ev.tag
        if len(ev.value) > MAX_TEXT:
            # a persona description of megabytes would pass every check and slow play to a crawl
            self._diag(pos, "E015", f"text of {len(ev.value)} characters: at most {MAX_TEXT} are allowed in one value")
            return _Tagged(pos)
        if tag is None or tag == "!":
            if not ev.implicit[0]:
                if not ev.value.isprintable() and _CONTROL.search(ev.value):
                    # an escape such as "\e[2J" would drive the trainee's terminal
                    ch = _CONTROL.search(ev.value).group()
                    self._diag(pos, "E012", f"text holds the control character {ascii(ch)[1:-1]}: only printable characters, line breaks and tabs are allowed")
                    return _Tagged(pos)
                return ev.value  # quoted: always text
            v = ev.value
            hit = self.plain.get(v)
            if hit is not None:
                return hit[0]
            if v and None not in _IMPLICIT:
                for tag, rx in _IMPLICIT.get(v[0], ()):
                    if rx.match(v):
                        break
                else:
                    return v  # looks like a number or a keyword at first, but is text
            tag = _RESOLVER.resolve(yaml.ScalarNode, v, ev.implicit)
            value = v if tag == _STR else self._construct(tag, ev, pos)
            if len(self.plain) < 4096 and tag != "tag:yaml.org,2002:timestamp" and not isinstance(value, _Tagged) and (value is not None or tag == "tag:yaml.org,2002:null"):
                self.plain[v] = (value,)  # the same words recur (true, 0, ids...): resolve once
            return value
        if tag not in _PLAIN_TAGS:
            self._diag(pos, "E013", f"tag {tag!r} is not allowed")
            return _Tagged(pos)
        return self._construct(tag, ev, pos)

    def _construct(self, tag, ev, pos):
        try:
            value = _SCALARS.construct_object(yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
            self._diag(pos, "E012", f"{quote(ev.value)} is not a valid {tag.rsplit(':', 1)[-1]}: {e}")
            return None
        # every number has a range: NaN and infinity would reach the store and the reports,
        # and a whole number must fit the store's 64-bit columns
        if type(value) is float and not math.isfinite(value):
            self._diag(pos, "E014", f"{quote(ev.value)} is not a finite number: write an ordinary number")
            return _Tagged(pos)  # reported here: the model check passes over it
        if type(value) is int and not -(2**63) < value < 2**63:
            self._diag(pos, "E014", f"{quote(ev.value[:20] + ('...' if len(ev.value) > 20 else ''))} is too large a number (at most 19 digits)")
            return _Tagged(pos)
        return value

    def _key(self, frame: _Frame, key, ev):
        m = ev.start_mark
        if isinstance(key, _Tagged):
            return _SKIP
        if not isinstance(key, str):
            raw = ev.value
            hint = f": YAML reads {raw!r} as {quote(key)}; put it in quotes" if raw != str(key) else "; put it in quotes"
            self._diag(_pos(m), "E012", f"key {raw!r} is not text{hint}")
            return _SKIP
        if frame.path is None:
            return _SKIP
        first = frame.kmarks.get(key)
        if first is not None:
            self._diag(_pos(m), "E004", f"duplicate key {quote(key)} (first at line {first.line + 1})")
            return _SKIP
        frame.kmarks[key] = m
        return key

    def _attach(self, frame: _Frame, value, m):
        """Put a value into its parent; returns its path (None when it is dropped)."""
        if frame.is_map:
            key = frame.key
            frame.key = _NO_KEY
            if key is _SKIP or frame.path is None:
                return None
            frame.value[key] = value
            frame.vmarks[key] = m
            return frame.path + (key,)
        if frame.path is None:
            return None
        frame.value.append(value)
        frame.vmarks.append(m)
        return frame.path + (len(frame.value) - 1,)


class _TooDeep(Exception):
    def __init__(self, pos):
        self.pos = pos


class _Tagged:
    """Stands in for a value whose tag was refused, until it is replaced by None."""

    __slots__ = ("pos",)

    def __init__(self, pos):
        self.pos = pos
