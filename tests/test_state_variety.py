"""The customer's own moves (a node's mood, distress), variety (bursts, seeded variants,
phrases, stage directions) and the trainer's feedback: engine, batch, loader, front ends,
reports. The fixture is tests/data/state/moods.yaml; its comments say what each part is for."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring import score
from simulator.actions import Action
from simulator.authoring.batch import OUTCOMES, simulate
from simulator.engine import available, choose, said, start
from simulator.library import protocol
from simulator.loader import load_scenario
from simulator.model import Scenario, distress_summary, distress_word, spoken_text
from simulator.policies import Policy, parse_policy, play_policy
from simulator.session import Recorder
from simulator.store import Store
from playthrough import bundled

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/data/state/moods.yaml"


def _moods() -> Scenario:
    return load_scenario(FIXTURE.read_bytes(), str(FIXTURE))


def _with(sc: Scenario, **node_changes) -> Scenario:
    """The scenario with some nodes' fields replaced: {node_id: {field: value}}."""
    data = sc.model_dump(mode="json", exclude_none=True)
    for nd in data["nodes"]:
        nd.update(node_changes.get(nd["id"], {}))
    return Scenario.model_validate(data)


# ---------------------------------------------------------------- the customer's own moves


def test_a_mood_moves_anger_into_its_band_on_arrival_and_routes_are_decided_before_it():
    sc = _moods()
    st = choose(sc, start(sc), "snap")  # dismiss + interrupt on a vent: anger rises, then 'insulted' is hostile
    turn = st.turns[-1]
    assert st.node == "insulted" and turn.anger_reply is not None and turn.anger_reply < 75.0
    assert st.anger == 75.0 == turn.anger_after  # raised to the hostile band's floor
    # already above the band's top: brought down to it (calm tops out at 24)
    calm = _with(sc, insulted={"mood": "calm"})
    st = choose(calm, start(calm), "snap")
    assert st.anger == min(st.turns[-1].anger_reply, 24.0)


def test_an_anger_delta_on_arrival_adds_and_the_next_turn_starts_from_it():
    sc = _moods()
    st = choose(sc, choose(sc, start(sc), "hear_her"), "offer_help")
    last = st.turns[-1]
    assert st.node == "relieved" and last.anger_reply is not None
    assert last.anger_after == pytest.approx(max(0.0, last.anger_reply - 15.0))
    # a node without a move of its own changes nothing: no anger_reply recorded
    assert st.turns[0].anger_reply is None


def test_the_start_node_moves_the_starting_anger_and_an_arrival_can_end_the_call():
    sc = _with(_moods(), open={"mood": "angry"})
    st = start(sc)
    assert st.anger == st.anger_start == 50.0  # 40 raised to the angry band's floor
    furious = _with(_moods(), insulted={"anger_delta": 100.0, "mood": None})
    st = choose(furious, start(furious), "snap")
    assert st.outcome is not None and st.outcome.value == "customer_left" and st.node == "hung_up"


def test_distress_moves_with_options_and_nodes_and_stays_within_0_and_100():
    sc = _moods()
    st = start(sc)
    assert st.distress == st.distress_start == 70.0
    st = choose(sc, st, "snap")  # +15 for the option, +10 on arriving at 'insulted', capped at 100
    assert st.distress == 95.0 and st.turns[-1].distress_after == 95.0
    st = choose(sc, choose(sc, start(sc), "hear_her"), "offer_help")
    assert st.distress == 30.0
    assert distress_summary(st) == "Distress 70 (distressed) -> 30 (worried)"
    assert [distress_word(x) for x in (0, 24.9, 25, 50, 75, 100)] == ["settled", "settled", "worried", "distressed", "desperate", "desperate"]


def test_a_persona_without_distress_has_none_anywhere():
    sc = _with(_moods())
    data = sc.model_dump(mode="json", exclude_none=True)
    del data["persona"]["distress"]
    for nd in data["nodes"]:
        nd.pop("distress_delta", None)
        for o in nd.get("options", []):
            o.pop("distress_delta", None)
    plain = Scenario.model_validate(data)
    st = choose(plain, start(plain), "hear_her")
    assert st.distress is None and st.turns[-1].distress_after is None and distress_summary(st) is None


# ---------------------------------------------------------------- variety


def test_variants_are_picked_by_the_seed_the_same_every_time():
    sc = _moods()
    picks = {seed: said(sc, start(sc, seed))[0].id for seed in range(60)}
    assert picks == {seed: said(sc, start(sc, seed))[0].id for seed in range(60)}  # same seed, same words
    assert set(picks.values()) == {"open.line", "open.line.b", "open.line.c"}  # every wording is used
    seed = next(s for s, p in picks.items() if p == "open.line.c")
    turn = choose(sc, start(sc, seed), "hear_her").turns[0]
    assert turn.line == "open.line.c" and turn.text.startswith("I've got a red letter.")


def test_a_burst_is_said_in_order_and_recorded_whole():
    sc = _moods()
    words = said(sc, start(sc, 0))
    assert [w.id for w in words][1:] == ["open.more"] and len(words) == 2
    turn = choose(sc, start(sc, 0), "hear_her").turns[0]
    assert turn.text == words[0].text + "\n" + words[1].text


def test_phrases_fill_options_and_feedback():
    sc = _moods()
    offer = next(o for o in sc.node("details").options if o.id == "offer_help")
    assert "our hardship team, on 0800 000 111, free from any phone" in offer.text and "{" not in offer.text
    assert "{hardship}" not in offer.feedback


def test_braces_are_plain_text_in_a_scenario_without_phrases(tmp_path):
    text = FIXTURE.read_text().replace("phrases:\n  hardship:", "notes_unused:\n  hardship:").replace("notes_unused:\n  hardship: \"our hardship team, on 0800 000 111, free from any phone\"\n", "")
    text = text.replace("{hardship}", "{the team}")
    path = tmp_path / "braces.yaml"
    path.write_text(text)
    sc = load_scenario(path.read_bytes(), str(path))
    assert "{the team}" in sc.node("details").options[0].text


def test_stage_directions_are_shown_but_never_spoken():
    assert spoken_text("Oh thank God. (She laughs, a little.) Thank you.") == "Oh thank God. Thank you."
    assert spoken_text("(The line goes dead.)") == ""
    from simulator.play.conversation import Conversation

    sc = _moods()
    rec = Recorder(sc, protocol(sc.protocol), trainee="t", store=None, seed=next(s for s in range(60) if said(sc, start(sc, s))[0].id == "open.line"))
    conv = Conversation(rec)
    assert conv.text.startswith("(She is breathing fast.) You've sent me a letter")  # the caption keeps it
    job = conv.speech_job()
    assert "breathing" not in job.text and job.text.startswith("You've sent me a letter") and "middle of winter" in job.text
    assert job.line_id == "open.line+open.more" and not conv.silent
    texts = {j.text for j in conv.speech_jobs()}
    assert not any("(" in t for t in texts) and "" not in texts  # prefetch skips directions, and lines that are only one
    assert any(t.startswith("There's a letter here") for t in texts)  # every wording is prefetched


# ---------------------------------------------------------------- the trainer's feedback


def test_feedback_is_shown_only_for_the_option_chosen():
    sc = _moods()
    proto = protocol(sc.protocol)
    st = choose(sc, choose(sc, start(sc), "hear_her"), "offer_help")
    notes = [f for f in score(st.transcript(), proto).feedback if f.kind == "trainer"]
    assert [n.turn for n in notes] == [2] and notes[0].message.startswith("Your trainer's note on turn 2 (")
    assert "a concrete promise you can keep" in notes[0].message and "'Calm down'" not in notes[0].message
    st = choose(sc, choose(sc, start(sc), "snap"), "sorry")
    notes = [f for f in score(st.transcript(), proto).feedback if f.kind == "trainer"]
    assert [n.turn for n in notes] == [1] and "'Calm down' tells a frightened caller" in notes[0].message


def test_feedback_survives_the_store_and_reaches_the_reports(tmp_path, cli):
    sc = _moods()
    db = tmp_path / "s.db"
    with Store(db) as store:
        rec = Recorder(sc, protocol(sc.protocol), trainee="Ann", store=store)
        for c in ("snap", "sorry", "offer_help"):
            rec.choose(c)
        rec.finish()
        stored = list(store.find())[0]
    assert [t.feedback is not None for t in stored.turns] == [True, False, True]
    # scored again from the stored turns, the notes are still there
    again = score(stored.transcript(), protocol("ten_step"))
    assert sum(f.kind == "trainer" for f in again.feedback) == 2
    out = tmp_path / "r.html"
    status, _, err = cli("report", "--db", str(db), "--format", "html", "-o", str(out), "--protocol", "ten_step")
    assert status == 0, err
    assert "tells a frightened caller her fear is the problem" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the batch simulator


def test_the_batch_equals_the_engine_with_moods_distress_variants_and_bursts():
    """Bit for bit, including arrival moves that clamp, add and end the call."""
    proto = protocol("five_steps")
    base = _moods()
    variants = [
        base,
        _with(base, open={"mood": "angry"}, details={"anger_delta": 35.0}, insulted={"mood": "upset"}),
        _with(base, details={"mood": "hostile"}, insulted={"anger_delta": 60.0, "mood": None}),
    ]
    for sc in variants:
        for policy in (Policy("random"), Policy("always", Action.DISMISS)):
            seeds = list(range(30))
            batch = simulate(sc, proto, policy, np.array(seeds), record=True)
            for i, seed in enumerate(seeds):
                st = play_policy(sc, policy, proto, seed)
                assert batch.choices[i] == [t.choice for t in st.turns]
                assert OUTCOMES[batch.outcome[i]] == st.outcome
                assert batch.anger[i] == st.anger
                assert batch.total[i] == score(st.transcript(), proto).total


# ---------------------------------------------------------------- distress on screen


def _has_colour(img, colour) -> bool:
    import pygame

    raw = pygame.image.tobytes(img, "RGB")
    return bytes(colour) in {raw[i:i + 3] for i in range(0, len(raw), 3)}


def test_the_distress_bar_is_drawn_only_for_a_persona_with_distress():
    import pygame

    from simulator.play.distress import DISTRESS_COLOUR, draw_distress
    from simulator.play.theme import COLOURS, Fonts

    pygame.init()
    surface = pygame.Surface((300, 60))
    surface.fill(COLOURS["panel"])
    assert draw_distress(surface, pygame.Rect(10, 5, 280, 40), None, Fonts()) == 0
    assert not _has_colour(surface, DISTRESS_COLOUR)
    used = draw_distress(surface, pygame.Rect(10, 5, 280, 40), 62.0, Fonts())
    assert 20 <= used <= 45 and _has_colour(surface, DISTRESS_COLOUR)


@pytest.mark.window
def test_the_window_shows_distress_while_playing_and_in_the_debrief(cli, tmp_path):
    import pygame

    from simulator.play.distress import DISTRESS_COLOUR

    shots = tmp_path / "shots"
    status, _, err = cli("play", str(FIXTURE), "--autoplay", "hear_her,offer_help", "--screenshots", str(shots), "--no-save")
    assert status == 0, err
    assert _has_colour(pygame.image.load(str(shots / "turn-01.png")), DISTRESS_COLOUR)
    assert _has_colour(pygame.image.load(str(shots / "debrief.png")), DISTRESS_COLOUR)
    plain = tmp_path / "plain"
    status, _, err = cli("play", "clinic_calms_early", "--autoplay", "full_attention", "--screenshots", str(plain), "--no-save")
    assert not _has_colour(pygame.image.load(str(plain / "turn-01.png")), DISTRESS_COLOUR)


def test_the_terminal_shows_distress_and_the_debrief_sums_it_up():
    from simulator.play.text_view import Style, debrief_lines

    sc = _moods()
    st = choose(sc, choose(sc, start(sc), "hear_her"), "offer_help")
    lines = debrief_lines(score(st.transcript(), protocol(sc.protocol)), st, sc, protocol(sc.protocol), Style())
    assert "Distress 70 (distressed) -> 30 (worried)." in lines
    assert any(line.startswith("  - Your trainer's note on turn 2") for line in lines)


# ---------------------------------------------------------------- flags, counters, visits, turns


FLAGS = ROOT / "tests/data/state/flags.yaml"


def _flags() -> Scenario:
    return load_scenario(FLAGS.read_bytes(), str(FLAGS))


def test_set_and_flag_conditions_decide_what_is_offered_and_where_routes_go():
    sc = _flags()
    st = choose(sc, start(sc), "listen")
    assert st.value("calls") == 1 and st.visited == ("open", "details")  # the start node's set, on arrival
    offered = [o.id for o in available(sc, st)]
    assert offered == ["ask_number", "transfer"]  # not asked yet; fix_it needs the number or turn 4
    st = choose(sc, st, "ask_number")
    assert st.value("asked_number") == 1 and st.value("asks") == 1
    assert [o.id for o in available(sc, st)] == ["ask_again", "fix_it", "transfer"]
    st = choose(sc, st, "ask_again")
    assert [o.id for o in available(sc, st)] == ["ask_again", "fix_it"]  # count_below {asks: 2} no longer holds
    st = choose(sc, st, "ask_again")  # the third ask: the route reads the count this answer made
    assert st.node == "fed_up" and st.value("asks") == 3 and st.value("fed_up_once") == 1
    st = choose(sc, st, "sorry")  # all keys of the route's condition hold (a flag and a counter)
    assert st.node == "details"
    st = choose(sc, st, "fix_it")  # visited fed_up and still angry: the grudging ending
    assert st.node == "grudging" and st.outcome.value == "resolved"


def test_turn_at_least_offers_an_option_from_that_turn_on():
    sc = _flags()
    st = choose(sc, start(sc), "listen")
    assert "fix_it" not in [o.id for o in available(sc, st)]
    data = sc.model_dump(mode="json", exclude_none=True)
    details = next(n for n in data["nodes"] if n["id"] == "details")
    details["options"].insert(0, {"id": "wait", "text": "(Say nothing.)", "actions": ["listen"], "goto": "details"})
    sc2 = Scenario.model_validate(data)
    st = start(sc2)
    for c in ("listen", "wait", "wait"):
        st = choose(sc2, st, c)
    assert len(st.turns) == 3 and "fix_it" in [o.id for o in available(sc2, st)]  # the 4th answer


def test_not_any_all_combine_and_round_trip_through_plain_data():
    sc = _flags()
    again = Scenario.model_validate(sc.model_dump(mode="json", exclude_none=True))
    cond = next(o for o in again.node("details").options if o.id == "ask_number").when
    assert cond.not_ is not None and cond.not_.flags == ["asked_number"]
    assert "not" in sc.model_dump(mode="json", exclude_none=True)["nodes"][1]["options"][0]["when"]


def test_the_batch_equals_the_engine_with_flags_counters_visits_and_turns():
    proto = protocol("five_steps")
    sc = _flags()
    for policy in (Policy("random"), Policy("always", Action.ASK_CLARIFYING), parse_policy("position:1"), parse_policy("position:last")):
        seeds = list(range(40))
        batch = simulate(sc, proto, policy, np.array(seeds), record=True)
        for i, seed in enumerate(seeds):
            st = play_policy(sc, policy, proto, seed)
            where = f"{policy.name} seed {seed}"
            assert batch.choices[i] == [t.choice for t in st.turns], where
            assert OUTCOMES[batch.outcome[i]] == st.outcome, where
            assert batch.anger[i] == st.anger, where
            assert batch.total[i] == score(st.transcript(), proto).total, where
    outcomes = {OUTCOMES[o].value for o in simulate(sc, proto, Policy("random"), np.arange(300)).outcome if o >= 0}
    assert outcomes == {"resolved", "customer_left"}


def test_the_bundled_hotel_guest_remembers_a_broken_promise_whatever_his_anger():
    """hotel_threat: once promised a free suite, the sister hotel turns him menacing even calm."""
    sc = bundled("hotel_threat")
    path = ["steady_listen", "keep_quiet", "name_it", "suite_promise", "walk_back", "sister_hotel"]
    st = start(sc)
    for c in path:
        st = choose(sc, st, c)
    assert st.value("promised_suite") == 1 and st.node == "threat"
    calm = _with(sc, cause={"mood": "calm"})  # even when anger is well under the route's 33
    st = start(calm)
    for c in path:
        st = choose(calm, st, c)
    assert st.turns[-1].anger_reply is None and st.turns[-2].anger_after <= 24.0 and st.node == "threat"


def test_the_bundled_chat_merchant_counts_brush_offs():
    """software_outage_chat: after two 'we can't' answers, staying level no longer calms her."""
    sc = bundled("software_outage_chat")
    st = start(sc)
    for c in ("let_her_type", "not_my_department", "stay_level", "repeat_cant"):
        st = choose(sc, st, c)
    assert st.value("brush_offs") == 2 and st.node == "fuming"
    st = choose(sc, st, "stay_level")
    assert st.node == "abusive"



@pytest.mark.parametrize("command", [["validate"], ["run", "--policy", "random", "--no-save"], ["lint"], ["analyze", "--runs", "50"]])
def test_a_condition_too_complex_to_compile_is_located_before_anything_is_played(cli, command):
    path = ROOT / "tests/data/bad/53_condition_too_complex.yaml"
    status, out, err = cli(command[0], str(path.relative_to(ROOT)), *command[1:])
    assert status == 1 and "Traceback" not in out + err
    expected = (path.with_suffix(".expected")).read_text(encoding="utf-8").strip()
    assert expected in out + err  # path:line:col: E057 ..., at the `when` that multiplies out


def test_the_engine_refuses_such_a_condition_itself_when_it_is_handed_one_unchecked():
    # a Scenario built in code skips validate: compiling it still stops before memory runs out
    import yaml

    from simulator.compiled import ConditionTooComplex, tables
    from simulator.model import Scenario

    data = yaml.safe_load((ROOT / "tests/data/bad/53_condition_too_complex.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ConditionTooComplex, match=r"scenario 'condition_too_complex', node 'open', option 'sorry': .* 262,144 alternatives"):
        tables(Scenario.model_validate(data))
