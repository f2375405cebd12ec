"""Twine's Twee 3 both ways: every bundled scenario survives YAML -> Twee -> YAML, a story
exported by Twine 2 imports, and broken stories give exactly the diagnostics in tests/data/twee/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.authoring.twee import (
    DATA_PASSAGE,
    TWEE_CODES,
    document_to_yaml,
    ifid_for,
    parse_twee,
    scenario_to_twee,
    story_to_document,
)
from simulator.library import Library, protocols
from simulator.loader import load_scenario, parse_yaml, scenario_of

ROOT = Path(__file__).resolve().parent.parent
TWEE = Path("tests/data/twee")  # relative, as a trainer types it; the tests run from ROOT
BUNDLED = sorted(Library().entries())


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _back(twee: str, path: str = "story.twee", mapping=None):
    doc, diags = story_to_document(parse_twee(twee, path), mapping)
    return doc, diags


@pytest.mark.parametrize("sid", BUNDLED)
def test_every_bundled_scenario_survives_yaml_to_twee_to_yaml(sid):
    original = Library().get(sid).scenario
    doc, diags = _back(scenario_to_twee(original))
    assert diags == []
    back = load_scenario(document_to_yaml(doc, "story.twee"), "back.yaml", set(protocols()))
    assert back.model_dump() == original.model_dump()


def test_a_field_the_converter_has_never_heard_of_travels_in_the_data_passage():
    """New scenario fields (issue 9 adds some) must survive without a change to the converter:
    the data passage carries every non-text field generically."""
    sc = Library().get("clinic_calms_early").scenario
    twee = scenario_to_twee(sc)
    story = parse_twee(twee, "s.twee")
    data = json.loads(story.passage(DATA_PASSAGE).body)
    data["nodes"]["arrives"]["options"][0]["pin"] = True  # a field this module does not know
    data["nodes"]["arrives"]["line"]["beyond_authority"] = True
    data["scenario"]["persona"]["newfangled"] = {"x": 1}
    twee = twee.replace(story.passage(DATA_PASSAGE).body, json.dumps(data))
    doc, _ = _back(twee)
    arrives = doc["nodes"][0]
    assert arrives["options"][0]["pin"] is True and arrives["line"]["beyond_authority"] is True
    assert doc["persona"]["newfangled"] == {"x": 1}


def test_the_export_is_a_story_twine_can_import():
    sc = Library().get("clinic_calms_early").scenario
    twee = scenario_to_twee(sc)
    story = parse_twee(twee, "s.twee")
    assert story.diagnostics == []
    assert story.title == sc.title
    assert story.data["ifid"] == ifid_for(sc.id) == ifid_for("clinic_calms_early")
    assert len(story.data["ifid"]) == 36 and story.data["ifid"].isupper()
    assert ifid_for("other") != story.data["ifid"]
    assert story.data["start"] == sc.start and story.data["format"] == "Harlowe"
    names = {p.name for p in story.passages}
    assert {n.id for n in sc.nodes} <= names
    arrives = story.passage("arrives")
    assert arrives.metadata["size"] == "100,100" and "," in arrives.metadata["position"]
    assert [lk.target for lk in arrives.links] == ["story", "story", "raised", "raised"]
    assert arrives.links[0].text.startswith("(Put the phone down")
    assert story.passage("walks_out").tags == ["end-customer_left"]
    assert story.passage("wrap_up").tags == ["narration"]
    assert story.passage("story").tags == ["venting"]
    assert sc.node("arrives").line.text in arrives.body
    assert scenario_to_twee(sc) == twee  # deterministic: the same scenario, the same file


def test_edits_made_in_twine_come_back():
    """A trainer rewords a line and an option and redirects a link in Twine's editor."""
    sc = Library().get("clinic_calms_early").scenario
    twee = scenario_to_twee(sc)
    twee = twee.replace("So what happened? Why did nobody tell me?", "Well? What happened?")
    twee = twee.replace("[[Let me see what's free today.->still_sore]]", "[[Let me check today's slots.->calmed]]")
    doc, diags = _back(twee)
    assert diags == []
    back = load_scenario(document_to_yaml(doc), "back.yaml", set(protocols()))
    assert back.node("heard").line.text == "Well? What happened?"
    opt = next(o for o in back.node("summed_up").options if o.id == "slots_straight_away")
    assert opt.text == "Let me check today's slots." and opt.goto == "calmed" and opt.actions == sc.node("summed_up").options[1].actions


def test_a_real_twine_export_imports_with_todos_that_validate_reports(cli, tmp_path):
    """tests/data/twee/twine_export.twee is written exactly as Twine 2's "Export as Twee" writes
    a story (StoryTitle, StoryData with ifid/format/format-version/start/tag-colors/zoom, passages
    with position/size metadata, tags, links in the three link syntaxes, one Harlowe macro)."""
    out = tmp_path / "cake.yaml"
    status, _, err = cli("convert", str(TWEE / "twine_export.twee"), "-o", str(out))
    assert status == 0
    assert "tests/data/twee/twine_export.twee:34:1: C101 passage 'Angrier': Harlowe macro '(set: $angry to true)'" in err
    doc = parse_yaml(out.read_text(encoding="utf-8"), str(out))
    nodes = {n["id"]: n for n in doc.data["nodes"]}
    assert doc.data["title"] == "The birthday cake" and doc.data["start"] == "Start"
    assert set(nodes) == {"Start", "tells_the_story", "Angrier", "calmer_now", "Sorted", "Manager"}
    assert nodes["tells_the_story"]["line"]["venting"] is True and nodes["Angrier"]["line"]["abuse"] is True
    assert nodes["Sorted"]["end"] == "resolved" and nodes["Manager"]["end"] == "escalated"
    assert nodes["Angrier"]["line"]["text"] == "Are you even listening to me? This shop is useless, and so are you."
    angrier = nodes["Angrier"]["options"]
    assert [(o["text"], o["goto"]) for o in angrier] == [
        ("I'm sorry. Let me start again - what happened?", "tells_the_story"),
        ("I'll fetch my manager.", "Manager"),  # [[text|target]]
    ]
    status, report, _ = cli("validate", str(out))
    assert status == 1
    codes = [line.split()[1] for line in report.splitlines()]
    assert codes.count("E022") == 7  # one `actions: [TODO]` per link
    assert {"E011", "E012", "E023"} <= set(codes)  # summary/industry/name, setting/anger, protocol
    text = out.read_text(encoding="utf-8").splitlines()
    for line in report.splitlines():
        if " E022 " in line:
            n, col = int(line.split(":")[1]), int(line.split(":")[2])
            assert text[n - 1][col - 1:].startswith("TODO")


def test_a_mapping_file_fills_what_twee_cannot_say(cli, tmp_path):
    out = tmp_path / "cake.yaml"
    status, _, _ = cli("convert", str(TWEE / "twine_export.twee"), "-o", str(out), "--mapping", str(TWEE / "twine_export.mapping.yaml"))
    assert status == 0
    status, report, _ = cli("validate", str(out))
    assert status == 0 and report == ""
    sc = Library().get(str(out)).scenario
    assert sc.persona.name == "Dana Webb" and sc.protocol == "five_steps"
    status, run, _ = cli("run", str(out), "--choices", "i_can_hear_how_upsetting_that,listen_until_she_has_finished,our_decorator_can_do_it_now", "--no-save", "--json")
    assert status == 0 and json.loads(run)["session"]["outcome"] == "resolved"


BAD = sorted((ROOT / TWEE).glob("*.expected"))


@pytest.mark.parametrize("case", BAD, ids=[c.stem for c in BAD])
def test_a_broken_story_gives_exactly_the_expected_diagnostics(cli, case, tmp_path):
    out = tmp_path / "x.yaml"
    status, stdout, err = cli("convert", str(TWEE / (case.stem + ".twee")), "-o", str(out))
    assert status == 1 and not out.exists() and stdout == ""
    assert err == case.read_text(encoding="utf-8")
    assert "Traceback" not in err
    for line in err.splitlines()[:-1]:
        assert line.split(":", 3)[3].split()[0] in TWEE_CODES


def test_twee_to_yaml_and_back_through_the_command_line(cli, tmp_path):
    story = tmp_path / "clinic.twee"
    assert cli("convert", "clinic_calms_early", "-o", str(story))[0] == 0
    back = tmp_path / "clinic.yaml"
    assert cli("convert", str(story), "-o", str(back))[0] == 0
    assert Library().load_path(back).model_dump() == Library().get("clinic_calms_early").scenario.model_dump()
    status, out, _ = cli("convert", "clinic_calms_early")
    assert status == 0 and out == story.read_text(encoding="utf-8")


def test_wrong_output_suffixes_are_usage_errors(cli, tmp_path):
    assert cli("convert", "clinic_calms_early", "-o", str(tmp_path / "x.yaml"))[0] == 2
    assert cli("convert", str(TWEE / "twine_export.twee"), "-o", str(tmp_path / "x.twee"))[0] == 2


def test_header_details_of_the_spec():
    story = parse_twee(
        ":: StoryData\n{\"ifid\": \"X\", \"start\": \"A [1]\"}\n\n"
        ":: A \\[1\\] [tag-a  tag-b] {\"position\":\"1,2\"}\nHello.\n[[Bye->B]]\n\n\n"
        ":: B [end-resolved] {not json}\nBye.\n\n\n",
        "h.twee",
    )
    a = story.passage("A [1]")
    assert a.tags == ["tag-a", "tag-b"] and a.metadata == {"position": "1,2"}
    assert a.body == "Hello.\n[[Bye->B]]"  # trailing blank lines are not content
    (warning,) = story.diagnostics
    assert (warning.code, warning.line, warning.severity.value) == ("C102", 9, "warning")
    doc, diags = story_to_document(story)
    assert diags == [warning]  # StoryData names the passage plainly, without Twee's escapes
    assert doc["start"] == "a_1" and doc["nodes"][0]["options"][0]["goto"] == "B"


def test_an_unclosed_tag_block_and_a_duplicate_passage_are_located():
    story = parse_twee(":: StoryData\n{\"ifid\": \"X\", \"start\": \"A\"}\n:: A [oops\nHi\n:: A\nAgain\n", "d.twee")
    found = [(d.code, d.line) for d in story.diagnostics]
    assert ("C002", 3) in found and ("C006", 5) in found


def test_scenario_of_a_converted_draft_never_crashes_the_loader():
    doc, _ = _back(Path(ROOT / TWEE / "twine_export.twee").read_text(encoding="utf-8"))
    assert scenario_of(parse_yaml(document_to_yaml(doc), "d.yaml"), set(protocols())) is None


def test_text_a_passage_cannot_show_exactly_still_comes_back_exactly():
    sc = Library().get("clinic_calms_early").scenario
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["format_version"] = 1
    data["nodes"][0]["line"]["text"] = "First line.\n\n\n\nAfter blank lines, with [[brackets]] and a trailing newline\n"
    data["nodes"][0]["options"][0]["text"] = "A choice -> with an arrow | and a bar"
    odd = type(sc).model_validate(data)
    doc, diags = _back(scenario_to_twee(odd))
    assert diags == []
    back = load_scenario(document_to_yaml(doc), "back.yaml", set(protocols()))
    assert back.model_dump() == odd.model_dump()
