"""The role-play's scene logic without a window: caption timing, the speaking cue, the
eased anger gauge, and interruption decided by when the trainee answers."""
from __future__ import annotations

import pytest

from simulator.actions import Action
from simulator.diagnostics import IllegalChoice
from simulator.library import Library, protocol
from simulator.play.conversation import AngerGauge, Conversation, Delivery, speaking_rate, speaking_time
from simulator.play.speech import voice_for
from simulator.session import Recorder
from simulator.store import Store

SCENARIO = "billing_double_charge"


def conversation(store=None, now: float = 0.0) -> Conversation:
    sc = Library().get(SCENARIO).scenario
    return Conversation(Recorder(sc, protocol(sc.protocol), trainee="t", store=store), now)


def test_caption_is_revealed_word_by_word_at_the_persona_rate():
    conv = conversation()
    text = conv.node.line.text
    rate = voice_for(conv.recorder.scenario.persona.voice, conv.state.anger).rate
    assert conv.duration == pytest.approx(speaking_time(text, rate))
    assert conv.caption(0.0) == text.split()[0]  # the first word as the line begins
    half = conv.caption(conv.duration / 2)
    assert 0 < len(half) < len(text) and text.startswith(half)
    assert half == text[: len(half)] and text[len(half)] == " "  # cut between words
    shown = [len(conv.caption(t / 10)) for t in range(0, int(conv.duration * 10) + 2)]
    assert shown == sorted(shown)  # never goes backwards
    assert conv.caption(conv.duration) == text


def test_caption_follows_the_voice_length_when_a_wav_is_ready():
    conv = conversation()
    conv.begin_line(10.0, duration=2.0)
    assert conv.voiced
    spoken = Delivery.spoken(conv.node.line.text, conv.rate)
    half = spoken.said(spoken.length / 2)
    assert 0 < half < len(spoken.words)
    assert conv.delivery.said(1.0) == half  # the same words, spread over the WAV's two seconds
    assert 0 < conv.reveal(11.0) < 1.0
    assert conv.reveal(12.0) == 1.0
    assert conv.speaking(12.2)  # a breath after the last word still counts as speaking
    assert not conv.speaking(12.5)


def test_speaking_cue_runs_until_the_line_is_said():
    conv = conversation()
    assert conv.speaking(0.1)
    assert conv.speaking(conv.duration - 0.01)
    assert not conv.speaking(conv.duration + 0.01)


def test_an_angrier_customer_speaks_faster():
    conv = conversation()
    voice = conv.recorder.scenario.persona.voice
    calm, hostile = voice_for(voice, 10), voice_for(voice, 90)
    assert hostile.rate > calm.rate and hostile.volume > calm.volume
    words = "one two three four five six seven eight"
    assert speaking_time(words, hostile.rate) < speaking_time(words, calm.rate)


def test_answering_while_the_customer_speaks_is_recorded_as_an_interruption(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    conv = conversation(store, now=5.0)
    state = conv.choose("quick_see", now=5.0 + 0.6)  # "I see" mid-vent, 0.6 s into the line
    turn = state.turns[-1]
    assert turn.interrupted and Action.INTERRUPT in turn.actions
    assert turn.elapsed == pytest.approx(0.6)
    stored = store.turns(conv.recorder.session_id)
    assert len(stored) == 1 and stored[0].interrupted and Action.INTERRUPT in stored[0].actions
    assert conv.history[-1].interrupted and conv.history[-2].text.endswith("—")  # the cut-off line shows where it stopped
    store.close()


def test_the_same_answer_after_the_line_is_not_an_interruption():
    conv = conversation(now=0.0)
    # (not "I see": to a tape-recorder caller that breaks the vent whenever it is said)
    state = conv.choose("her_side", now=conv.duration + 0.1)
    assert not state.turns[-1].interrupted
    assert Action.INTERRUPT not in state.turns[-1].actions


def test_staying_quiet_while_they_speak_is_never_an_interruption():
    conv = conversation()
    state = conv.choose("breathe_listen", now=0.2)
    assert not state.turns[-1].interrupted


def test_the_next_line_starts_at_the_moment_of_the_choice():
    conv = conversation()
    first = conv.node.id
    now = conv.duration + 3.0  # once she has finished
    conv.choose("breathe_listen", now=now)
    assert conv.node.id != first
    assert conv.started_at == now and conv.speaking(now + 0.01)


def test_an_option_not_offered_changes_nothing():
    conv = conversation()
    with pytest.raises(IllegalChoice):
        conv.choose("no_such_option", now=1.0)
    assert conv.state.turns == () and conv.history == []


def test_narration_is_not_spoken_so_it_cannot_be_interrupted():
    conv = conversation()
    for oid in ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up"]:
        conv.choose(oid, now=100.0 * (len(conv.state.turns) + 1))
    assert conv.narration
    assert conv.reveal(conv.started_at) == 1.0 and not conv.speaking(conv.started_at)
    state = conv.choose("log_it", now=conv.started_at)
    assert not state.turns[-1].interrupted


def test_anger_gauge_eases_toward_the_new_value_without_jumping():
    gauge = AngerGauge(70.0)
    gauge.target = 30.0
    seen = [gauge.shown]
    for _ in range(180):  # three seconds of frames
        gauge.update(1 / 60)
        seen.append(gauge.shown)
    steps = [a - b for a, b in zip(seen, seen[1:])]
    assert all(s >= 0 for s in steps)  # falls steadily, never overshoots back up
    assert max(steps) < 5.0  # no single frame jumps across a band
    assert seen[-1] == 30.0 and gauge.settled


def test_history_keeps_both_sides_of_recent_exchanges():
    conv = conversation()
    conv.choose("breathe_listen", now=50.0)
    assert [e.speaker for e in conv.history] == ["customer", "trainee"]
    assert conv.history[1].text.startswith("(Sit up")


def test_one_speaking_rule_the_voice_at_the_current_anger_band():
    conv = conversation()
    voice = conv.recorder.scenario.persona.voice
    assert conv.state.anger >= 50  # she starts angry: faster than her calm rate
    assert conv.rate == voice_for(voice, conv.state.anger).rate > voice.rate
    assert conv.duration == pytest.approx(Delivery.spoken(conv.node.line.text, conv.rate).length)
    assert conv.duration < speaking_time(conv.node.line.text, voice.rate)
    assert speaking_rate(voice, 90.0, pace=300) == 300 and speaking_rate(voice, 90.0, pace=-1) == 0
    assert Conversation(conv.recorder, 0.0, pace=0).duration == 0.0  # a trainer's pace 0: all at once


def test_delivery_pauses_at_punctuation_and_each_word_has_its_moment():
    d = Delivery.spoken("Finally, a person. Now", 120)
    assert d.words == ("Finally,", "a", "person.", "Now")
    assert d.onsets[1] - d.onsets[0] == pytest.approx(0.5 * 1.4)  # a comma: a short breath
    assert d.onsets[3] - d.onsets[2] == pytest.approx(0.5 * 2.0)  # a full stop: a longer one
    assert d.length == pytest.approx(d.onsets[3] + 0.5)
    assert [d.said(t) for t in (0.0, 0.69, 0.7, d.length - 0.01, d.length)] == [1, 1, 2, 4, 4]
    assert d.caption(0.8) == "Finally, a" and d.caption(d.length) == d.text


def test_keeping_quiet_early_lets_the_customer_finish_before_the_next_line():
    conv = conversation(now=0.0)
    first = conv.delivery
    ends = first.length
    state = conv.choose("breathe_listen", now=1.0)  # "keep listening" a second into her vent
    assert not state.turns[-1].interrupted
    assert conv.started_at == pytest.approx(ends)  # her next line waits for the end of this one
    assert conv.finishing(2.0) and conv.speaking(2.0)
    assert conv.line_text(2.0) == first.text and conv.caption(2.0) == first.caption(2.0)
    assert conv.caption(ends + 0.01) == conv.node.line.text.split()[0]  # then the next line begins
    assert conv.history[0].text == first.text  # heard whole, not cut off
    # answering over the rest of her line is cutting in, and the next line then starts at once
    state = conv.choose("calm_down", now=2.0)
    assert state.turns[-1].interrupted and conv.started_at == 2.0 and conv.tail is None


def test_an_interruption_starts_the_next_line_at_once():
    conv = conversation(now=0.0)
    state = conv.choose("cut_in", now=1.0)
    assert state.turns[-1].interrupted and conv.tail is None and conv.started_at == 1.0


def test_a_burst_keeps_its_line_breaks_and_stage_directions_take_no_time():
    d = Delivery.spoken("Fine.\n(She sighs, loudly.) Whatever.", 60)
    assert d.words == ("Fine.", "(She", "sighs,", "loudly.)", "Whatever.")
    assert d.onsets == (0.0, 2.0, 2.0, 2.0, 2.0) and d.length == pytest.approx(4.0)  # read, not said
    assert d.new_line(1) and not d.new_line(2)
    assert d.caption(1.0) == "Fine." and d.caption(2.0) == "Fine.\n(She sighs, loudly.) Whatever."
    only = Delivery.spoken("(She hangs up.)", 60)
    assert only.length > 0  # a line of nothing but directions takes the time to read it
