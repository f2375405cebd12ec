"""Protocol files: YAML -> `scoring.protocol.Protocol`, every problem located as file:line:col.

The values and the scoring live in `scoring` (pure, no I/O); reading and checking a file is
this file-formats layer's job, beside the scenario loader.
"""
from __future__ import annotations

from scoring.protocol import Protocol

from .actions import Action
from .loader import Document, load_with

__all__ = ["load_protocol", "check_protocol"]


def check_protocol(doc: Document) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    ids: dict[str, int] = {}
    for i, s in enumerate(steps):
        sid = s.get("id") if isinstance(s, dict) else None
        if isinstance(sid, str):
            if sid in ids:
                doc.diag(("steps", i, "id"), "E020", f"duplicate step id {sid!r}")
            ids.setdefault(sid, i)
    graph: dict[str, list[str]] = {}
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            continue
        after = s.get("after")
        if isinstance(after, list):
            for k, a in enumerate(after):
                if isinstance(a, str) and a not in ids:
                    doc.diag(("steps", i, "after", k), "E030", f"step {s.get('id')!r} comes after unknown step {a!r}")
            if isinstance(s.get("id"), str):
                graph[s["id"]] = [a for a in after if isinstance(a, str) and a in ids]
    kinds = {s.get("id"): s.get("kind", "do") for s in steps if isinstance(s, dict)}
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            continue
        lost = s.get("lost_if")
        for k, what in enumerate(lost if isinstance(lost, list) else []):
            if isinstance(what, str) and what != "vent_cut" and what not in {a.value for a in Action}:
                doc.diag(("steps", i, "lost_if", k), "E040", f"step {s.get('id')!r}: lost_if names {what!r}, neither 'vent_cut' nor an action")
        if s.get("kind") == "avoid":
            for k, a in enumerate(s.get("actions") if isinstance(s.get("actions"), list) else []):
                if isinstance(a, str) and a in {x.value for x in Action} and not Action(a).harmful:
                    doc.diag(("steps", i, "actions", k), "E041", f"step {s.get('id')!r} forbids {a!r}, which is not a harmful action")
            if s.get("after") is not None:
                doc.diag(("steps", i, "after"), "E042", f"step {s.get('id')!r} is a prohibition (kind: avoid): it holds throughout and has no place in the order")
    endings = data.get("endings") if isinstance(data.get("endings"), dict) else {}
    for outcome, ending in endings.items():
        after = ending.get("after") if isinstance(ending, dict) else None
        for k, a in enumerate(after if isinstance(after, list) else []):
            if isinstance(a, str) and (a not in ids or kinds.get(a) == "avoid"):
                doc.diag(("endings", outcome, "after", k), "E043", f"ending {outcome!r} comes after {a!r}, which is not a step to do")
    # a cycle in `after` would make the order unsatisfiable
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        state[n] = 1
        for p in graph.get(n, []):
            if state.get(p) == 1:
                cyc = trail[trail.index(p):] + [p] if p in trail else [n, p]
                doc.diag(("steps", ids[n], "after"), "E031", f"the order has a cycle: {' -> '.join(cyc)}")
            elif not state.get(p):
                visit(p, trail + [p])
        state[n] = 2

    for n in graph:
        if not state.get(n):
            visit(n, [n])


def load_protocol(raw: bytes | str, path: str) -> Protocol:
    """Parse and check a protocol file; raises ScenarioError with every problem found."""
    return load_with(raw, path, Protocol, check_protocol)
