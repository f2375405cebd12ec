"""`defuse new`: the starter scenario validates, lints clean, plays, and its own tests pass."""
from __future__ import annotations

import json

import pytest

from simulator.authoring.starter import slug, starter
from simulator.library import protocol


def test_new_writes_a_file_that_validates_and_lints_clean(cli, tmp_path):
    path = tmp_path / "late.yaml"
    status, out, err = cli("new", "Late parcel!", "-o", str(path))
    assert status == 0 and out == "" and str(path) in err
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=scenario.schema.json"
    # the modeline is relative to the file: the schema it names is there, and the file meets it
    schema = json.loads((tmp_path / "scenario.schema.json").read_text(encoding="utf-8"))
    import jsonschema

    from simulator.loader import parse_yaml

    jsonschema.Draft7Validator(schema).validate(parse_yaml(text, str(path)).data)
    assert "id: late_parcel " in text and 'title: "Late parcel!"' in text
    assert cli("validate", str(path)) [:2] == (0, "")
    assert cli("lint", str(path))[:2] == (0, "")


def test_new_keeps_a_schema_already_in_the_folder(cli, tmp_path):
    (tmp_path / "scenario.schema.json").write_text("{}")
    status, _, err = cli("new", "Second one", "-o", str(tmp_path / "two.yaml"))
    assert status == 0 and "scenario.schema.json" not in err
    assert (tmp_path / "scenario.schema.json").read_text() == "{}"


def test_the_summary_does_not_claim_the_example_story():
    from simulator.library import protocols
    from simulator.loader import load_scenario

    sc = load_scenario(starter("Hotel overbooking"), "h.yaml", set(protocols()))
    assert "parcel" not in sc.summary.split("(")[0].lower() and "replace" in sc.summary.lower()


def test_new_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("precious")
    status, _, err = cli("new", "x", "-o", str(path))
    assert status == 1 and "already exists" in err and path.read_text() == "precious"


def test_new_prints_to_stdout_without_o(cli):
    status, out, _ = cli("new", "Anything")
    assert status == 0 and out == starter("Anything")


def test_the_starters_own_tests_pass(cli, tmp_path):
    from simulator.authoring.playtest import run_tests
    from simulator.library import protocols
    from simulator.loader import load_scenario

    scenario = load_scenario(starter("Late parcel"), "starter.yaml", set(protocols()))
    assert len(scenario.tests) >= 2
    runs = run_tests(scenario, protocol)
    assert [r.diagnostics for r in runs] == [[]] * len(runs)
    assert {r.passed for r in runs} == {True, False}
    path = tmp_path / "s.yaml"
    path.write_text(starter("Late parcel"))
    assert cli("test", str(path))[:2] == (0, "")


def test_run_plays_the_starter(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(starter("Late parcel"))
    status, out, err = cli("run", str(path), "--choices", "let_them_finish,ask_where,sorry,resend,note_it", "--json", "--no-save")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["session"]["outcome"] == "resolved" and doc["score"]["passed"]
    status, out, _ = cli("run", str(path), "--policy", "random", "--seed", "3", "--json", "--no-save")
    assert status == 0 and json.loads(out)["session"]["complete"]


@pytest.mark.parametrize(
    "name,expected",
    [("Late parcel", "late_parcel"), ("  42 angry callers ", "angry_callers"), ("Ünïcode café", "n_code_caf"), ("!!!", "my_scenario")],
)
def test_slug_makes_a_valid_id(name, expected):
    assert slug(name) == expected


def test_a_title_with_quotes_stays_valid(cli, tmp_path):
    path = tmp_path / "q.yaml"
    assert cli("new", 'The "impossible" \\ customer', "-o", str(path))[0] == 0
    assert cli("validate", str(path))[0] == 0
