"""`defuse schema`: the JSON Schema of scenario (and protocol) files, for editors.

Generated from the very pydantic models the loader validates with, then made draft-07
compatible, because that is what the YAML extensions of common editors understand:
`$defs` becomes `definitions`, and a `$ref` with sibling keywords (which draft-07 ignores,
losing the description shown on hover) is wrapped in `allOf`. Fields the models leave
undescribed get a description here, so completion explains every key. Returns text.
"""
from __future__ import annotations

import json
from typing import Any

from scoring.protocol import Protocol

from ..actions import Action
from ..customer import Dynamics
from ..model import ID_PATTERN, Scenario

__all__ = ["scenario_schema", "protocol_schema", "render", "DRAFT_07"]

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# Descriptions for fields the models leave bare: (definition or "" for the top, field) -> text.
_DESCRIBE: dict[tuple[str, str], str] = {
    ("", "format_version"): "version of this file format; this Defuse reads 1",
    ("", "id"): "stable id of the scenario: letters, digits, _ . - (starts with a letter)",
    ("", "revision"): "bump when the content changes; sessions record it",
    ("", "title"): "shown in the scenario picker",
    ("", "summary"): "one or two sentences on the situation, shown before the call",
    ("", "setting"): "phone, chat or in_person",
    ("", "industry"): "the line of business, e.g. telecom billing",
    ("", "goals"): "learning goals shown before and after the session",
    ("", "protocol"): "id of the protocol the session is scored against (`defuse protocols`)",
    ("", "persona"): "the customer: who they are, their voice and how they react",
    ("", "start"): "id of the first node",
    ("", "nodes"): "the conversation graph: what the customer says and what the trainee can answer",
    ("", "tests"): "scripted playthroughs that prove the scenario works (run by the test suite)",
    ("", "lint"): "settings for `defuse lint`",
    ("Node", "id"): "stable id of the node",
    ("Node", "line"): "what the customer says at this node",
    ("Node", "options"): "what the trainee can say or do here (none on an ending)",
    ("Line", "id"): "stable id of the line: keys the speech cache, translations and analytics",
    ("Line", "text"): "the caption: what the customer says",
    ("Option", "id"): "unique within the node; scripted tests name it",
    ("Route", "when"): "the route is taken when this holds (omit on the last route)",
    ("Route", "goto"): "the node this route leads to",
    ("Condition", "anger_at_least"): "anger is at least this (0..100)",
    ("Condition", "anger_below"): "anger is below this (0..100)",
    ("Persona", "name"): "the customer's name",
    ("Persona", "description"): "who the customer is, for the trainer and the debrief",
    ("Persona", "voice"): "how the speech engine says the customer's lines",
    ("Voice", "gender"): "female or male, to pick a voice when `voice` is not installed",
    ("Voice", "pitch"): "0..99",
    ("Voice", "volume"): "0.1..1.0",
    ("Expectation", "outcome"): "the ending the playthrough must reach",
    ("Expectation", "passed"): "whether the playthrough must pass the protocol",
    ("Expectation", "complete"): "whether the playthrough must reach an ending",
    ("ScriptedTest", "name"): "unique name of the test",
    ("ScriptedTest", "seed"): "seed for the customer's noise",
    ("ScriptedTest", "protocol"): "score against this protocol instead of the scenario's",
    ("ScriptedTest", "expect"): "what the playthrough must give",
}


def scenario_schema() -> dict:
    schema = _draft07(Scenario.model_json_schema(), "Defuse scenario")
    defs = schema["definitions"]
    defs["Action"]["description"] = "an action from the closed vocabulary (`defuse protocols` lists the protocols that use them)"
    defs["Action"]["enumDescriptions"] = [a.description for a in Action]  # shown by editors that support it
    dyn = defs["Persona"]["properties"]["dynamics"]
    dyn["propertyNames"] = {"enum": Dynamics.names()}
    dyn["description"] = "overrides of the anger model's parameters: " + ", ".join(Dynamics.names())
    schema["properties"]["phrases"]["propertyNames"] = {"pattern": ID_PATTERN}
    for (where, key), text in _DESCRIBE.items():
        props = schema["properties"] if not where else defs[where]["properties"]
        props[key].setdefault("description", text)
    return _rewrite(schema)  # again: a description added beside a bare $ref must be wrapped too


def protocol_schema() -> dict:
    return _draft07(Protocol.model_json_schema(), "Defuse protocol")


def render(schema: dict) -> str:
    """The schema as the text committed under schema/ (stable key order, trailing newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _draft07(schema: dict, title: str) -> dict:
    defs = schema.pop("$defs", {})
    out = {"$schema": DRAFT_07, "title": title}
    out.update(_rewrite(schema))
    out["title"] = title
    out["definitions"] = {k: _rewrite(v) for k, v in defs.items()}
    return out


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _rewrite(v) for k, v in node.items()}
    if "prefixItems" in node:  # 2020-12 only; no model uses tuples today, so refuse loudly if one appears
        raise ValueError("prefixItems has no draft-07 equivalent")
    ref = node.get("$ref")
    if isinstance(ref, str):
        node["$ref"] = ref.replace("#/$defs/", "#/definitions/")
        if len(node) > 1:  # draft-07 ignores keywords beside $ref
            target = node.pop("$ref")
            node = {"allOf": [{"$ref": target}], **node}
    return node
