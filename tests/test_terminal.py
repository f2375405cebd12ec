"""Terminal play: the pure formatters, the console's timed reveal, and whole games played
through `defuse play --text` (in-process over a pipe, and in a real pseudo-terminal)."""
from __future__ import annotations

import fcntl
import io
import os
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import shutil
import wave
import time
from argparse import Namespace
from pathlib import Path

import pytest

from scoring import score, step_label
from simulator.actions import Action
from simulator.engine import available, choose, presented, start
from simulator.library import Library, protocol
from simulator.model import Band, Scenario
from playthrough import play_in_terminal as play
from simulator.play.conversation import Delivery, word_delays
from simulator.play.text_console import Console, LineReader, pace_setting
from simulator.play.profile import load_profile
from simulator.play.text_view import (
    Style,
    anger_bar,
    anger_chart,
    debrief_lines,
    debug_lines,
    describe_condition,
    explain_route,
    option_lines,
    picker_lines,
    sparkline,
    wrap,
)

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\033\[[0-9;]*m")
BY_THE_BOOK = ["breathe_listen", "keep_listening", "paraphrase", "apologize", "ask_cause", "found_it",
               "confirm", "process", "follow_up", "log_it", "think_back"]


@pytest.fixture(scope="module")
def billing() -> Scenario:
    return Library().get("billing_double_charge").scenario


def numbers_for(scenario: Scenario, choices: list[str]) -> list[str]:
    """The option numbers a trainee types to make these choices (as the terminal numbers them)."""
    state, out = start(scenario, 0), []  # the tests play with --seed 0: the order that seed shows
    for cid in choices:
        ids = [o.id for o in presented(scenario, state)]
        out.append(str(ids.index(cid) + 1))
        state = choose(scenario, state, cid)
    return out


def sessions(db: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM sessions ORDER BY rowid").fetchall()
    finally:
        con.close()


def turns(db: Path, session_id: str) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- pure formatters


def test_wrap_keeps_every_word_whole_and_within_the_width():
    text = "a " * 5 + "extraordinarily-long-word " + "word " * 40
    for width in (40, 60, 80):
        rows = wrap(text, width, "Dana: ")
        assert rows[0].startswith("Dana: ")
        assert all(r.startswith("      ") for r in rows[1:])
        assert " ".join(" ".join(r.split()) for r in rows).replace("Dana: ", "", 1).split() == text.split()
        assert all(len(r) <= width for r in rows)


def test_wrap_gives_an_overlong_word_its_own_line_rather_than_splitting_it():
    rows = wrap("x " + "y" * 50, 30)
    assert rows == ["x", "y" * 50]


@pytest.mark.parametrize("anger,band", [(0, Band.CALM), (24.9, Band.CALM), (25, Band.UPSET), (62, Band.ANGRY), (99, Band.HOSTILE)])
def test_anger_bar_names_the_band_in_words_and_fills_in_proportion(anger, band):
    plain = anger_bar(anger, Style(unicode=False), cells=20)
    assert band.value.upper() in plain
    assert plain.isascii()
    inside = plain[plain.index("[") + 1 : plain.index("]")]
    assert len(inside) == 20 and inside.count("#") == round(anger / 100 * 20)
    fancy = anger_bar(anger, Style(unicode=True, colour=True), cells=20)
    assert band.value.upper() in ANSI.sub("", fancy)  # colour is an addition, the word stays
    assert ANSI.sub("", fancy).replace("█", "#").replace("░", ".") == plain


def test_sparkline_rises_with_anger_and_has_an_ascii_fallback():
    values = [0, 20, 40, 60, 80, 100]
    for style in (Style(unicode=True), Style(unicode=False)):
        line = sparkline(values, style)
        assert len(line) == len(values)
        levels = "▁▂▃▄▅▆▇█" if style.unicode else "_.-=+*#@"
        heights = [levels.index(ch) for ch in line]
        assert heights == sorted(heights) and heights[0] == 0 and heights[-1] == len(levels) - 1
    assert sparkline(values, Style(unicode=False)).isascii()


def test_anger_chart_has_a_row_for_the_start_and_each_turn():
    rows = anger_chart([70, 60.5, 30, 10], Style())
    assert len(rows) == 5 and "start" in rows[0] and "turn 3" in rows[3] and "trend" in rows[4]
    assert "70.0 angry" in rows[0] and "10.0 calm" in rows[3]
    assert all(len(r) <= 80 for r in rows)


def test_options_are_numbered_and_debug_shows_ids_and_actions(billing):
    opts = available(billing, start(billing))
    plain = option_lines(opts, Style())
    assert plain[0].strip().startswith("1)")
    assert not any("breathe_listen" in r for r in plain)
    dbg = "\n".join(option_lines(opts, Style(), debug=True))
    assert "[breathe_listen: stay_calm, listen]" in dbg


def test_picker_lists_title_setting_industry_starting_band_and_protocol(billing):
    rows = picker_lines([billing], Style(), {"ten_step": "Ten-step de-escalation process"}.get)
    assert rows[0] == f"   1. {billing.title}"
    assert " ".join(rows[1:]).split() == ["phone,", "telecom", "billing;", "starts", "angry;", "scored", "on", "Ten-step", "de-escalation", "process"]


def _played(scenario, choices):
    state = start(scenario, 0)
    for cid in choices:
        state = choose(scenario, state, cid.rstrip("!"), interrupted=cid.endswith("!"))
    return state


@pytest.mark.parametrize("width", [40, 60, 80])
def test_debrief_shows_total_verdict_steps_feedback_and_the_anger_trace(billing, width):
    proto = protocol("ten_step")
    state = _played(billing, ["breathe_listen", "keep_listening", "jump_fix", "ask_now", "found_it", "just_do_it", "goodbye", "next_caller"])
    result = score(state.transcript(), proto)
    rows = debrief_lines(result, state, billing, proto, Style(width=width))
    text = "\n".join(rows)
    assert f"Score: {result.total:.1f} / 100" in text
    assert ("PASS" if result.passed else "FAIL") in text and "FAIL" in text  # this path skips steps
    flat = " ".join(text.split())
    step_rows = [r for r in rows if r.startswith(("  [x] ", "  [ ] ", "  [-] "))]
    assert len(step_rows) == len(result.steps)
    for s, row in zip(result.steps, step_rows):
        assert s.title in flat
        mark = "[x]" if s.performed else ("[-]" if not s.applicable else "[ ]")
        assert row.startswith(f"  {mark} {step_label(s)}"), row
    for f in result.feedback:
        assert " ".join(f.message.split()) in flat
    assert sum(1 for r in rows if re.match(r"\s+(start|turn \d+)\s+\d", r)) == len(state.turns) + 1
    assert all(len(ANSI.sub("", r)) <= width for r in rows)


def _routing_scenario() -> Scenario:
    line = {"id": "l", "text": "Well?"}
    return Scenario.model_validate({
        "format_version": 1, "id": "routing", "title": "t", "summary": "s", "setting": "chat",
        "industry": "test", "protocol": "ten_step",
        "persona": {"name": "Pat", "anger": 50, "tape_recorder": True},
        "start": "a",
        "nodes": [
            {"id": "a", "line": {**line, "id": "a.l", "venting": True}, "options": [
                {"id": "calm", "text": "x", "actions": ["apologize"], "anger_delta": -30,
                 "routes": [{"when": {"anger_at_least": 60}, "goto": "hot"}, {"when": {"done": ["apologize"], "band": ["calm"]}, "goto": "cool"}, {"goto": "hot"}]},
                {"id": "see", "text": "I see", "actions": ["acknowledge"], "goto": "cool"},
                {"id": "rude", "text": "y", "actions": ["argue"], "anger_delta": 60, "goto": "cool"},
            ]},
            {"id": "hot", "line": {**line, "id": "hot.l"}, "end": "customer_left"},
            {"id": "cool", "line": {**line, "id": "cool.l"}, "end": "resolved"},
        ],
    })


def test_route_explanation_names_the_route_that_matched():
    sc = _routing_scenario()
    after = choose(sc, start(sc), "calm")
    assert after.node == "cool"
    assert explain_route(sc, after, sc.node("a").options[0]) == (
        f"a -> cool (route 2 of 3: band is calm and done apologize; decided after the reply, at anger {after.anger:.1f} (calm); "
        "did not hold: route 1 (anger >= 60))"
    )
    assert after.anger == 20.0  # 50 at the time of the reply: the route saw the anger after it
    after = choose(sc, start(sc), "see")
    assert explain_route(sc, after, sc.node("a").options[1]) == "a -> a (interrupted vent: it starts again)"
    after = choose(sc, start(sc), "rude")
    assert after.anger == 100
    assert explain_route(sc, after, sc.node("a").options[2]).startswith("a -> cool (fixed goto); anger reached 100")


def test_describe_condition_covers_every_key():
    from simulator.model import Condition

    c = Condition(band=[Band.UPSET, Band.ANGRY], anger_at_least=30, anger_below=70, done=[Action.LISTEN], not_done=[Action.ARGUE])
    assert describe_condition(c) == "band in upset, angry and anger >= 30 and anger < 70 and done listen and not done argue"
    assert describe_condition(None) == "always"


def test_debug_lines_show_anger_actions_added_interrupt_restart_and_route():
    sc = _routing_scenario()
    before = start(sc)
    after = choose(sc, before, "see", interrupted=True, elapsed=0.8)
    text = "\n".join(debug_lines(sc, before, after, sc.node("a").options[1], Style()))
    assert "anger 50.0 -> " in text
    assert "counted as: acknowledge, interrupt (added: interrupt)" in text
    assert "interrupted: yes; vent restarted: yes" in text
    assert "0.8 s into the line" in text
    assert "route: a -> a (interrupted vent" in text


# ---------------------------------------------------------------- pace and console


def test_pace_comes_from_the_option_then_the_environment_else_the_customers_own_rate():
    assert pace_setting(None, env={}) is None  # the persona's voice at the current anger, as in the window
    assert pace_setting(None, env={"DEFUSE_TEXT_WPM": "9000"}) == 9000
    assert pace_setting(0, env={"DEFUSE_TEXT_WPM": "9000"}) == 0
    assert pace_setting(None, env={"DEFUSE_TEXT_WPM": "fast"}) is None


def test_word_delays_follow_the_pace_and_pause_at_punctuation():
    d = word_delays(["Finally,", "a", "person.", "Now"], 120)
    assert d[1] == pytest.approx(0.5) and d[3] == pytest.approx(0.5)
    assert d[0] > d[1] and d[2] > d[0]
    assert word_delays(["a", "b"], 0) == [0.0, 0.0]


def _pipe_with(text: str) -> int:
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    return r


def test_line_reader_splits_lines_and_reports_the_end_of_input():
    reader = LineReader(_pipe_with("one\ntwo\r\nthree"))
    assert [reader.readline(), reader.readline(), reader.readline()] == ["one", "two", "three"]
    with pytest.raises(EOFError):
        reader.readline()


def test_line_reader_times_out_when_nothing_is_typed():
    r, w = os.pipe()
    try:
        reader = LineReader(r)
        assert reader.poll(0.01) is None
        os.write(w, b"3\n")
        assert reader.poll(1.0) == "3"
    finally:
        os.close(r)
        os.close(w)


def test_reveal_stops_at_an_early_answer_after_a_gentle_note_for_non_answers():
    out = io.StringIO()
    console = Console(LineReader(_pipe_with("\nwhat\n2\n")), out, Style())
    notes = []

    def listen(text):
        if text == "2":
            return True
        notes.append(text)
        return "Please type a number."

    answer, shown = console.reveal("Dana: ", Delivery.spoken("one two three four five six", 600), console.clock(), listen)
    assert answer == "2" and notes == ["what"] and shown < 6
    shown = out.getvalue()
    assert "Please type a number." in shown and shown.rstrip().endswith("--")
    assert "six" not in shown  # she was cut off before the end


def test_reveal_without_listening_shows_the_whole_line_wrapped():
    out = io.StringIO()
    console = Console(LineReader(_pipe_with("")), out, Style(width=40))
    assert console.reveal("Pat: ", Delivery.spoken("word " * 30, 0), console.clock()) == (None, 30)
    rows = out.getvalue().splitlines()
    assert len(rows) > 1 and all(len(r) <= 40 for r in rows) and rows[1].startswith("     word")


# ---------------------------------------------------------------- whole games, in-process over a pipe


def _args(db: Path, **kw) -> Namespace:
    base = dict(scenario="billing_double_charge", text=True, debug=False, autoplay=None, screenshots=None,
                trainee="Tess", protocol=None, seed=0, no_speech=True, no_save=False, text_size=1.0,
                db=str(db), scenarios=[], pace=0.0)
    base.update(kw)
    return Namespace(**base)


def _play(args: Namespace, typed: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = play(args, Console(LineReader(_pipe_with("".join(t + "\n" for t in typed))), out, Style()))
    return status, out.getvalue()


def test_bad_input_gets_a_gentle_reprompt_and_nothing_is_recorded_for_it(tmp_path, billing):
    db = tmp_path / "s.db"
    typed = ["", "nine", "7", "0", "?", numbers_for(billing, ["breathe_listen"])[0], "q"]
    status, out = _play(_args(db), typed)
    assert status == 0
    assert out.count("Please type a number from 1 to 4") == 4  # empty, text, 7 and 0
    assert "Type the number of what you want to say" in out  # the help
    assert "Traceback" not in out
    (s,) = sessions(db)
    assert s["complete"] == 0 and s["mode"] == "text"
    assert [t["choice"] for t in turns(db, s["id"])] == ["breathe_listen"]


def test_a_full_game_over_a_pipe_is_saved_complete_with_the_debrief(tmp_path, billing):
    db = tmp_path / "s.db"
    status, out = _play(_args(db), numbers_for(billing, BY_THE_BOOK) + ["q"])
    assert status == 0
    (s,) = sessions(db)
    assert s["complete"] == 1 and s["outcome"] == "resolved" and s["trainee"] == "Tess"
    expected = score(_played(billing, BY_THE_BOOK).transcript(), protocol("ten_step"))
    assert s["total"] == pytest.approx(expected.total) and s["passed"] == 1
    assert f"Score: {expected.total:.1f} / 100  PASS" in out
    assert [t["choice"] for t in turns(db, s["id"])] == BY_THE_BOOK
    assert not any(t["interrupted"] for t in turns(db, s["id"]))


def test_retry_plays_the_scenario_again_as_a_new_session(tmp_path, billing):
    db = tmp_path / "s.db"
    status, _ = _play(_args(db), numbers_for(billing, BY_THE_BOOK) + ["x", "r"] + numbers_for(billing, ["breathe_listen"]) + ["q"])
    assert status == 0
    first, second = sessions(db)
    assert first["complete"] == 1 and second["complete"] == 0
    assert len(turns(db, second["id"])) == 1


def test_the_end_of_input_mid_session_keeps_it_incomplete_and_fails(tmp_path, billing, capsys):
    db = tmp_path / "s.db"
    status, _ = _play(_args(db), numbers_for(billing, BY_THE_BOOK[:3]))
    assert status == 1
    (s,) = sessions(db)
    assert s["complete"] == 0 and len(turns(db, s["id"])) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("defuse: the input ended after 3 turns; the session is saved as incomplete")


def test_no_save_writes_nothing(tmp_path, billing):
    db = tmp_path / "s.db"
    status, out = _play(_args(db, no_save=True), numbers_for(billing, BY_THE_BOOK) + ["q"])
    assert status == 0 and "not saved" in out and not db.exists()


def test_the_picker_lists_every_scenario_and_the_name_is_asked_once(tmp_path, library):
    db = tmp_path / "s.db"
    ids = [e.id for e in library.in_order()]  # the order both pickers list them in
    status, out = _play(_args(db, scenario=None, trainee=None), ["", "Ann  Lee", "zero", str(len(ids) + 1), "q"])
    assert status == 0
    assert "Please type a name" in out and out.count(f"Please type a number from 1 to {len(ids)}") == 2
    for e in library.entries().values():
        assert e.scenario.title in out
    assert load_profile().trainee == "Ann Lee"

    pick = ids.index("billing_double_charge") + 1
    status, out = _play(_args(db, scenario=None, trainee=None), [str(pick), "q"])
    assert status == 0 and "Playing as Ann Lee (" in out and "Your name" not in out
    (s,) = sessions(db)
    assert s["trainee"] == "Ann Lee" and s["scenario"] == "billing_double_charge"


def test_another_scenario_goes_back_to_the_picker(tmp_path, billing, library):
    db = tmp_path / "s.db"
    pick = str([e.id for e in library.in_order()].index("billing_double_charge") + 1)
    status, out = _play(_args(db), numbers_for(billing, BY_THE_BOOK) + ["a", pick, "q"])
    assert status == 0 and out.count("Choose a scenario") == 1
    assert len(sessions(db)) == 2


def test_an_unknown_scenario_or_protocol_is_one_clear_error(cli):
    status, out, err = cli("play", "no_such_thing", "--text", "--trainee", "T")
    assert status == 1 and "unknown scenario 'no_such_thing'" in err and "Traceback" not in err
    status, out, err = cli("play", "billing_double_charge", "--text", "--trainee", "T", "--protocol", "nope")
    assert status == 1 and "unknown protocol 'nope'" in err


# ---------------------------------------------------------------- in a real pseudo-terminal


class Terminal:
    """`defuse play --text` running in a pseudo-terminal, 80 columns wide."""

    def __init__(self, tmp_path: Path, *extra: str, wpm: float, debug: bool = False):
        self.db = tmp_path / "pty.db"
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(os.environ, DEFUSE_TEXT_WPM=str(wpm), TERM="xterm", PYTHONUNBUFFERED="1")
        env.pop("NO_COLOR", None)
        argv = [sys.executable, "-m", "simulator", "play", "billing_double_charge", "--text", "--trainee", "T", "--db", str(self.db), "--seed", "0"]
        self.proc = subprocess.Popen(argv + (["--debug"] if debug else []) + list(extra), stdin=slave, stdout=slave,
                                     stderr=subprocess.PIPE, cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        self.master = master
        self.seen = ""
        self.pos = 0

    def expect(self, text: str, timeout: float = 20.0) -> str:
        """Wait until `text` appears after what was already matched; returns the output up to it."""
        end = time.monotonic() + timeout
        while text not in self.seen[self.pos:]:
            left = end - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}; screen ends with:\n{self.seen[-800:]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child has gone and closed the terminal
                    chunk = b""
                if not chunk:
                    assert text in self.seen[self.pos:], f"the game ended before {text!r}:\n{self.seen[-800:]}"
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        i = self.seen.index(text, self.pos) + len(text)
        before, self.pos = self.seen[self.pos:i], i
        return before

    def type(self, text: str) -> None:
        os.write(self.master, (text + "\n").encode())

    def finish(self, timeout: float = 20.0) -> tuple[int, str]:
        try:
            self.proc.wait(timeout)
        finally:
            self.drain()
            os.close(self.master)
        return self.proc.returncode, self.proc.stderr.read().decode()

    def drain(self) -> None:
        while select.select([self.master], [], [], 0.05)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.slow
def test_a_whole_game_in_a_pseudo_terminal_fits_80_columns_and_is_saved(tmp_path, billing):
    term = Terminal(tmp_path, wpm=30000)
    numbers = numbers_for(billing, BY_THE_BOOK)
    term.expect("Your answer (1-4): ")
    term.type("5")  # out of range: asked again, nothing recorded
    term.expect("Please type a number from 1 to 4")
    for n in numbers:
        term.expect("Your answer (")
        term.type(n)
    term.expect("Retry (r), another scenario (a) or quit (q)? ")
    term.type("q")
    status, err = term.finish()
    assert status == 0, err
    screen = term.seen
    assert "Debrief: Charged twice" in screen and "PASS" in screen and "anger: ANGRY" in screen
    assert all(len(ANSI.sub("", row)) <= 80 for row in screen.splitlines())
    (s,) = sessions(term.db)
    assert s["complete"] == 1 and s["outcome"] == "resolved" and s["mode"] == "text"
    rows = turns(term.db, s["id"])
    assert [t["choice"] for t in rows] == BY_THE_BOOK and not any(t["interrupted"] for t in rows)


def test_an_early_answer_in_a_pseudo_terminal_is_an_interruption_unless_it_is_listening(tmp_path, billing):
    # 300 words a minute: a word every 0.2 s (more at punctuation), so an answer typed after the first word is early.
    term = Terminal(tmp_path, wpm=300, debug=True)
    term.expect("Dana Whitfield: Finally,")
    term.type(numbers_for(billing, ["quick_see"])[0])  # "I see" while she is still going
    term.expect("(You spoke before Dana Whitfield had finished.)")
    term.expect("(added: interrupt)")
    term.expect("route: open -> open (interrupted vent: it starts again)")  # a tape recorder: from the top
    term.expect("Dana Whitfield: Finally,")
    term.type(numbers_for(billing, ["quick_see", "breathe_listen"])[1])  # keeping quiet is never cutting in
    term.expect("interrupted: no")
    term.expect("straight out of my account.")  # she finishes her line
    term.expect("Dana Whitfield: ")
    term.type("q")
    status, err = term.finish()
    assert status == 0, err
    assert "You left the session after 2 turns; the session is saved as incomplete." in term.seen
    (s,) = sessions(term.db)
    assert s["complete"] == 0
    first, second = turns(term.db, s["id"])
    assert (first["choice"], first["interrupted"]) == ("quick_see", 1)
    assert "interrupt" in first["actions"] and "acknowledge" in first["actions"]
    assert (second["choice"], second["interrupted"]) == ("breathe_listen", 0)
    assert "interrupt" not in second["actions"]
    assert first["elapsed"] < Delivery.spoken(billing.node("open").line.text, 300).length / 2  # well before the line's end


def test_keeping_quiet_early_in_a_pseudo_terminal_still_delivers_the_rest_of_the_line(tmp_path, billing):
    """The trainee chooses to keep listening a few words in: the customer says the rest of
    her line, word by word, before her next line begins; nothing of it is lost."""
    term = Terminal(tmp_path, wpm=400)
    line = billing.node("open").line.text
    term.expect("Dana Whitfield: Finally, a person.")
    term.type(numbers_for(billing, ["breathe_listen"])[0])
    term.expect("You: ")
    term.expect("Dana Whitfield: ... ")
    term.expect("-- Turn 2 ")
    said = term.seen.split("Dana Whitfield: ", 1)[1].split(" --", 1)[0].split()  # her line, cut where the answer came...
    rest = term.seen.split("Dana Whitfield: ... ", 1)[1].split("-- Turn 2", 1)[0].split()  # ...then the rest of it
    assert 3 <= len(said) < len(line.split())
    assert said + rest == line.split()
    term.type("q")
    status, err = term.finish()
    assert status == 0, err
    (s,) = sessions(term.db)
    (t,) = turns(term.db, s["id"])
    assert t["choice"] == "breathe_listen" and not t["interrupted"]


def test_keys_typed_while_the_line_appears_do_not_break_it_and_a_half_typed_answer_waits_at_the_prompt(tmp_path, billing):
    term = Terminal(tmp_path, wpm=400)
    line = billing.node("open").line.text
    term.expect("Dana Whitfield: Finally,")
    term.type("7")  # a number with no option: a note, then her words carry on
    term.expect("Please type a number from 1 to 4")
    answer = numbers_for(billing, ["breathe_listen"])[0]
    os.write(term.master, b"9")  # typed, not yet entered
    term.expect("straight out of my account.")
    term.expect("Your answer (1-4): 9")  # kept, and shown where it will be answered...
    term.type("\x7f" + answer)  # ...where Backspace takes it back
    term.expect(f"\b \b{answer}")
    term.expect("You: (Sit up")
    term.type("q")
    status, err = term.finish()
    assert status == 0, err
    shown = term.seen.split("Dana Whitfield: ", 1)[1].split("Your answer (1-4)", 1)[0]
    rows = [r for r in shown.splitlines() if r.strip()]
    caption = rows[:1] + [r for r in rows[1:] if r.startswith(" " * 16)]
    note = " ".join(r for r in rows[1:] if not r.startswith(" " * 16))
    assert note == "That is not close enough to any answer. Please type a number from 1 to 4, or put it another way (q to leave)."
    assert " ".join(" ".join(caption).split()) == line  # every word whole: nothing typed landed in it
    assert all(len(r) <= 80 for r in rows)
    (s,) = sessions(term.db)
    (t,) = turns(term.db, s["id"])
    assert t["choice"] == "breathe_listen" and not t["interrupted"]


def test_keys_read_one_by_one_leave_out_arrow_keys_and_backspace_takes_back_typed_text():
    master, slave = os.openpty()
    try:
        reader = LineReader(slave)
        with reader.quiet():  # while the words appear: nothing shown
            os.write(master, "3\x1b[A\x1bOB9\x7fé".encode())  # arrows, a backspace, a two-byte letter
            assert reader.poll(0.3) is None
        assert reader.pending() == "3é"
        shown = io.StringIO()
        with reader.quiet(echo=shown):  # at a prompt: what is typed is shown, Backspace erases it
            os.write(master, b"\x7f\x7f2\r")
            assert reader.readline() == "2"
        assert shown.getvalue() == "\b \b\b \b2\n"
        os.write(master, b"4\n")  # out of quiet mode the terminal itself edits the line again
        assert reader.readline() == "4"
    finally:
        os.close(master)
        os.close(slave)


def test_the_debrief_ends_with_the_score_and_verdict_in_view_on_an_80x24_screen(tmp_path, billing):
    term = Terminal(tmp_path, wpm=30000)
    for n in numbers_for(billing, BY_THE_BOOK):
        term.expect("Your answer (")
        term.type(n)
    term.expect("Retry (r), another scenario (a) or quit (q)? ")
    term.type("q")
    status, err = term.finish()
    assert status == 0, err
    screen = term.seen.split("Retry (r), another scenario (a) or quit (q)? ")[0] + "Retry (r)..."
    debrief = screen[screen.index("Debrief: Charged twice"):].splitlines()
    assert len(debrief) > 24  # longer than the screen: its start scrolls away...
    last = "\n".join(screen.splitlines()[-24:])  # ...and these 24 rows are what stays in view
    expected = score(_played(billing, BY_THE_BOOK).transcript(), protocol("ten_step"))
    assert f"Score: {expected.total:.1f} / 100  PASS" in ANSI.sub("", last) and "(pass mark" in last
    assert "Steps (* critical):" not in last  # the detail came first


@pytest.mark.slow
def test_ctrl_c_in_a_pseudo_terminal_keeps_the_turns_so_far_as_an_incomplete_session(tmp_path, billing):
    term = Terminal(tmp_path, wpm=30000)
    for n in numbers_for(billing, BY_THE_BOOK[:2]):
        term.expect("Your answer (")
        term.type(n)
    term.expect("Your answer (")
    term.proc.send_signal(signal.SIGINT)
    status, err = term.finish()
    assert status == 130
    assert "Traceback" not in err and "Traceback" not in term.seen
    assert err.count("\n") == 1 and err.startswith("defuse: interrupted after 2 turns; the session is saved as incomplete")
    (s,) = sessions(term.db)
    assert s["complete"] == 0 and s["outcome"] is None
    assert [t["choice"] for t in turns(term.db, s["id"])] == BY_THE_BOOK[:2]


def test_ctrl_c_while_the_customer_is_still_speaking_is_just_as_clean(tmp_path):
    term = Terminal(tmp_path, wpm=60)
    term.expect("Dana Whitfield: Finally,")
    term.proc.send_signal(signal.SIGINT)
    status, err = term.finish()
    assert status == 130 and "Traceback" not in err + term.seen
    assert err == "defuse: interrupted after 0 turns; the session is saved as incomplete.\n"
    (s,) = sessions(term.db)
    assert s["complete"] == 0 and turns(term.db, s["id"]) == []


class _Screen(io.StringIO):
    def __init__(self, tty: bool, encoding: str):
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self):
        return self._tty

    @property
    def encoding(self):
        return self._encoding


def test_colour_only_on_a_real_terminal_that_wants_it_and_blocks_only_where_they_print(monkeypatch):
    from simulator.play.text_console import _colour_ok, _unicode_ok

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DEFUSE_ASCII", raising=False)
    assert _colour_ok(_Screen(True, "utf-8")) and not _colour_ok(_Screen(False, "utf-8"))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _colour_ok(_Screen(True, "utf-8"))
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not _colour_ok(_Screen(True, "utf-8"))
    assert _unicode_ok(_Screen(True, "utf-8")) and not _unicode_ok(_Screen(True, "ascii"))
    monkeypatch.setenv("DEFUSE_ASCII", "1")
    assert not _unicode_ok(_Screen(True, "utf-8"))


@pytest.mark.slow
def test_whatever_is_typed_the_game_never_crashes_and_every_turn_is_a_real_choice(tmp_path_factory, billing):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    answer = st.one_of(st.sampled_from(["1", "2", "3", "4", "q", "r", "a", "?", "", "0", "-1", "99", "¹", "٣"]), st.text(max_size=12).filter(lambda t: "\n" not in t and "\r" not in t))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(answer, max_size=40))
    def check(typed):
        db = tmp_path_factory.mktemp("fuzz") / "s.db"
        status, out = _play(_args(db), typed)
        assert status in (0, 1)
        for s in sessions(db):
            rows = turns(db, s["id"])
            assert [t["idx"] for t in rows] == list(range(1, len(rows) + 1))
            assert s["complete"] == (1 if s["outcome"] else 0)

    check()


def test_negative_pace_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as e:
        cli("play", "billing_double_charge", "--text", "--pace", "-3")
    assert e.value.code == 2


# ---------------------------------------------------------------- answers in the trainee's own words


def test_typed_words_pick_an_option_and_are_saved_with_the_turn(tmp_path, billing):
    db = tmp_path / "s.db"
    typed = [
        "take a slow breath and let her finish",  # a paraphrase of breathe_listen
        "(Keep listening. Let her get it all out.)",  # the exact text
        "purple monkey dishwasher",  # nonsense: asked again, nothing recorded
        "I understand why you're upset",  # feel_it
        "q",
    ]
    status, out = _play(_args(db), typed)
    assert status == 0
    assert f"That is not close enough to any answer. Please type a number from 1 to {len(billing.node('explained').options)}" in out
    (s,) = sessions(db)
    rows = turns(db, s["id"])
    assert [r["choice"] for r in rows] == ["breathe_listen", "keep_listening", "feel_it"]
    assert [r["words"] for r in rows] == [typed[0], typed[1], typed[3]]
    assert "You: Having it happen twice" in out  # the option's own text is what was said


def test_typed_words_close_to_two_options_show_both_and_a_number_settles_it(tmp_path, billing):
    db = tmp_path / "s.db"
    to_cause = numbers_for(billing, ["breathe_listen", "keep_listening", "feel_it", "apologize", "ask_cause"])
    cause_ids = [o.id for o in presented(billing, _played(billing, ["breathe_listen", "keep_listening", "feel_it", "apologize", "ask_cause"]))]
    pick = str(cause_ids.index("cant_yet") + 1)
    status, out = _play(_args(db), to_cause + ["refund", pick, "q"])
    assert status == 0
    note = out[out.index("That could be either"):]
    note = " ".join(note.split())
    assert "We can't refund anything until the billing cycle closes" in note and "I can refund the duplicate today" in note
    assert "Type the number you mean." in note
    (s,) = sessions(db)
    last = turns(db, s["id"])[-1]
    assert last["choice"] == "cant_yet" and last["words"] == "refund"
    # a number typed without any words first stores no words
    assert turns(db, s["id"])[0]["words"] is None


# ---------------------------------------------------------------- spoken answers (a WAV file as the microphone)


def _speak(path: Path, text: str, lead: float) -> None:
    import numpy as np

    from simulator.play.listening.source import RATE, read_wav

    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(path), text], check=True)
    said = read_wav(path)
    audio = np.concatenate([np.zeros(int(lead * RATE), np.int16), said, np.zeros(RATE, np.int16)])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.astype("<i2").tobytes())


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (tools/sysdeps.sh installs it as root): no speech to test with")
@pytest.mark.slow
def test_an_answer_said_over_the_customers_line_is_taken_as_an_interruption_with_its_words(tmp_path, billing):
    import threading

    from simulator.play.listening.source import WavSource

    db = tmp_path / "s.db"
    wav = tmp_path / "said.wav"
    _speak(wav, "option three", lead=1.0)  # said one second into the customer's first line
    read_fd, write_fd = os.pipe()  # the keyboard: quiet until the spoken answer is in, then q

    def quit_after_one_turn():
        end = time.monotonic() + 60
        try:
            while time.monotonic() < end:
                try:
                    if db.exists() and sessions(db) and turns(db, sessions(db)[0]["id"]):
                        break
                except sqlite3.Error:  # the store is still being created
                    pass
                time.sleep(0.1)
        finally:
            os.write(write_fd, b"q\n")
            os.close(write_fd)

    helper = threading.Thread(target=quit_after_one_turn, daemon=True)
    helper.start()
    out = io.StringIO()
    # 300 words a minute: the first line takes about eight seconds to appear
    status = play(_args(db, pace=300.0), Console(LineReader(read_fd), out, Style()), source=WavSource(str(wav), origin=None, realtime=True))
    helper.join(5)
    os.close(read_fd)
    text = out.getvalue()
    assert status == 0, text
    assert "Listening: say an answer" in text and "(heard: \u201coption three\u201d)" in text
    (s,) = sessions(db)
    (t,) = turns(db, s["id"])
    third = [o.id for o in presented(billing, start(billing, 0))][2]  # as seed 0 shows them
    assert t["choice"] == third and t["words"] == "option three"
    assert t["interrupted"] == 1 and 0.7 <= t["elapsed"] <= 1.6  # from when the trainee began, not when it was recognised


def test_voice_answers_with_no_microphone_say_so_once_and_typing_still_works(tmp_path, billing):
    from simulator.play.listening.source import MicrophoneSource

    db = tmp_path / "s.db"
    typed = numbers_for(billing, ["breathe_listen"]) + ["q"]
    out = io.StringIO()
    status = play(_args(db), Console(LineReader(_pipe_with("".join(t + "\n" for t in typed))), out, Style()), source=MicrophoneSource("no such device here"))
    text = out.getvalue()
    assert status == 0
    assert text.count("Spoken answers are off: ") == 1 and "Type your answers instead." in text
    (s,) = sessions(db)
    assert [r["choice"] for r in turns(db, s["id"])] == ["breathe_listen"]
