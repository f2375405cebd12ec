"""The protocol library: every file loads, every source document is covered, and the
structure matches what the sources say (order, critical steps, safety)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simulator.library import bundled_protocol_dir, protocol, protocols

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SOURCES = {
    "000_d4074a999a6a7eab.txt": {"ten_step", "only_critical", "abc", "bluf"},
    "001_1adcf1249cab8363.txt": {"six_steps", "five_steps", "insult_steps"},
    "002_9476ac1fe0d6b0ef.txt": {"call_flow"},
    "003_f85203780d832732.txt": {"twelve_strategies"},
    "004_308c06dcf878ab7c.txt": {"advanced_techniques"},
}


def test_every_file_loads_and_ids_are_unique():
    files = sorted(bundled_protocol_dir().glob("*.yaml"))
    assert len(files) == len(protocols()) >= 10


@pytest.mark.parametrize("source,expected", sorted(SOURCES.items()))
def test_every_source_document_has_its_protocols(source, expected):
    have = {p.id for p in protocols().values() if p.source == source}
    assert expected <= have


def test_sources_named_exist():
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds not beside this checkout")
    for p in protocols().values():
        assert (SEEDS / p.source).is_file(), p.source


def test_step_counts_follow_the_sources():
    counts = {"ten_step": 10, "only_critical": 7, "abc": 7, "bluf": 7, "six_steps": 6, "five_steps": 5,
              "insult_steps": 5, "call_flow": 11, "twelve_strategies": 12}
    for pid, n in counts.items():
        assert len(protocol(pid).steps) == n, pid
    # the three advanced techniques, then ending the conversation
    assert [s.id for s in protocol("advanced_techniques").steps][:3] == ["time_out", "delegate_upwards", "draw_line"]


def test_only_what_is_critical_drops_steps_2_4_10_and_keeps_9_optional():
    steps = protocol("only_critical").steps
    assert [s.id for s in steps] == [
        "stay_calm", "acknowledge_issue", "identify_root_cause", "offer_solutions", "take_action", "follow_up", "document",
    ]
    assert [s.critical for s in steps] == [True, True, True, True, True, True, False]


def test_the_ten_step_process_takes_its_critical_steps_from_only_what_is_critical():
    ten = {s.id: s.critical for s in protocol("ten_step").steps}
    assert {k for k, v in ten.items() if v} == {s.id for s in protocol("only_critical").steps if s.critical}


def test_where_a_source_marks_nothing_no_step_is_critical_but_safety_holds_everywhere():
    for pid in ("abc", "bluf", "six_steps", "five_steps", "insult_steps", "call_flow", "twelve_strategies", "advanced_techniques"):
        assert not any(s.critical for s in protocol(pid).steps), pid
    for p in protocols().values():
        assert p.safety.requires.value == "seek_help" and "threat" in p.safety.triggers and p.safety.within >= 1


def test_one_action_keeps_one_meaning_across_protocols():
    """An action performs at most one step of any protocol, and the same kind of step everywhere
    (acknowledge, a short 'I see', is listening, never 'acknowledge the issue')."""
    for p in protocols().values():
        for action in {a for s in p.steps if s.kind == "do" for a in s.actions}:
            steps = [s.id for s in p.steps if s.kind == "do" and action in s.actions]
            assert len(steps) == 1, (p.id, action.value, steps)
    for p in protocols().values():
        for s in p.steps:
            if "acknowledge" in [a.value for a in s.actions] and s.kind == "do":
                assert "listen" in s.id or "vent" in s.id, (p.id, s.id)


def test_twelve_strategies_are_unordered_and_the_rest_ordered():
    for p in protocols().values():
        assert p.ordered == (p.id != "twelve_strategies"), p.id


def test_advanced_techniques_are_strictly_ordered():
    p = protocol("advanced_techniques")
    assert ("time_out", "delegate_upwards") in p.precedence
    assert ("delegate_upwards", "draw_line") in p.precedence
    assert ("time_out", "draw_line") in p.precedence


def test_safety_rule_where_the_source_has_one():
    for pid in ("ten_step", "only_critical", "abc", "bluf", "advanced_techniques"):
        assert protocol(pid).safety is not None, pid


def test_direct_predecessors_for_plain_lists():
    p = protocol("abc")
    ids = [s.id for s in p.steps]
    assert p.direct_predecessors(ids[0]) == []
    assert p.direct_predecessors(ids[3]) == [ids[2]]
    assert protocol("twelve_strategies").direct_predecessors("stay_calm") == []


def test_every_protocol_has_conduct_rules_for_every_harmful_action():
    from simulator.actions import HARMFUL

    for p in protocols().values():
        assert {c.action for c in p.conduct} == set(HARMFUL), p.id
