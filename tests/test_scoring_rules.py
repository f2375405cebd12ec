"""Each rule of the score, on a short scenario written for it (tests/data/scoring/).

The scenarios are scored against `rules.protocol.yaml`, a protocol with one step of each
kind (ordered do steps, a vent step lost when the vent is cut, conditional steps, a
prohibition), and against the bundled protocols where the rule must hold for all of them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from scoring import score
from simulator.protocol_loader import load_protocol
from simulator.engine import presented, start
from simulator.library import protocol, protocols
from simulator.loader import load_scenario
from simulator.policies import parse_choices, play_choices

DATA = Path(__file__).parent / "data" / "scoring"
RULES = load_protocol((DATA / "rules.protocol.yaml").read_bytes(), str(DATA / "rules.protocol.yaml"))


def scenario(name: str):
    path = DATA / f"{name}.yaml"
    return load_scenario(path.read_bytes(), str(path))


def play(name: str, choices: str, seed: int = 0):
    return play_choices(scenario(name), parse_choices(choices), seed)


def judged(name: str, choices: str, proto=RULES):
    state = play(name, choices)
    return state, score(state.transcript(), proto)


def step(result, sid):
    return next(s for s in result.steps if s.id == sid)


# ---------------------------------------------------------------- gates


def test_the_customer_leaving_fails_whatever_the_total_and_is_said_first():
    state, r = judged("gates", "storm_out")
    assert state.outcome.value == "customer_left"
    assert not r.passed and not r.ending_accepted
    assert r.feedback[0].kind == "outcome" and "customer left" in r.feedback[0].message


@pytest.mark.parametrize("pid", sorted(protocols()))
def test_no_protocol_passes_a_session_the_customer_walked_out_of(pid):
    state = play("gates", "storm_out")
    assert not score(state.transcript(), protocol(pid)).passed


def test_giving_in_to_a_threat_is_its_own_outcome_and_fails():
    state, r = judged("gates", "calm_listen,empathize_fix,give_in")
    assert state.outcome.value == "gave_in"
    assert not r.passed and "gave in" in r.feedback[0].message
    helped, h = judged("gates", "calm_listen,empathize_fix,get_help")
    assert helped.outcome.value == "help_called" and h.ending_accepted and h.components["outcome"] > r.components["outcome"]


# ---------------------------------------------------------------- safety


@pytest.mark.parametrize("pid", sorted(protocols()) + ["rules_test"])
def test_help_sought_in_answer_to_the_threat_keeps_the_safety_rule(pid):
    proto = RULES if pid == "rules_test" else protocol(pid)
    state = play("safety", "help_now")
    r = score(state.transcript(), proto)
    assert not r.safety_broken


@pytest.mark.parametrize("pid", sorted(protocols()) + ["rules_test"])
def test_late_help_breaks_the_safety_rule_under_every_protocol(pid):
    proto = RULES if pid == "rules_test" else protocol(pid)
    state = play("safety", "carry_on,help_late")
    r = score(state.transcript(), proto)
    assert r.safety_broken and not r.passed
    safety = next(f for f in r.feedback if f.kind == "safety")
    assert safety.turn == 1 and "Help came only at turn 2" in safety.message


def test_help_only_in_the_after_call_log_breaks_the_safety_rule():
    state, r = judged("safety", "carry_on,fix_it,log_help")
    assert state.outcome.value == "resolved"
    assert r.safety_broken and not r.passed
    assert "(after the call)" in next(f for f in r.feedback if f.kind == "safety").message


# ---------------------------------------------------------------- steps in context


def test_a_vent_cut_short_loses_let_them_vent_even_if_listened_to_later():
    state, r = judged("vent", "i_see,quiet,quiet_2,feel")  # tape recorder: "I see" mid-vent restarts it
    assert state.turns[0].interrupted and state.turns[0].restarted_vent
    assert step(r, "vent").status == "lost" and step(r, "vent").at == 1 and not step(r, "vent").performed
    assert any(f.step == "vent" and "lost at turn 1" in f.message for f in r.feedback)
    _, clean = judged("vent", "quiet,quiet_2,feel")
    assert step(clean, "vent").status == "met" and clean.total > r.total


def test_a_prohibition_holds_over_the_whole_session_not_from_a_first_good_turn():
    _, r = judged("vent", "quiet,correct_him,feel")
    no_argue = step(r, "no_argue")
    assert no_argue.status == "broken" and no_argue.at == 2 and not no_argue.performed
    _, kept = judged("vent", "quiet,quiet_2,feel")
    assert step(kept, "no_argue").status == "kept" and step(kept, "no_argue").performed


def test_a_conditional_step_is_not_needed_where_its_condition_never_arose():
    _, r = judged("conditions", "calm_empathize,fix,close")
    esc = step(r, "escalate")
    assert not esc.applicable and esc.status == "not needed" and not esc.performed
    assert "escalate" not in r.critical_missed and not any(f.step == "escalate" for f in r.feedback)
    assert r.components["coverage"] > 0.99  # it left the denominator instead of counting as missed


def test_a_conditional_step_is_required_where_its_condition_arose():
    _, skipped = judged("conditions", "calm_empathize,fix_big,close_big")
    esc = step(skipped, "escalate")
    assert esc.applicable and esc.status == "missed"
    assert any(f.step == "escalate" and "asked for more than you may give" in f.message for f in skipped.feedback)
    _, done = judged("conditions", "calm_empathize,fix_big,supervisor")
    assert step(done, "escalate").status == "met" and done.ending_accepted and done.total > skipped.total


def test_escalating_passes_only_where_the_request_was_beyond_authority():
    # the same escalation ending, reached without a request beyond authority, is not accepted
    sc = scenario("conditions")
    data = sc.model_dump(mode="json", exclude_none=True)
    for node in data["nodes"]:
        node["line"].pop("beyond_authority", None)
    plain = type(sc).model_validate(data)
    state = play_choices(plain, parse_choices("calm_empathize,fix_big,supervisor"))
    r = score(state.transcript(), RULES)
    assert state.outcome.value == "escalated" and not r.ending_accepted and not r.passed


def test_an_unkeepable_promise_costs_conduct_and_halves_the_outcome():
    _, promised = judged("conditions", "calm_empathize,fix_big,promise_all")
    _, plain = judged("conditions", "calm_empathize,fix_big,close_big")
    assert promised.components["conduct"] < plain.components["conduct"]
    assert any("not yours to keep" in f.message for f in promised.feedback)


# ---------------------------------------------------------------- no free points


@pytest.mark.parametrize("pid", sorted(protocols()) + ["rules_test"])
def test_doing_none_of_the_protocols_steps_scores_at_most_20(pid):
    proto = RULES if pid == "rules_test" else protocol(pid)
    state = play("conditions", "nothing,nothing_2,brush_off")
    r = score(state.transcript(), proto)
    performed = {s.id for s in r.steps if s.performed and s.kind == "do"}
    assert not performed, performed
    assert r.total <= 20.0, (pid, r.total, r.components)


def test_one_step_earns_no_order_credit_and_an_empty_log_scores_nothing():
    state = play("conditions", "nothing,fix,close")
    r = score(state.transcript(), RULES)
    assert [s.id for s in r.steps if s.performed and s.kind == "do"] == ["fix"]
    assert r.components["order"] == 0.0
    from simulator.model import Transcript

    empty = score(Transcript(()), RULES)
    assert empty.total == 0.0 and not empty.passed


# ---------------------------------------------------------------- option order


def test_options_are_shown_in_an_order_stable_for_a_seed_and_different_across_seeds():
    sc = scenario("order")
    orders = {seed: [o.id for o in presented(sc, start(sc, seed))] for seed in range(40)}
    assert orders[7] == [o.id for o in presented(sc, start(sc, 7))]  # replaying a seed shows the same order
    assert len({tuple(v) for v in orders.values()}) > 20  # seeds really differ
    assert all(v[-1] == "silence" for v in orders.values())  # pinned last stays last
    firsts = {v[0] for v in orders.values()}
    assert firsts == {"a", "b", "c", "d", "e"}  # every unpinned option comes first for some seed


def test_the_order_shown_is_recorded_in_each_turn():
    sc = scenario("order")
    state = play_choices(sc, parse_choices("b"), seed=3)
    assert list(state.turns[0].shown) == [o.id for o in presented(sc, start(sc, 3))]
