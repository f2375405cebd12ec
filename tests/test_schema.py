"""`defuse schema`: draft-07, generated from the models, committed copies never stale, and
every bundled scenario and protocol is valid against it (and names it on its first line).
The schemas and the files are checked with `jsonschema`'s draft-07 validator, the draft the
YAML language server reads."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator, validators

from simulator.authoring.schema import DRAFT_07, protocol_schema, render, scenario_schema
from simulator.diagnostics import ScenarioError
from simulator.library import bundled_protocol_dir, bundled_scenario_dir, protocols, read_bytes
from simulator.loader import load_scenario, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(bundled_scenario_dir().glob("*.yaml"))
PROTOCOLS = sorted(bundled_protocol_dir().glob("*.yaml"))
# every keyword of draft-07 is a property of its meta-schema; enumDescriptions is the editors'
# (VS Code, the YAML language server) one extension, for completion texts
DRAFT07_KEYWORDS = set(Draft7Validator.META_SCHEMA["properties"]) | {"enumDescriptions"}


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
def test_schema_is_valid_draft07_using_draft07_keywords_only(make):
    schema = make()
    assert schema["$schema"] == DRAFT_07 and "$defs" not in schema
    assert validators.validator_for(schema) is Draft7Validator
    Draft7Validator.check_schema(schema)  # against the draft-07 meta-schema
    for path, node in _walk(schema):
        assert set(node) <= DRAFT07_KEYWORDS, (path, set(node) - DRAFT07_KEYWORDS)
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/definitions/") and ref.split("/")[-1] in schema["definitions"], ref
            assert len(node) == 1, f"draft-07 ignores keywords beside $ref at {path}"


def _walk(node, path=()):
    """Every schema object inside a schema (not the values of enum, const or default)."""
    if not isinstance(node, dict):
        return
    yield path, node
    for key, value in node.items():
        if key in ("properties", "definitions", "patternProperties"):
            for name, sub in value.items():
                yield from _walk(sub, path + (key, name))
        elif key in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains", "additionalItems"):
            subs = value if isinstance(value, list) else [value]
            for i, sub in enumerate(subs):
                yield from _walk(sub, path + (key, i))
        elif key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(value):
                yield from _walk(sub, path + (key, i))


def test_every_field_is_described_for_completion():
    schema = scenario_schema()
    blocks = [schema] + list(schema["definitions"].values())
    for block in blocks:
        for name, prop in block.get("properties", {}).items():
            assert prop.get("description"), f"{block.get('title')}.{name} has no description"


def _data(path: Path):
    doc = parse_yaml(read_bytes(path), str(path))
    assert not doc.diagnostics
    return doc.data


def _problems(data, schema) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in Draft7Validator(schema).iter_errors(data))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_is_valid_against_the_schema(path):
    assert _problems(_data(path), scenario_schema()) == []


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_bundled_protocol_is_valid_against_the_schema(path):
    assert _problems(_data(path), protocol_schema()) == []


def test_the_schema_rejects_what_the_loader_rejects():
    data = _data(SCENARIOS[0])
    broken = dict(data, setting="carrier pigeon", colour="red")
    broken["persona"] = dict(data["persona"], dynamics={"decai": 1.0})
    problems = _problems(broken, scenario_schema())
    assert any(p.startswith("setting: 'carrier pigeon' is not one of") for p in problems), problems
    assert any(p.startswith("(top): Additional properties are not allowed ('colour' was unexpected)") for p in problems), problems
    assert any(p.startswith("persona/dynamics: 'decai' is not one of [") for p in problems), problems
    assert len(problems) == 3, problems
    # and the loader refuses the same three things, each at its place
    with pytest.raises(ScenarioError) as refused:
        load_scenario(yaml.safe_dump(broken, sort_keys=False), "broken.yaml", set(protocols()))
    found = [(d.code, d.message) for d in refused.value.diagnostics]
    assert [code for code, _ in found] == ["E012", "E010", "E010"], found
    assert "'carrier pigeon'" in found[0][1] and "'decai'" in found[1][1] and "'colour'" in found[2][1], found


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_names_the_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/scenario.schema.json"


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_bundled_protocol_names_the_schema_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/protocol.schema.json"
