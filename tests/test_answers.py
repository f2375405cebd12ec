"""Typed answers in the trainee's own words: matching free text to the options on screen."""
from __future__ import annotations

import pytest

from simulator.library import Library, protocol
from simulator.play.answers import ACCEPT, Match, Verdict, match_answer, normalise, number_in
from simulator.session import Recorder
from simulator.store import Store


@pytest.fixture(scope="module")
def billing():
    return Library().get("billing_double_charge").scenario


def offered(scenario, node: str) -> list[tuple[str, str]]:
    return [(o.id, o.text) for o in scenario.node(node).options]


def test_the_exact_text_of_an_option_picks_it(billing):
    for node in ("open", "explained", "acknowledged", "cause"):
        opts = offered(billing, node)
        for oid, text in opts:
            m = match_answer(text, opts)
            assert m.verdict is Verdict.CHOSEN and m.option == oid, (node, text, m)


@pytest.mark.parametrize(
    "node, typed, expected",
    [
        ("explained", "I understand why you're upset, that would worry anyone", "feel_it"),
        ("explained", "i'll refund one of them", "jump_fix"),
        ("acknowledged", "sorry you had to chase this again", "apologize"),
        ("acknowledged", "when did you notice the 2nd payment?", "ask_first"),
        ("cause", "you should of cancelled it yourself", "your_fault"),
        ("open", "can i have your acount number", "cut_in"),  # a typo too
        ("escalating", "I'll get my supervisor", "bring_supervisor"),
    ],
)
def test_a_paraphrase_picks_the_option_it_means(billing, node, typed, expected):
    m = match_answer(typed, offered(billing, node))
    assert m == Match(Verdict.CHOSEN, expected, score=m.score) and m.score >= ACCEPT


def test_words_close_to_two_options_offer_both_best_first(billing):
    # both the duplicate refund and "we can't refund" are about refunding
    m = match_answer("refund", offered(billing, "cause"))
    assert m.verdict is Verdict.CLOSE and m.option is None
    assert set(m.candidates) == {"found_it", "cant_yet"} and len(m.candidates) == 2
    m = match_answer("I will refund it and guarantee", offered(billing, "apologized"))
    assert m.verdict is Verdict.CLOSE and m.candidates == ("promise_more", "offer_now")


@pytest.mark.parametrize("typed", ["banana helicopter", "asdf qwerty", "purple monkey dishwasher", "", "   ", "?!", "yes"])
def test_nonsense_matches_nothing(billing, typed):
    m = match_answer(typed, offered(billing, "explained"))
    assert m.verdict is Verdict.NONE and m.option is None and m.candidates == ()


@pytest.mark.parametrize("typed, n", [("2", 2), ("two", 2), ("option two", 2), ("Number 4.", 4), ("the first", 1), ("third", 3)])
def test_an_option_number_in_words_or_digits_picks_that_option(billing, typed, n):
    opts = offered(billing, "explained")
    assert match_answer(typed, opts) == Match(Verdict.CHOSEN, opts[n - 1][0], score=100.0)


def test_a_number_beyond_the_options_is_not_a_number():
    assert number_in(normalise("option five"), 4) is None
    assert number_in(normalise("0"), 4) is None
    assert number_in(normalise("two payments"), 4) is None  # a sentence that starts with a number word
    assert number_in(normalise("option 3"), 4) == 3


def test_normalise_keeps_apostrophes_inside_words_and_drops_punctuation():
    assert normalise("Don’t — WORRY, it's fine!") == ["don't", "worry", "it's", "fine"]


def test_the_trainees_own_words_are_stored_with_the_turn_and_change_nothing_else(tmp_path, billing):
    proto = protocol(billing.protocol)
    with Store(tmp_path / "s.db") as store:
        worded = Recorder(billing, proto, store=store)
        plain = Recorder(billing, proto)
        worded.choose("breathe_listen", words="  let her finish  ")
        plain.choose("breathe_listen")
        worded.choose("keep_listening", words="")  # nothing typed: nothing stored
        plain.choose("keep_listening")
        assert worded.state.turns[0].words == "let her finish" and worded.state.turns[1].words is None
        assert [t.anger_after for t in worded.state.turns] == [t.anger_after for t in plain.state.turns]
        saved = store.turns(worded.session_id)
    assert [t.words for t in saved] == ["let her finish", None]


def test_reports_show_the_trainees_own_words_next_to_what_was_said(tmp_path, billing):
    from simulator.reports.classview import build
    from simulator.reports.html import render_html
    from simulator.reports.jsonreport import session_doc
    from simulator.reports.rows import judged

    with Store(tmp_path / "s.db") as store:
        rec = Recorder(billing, protocol(billing.protocol), trainee="Amira", store=store, mode="window")
        rec.choose("breathe_listen", words="let her <b>finish</b>")
        for cid in ("keep_listening", "paraphrase", "apologize", "ask_cause", "found_it", "confirm", "process", "follow_up", "log_it", "think_back"):
            rec.choose(cid)  # to the end: the HTML report details finished sessions
        assert rec.finished
        items = list(judged(store.find(), protocol))
        page = "".join(render_html(build(store, protocol), generated="2026-01-01T00:00:00Z", filters={}))
    assert page.count("in their own words") == 1  # only the worded turn
    assert "(in their own words: “let her &lt;b&gt;finish&lt;/b&gt;”)" in page and "<b>finish" not in page
    doc = session_doc(items[0])
    assert [t["words"] for t in doc["turns"]] == ["let her <b>finish</b>"] + [None] * 10
    assert doc["turns"][0]["said"] == next(o.text for o in billing.node("open").options if o.id == "breathe_listen")
