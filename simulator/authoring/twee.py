"""Twine's text format, Twee 3, both ways: a story becomes a scenario document, a scenario
becomes a story Twine 2 can import.

Pure functions over text: `parse_twee` reads a story (never raises for anything the file
holds; every problem is a located `Diagnostic`), `story_to_document` turns it into the
plain data of a scenario, `document_to_yaml` renders that as YAML, and `scenario_to_twee`
renders a loaded scenario as Twee. The command line reads and writes the files.

How a scenario maps onto a story:
- passages are nodes (passage name = node id), the passage text is the customer's line,
  each link `[[what the trainee says->next node]]` is an option;
- the start node is StoryData's `start`, the title is StoryTitle;
- tags carry the node's facts: `end-<outcome>`, `narration`, `venting`, `threat`, `abuse`;
- everything Twee cannot say (ids, actions, routes, conditions, the persona, the tests,
  and any field a later format adds) travels as JSON in the special passage `DefuseData`,
  copied generically from the model, so a new scenario field survives the round trip
  without a change here.
A story without `DefuseData` (drafted in Twine) gets ids made from the passage names and
link texts; what it cannot say is taken from a mapping file or left as values `validate`
reports at their line (`actions: [TODO]`, `protocol: TODO`, ...).
"""
from __future__ import annotations

import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..diagnostics import Diagnostic, Severity
from ..model import ID_PATTERN, Node, Option, Outcome, Scenario

__all__ = [
    "TWEE_CODES",
    "DATA_PASSAGE",
    "Link",
    "Passage",
    "Story",
    "parse_twee",
    "story_to_document",
    "document_to_yaml",
    "scenario_to_twee",
    "ifid_for",
]

# Codes of this converter (T0xx errors, T1xx warnings); docs/authoring.md explains each.
TWEE_CODES: dict[str, str] = {
    "C001": "the Twee file could not be read (not UTF-8, binary) or holds no passages",
    "C002": "a passage header is malformed (an unclosed tag block)",
    "C003": "StoryData is not valid JSON",
    "C004": "StoryData names no start passage, or one that does not exist",
    "C005": "a link leads to a passage that does not exist",
    "C006": "two passages have the same name (or the same id once made from their names)",
    "C007": "the DefuseData passage is not valid JSON",
    "C101": "a story-format macro or variable that a scenario cannot represent (dropped from the text)",
    "C102": "passage metadata is not valid JSON (discarded)",
    "C103": "a script or stylesheet passage (ignored)",
}

DATA_PASSAGE = "DefuseData"
_SPECIAL = {"StoryTitle", "StoryData", DATA_PASSAGE}
_FORMAT = ("Harlowe", "3.3.9")  # Twine 2's default story format; its links are plain [[a->b]]
_IFID_NAMESPACE = uuid.UUID("6f1d3c9e-5a0b-4c55-9d0e-2f8a7c1b4e60")
_ID_RE = re.compile(ID_PATTERN)
_LINK = re.compile(r"\[\[(.*?)\]\]")
# What a scenario has no place for: SugarCube <<macros>>, Harlowe (macro:) calls, $variables.
_MACROS = (
    (re.compile(r"<<.*?>>", re.S), "SugarCube macro"),
    (re.compile(r"\([a-z][\w-]*:[^()]*(?:\([^()]*\)[^()]*)*\)"), "Harlowe macro"),
    (re.compile(r"(?<![\w$])\$[A-Za-z_]\w*"), "story variable"),
)
# Facts a passage tag carries, and where they live in a node.
_LINE_FLAGS = ("venting", "threat", "abuse")


# ---------------------------------------------------------------- reading Twee


@dataclass(frozen=True)
class Link:
    text: str
    target: str
    line: int
    col: int
    alone: bool  # the link stands on a line of its own (an answer), not inside the prose


@dataclass
class Passage:
    name: str
    tags: list[str]
    metadata: dict
    body: str
    line: int  # of the header
    links: list[Link] = field(default_factory=list)


@dataclass
class Story:
    path: str
    title: str | None
    data: dict
    data_line: int
    passages: list[Passage]
    diagnostics: list[Diagnostic]

    def passage(self, name: str) -> Passage | None:
        return next((p for p in self.passages if p.name == name), None)


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _escape(s: str) -> str:
    return re.sub(r"([\\\[\]{}])", r"\\\1", s)


def _find_unescaped(s: str, chars: str, start: int = 0) -> int:
    i = start
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in chars:
            return i
        i += 1
    return -1


def parse_twee(text: str, path: str) -> Story:
    """Every passage of a Twee 3 file, with StoryTitle and StoryData read; never raises."""
    diags: list[Diagnostic] = []

    def diag(line: int, col: int, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
        diags.append(Diagnostic(path, line, col, code, message, severity))

    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    passages: list[Passage] = []
    current: tuple[int, str, list[str], dict] | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        while body and not body[-1].strip():
            body.pop()  # the spec: trailing blank lines are not content
        line, name, tags, meta = current
        passages.append(Passage(name, tags, meta, "\n".join(body), line))

    for n, raw in enumerate(lines, start=1):
        if not raw.startswith("::"):
            if current is not None:
                body.append(raw)
            continue
        close()
        body = []
        current = _header(raw, n, diag)
    close()
    if not passages:
        diag(1, 1, "C001", "no passages: a Twee file is a series of ':: Name' headers, each followed by its text")
    seen: dict[str, int] = {}
    for p in passages:
        if p.name in seen:
            diag(p.line, 4, "C006", f"passage {p.name!r} is defined twice (first at line {seen[p.name]})")
        seen.setdefault(p.name, p.line)
    title_p = next((p for p in passages if p.name == "StoryTitle"), None)
    title = title_p.body.strip() if title_p is not None and title_p.body.strip() else None
    data: dict = {}
    data_line = 1
    data_p = next((p for p in passages if p.name == "StoryData"), None)
    if data_p is not None:
        data_line = data_p.line
        data = _json_body(data_p, path, "C003", "StoryData", diags) or {}
    story = Story(path, title, data, data_line, passages, diags)
    for p in passages:
        if p.name in _SPECIAL:
            continue
        p.links = _links(p)
    return story


def _header(raw: str, n: int, diag) -> tuple[int, str, list[str], dict]:
    rest = raw[2:]
    offset = 2
    cut = _find_unescaped(rest, "[{")
    name_part = rest if cut < 0 else rest[:cut]
    name = _unescape(name_part.strip())
    tags: list[str] = []
    meta: dict = {}
    if cut >= 0 and rest[cut] == "[":
        close = _find_unescaped(rest, "]", cut + 1)
        if close < 0:
            diag(n, offset + cut + 1, "C002", f"passage {name!r}: the tag block opened here is never closed with ']'")
            return (n, name, tags, meta)
        tags = [_unescape(t) for t in rest[cut + 1 : close].split()]
        cut = _find_unescaped(rest, "{", close + 1)
        if cut < 0 and rest[close + 1 :].strip():
            diag(n, offset + close + 2, "C002", f"passage {name!r}: unexpected text after the tag block")
    if cut >= 0 and rest[cut] == "{":
        chunk = rest[cut:]
        try:
            meta = json.loads(chunk)
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except (json.JSONDecodeError, ValueError) as e:
            col = offset + cut + 1 + (e.colno - 1 if isinstance(e, json.JSONDecodeError) else 0)
            why = e.msg if isinstance(e, json.JSONDecodeError) else "it must be a JSON object"
            diag(n, col, "C102", f"passage {name!r}: metadata is not valid JSON ({why}); it was discarded", Severity.WARNING)
            meta = {}
    return (n, name, tags, meta)


def _json_body(p: Passage, path: str, code: str, what: str, diags: list[Diagnostic]) -> Any:
    """The passage's text read as a JSON object, or None with a diagnostic located in the file."""
    try:
        value = json.loads(p.body) if p.body.strip() else None
    except json.JSONDecodeError as e:
        line = p.line + e.lineno
        diags.append(Diagnostic(path, line, e.colno, code, f"{what} is not valid JSON: {e.msg}"))
        return None
    if not isinstance(value, dict):
        diags.append(Diagnostic(path, p.line + 1, 1, code, f"{what} must be a JSON object {{...}}"))
        return None
    return value


def _split_link(inner: str) -> tuple[str, str]:
    inner = inner.split("][", 1)[0]  # a SugarCube setter component is not part of the link
    if "->" in inner:  # Harlowe: the rightmost -> separates
        i = inner.rfind("->")
        return inner[:i], inner[i + 2 :]
    if "<-" in inner:  # and the leftmost <-
        i = inner.find("<-")
        return inner[i + 2 :], inner[:i]
    if "|" in inner:
        i = inner.rfind("|")
        return inner[:i], inner[i + 1 :]
    return inner, inner


def _links(p: Passage) -> list[Link]:
    out = []
    for k, line in enumerate(p.body.split("\n"), start=1):
        alone = bool(_LINK.fullmatch(line.strip()))
        for m in _LINK.finditer(line):
            text, target = _split_link(m.group(1))
            out.append(Link(text.strip(), target.strip(), p.line + k, m.start() + 1, alone))
    return out


# ---------------------------------------------------------------- story -> scenario document


def _slug(text: str, limit: int = 40) -> str:
    """An id made of the first words of a text: "Tells the story" -> tells_the_story."""
    s = ""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if s and len(s) + 1 + len(word) > limit:
            break
        s = f"{s}_{word}" if s else word[:limit]
    if not s or not s[0].isalpha():
        s = "p_" + s if s else "p"
    return s


def _node_id(name: str) -> str:
    return name if _ID_RE.match(name) and len(name) <= 80 else _slug(name, 60)


def story_to_document(story: Story, mapping: dict | None = None) -> tuple[dict, list[Diagnostic]]:
    """The scenario a story describes, as plain data in the order a trainer would write it,
    and the problems found (errors mean the document should not be written)."""
    diags = list(story.diagnostics)
    path = story.path

    def diag(line: int, col: int, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
        diags.append(Diagnostic(path, line, col, code, message, severity))

    extra: dict = {}
    data_p = story.passage(DATA_PASSAGE)
    if data_p is not None:
        extra = _json_body(data_p, path, "C007", DATA_PASSAGE, diags) or {}
    scenario_extra = extra.get("scenario") if isinstance(extra.get("scenario"), dict) else {}
    node_extra = extra.get("nodes") if isinstance(extra.get("nodes"), dict) else {}
    mapping = mapping or {}

    playable = []
    for p in story.passages:
        if p.name in _SPECIAL:
            continue
        if {"script", "stylesheet"} & set(p.tags):
            diag(p.line, 1, "C103", f"passage {p.name!r} is a {'script' if 'script' in p.tags else 'stylesheet'}: a scenario has no place for it, so it was left out", Severity.WARNING)
            continue
        playable.append(p)
    ids: dict[str, str] = {}
    taken: dict[str, str] = {}
    for p in playable:
        nid = _node_id(p.name)
        if nid in taken and taken[nid] != p.name:
            diag(p.line, 4, "C006", f"passages {taken[nid]!r} and {p.name!r} would both become node {nid!r}: rename one")
        taken.setdefault(nid, p.name)
        ids[p.name] = nid

    start_name = story.data.get("start") if isinstance(story.data.get("start"), str) else None
    if start_name is None and story.passage("Start") is not None:
        start_name = "Start"  # the spec's default starting passage
    if not any(d.code == "C003" for d in diags):
        if start_name is None:
            diag(story.data_line, 1, "C004", "StoryData names no \"start\" passage (and there is no passage called Start)")
        elif start_name not in ids:
            diag(story.data_line, 1, "C004", f"the start passage {start_name!r} named in StoryData does not exist")

    option_ids: set[str] = set()
    nodes = []
    for p in playable:
        nodes.append(_node(p, ids, node_extra.get(ids[p.name]) or {}, option_ids, diag))

    top: dict[str, Any] = {}
    top["format_version"] = 1
    title = story.title or (start_name or "Untitled story")
    top["id"] = scenario_extra.get("id") or _slug(title, 60)
    top["title"] = title
    for key, value in scenario_extra.items():
        if key not in ("id", "title", "start", "nodes"):
            top[key] = value
    if not scenario_extra:  # drafted in Twine: what Twee cannot say is a TODO validate reports
        top["setting"] = "TODO"
        top["protocol"] = "TODO"
        top["persona"] = {"anger": "TODO"}
    if start_name is not None:
        top["start"] = ids.get(start_name, _node_id(start_name))
    top["nodes"] = nodes
    _apply_mapping(top, mapping)
    return _ordered(top, Scenario), diags


def _node(p: Passage, ids: dict[str, str], extra: dict, option_ids: set[str], diag) -> dict:
    nid = ids[p.name]
    prose = _prose(p, diag)
    node: dict[str, Any] = {k: v for k, v in extra.items() if k not in ("id", "line", "options", "end", "narration")}
    line = dict(extra.get("line") or {})
    line.setdefault("id", f"{nid}.line")
    exact = line.get("text")  # kept in the data only when the passage cannot show it exactly
    line["text"] = exact if exact is not None and _shown(exact) == prose else (prose or exact or "TODO")
    for flag in _LINE_FLAGS:
        line.pop(flag, None)
        if flag in p.tags:
            line[flag] = True
    node["id"] = nid
    if "narration" in p.tags:
        node["narration"] = True
    node["line"] = _ordered(line, Node.model_fields["line"].annotation)
    known = list(extra.get("options") or [])
    answers = [lk for lk in p.links if lk.alone] or p.links
    options = []
    for k, link in enumerate(answers):
        if link.target not in ids:
            diag(link.line, link.col, "C005", f"passage {p.name!r}: the link {link.text!r} leads to {link.target!r}, and no passage has that name")
            continue
        base = _match(known, k, link, len(answers))
        option = dict(base) if base is not None else {}
        if base is not None:
            known.remove(base)
        if not option.get("id"):
            oid = _slug(link.text, 30)
            n = 2
            while oid in option_ids:
                oid, n = f"{_slug(link.text, 27)}_{n}", n + 1
            option["id"] = oid
        option_ids.add(option["id"])
        if "text" not in option or link.text != option.get("_link", link.text):
            option["text"] = link.text
        option.pop("_link", None)
        option.setdefault("actions", ["TODO"])
        target = ids[link.target]
        if option.get("routes"):
            option["routes"] = [dict(r) for r in option["routes"]]
            option["routes"][-1]["goto"] = target  # the link is the route taken when no condition holds
        else:
            option["goto"] = target
        options.append(_ordered(option, Option))
    ends = [t for t in p.tags if t == "end" or t.startswith("end-")]
    if options:
        node["options"] = options
    if ends:
        outcome = ends[0][4:]
        node["end"] = outcome if outcome in {o.value for o in Outcome} else "TODO"
    return _ordered(node, Node)


def _match(known: list[dict], k: int, link: Link, count: int) -> dict | None:
    """The exported option this link stands for: by its words first, else by its place."""
    for o in known:
        if o.get("_link", o.get("text")) == link.text:
            return o
    if count == len(known) + k and known:
        return known[0]
    return None


def _prose(p: Passage, diag) -> str:
    kept = []
    for k, line in enumerate(p.body.split("\n"), start=1):
        if _LINK.fullmatch(line.strip()):
            continue
        for pattern, what in _MACROS:
            for m in pattern.finditer(line):
                diag(
                    p.line + k,
                    m.start() + 1,
                    "C101",
                    f"passage {p.name!r}: {what} {_short(m.group())} cannot be represented in a scenario and was left out: rebuild it as options, routes or conditions",
                    Severity.WARNING,
                )
            line = pattern.sub("", line)
        line = _LINK.sub(lambda m: _split_link(m.group(1))[0], line)
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _short(s: str, limit: int = 40) -> str:
    return repr(s if len(s) <= limit else s[: limit - 3] + "...")


def _apply_mapping(top: dict, mapping: dict) -> None:
    """Fill what the story could not say from a mapping file: top-level scenario fields,
    plus `nodes:` and `options:` keyed by id, merged into the nodes and options."""
    for key, value in mapping.items():
        if key not in ("nodes", "options"):
            top[key] = value
    by_node = mapping.get("nodes") or {}
    by_option = mapping.get("options") or {}
    for node in top["nodes"]:
        node.update(by_node.get(node["id"]) or {})
        for option in node.get("options", []):
            option.update(by_option.get(option["id"]) or {})


def _ordered(d: dict, model) -> dict:
    """Keys in the model's field order (how trainers write them), unknown keys last."""
    fields = list(getattr(model, "model_fields", {}))
    head = {k: d[k] for k in fields if k in d}
    head.update((k, v) for k, v in d.items() if k not in head)
    return head


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter: ten times faster
    def ignore_aliases(self, data):  # the loader refuses aliases: never write one
        return True


def _str(dumper, s: str):
    style = "|" if "\n" in s else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)


_Dumper.add_representer(str, _str)


def document_to_yaml(doc: dict, source: str = "") -> str:
    """The scenario document as YAML, headed by the schema line and a note of its source."""
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    head = "# yaml-language-server: $schema=../schema/scenario.schema.json\n"
    if source:
        head += f"# Converted from {source} by `defuse convert`; `defuse validate` lists whatever is still TODO.\n"
    return head + body


# ---------------------------------------------------------------- scenario -> Twee


def ifid_for(scenario_id: str) -> str:
    """A stable IFID: the same scenario id always gives the same story id."""
    return str(uuid.uuid5(_IFID_NAMESPACE, f"defuse-scenario:{scenario_id}")).upper()


def _link_safe(text: str) -> bool:
    return not any(s in text for s in ("\n", "[", "]", "->", "<-", "|")) and text == text.strip() and bool(text)


def _layout(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """Passage positions for Twine's map: one column per step from the start, in reading order."""
    depth = {scenario.start: 0}
    queue = deque([scenario.start])
    while queue:
        nid = queue.popleft()
        for o in scenario.node(nid).options:
            for target in [o.goto] if o.goto else [r.goto for r in o.routes or ()]:
                if target and target not in depth and scenario.has_node(target):
                    depth[target] = depth[nid] + 1
                    queue.append(target)
    last = max(depth.values(), default=0)
    rows: dict[int, int] = {}
    pos = {}
    for n in scenario.nodes:
        d = depth.get(n.id, last + 1)
        r = rows.get(d, 0)
        rows[d] = r + 1
        pos[n.id] = (100 + 175 * d, 100 + 150 * r)
    return pos


def scenario_to_twee(scenario: Scenario) -> str:
    """A Twee 3 story of the scenario that Twine 2 imports and `story_to_document` reads back."""
    data = {"ifid": ifid_for(scenario.id), "format": _FORMAT[0], "format-version": _FORMAT[1], "start": scenario.start, "zoom": 1}
    full = scenario.model_dump(mode="json", exclude_defaults=True)
    full.setdefault("format_version", scenario.format_version)
    rest = {k: v for k, v in full.items() if k not in ("title", "start", "nodes", "format_version")}
    nodes_extra = {}
    passages = []
    pos = _layout(scenario)
    for node, dumped in zip(scenario.nodes, full["nodes"]):
        tags = []
        if node.end is not None:
            tags.append(f"end-{node.end.value}")
        if node.narration:
            tags.append("narration")
        tags += [f for f in _LINE_FLAGS if getattr(node.line, f)]
        line = {k: v for k, v in dumped["line"].items() if k not in ("text", *_LINE_FLAGS)}
        if _shown(node.line.text) != node.line.text:
            line["text"] = node.line.text  # edge spaces, blank lines, [[brackets]]: the data keeps it exact
        keep = {k: v for k, v in dumped.items() if k not in ("id", "line", "options", "end", "narration")}
        keep["line"] = line
        links, opts = [], []
        for option, od in zip(node.options, dumped.get("options", [])):
            target = option.goto or option.routes[-1].goto
            od = {k: v for k, v in od.items() if k != "goto"}
            if _link_safe(option.text):
                od.pop("text")
                words = option.text
            else:
                words = option.id  # the link shows the id; the real words travel in the data
                od["_link"] = words
            links.append(f"[[{words}->{target}]]")
            opts.append(od)
        if opts:
            keep["options"] = opts
        nodes_extra[node.id] = keep
        x, y = pos[node.id]
        header = f":: {_escape(node.id)}"
        if tags:
            header += " [" + " ".join(_escape(t) for t in tags) + "]"
        header += " " + json.dumps({"position": f"{x},{y}", "size": "100,100"}, separators=(",", ":"))
        body = _escape_body(node.line.text)
        if links:
            body += "\n\n" + "\n".join(links)
        passages.append(header + "\n" + body)
    extra = {"scenario": rest, "nodes": nodes_extra}
    out = [
        ":: StoryTitle\n" + scenario.title,
        ":: StoryData\n" + json.dumps(data, indent=2),
        f":: {DATA_PASSAGE} [defuse] " + json.dumps({"position": "100,-100", "size": "100,100"}, separators=(",", ":"))
        + "\n" + json.dumps(extra, indent=1, ensure_ascii=False),
        *passages,
    ]
    return "\n\n\n".join(out) + "\n"


def _shown(text: str) -> str:
    """The line as a passage shows it and `_prose` reads it back."""
    lines = [ln.rstrip() for ln in _LINK.sub(lambda m: _split_link(m.group(1))[0], text).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip())


def _escape_body(text: str) -> str:
    # a content line starting with "::" would read as a new passage header
    return "\n".join((" " + ln if ln.startswith("::") else ln) for ln in text.split("\n"))
