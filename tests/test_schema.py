"""`defuse schema`: draft-07, generated from the models, committed copies never stale, and
every bundled scenario and protocol is valid against it (and names it on its first line)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.authoring.schema import DRAFT_07, protocol_schema, render, scenario_schema
from simulator.library import bundled_protocol_dir, bundled_scenario_dir, read_bytes
from simulator.loader import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(bundled_scenario_dir().glob("*.yaml"))
PROTOCOLS = sorted(bundled_protocol_dir().glob("*.yaml"))
DRAFT07_KEYWORDS = {
    "$schema", "$ref", "title", "description", "default", "type", "enum", "const", "properties",
    "required", "additionalProperties", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "anyOf", "allOf",
    "oneOf", "propertyNames", "definitions", "enumDescriptions",
}


def test_committed_schemas_are_not_stale():
    assert (ROOT / "schema/scenario.schema.json").read_text(encoding="utf-8") == render(scenario_schema()), "run: defuse schema -o schema/scenario.schema.json"
    assert (ROOT / "schema/protocol.schema.json").read_text(encoding="utf-8") == render(protocol_schema()), "run: defuse schema --protocol -o schema/protocol.schema.json"


def test_cli_prints_or_writes_the_same_schema(cli, tmp_path):
    status, out, _ = cli("schema")
    assert status == 0 and json.loads(out) == scenario_schema()
    status, _, _ = cli("schema", "--protocol", "-o", str(tmp_path / "p.json"))
    assert status == 0 and json.loads((tmp_path / "p.json").read_text()) == protocol_schema()


def _walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k in ("properties", "definitions"):
                for name, sub in v.items():
                    yield from _walk(sub, path + (k, name))
            elif k != "enumDescriptions":
                yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


@pytest.mark.parametrize("make", [scenario_schema, protocol_schema])
def test_schema_is_draft07_only(make):
    schema = make()
    assert schema["$schema"] == DRAFT_07 and "$defs" not in schema
    for path, node in _walk(schema):
        if path and path[-1] in ("default", "enum", "const") or (len(path) >= 2 and path[-2] in ("default", "enum", "const")):
            continue
        assert set(node) <= DRAFT07_KEYWORDS, (path, set(node) - DRAFT07_KEYWORDS)
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/definitions/") and ref.split("/")[-1] in schema["definitions"], ref
            assert len(node) == 1, f"draft-07 ignores keywords beside $ref at {path}"


def test_every_field_is_described_for_completion():
    schema = scenario_schema()
    blocks = [schema] + list(schema["definitions"].values())
    for block in blocks:
        for name, prop in block.get("properties", {}).items():
            assert prop.get("description"), f"{block.get('title')}.{name} has no description"


# ---------------------------------------------------------------- a small draft-07 validator
# jsonschema is not a dependency; this checks the keywords our schemas use, strictly.

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _errors(value, schema, root, where="$"):
    if "$ref" in schema:
        yield from _errors(value, root["definitions"][schema["$ref"].split("/")[-1]], root, where)
        return
    t = schema.get("type")
    if t is not None and not any(_TYPES[x](value) for x in ([t] if isinstance(t, str) else t)):
        yield f"{where}: {value!r} is not {t}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield f"{where}: {value!r} not in enum"
    if "const" in schema and value != schema["const"]:
        yield f"{where}: {value!r} != {schema['const']!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where}: below minimum"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where}: above maximum"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            yield f"{where}: not above exclusiveMinimum"
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            yield f"{where}: not below exclusiveMaximum"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            yield f"{where}: length out of range"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield f"{where}: does not match {schema['pattern']}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 10**9):
            yield f"{where}: wrong number of items"
        if "items" in schema:
            for i, v in enumerate(value):
                yield from _errors(v, schema["items"], root, f"{where}[{i}]")
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                yield f"{where}: missing {k}"
        props = schema.get("properties", {})
        for k, v in value.items():
            if "propertyNames" in schema:
                yield from _errors(k, schema["propertyNames"], root, f"{where} key {k}")
            if k in props:
                yield from _errors(v, props[k], root, f"{where}.{k}")
            elif schema.get("additionalProperties") is False:
                yield f"{where}: unexpected key {k}"
            elif isinstance(schema.get("additionalProperties"), dict):
                yield from _errors(v, schema["additionalProperties"], root, f"{where}.{k}")
    for sub in schema.get("allOf", []):
        yield from _errors(value, sub, root, where)
    if "anyOf" in schema and not any(not list(_errors(value, s, root, where)) for s in schema["anyOf"]):
        yield f"{where}: matches no anyOf branch"


def _data(path: Path):
    doc = parse_yaml(read_bytes(path), str(path))
    assert not doc.diagnostics
    return doc.data


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_is_valid_against_the_schema(path):
    schema = scenario_schema()
    assert list(_errors(_data(path), schema, schema)) == []


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_bundled_protocol_is_valid_against_the_schema(path):
    schema = protocol_schema()
    assert list(_errors(_data(path), schema, schema)) == []


def test_the_small_validator_rejects_what_the_loader_rejects():
    schema = scenario_schema()
    data = _data(SCENARIOS[0])
    broken = dict(data, setting="carrier pigeon", colour="red")
    broken["persona"] = dict(data["persona"], dynamics={"decai": 1.0})
    problems = list(_errors(broken, schema, schema))
    assert any("setting" in p for p in problems)
    assert any("unexpected key colour" in p for p in problems)
    assert any("decai" in p for p in problems)


def test_jsonschema_agrees_when_installed():
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    for path in SCENARIOS:
        jsonschema.Draft7Validator(schema).validate(_data(path))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_names_the_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/scenario.schema.json"


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_bundled_protocol_names_the_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/protocol.schema.json"
