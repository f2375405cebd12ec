"""`defuse graph`: the branch graph of a scenario as DOT, Mermaid, or SVG/PNG via Graphviz.

Nodes show the customer's line (shortened) and what it is (a vent, a threat, abuse,
narration: threat and abuse nodes get a coloured border, narration a dashed one); edges the
option (id, words, actions), the anger change it brings (the option's own `anger_delta`, or
the customer model's reaction to its first use) and any condition, routes marked as
decided after the reply; endings are filled by outcome. DOT and Mermaid are plain text with no
extra dependency; SVG and PNG need Graphviz's `dot` program. Everything here returns text
or bytes: the command layer writes the file.

A large scenario can be drawn in part: `around(scenario, node, depth)` is the node and
everything reachable from it in at most `depth` choices, and every renderer takes such a set
(`keep`); an edge that leaves the set ends in a dashed stub naming where it goes.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

from ..customer import ACTION_INDEX, ACTIONS
from ..diagnostics import DefuseError
from ..engine import effective_actions, reactor_for
from ..model import Condition, Node, Option, Outcome, Phrasing, Scenario, describe_condition

__all__ = ["to_dot", "to_mermaid", "render", "around", "FORMATS", "GraphvizMissing", "OUTCOME_COLOURS"]

FORMATS = ("dot", "gv", "mmd", "svg", "png")
OUTCOME_COLOURS: dict[Outcome, str] = {
    Outcome.RESOLVED: "#b7e4c7",
    Outcome.ESCALATED: "#ffe8a3",
    Outcome.DISENGAGED: "#d9d9d9",
    Outcome.CUSTOMER_LEFT: "#f4a6a6",
    Outcome.HELP_CALLED: "#a9c9f5",
    Outcome.GAVE_IN: "#e3b5f0",
}
FLAG_COLOURS = {"threat": "#c0392b", "abuse": "#d35400"}  # border of a node whose line is a threat / abuse
LINE_CHARS = 70
OPTION_CHARS = 40


class GraphvizMissing(DefuseError):
    """SVG or PNG was asked for but Graphviz's `dot` is not installed."""


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


GRAPH_WORDS = Phrasing(parts=", ", items="+", bands="/", band="band ", band_set="band ")  # labels stay short


def _condition(c: Condition | None) -> str:
    return "otherwise" if c is None else describe_condition(c, GRAPH_WORDS)


def _sets(mapping: dict) -> str:
    """What a `set:` does, in words: 'sets asked_number, asks +1'."""
    words = []
    for k, v in mapping.items():
        if isinstance(v, bool):
            words.append(k if v else f"clears {k}")
        elif isinstance(v, int):
            words.append(f"{k} = {v}")
        else:
            words.append(f"{k} {v.add:+d}")
    return "sets " + ", ".join(words)


def _anger(scenario: Scenario, node: Node, o: Option) -> str:
    """The anger change an option brings: its own `anger_delta`, or the model's reaction to a
    first use at this node (said after the customer finished)."""
    if o.anger_delta is not None:
        return f"anger {o.anger_delta:+g} (set)"
    step = effective_actions(scenario, node, o, False)  # the engine's own reading (a tape recorder hears "I see" as cutting in)
    chosen = np.zeros(len(ACTIONS), dtype=bool)
    for a in step.actions:
        chosen[ACTION_INDEX[a]] = True
    d = float(reactor_for(scenario).delta(chosen, np.zeros(len(ACTIONS), dtype=np.int64), node.line.venting, node.line.abuse, step.vent_broken, step.restarted))
    return f"anger {round(d, 1) + 0.0:+g} first time"


def _edges(scenario: Scenario):
    """(from, to, label lines) for every way out of every option."""
    for node in scenario.nodes:
        for o in node.options:
            base = [f"{o.id}: {_short(o.text, OPTION_CHARS)}", "[" + ", ".join(a.value for a in o.actions) + "] " + _anger(scenario, node, o)]
            if o.when is not None:
                base.append("offered if " + _condition(o.when))
            if o.set:
                base.append(_sets(o.set))
            if o.goto is not None:
                yield node.id, o.goto, base
            for r in o.routes or ():
                # routes are chosen on the anger the reply left, not the anger it was said at
                yield node.id, r.goto, base + (["after the reply, if " + _condition(r.when)] if r.when is not None else ["after the reply, otherwise"])


def around(scenario: Scenario, start: str, depth: int) -> frozenset[str]:
    """`start` and every node reachable from it in at most `depth` choices (breadth first)."""
    out_of: dict[str, list[str]] = {}
    for a, b, _ in _edges(scenario):
        out_of.setdefault(a, []).append(b)
    seen = {start}
    frontier = [start]
    for _ in range(depth):
        frontier = [b for a in frontier for b in out_of.get(a, ()) if b not in seen and not seen.add(b)]
        if not frontier:
            break
    return frozenset(seen)


def _kept(scenario: Scenario, keep: frozenset[str] | None):
    """The nodes to draw, and the edges: (from, to, label lines, to is drawn)."""
    nodes = [n for n in scenario.nodes if keep is None or n.id in keep]
    edges = [(a, b, lines, keep is None or b in keep) for a, b, lines in _edges(scenario) if keep is None or a in keep]
    return nodes, edges


def _flags(node: Node) -> list[str]:
    line = node.line
    return [name for name, on in (("vent", line.venting), ("threat", line.threat), ("abuse", line.abuse), ("narration", node.narration)) if on]


def _node_label(scenario: Scenario, node) -> list[str]:
    flags = "".join(f" [{f}]" for f in _flags(node))
    head = node.id + (f" ({node.end.value})" if node.end else "") + flags
    moves = []  # the customer's own move on arrival, before the trainee answers
    if node.mood is not None:
        moves.append(f"mood {node.mood.value}")
    elif node.anger_delta is not None:
        moves.append(f"anger {node.anger_delta:+g}")
    if node.distress_delta is not None:
        moves.append(f"distress {node.distress_delta:+g}")
    if node.set:
        moves.append(_sets(node.set))
    more = [f"+{len(node.burst)} more line{'s' if len(node.burst) > 1 else ''}"] if node.burst else []
    variants = sum(len(line.variants) for line in (node.line, *node.burst))
    more += [f"{variants} other wording{'s' if variants > 1 else ''}"] if variants else []
    return [head] + (["on arrival: " + ", ".join(moves)] if moves else []) + [_short(node.line.text, LINE_CHARS)] + ([f"({', '.join(more)})"] if more else [])


# ---------------------------------------------------------------- DOT


def _dot_str(text: str) -> str:
    # inside a DOT double-quoted string only the quote and the backslash are special
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(scenario: Scenario, keep: frozenset[str] | None = None) -> str:
    nodes, edges = _kept(scenario, keep)
    out = [
        f"digraph {_dot_str(scenario.id)} {{",
        f"  label={_dot_str(scenario.title)}; labelloc=t; rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in nodes:
        label = "\\n".join(_dot_str(x)[1:-1] for x in _node_label(scenario, node))
        attrs = [f'label="{label}"']
        if node.end is not None:
            attrs.append(f'fillcolor="{OUTCOME_COLOURS[node.end]}"')
            attrs.append("shape=box, peripheries=2")
        if node.id == scenario.start:
            attrs.append("penwidth=2")
        flagged = [f for f in _flags(node) if f in FLAG_COLOURS]
        if flagged:
            attrs.append(f'color="{FLAG_COLOURS[flagged[0]]}", penwidth=3')
        if node.narration:
            attrs.append('style="rounded,filled,dashed"')
        out.append(f"  {_dot_str(node.id)} [{', '.join(attrs)}];")
    stubs: set[str] = set()
    for a, b, lines, drawn in edges:
        label = "\\n".join(_dot_str(x)[1:-1] for x in lines)
        if not drawn and b not in stubs:  # beyond the part drawn: a dashed stub named after it
            stubs.add(b)
            out.append(f'  {_dot_str("more:" + b)} [label={_dot_str(b + " ...")}, style="dashed", shape=box];')
        target = b if drawn else "more:" + b
        out.append(f'  {_dot_str(a)} -> {_dot_str(target)} [label="{label}"];')
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- Mermaid


def _mmd_text(text: str) -> str:
    # Mermaid entity codes: quotes would end the label; <, > and & could become HTML
    return (
        text.replace("#", "#35;")
        .replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
        .replace("\n", " ")
    )


def to_mermaid(scenario: Scenario, keep: frozenset[str] | None = None) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(scenario.nodes)}  # Mermaid reserves words such as `end`
    nodes, edges = _kept(scenario, keep)
    out = ["flowchart TD"]
    for node in nodes:
        label = "<br/>".join(_mmd_text(x) for x in _node_label(scenario, node))
        out.append(f'  {ids[node.id]}["{label}"]')
    stubs: set[str] = set()
    for a, b, lines, drawn in edges:
        label = "<br/>".join(_mmd_text(x) for x in lines)
        target = ids[b] if drawn else "m" + ids[b][1:]
        if not drawn and b not in stubs:  # beyond the part drawn: a dashed stub named after it
            stubs.add(b)
            out.append(f'  {target}["{_mmd_text(b)} ..."]')
            out.append(f"  class {target} more")
        out.append(f'  {ids[a]} -->|"{label}"| {target}')
    for outcome, colour in OUTCOME_COLOURS.items():
        out.append(f"  classDef {outcome.value} fill:{colour},stroke:#555")
    for name, colour in FLAG_COLOURS.items():
        out.append(f"  classDef {name} stroke:{colour},stroke-width:3px")
    out.append("  classDef narration stroke-dasharray:5 5")
    out.append("  classDef more stroke-dasharray:3 3,fill:#ffffff")
    for node in nodes:
        if node.end is not None:
            out.append(f"  class {ids[node.id]} {node.end.value}")
        for f in _flags(node):
            if f != "vent":
                out.append(f"  class {ids[node.id]} {f}")
    if keep is None or scenario.start in keep:
        out.append(f"  style {ids[scenario.start]} stroke-width:3px")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- images


def render(scenario: Scenario, fmt: str, keep: frozenset[str] | None = None) -> bytes:
    """The graph in `fmt` (see FORMATS) as bytes, all of it or the nodes in `keep`; SVG and
    PNG need Graphviz."""
    fmt = fmt.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        return to_dot(scenario, keep).encode("utf-8")
    if fmt == "mmd":
        return to_mermaid(scenario, keep).encode("utf-8")
    if fmt not in ("svg", "png"):
        raise DefuseError(f"cannot draw a graph as {fmt!r}: use one of .dot, .gv, .mmd, .svg, .png")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(
            f"drawing .{fmt} needs Graphviz's `dot` program, which is not installed "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz). "
            "Without it, write .dot or .mmd (Mermaid) instead."
        )
    proc = subprocess.run([dot, f"-T{fmt}"], input=to_dot(scenario, keep).encode("utf-8"), capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise DefuseError(f"Graphviz failed: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return proc.stdout
