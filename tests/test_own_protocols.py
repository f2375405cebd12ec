"""Protocols of the trainer's own: a folder added with --protocols or DEFUSE_PROTOCOLS makes
its protocols usable by scenarios, `run`, `score` and `protocols`; broken or clashing files
are reported with their location; a scenario names alternates for the debrief's switch."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from simulator.authoring.starter import starter
from simulator.library import Library
from simulator.loader import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "tests" / "data" / "protocols"


def _scenario(tmp_path, **replace) -> Path:
    text = starter("Late parcel")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


USE_OURS = {"protocol: five_steps ": "protocol: our_calls  "}


def test_a_scenario_cannot_use_a_protocol_that_is_not_installed(cli, tmp_path):
    path = _scenario(tmp_path, **USE_OURS)
    status, out, _ = cli("validate", str(path))
    assert status == 1 and "E023 unknown protocol 'our_calls'" in out


def test_protocols_folder_on_the_command_line(cli, tmp_path):
    path = _scenario(tmp_path, **USE_OURS)
    assert cli("validate", "--protocols", str(OURS), str(path))[:2] == (0, "")
    status, out, err = cli("run", str(path), "--protocols", str(OURS), "--no-save", "--json", "--choices", "let_them_finish,ask_where,sorry,resend,note_it")
    assert status == 0, err
    assert json.loads(out)["score"]["protocol"] == "our_calls"
    assert cli("test", "--protocols", str(OURS), str(path))[0] == 0


def test_protocols_folder_from_the_environment(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DEFUSE_PROTOCOLS", str(OURS))
    path = _scenario(tmp_path, **USE_OURS)
    assert cli("validate", str(path))[:2] == (0, "")
    status, out, _ = cli("score", "--protocol", "our_calls", "--actions", "listen,apologize,offer_solution", "--json")
    assert status == 0 and json.loads(out)["score"]["passed"]
    status, out, _ = cli("protocols")
    assert "our_calls" in out and "ten_step" in out


def test_protocols_shows_the_steps_and_the_safety_rule(cli):
    status, out, _ = cli("protocols", "--protocols", str(OURS), "our_calls")
    assert status == 0
    lines = out.splitlines()
    assert lines[2:5] == ["   1. Hear them out (critical): listen", "   2. Say sorry: apologize", "   3. Fix it (critical): offer_solution"]
    assert "  safety: after a threat, seek_help must be the next answer, or the session fails: After a threat, get a supervisor on the line first." in lines
    assert "  conduct: dismiss costs 30% of conduct" in lines
    doc = json.loads(cli("protocols", "--protocols", str(OURS), "our_calls", "--json")[1])
    assert doc["safety_rule"] == {"triggers": ["threat"], "requires": "seek_help", "within": 1, "message": "After a threat, get a supervisor on the line first."}


def test_protocols_shows_conditions_kinds_and_the_sources_titles(cli):
    status, out, _ = cli("protocols")
    first = out.splitlines()[0]
    assert status == 0 and first.startswith("abc ") and 'from "Dealing with an irate customer: a ten-step process and its short versions"' in first
    assert ".txt" not in out  # titles, never the seeds' internal file names
    lines = cli("protocols", "advanced_techniques")[1].splitlines()
    assert "   1. Take a time out: time_out; only when abuse went on after the first reply (abuse_persisted); lost again by hold_without_permission" in lines
    lines = cli("protocols", "twelve_strategies")[1].splitlines()
    assert "   4. Do not take it personally: never take_personally (kept only if never done)" in lines
    assert "   2. Listen actively: listen, acknowledge, verify_understanding; lost again by a vent cut short" in lines
    doc = json.loads(cli("protocols", "twelve_strategies", "--json")[1])
    step = next(s for s in doc["steps"] if s["id"] == "active_listening")
    assert step["kind"] == "do" and step["when"] is None and step["lost_if"] == ["vent_cut"]
    assert doc["source_title"] == "Twelve strategies for an irate customer" and doc["source"] == "003_f85203780d832732.txt"


def test_a_broken_or_clashing_protocol_file_is_reported_where_it_is(cli, tmp_path):
    (tmp_path / "broken.yaml").write_text((OURS / "our_calls.yaml").read_text().replace("id: our_calls", "id: broken").replace("[listen]", "[listn]"))
    (tmp_path / "clash.yaml").write_text((OURS / "our_calls.yaml").read_text().replace("id: our_calls", "id: ten_step"))
    (tmp_path / "good.yaml").write_text((OURS / "our_calls.yaml").read_text())
    status, out, err = cli("protocols", "--protocols", str(tmp_path))
    assert status == 0 and "our_calls" in out and "broken" not in out
    assert f"{tmp_path / 'broken.yaml'}:14:15: E022 unknown action 'listn'; did you mean 'listen'?" in err.splitlines()
    assert f"{tmp_path / 'clash.yaml'}:1:1: E020 protocol id 'ten_step' is already installed from" in err
    status, out, _ = cli("validate", str(tmp_path / "broken.yaml"))
    assert status == 1 and out == f"{tmp_path / 'broken.yaml'}:14:15: E022 unknown action 'listn'; did you mean 'listen'?\n"


def test_a_missing_protocols_folder_is_named(cli, tmp_path):
    status, _, err = cli("protocols", "--protocols", str(tmp_path / "nope"))
    assert status == 0 and f"{tmp_path / 'nope'}:1:1: E001 cannot read the file: the protocols folder does not exist" in err


def test_the_protocol_schema_accepts_our_file_and_catches_a_typo(cli, tmp_path):
    out = tmp_path / "protocol.schema.json"
    assert cli("schema", "--protocol", "-o", str(out))[0] == 0
    schema = json.loads(out.read_text())
    data = parse_yaml((OURS / "our_calls.yaml").read_text(), "p.yaml").data
    jsonschema.Draft7Validator(schema).validate(data)
    data["steps"][0]["critcal"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(data)


def test_alternates_are_checked(cli, tmp_path):
    path = _scenario(tmp_path, **{"protocol: five_steps ": "protocol: five_steps\nalternates: [ten_stp, five_steps, six_steps, six_steps]\n"})
    status, out, _ = cli("validate", str(path))
    assert status == 1
    codes = [(ln.split(":")[1], ln.split()[1], ln.split(" ", 2)[2]) for ln in out.splitlines()]
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.startswith("alternates:"))
    assert codes == [
        (str(line), "E023", "unknown protocol 'ten_stp' in alternates; did you mean 'ten_step'?"),
        (str(line), "E020", "protocol 'five_steps' is already named as the main protocol"),
        (str(line), "E020", "protocol 'six_steps' is already named among the alternates"),
    ]


@pytest.mark.window
def test_the_debrief_switch_offers_the_main_protocol_and_the_alternates(tmp_path):
    import pygame

    from simulator.cli import build_parser
    from simulator.play import window
    from simulator.play.widgets import Move

    path = _scenario(tmp_path, **{"protocol: five_steps ": "protocol: five_steps\nalternates: [ten_step, our_calls]\n"})
    args = build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "Ana", "--protocols", str(OURS)])
    from simulator.library import use_protocol_dirs

    use_protocol_dirs(args.protocols)
    pygame.init()
    try:
        app = window.App(args, Library(), None, autoplaying=True)
        app.play(app.library.get(str(path)))
        for oid in ["let_them_finish", "ask_where", "sorry", "resend", "note_it"]:
            app.scene.conversation.choose(oid, now=1000.0 * (len(app.scene.conversation.state.turns) + 1))
        app.debrief(app.scene.recorder)
        debrief = app.scene
        assert [p.id for p in debrief.protocols] == ["five_steps", "ten_step", "our_calls"]
        seen = [debrief.result.protocol]
        for _ in range(3):
            debrief.handle(Move(1, sideways=True))
            seen.append(debrief.result.protocol)
        assert seen == ["five_steps", "ten_step", "our_calls", "five_steps"]
        app.close()
    finally:
        use_protocol_dirs([])
        pygame.quit()
